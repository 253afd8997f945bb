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


def test_the_report_gives_postgresql_as_a_multiple_of_sqlite() -> None:
    import datetime as dt

    from benchmarks.run import report

    def result(backend: str, overview: float, outcomes: float) -> dict:
        return {"size": "1m", "backend": backend, "rss_mb": 300.0, "errors": {},
                "pages": {"overview": {"cold": overview, "warm": 50.0, "filter": 60.0},
                          "outcomes": {"cold": outcomes, "warm": 100.0, "filter": 90.0}},
                "naive": {"ms": 6000.0, "rss_mb": 900.0},
                "refresh": {"rows": {}, "cases": {}, "incremental": True, "refresh_s": 5.0,
                            "import_s": 20.0, "full_s": 100.0}}

    text = report([result("sqlite", 200.0, 300.0), result("postgresql", 300.0, 900.0)],
                  dt.datetime(2026, 11, 23, 18, 0), 3)
    sqlite, postgresql = text.split("### postgresql")
    assert "×" not in sqlite.split("### sqlite")[1].split("- peak")[0]
    assert "| overview | 300 (1.5×) | 50 (1.0×) | 60 (1.0×) |" in postgresql
    assert "| outcomes | 900 (3.0× ✗) | 100 (1.0×) | 90 (1.0×) |" in postgresql
