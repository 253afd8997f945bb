"""Python's cyclic garbage collector in a long-running Streamlit server.

A full collection walks every object Python tracks: ~270,000 once pandas, Altair (its
schema classes), jsonschema, SQLAlchemy and the pages are loaded, ~150 ms each on this
machine. Streamlit's own collection after every run is off (``.streamlit/config.toml``,
``runner.postScriptGC``); Python still starts one whenever enough objects have survived,
in the middle of whichever run is going, which then takes 150 ms longer.

Almost all of those objects are modules, classes and functions that live as long as the
process. ``after_run`` — called at the end of each of the process's first ``FREEZE_RUNS``
script runs, as pages are visited and their modules imported — collects and then moves
every surviving object to the permanent generation (``gc.freeze``), which collections skip;
after that a full collection walks only what was made since. Reference counting still
frees frozen objects; only a reference cycle among them that becomes garbage later is
never collected, and those are at most what the first runs left behind.
"""

from __future__ import annotations

import gc
import threading

FREEZE_RUNS = 50
_runs = 0
_lock = threading.Lock()


def after_run() -> None:
    global _runs
    with _lock:
        if _runs >= FREEZE_RUNS:
            return
        _runs += 1
    gc.collect()
    gc.freeze()
