"""The load test's figures: step-time percentiles overall and per page, errors, the
servers' memory over time and its slope, CPU, and (``--profile``) where the time went."""

from __future__ import annotations

import os
import statistics
from dataclasses import dataclass
from pathlib import Path

from benchmarks.load_sessions import Results


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


def spread(values: list[float]) -> str:
    return (f"n {len(values)}, p50 {percentile(values, 0.5):.2f} s, "
            f"p95 {percentile(values, 0.95):.2f} s, max {max(values):.2f} s")


def slope_per_minute(points: list[tuple[float, float]]) -> float:
    """Least-squares slope of (seconds, MiB) points, in MiB per minute."""
    if len(points) < 2:
        return float("nan")
    mean_t = statistics.fmean(t for t, _m in points)
    mean_m = statistics.fmean(m for _t, m in points)
    var = sum((t - mean_t) ** 2 for t, _m in points)
    cov = sum((t - mean_t) * (m - mean_m) for t, m in points)
    return cov / var * 60 if var else float("nan")


@dataclass
class Setup:
    """What one load test asked for, and the CPU it used."""

    driver: str
    sessions: int
    duration: float  # seconds of traffic, measured
    warmup: float
    think: tuple[float, float]
    server_cpu: float = float("nan")  # seconds, all servers
    driver_cpu: float = float("nan")
    servers: int = 1


def report(results: Results, samples: list[tuple[float, float]], run: Setup) -> None:
    """Print the figures; step and sample times are seconds since the traffic started."""
    steps = results.steps
    measured = [s for s in steps if s.at >= run.warmup] or steps
    low, high = run.think
    thinking = f"{low:g}-{high:g} s" if high > low else f"{low:g} s"
    print(f"\ndriver {run.driver}, sessions {run.sessions}"
          f"{f' over {run.servers} servers' if run.servers > 1 else ''}, think time {thinking} "
          f"(uniform), {run.duration:.0f} s of traffic, steps {len(steps)} "
          f"({len([s for s in steps if s.at >= run.warmup])} after the "
          f"{run.warmup:.0f} s warm-up, {len(measured) / max(1.0, run.duration - run.warmup):.1f}"
          f" steps/s)")
    if results.sign_ins:
        print(f"sign-in (page load, sign in, first page): median "
              f"{statistics.median(results.sign_ins):.2f} s, max {max(results.sign_ins):.2f} s,"
              f" {len(results.sign_ins)} sign-ins")
    if measured:
        print(f"step time after warm-up: {spread([s.took for s in measured])}")
        for what in ("page", "period", "countries"):
            values = [s.took for s in measured if s.what == what]
            if values:
                print(f"  {what} changes: {spread(values)}")
        print("per page (page and filter changes on it), slowest p95 first:")
        by_page: dict[str, list[float]] = {}
        for step in measured:
            by_page.setdefault(step.page or "overview", []).append(step.took)
        for name, values in sorted(by_page.items(),
                                   key=lambda item: -percentile(item[1], 0.95)):
            print(f"  {name:<16} {spread(values)}")
    print(f"errors: {len(results.errors)}")
    for line in results.errors[:10]:
        print(f"  {line}")
    if samples:
        print(f"server RSS (MiB{', the servers summed' if run.servers > 1 else ''}) over time:")
        every = max(1, len(samples) // 15)
        print("  " + ", ".join(f"{t:.0f}s {m:.0f}" for t, m in samples[::every]))
        after = [(t, m) for t, m in samples if t >= run.warmup] or samples
        second_half = [(t, m) for t, m in samples if t >= run.duration / 2]
        print(f"  at start {samples[0][1]:.0f}, at the end of the warm-up ({after[0][0]:.0f} s)"
              f" {after[0][1]:.0f}, at the end {samples[-1][1]:.0f}, max "
              f"{max(m for _t, m in samples):.0f} MiB; slope over the second half "
              f"{slope_per_minute(second_half):+.1f} MiB/min")
    # A sign-in is three runs (load, the component's rerun, the submit and its rerun).
    runs = len(steps) + 3 * len(results.sign_ins)
    print(f"CPU: server {run.server_cpu:.0f} s ({run.server_cpu / max(1, runs):.2f} s per run, "
          f"{run.server_cpu / max(1.0, run.duration):.2f} cores), driver "
          f"{run.driver_cpu:.1f} s (this process"
          f"{'' if run.driver == 'websocket' else '; chromium not counted'}), over "
          f"{run.duration:.0f} s on {os.cpu_count()} cores; load average at the end "
          f"{os.getloadavg()[0]:.1f}")



def print_profile(path: Path, most: int = 30) -> None:
    """The project's functions by share of the script threads' time, and the top frames."""
    if not path.exists():
        print(f"no profile at {path}")
        return
    lines = path.read_text().splitlines()
    own = lines.index("== self")
    ours = [line for line in lines[2:own]
            if line.split("% ", 1)[1].startswith(("pages/", "ui/", "metrics/", "data_access/",
                                                  "reports/", "app.py"))]
    print(f"where the script threads' time went ({lines[0]}; whole list: {path}):")
    print("  project functions, inclusive:")
    print("\n".join(f"    {line}" for line in ours[:most]))
    print("  on top of the stack (self):")
    print("\n".join(f"    {line}" for line in lines[own + 1:own + 1 + most // 2]))
