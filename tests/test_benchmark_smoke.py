"""The benchmark runs end to end at 10k (a smoke test: speed targets live in the benchmark,
not in timed tests): it finishes and prints its table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_benchmark_runs_at_10k(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks", "--sizes", "10k", "--runs", "1",
         "--data-dir", str(tmp_path), "--output", str(tmp_path / "benchmarks.md"),
         "--pages", "overview,beneficiaries,outcomes"],
        cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-3000:]
    assert "| page | cold | warm | filter change |" in out.stdout
    assert "| overview |" in out.stdout
    assert "naive Overview" in out.stdout
    assert (tmp_path / "benchmarks.md").read_text().startswith("# Benchmarks")
