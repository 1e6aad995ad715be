"""Ctrl-C and SIGTERM at any moment of any command: one line, exit 130 or 143.

Python turns Ctrl-C into ``KeyboardInterrupt`` but lets SIGTERM (what Kubernetes, Slurm,
systemd and ``kill`` send) end the process on the spot, with no message and whatever it
was writing left half done. :func:`install` makes both raise :class:`Stopped`, a
``KeyboardInterrupt`` that remembers its signal, so every phase of a command — loading,
the final save, the first solo, the loss-curve plot, a render, a generation — unwinds
through its ``finally`` blocks (temporary files are removed, locks released) and the CLI
prints one line with the conventional status ``128 + signal``.

The training loop replaces these handlers while it runs (a signal there finishes the
current step and saves first; see ``seqgen.training.stop_requests``) and puts
them back afterwards.

:func:`pause_point` is a hook for tests: with ``SEQGEN_PAUSE_AT=NAME`` (or ``NAME@K``, the
K-th time) a command stops at that named moment, says so on stderr, and waits there for
a signal, so a test can deliver one inside exactly that phase on any machine, fast or slow.
"""

from __future__ import annotations

import os
import signal
import sys
import threading
import time

from seqgen.errors import signal_word

PAUSE_ENV = "SEQGEN_PAUSE_AT"
PAUSE_LIMIT = 600.0  # seconds a paused command waits for its signal before going on


class Stopped(KeyboardInterrupt):
    """Ctrl-C (SIGINT) or SIGTERM arrived; ``exit_code`` is ``128 + signal``."""

    def __init__(self, signum: int = signal.SIGINT):
        super().__init__(signum)
        self.signum = int(signum)

    @property
    def exit_code(self) -> int:
        return 128 + self.signum

    @property
    def word(self) -> str:
        return signal_word(self.signum)


def stopped_from(exc: KeyboardInterrupt) -> Stopped:
    """``exc`` as a :class:`Stopped` (a plain KeyboardInterrupt is a Ctrl-C)."""
    return exc if isinstance(exc, Stopped) else Stopped(signal.SIGINT)


_seen = threading.Event()  # set by every seqgen handler: a paused command resumes
_state = {"last": None, "reported": False}  # the last signal seen; whether a line said so


def note_signal(signum: int | None = None) -> None:
    """Record that a signal arrived (for a command waiting at a :func:`pause_point`, and
    for :func:`unreported`)."""
    _seen.set()
    if signum is not None:
        _state["last"] = int(signum)


def mark_reported() -> bool:
    """Note that the stop has been reported; return whether it already was (then say
    nothing more: one line, even when a second signal comes while the first is printed)."""
    already = _state["reported"]
    _state["reported"] = True
    return already


def unreported() -> Stopped | None:
    """The stop a signal caused that no line has reported yet (Typer turns a Ctrl-C while
    it parses the command line into a silent exit 130)."""
    if _state["last"] is None or _state["reported"]:
        return None
    return Stopped(_state["last"])


def _raise_stopped(signum, frame):
    note_signal(signum)
    raise Stopped(signum)


def install() -> None:
    """Make SIGINT and SIGTERM raise :class:`Stopped` in the main thread (no-op elsewhere)."""
    _state.update(last=None, reported=False)
    if threading.current_thread() is not threading.main_thread():
        return
    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, _raise_stopped)


_hits: dict[str, int] = {}
_PAUSE_AT = os.environ.get(PAUSE_ENV)  # read once: the training loop asks at every step


def pause_point(name: str) -> None:
    """Under ``SEQGEN_PAUSE_AT=name[@k]``: on the k-th call (default first), wait for a signal.

    Prints ``seqgen: paused at NAME`` on stderr first, the event a test waits for. A
    handler that raises ends the wait by raising; one that only records the signal (the
    training loop's) ends it by :func:`note_signal`.
    """
    wanted = _PAUSE_AT
    if not wanted:
        return
    target, _, nth = wanted.partition("@")
    if target != name:
        return
    _hits[name] = _hits.get(name, 0) + 1
    if _hits[name] != (int(nth) if nth.isdigit() else 1):
        return
    _seen.clear()
    print(f"seqgen: paused at {name}", file=sys.stderr, flush=True)
    deadline = time.monotonic() + PAUSE_LIMIT
    while not _seen.is_set() and time.monotonic() < deadline:
        time.sleep(0.01)  # short sleeps: the main thread runs its signal handlers between them
