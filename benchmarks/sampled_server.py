"""``streamlit run`` with a stack sampler over the script threads (``benchmarks.load --profile``).

    python benchmarks/sampled_server.py OUT run app.py --server.port 8501 …

Every 20 ms it takes the stack of each thread that is running a script (Streamlit runs
each session's script in a thread of its own) and counts, per function, the samples it
was on the stack (inclusive) and on top (self). Every 5 s, and at exit, OUT gets the
shares of the script threads' wall time, largest first. Wall time, not CPU: a thread
waiting for the GIL or for SQLite is counted where it waits. A poor man's py-spy (which is
not installed here), for finding what the server spends its time on under load.
"""

from __future__ import annotations

import atexit
import collections
import sys
import threading
import time
import traceback
from pathlib import Path

EVERY = 0.02  # seconds between samples
WRITE_EVERY = 5.0
ROOT = Path(__file__).resolve().parent.parent


class StackSampler(threading.Thread):
    def __init__(self, out: Path) -> None:
        super().__init__(daemon=True, name="stack-sampler")
        self.out = out
        self.inclusive: collections.Counter[str] = collections.Counter()
        self.own: collections.Counter[str] = collections.Counter()
        self.samples = 0
        self.lock = threading.Lock()

    def run(self) -> None:
        last = time.monotonic()
        while True:
            time.sleep(EVERY)
            self.sample()
            if time.monotonic() - last > WRITE_EVERY:
                last = time.monotonic()
                self.write()

    def sample(self) -> None:
        me = threading.get_ident()
        for ident, frame in sys._current_frames().items():
            if ident == me:
                continue
            stack = traceback.extract_stack(frame)
            if not any(f.name == "_run_script" for f in stack):
                continue  # not a script thread (the event loop, the sampler, idle threads)
            labels = [_label(f) for f in stack]
            with self.lock:
                self.samples += 1
                self.inclusive.update(set(labels))
                self.own[labels[-1]] += 1

    def write(self) -> None:
        with self.lock:
            total = max(1, self.samples)
            lines = [f"samples {self.samples} (every {EVERY * 1000:.0f} ms per script thread)",
                     "== inclusive"]
            lines += [f"{n / total * 100:5.1f}% {label}"
                      for label, n in self.inclusive.most_common(150)]
            lines.append("== self")
            lines += [f"{n / total * 100:5.1f}% {label}"
                      for label, n in self.own.most_common(40)]
        self.out.write_text("\n".join(lines) + "\n")


def _label(frame: traceback.FrameSummary) -> str:
    name = frame.filename
    for cut in (f"{ROOT}/", "site-packages/"):
        if cut in name:
            return f"{name.split(cut, 1)[1]}:{frame.name}"
    return f"{Path(name).name}:{frame.name}"  # the standard library


def main() -> None:
    sampler = StackSampler(Path(sys.argv[1]))
    sampler.start()
    atexit.register(sampler.write)
    sys.path.insert(0, str(ROOT))
    from streamlit.web.cli import main as streamlit

    sys.argv = ["streamlit", *sys.argv[2:]]
    streamlit()


if __name__ == "__main__":
    main()
