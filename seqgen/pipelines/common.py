"""Helpers shared by the training pipelines: Ctrl-C handling and progress callbacks."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager
from typing import Protocol


class Progress(Protocol):
    def __call__(self, done: int, total: int, **info) -> None: ...


def no_progress(done: int, total: int, **info) -> None:
    return None


class StopFlag:
    """Set by the first SIGINT; the training loop checks it between steps."""

    def __init__(self) -> None:
        self.stop = False


@contextmanager
def deferred_interrupt():
    """Turn the first Ctrl-C into a flag so a step is never cut in half.

    A second Ctrl-C raises KeyboardInterrupt at once. Outside the main thread
    (where signals cannot be handled) the flag is never set.
    """
    flag = StopFlag()
    if threading.current_thread() is not threading.main_thread():
        yield flag
        return

    def handler(signum, frame):
        if flag.stop:
            raise KeyboardInterrupt
        flag.stop = True

    previous = signal.signal(signal.SIGINT, handler)
    try:
        yield flag
    finally:
        signal.signal(signal.SIGINT, previous)


ReportFn = Callable[[int, float, list], None]
