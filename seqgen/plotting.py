"""Loss-curve plots that cost a training run almost nothing.

Importing matplotlib takes a few tenths of a second — as long as thousands of steps of
the names model. So a run that lasts more than a moment starts a helper process
(``python -m seqgen.plotting``) that imports matplotlib on the other core while training
goes on; each plot is then a request to it (the history as one JSON line) answered with
the PNG's bytes, a few hundredths of a second. The training process writes the file itself,
atomically, as every other output. Short runs, a process that has imported matplotlib
already (a program or notebook that plots; there the helper would only import it again),
and any failure of the helper, draw in process instead, with the same function.

The helper is started in its own session, so a Ctrl-C meant for the trainer does not
reach it; it ends when its input closes (the trainer is done, or was killed).
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

from seqgen.signals import pause_point

HELPER_AFTER = 1.0  # seconds of training after which a run starts the helper
MAX_PNG = 64 << 20  # a larger answer is not a plot: draw it in process instead


def curve_png(history: list[dict], title: str, x: str = "epoch") -> bytes:
    """A loss-curve plot (train and, where present, held-out loss) as PNG bytes."""
    pause_point("plot")
    helper = _active.get("helper")
    if helper is not None:
        png = helper.draw(history, title, x)
        if png is not None:
            return png
    return draw_png(history, title, x)


def draw_png(history: list[dict], title: str, x: str = "epoch") -> bytes:
    """Draw the plot with matplotlib's Agg canvas alone (no GUI backend is loaded)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(6, 4), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    xs = [h[x] for h in history]
    ax.plot(xs, [h["train_loss"] for h in history], marker=".", label="train")
    if any("val_loss" in h for h in history):
        ax.plot(xs, [h["val_loss"] for h in history], marker=".", label="held-out")
    ax.set_xlabel(x)
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    ax.legend()
    buf = io.BytesIO()
    fig.savefig(buf, format="png")
    return buf.getvalue()


class _Helper:
    """The plotting process, asked over pipes: a JSON line in, 8-byte length + PNG out."""

    def __init__(self) -> None:
        # -P: not the current folder on sys.path (a local matplotlib.py must not be imported)
        self.proc = subprocess.Popen([sys.executable, "-P", "-m", "seqgen.plotting"],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.DEVNULL, start_new_session=True)

    def draw(self, history: list[dict], title: str, x: str) -> bytes | None:
        """The PNG, or None when the helper cannot answer (then the caller draws)."""
        try:
            request = json.dumps({"history": history, "title": title, "x": x})
            self.proc.stdin.write(request.encode("utf-8") + b"\n")
            self.proc.stdin.flush()
            size = int.from_bytes(_read(self.proc.stdout, 8), "big")
            if not 0 < size < MAX_PNG:
                return None
            return _read(self.proc.stdout, size)
        except (OSError, ValueError, EOFError):
            return None

    def close(self) -> None:
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def _read(stream, n: int) -> bytes:
    data = stream.read(n)
    if len(data) != n:
        raise EOFError("the plotting helper stopped")
    return data


_active: dict[str, _Helper] = {}


def matplotlib_loaded() -> bool:
    """Whether this process has imported what :func:`draw_png` needs (then a plot drawn
    here costs a few hundredths of a second, and no helper is worth starting)."""
    return "matplotlib.figure" in sys.modules and "matplotlib.backends.backend_agg" in sys.modules


class PlotHelper:
    """Starts the helper once a run has trained for :data:`HELPER_AFTER` seconds."""

    def __init__(self) -> None:
        self.t0 = time.perf_counter()
        self.started = False

    def tick(self) -> None:
        """Called after each step; cheap until the moment comes."""
        if not self.started and time.perf_counter() - self.t0 >= HELPER_AFTER:
            self.started = True
            if matplotlib_loaded():
                return
            try:
                _active["helper"] = _Helper()
            except OSError:
                pass  # no helper: plots are drawn in process


@contextmanager
def plot_helper() -> Iterator[PlotHelper]:
    """A :class:`PlotHelper` for the block; the helper process ends with it."""
    plotter = PlotHelper()
    try:
        yield plotter
    finally:
        helper = _active.pop("helper", None)
        if helper is not None:
            helper.close()


def _serve() -> None:
    """The helper's loop: import matplotlib now, then answer each request line."""
    import os
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    out = os.fdopen(os.dup(1), "wb")  # the answers' own channel; whatever else prints is lost
    os.dup2(os.open(os.devnull, os.O_WRONLY), 1)
    draw_png([{"epoch": 0, "train_loss": 0.0}], "")  # imports matplotlib, builds its caches
    for line in sys.stdin.buffer:
        try:
            request = json.loads(line)
            png = draw_png(request["history"], request["title"], request["x"])
        except Exception:  # noqa: BLE001 - any failure: the trainer draws it itself
            png = b""
        out.write(len(png).to_bytes(8, "big") + png)
        out.flush()


if __name__ == "__main__":
    _serve()
