"""What every command shares: error printing, exit codes and the progress bar."""

from __future__ import annotations

import sys
from contextlib import contextmanager

import typer

from seqgen.errors import SeqgenError
from seqgen.signals import mark_reported, stopped_from

PROG = "seqgen"
ARGV: list[str] = []  # this command line's arguments (after the program's name)


def command_line() -> str:
    """The command line that started this command, as a shell would read it."""
    import shlex

    return " ".join(shlex.quote(a) for a in [PROG, *ARGV])


def set_option(config: str, example: str):
    """The ``--set KEY=VALUE`` option of a trainer whose settings are in ``config``."""
    return typer.Option("--set", metavar="KEY=VALUE",
                        help=f"Any setting of {config} (repeatable), e.g. --set {example}; "
                             "checked like the file. Named flags win over it.")


def run_option(help: str):
    """``--run DIR``: the run directory, the one name every trainer writes and every reader
    reads (written files, MIDI and WAV, are ``--out``)."""
    return typer.Option("--run", metavar="DIR", help=help)


def old_option(name: str):
    """A hidden option under an option's old name (see :func:`renamed`)."""
    return typer.Option(name, hidden=True, help="Old name; see --help.")


def renamed(value, old_value, old: str, new: str):
    """The value of an option also given by its old name, ``old``: one stderr line names
    the new one; the new name wins when both are given."""
    if old_value is None:
        return value
    info(f"seqgen: {old} is now {new}")
    return old_value if value is None else value


def fail(message: str, code: int = 1) -> typer.Exit:
    """Print ``seqgen: error: message`` as one line on stderr; return the Exit to raise."""
    one_line = " ".join(str(message).split())
    mark_reported()  # the one line: a stop by a signal needs no other
    print(f"{PROG}: error: {one_line}", file=sys.stderr, flush=True)
    return typer.Exit(code)


@contextmanager
def user_errors():
    """Turn SeqgenError into one stderr line and its exit status (130 for Ctrl-C, 143 for
    SIGTERM)."""
    try:
        yield
    except SeqgenError as exc:
        raise fail(str(exc), exc.exit_code) from None
    except KeyboardInterrupt as exc:
        stop = stopped_from(exc)
        if mark_reported():  # a second signal while the first was being reported
            raise typer.Exit(stop.exit_code) from None
        raise fail(stop.word, stop.exit_code) from None


def draw_seed(seed: int | None) -> tuple[int, bool]:
    """``(seed, drawn)``: the given seed, or a fresh random one when none was given."""
    if seed is not None:
        return seed, False
    import secrets

    return secrets.randbelow(2**31), True


def announce_seed(seed: int, what: str) -> None:
    """Say on stderr which seed reproduces a result made with a drawn seed."""
    info(f"seed: {seed} (pass --seed {seed} to {what} again)")


def info(message: str) -> None:
    """A status line on stderr (stdout carries only the product)."""
    print(message, file=sys.stderr, flush=True)


@contextmanager
def progress_bar(description: str, total: int | None = None):
    """A Rich progress bar on stderr; yields a ``callback(done, total, **info)``.

    The bar appears on the first callback, so a command that fails while loading
    its input prints only its error line.
    """
    state: dict = {}

    def callback(done: int, total_now: int | None = None, **fields) -> None:
        if "progress" not in state:
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeElapsedColumn,
                TimeRemainingColumn,
            )

            progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                                MofNCompleteColumn(), TextColumn("{task.fields[extra]}"),
                                TimeElapsedColumn(), TimeRemainingColumn(),
                                console=Console(stderr=True), redirect_stdout=False,
                                redirect_stderr=False)
            state["task"] = progress.add_task(description, total=total, extra="")
            progress.start()
            state["progress"] = progress
        extra = " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}"
                         for k, v in fields.items())
        state["progress"].update(state["task"], completed=done, total=total_now or total,
                                 extra=extra)

    try:
        yield callback
    finally:
        if "progress" in state:
            state["progress"].stop()
