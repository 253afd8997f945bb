"""What a load-test session is: the demo accounts it signs in as, its think time, and the
steps it records (``benchmarks.load``; the drivers are ``benchmarks.load_ws`` and
``benchmarks.load_browser``)."""

from __future__ import annotations

import asyncio
import random
import time
from dataclasses import dataclass, field

ACCOUNTS = [("demo-admin", "admin-demo", "admin"), ("demo-manager", "manager-demo", "manager"),
            ("demo-donor", "donor-demo", "donor"),
            ("demo-focal-ma", "focal-ma-demo", "focal_point"),
            ("demo-focal-tn", "focal-tn-demo", "focal_point"),
            ("demo-focal-sn", "focal-sn-demo", "focal_point")]
MAX_STEPS = 10_000  # per session, whatever the duration
MAX_RECONNECTS = 20  # per session: a session whose steps keep timing out stops trying


@dataclass
class Step:
    at: float  # time.monotonic() when it finished
    what: str  # "page", "period" or "countries"
    page: str  # the page's URL path ("" for the default page)
    took: float


@dataclass
class Results:
    steps: list[Step] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    sign_ins: list[float] = field(default_factory=list)


def parse_think(text: str) -> tuple[float, float]:
    """``"3-10"`` -> (3, 10); ``"0"`` -> (0, 0)."""
    low, _dash, high = text.partition("-")
    bounds = (float(low), float(high or low))
    if not 0 <= bounds[0] <= bounds[1] <= 600:
        raise ValueError(f"think time {text!r}: want A-B seconds with 0 <= A <= B <= 600")
    return bounds


async def think(rng: random.Random, bounds: tuple[float, float], deadline: float) -> None:
    """A user reading the page before the next click (never past the deadline)."""
    wait = min(rng.uniform(*bounds), max(0.0, deadline - time.monotonic()))
    if wait > 0:
        await asyncio.sleep(wait)


async def after_delay(delay: float, coroutine) -> None:
    await asyncio.sleep(delay)
    await coroutine
