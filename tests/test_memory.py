"""ui.memory: the first runs freeze what survives them; later runs leave the collector be."""

from __future__ import annotations

import gc

import pytest

from ui import memory


def test_the_first_runs_freeze_and_later_ones_do_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(memory, "_runs", 0)
    monkeypatch.setattr(memory, "FREEZE_RUNS", 2)
    try:
        gc.unfreeze()
        kept = [[i] for i in range(1000)]  # objects alive across the "runs"
        memory.after_run()
        frozen = gc.get_freeze_count()
        assert frozen >= 1000
        more = [[i] for i in range(1000)]
        memory.after_run()
        second = gc.get_freeze_count()
        assert second >= frozen + 1000
        later = [[i] for i in range(1000)]
        memory.after_run()  # the third: nothing more is frozen
        assert gc.get_freeze_count() == second
        assert memory._runs == 2
        del kept, more, later
    finally:
        gc.unfreeze()
