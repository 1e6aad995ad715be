"""The seqgen command line: one Typer app per command group, joined here.

Only this package imports typer and rich; heavy libraries (TensorFlow, music21)
are imported inside the commands that need them.
"""

from __future__ import annotations

import functools
import sys
from typing import Annotated

import typer

from seqgen import __version__, signals
from seqgen.cli import _common, dino, evaluate, jazz, midi, models, render, shakespeare, text
from seqgen.cli._common import user_errors

app = typer.Typer(
    name="seqgen",
    help="Train and sample sequence models: dinosaur names, Shakespeare, jazz.",
    invoke_without_command=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _guarded(callback):
    """``callback`` with every exception of the user's making turned into one line — also
    those raised outside the command's own ``user_errors`` block (a signal while it imports
    or prints), which Typer would otherwise turn into a silent exit 130."""

    @functools.wraps(callback)
    def command(*args, **kwargs):
        with user_errors():
            return callback(*args, **kwargs)

    return command


for _group in (dino, text, shakespeare, evaluate, jazz, render, midi, models):
    for _command in _group.app.registered_commands:
        _command.callback = _guarded(_command.callback)
    app.add_typer(_group.app)


def _version(value: bool) -> None:
    if value:
        print(f"seqgen {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Train and sample sequence models from the command line."""
    if ctx.invoked_subcommand is None:  # bare `seqgen`: the help, on stderr, status 2
        import contextlib

        with contextlib.redirect_stdout(sys.stderr):  # Typer's rich help prints itself
            text = ctx.get_help()
            if text:
                print(text)
        raise typer.Exit(2)


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush cannot fail again."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, reporting usage errors as one line (exit 2).

    Ctrl-C and SIGTERM raise :class:`~seqgen.signals.Stopped` from here on, whatever the
    command is doing: one line, exit 130 or 143.
    """
    signals.install()
    _common.ARGV[:] = sys.argv[1:] if argv is None else [str(a) for a in argv]
    try:
        status = app(args=argv, prog_name="seqgen", standalone_mode=False)
        sys.stdout.flush()
    except KeyboardInterrupt as exc:  # outside a command's own error handling
        stop = signals.stopped_from(exc)
        if not signals.mark_reported():
            print(f"seqgen: error: {stop.word}", file=sys.stderr, flush=True)
        status = stop.exit_code
    except BrokenPipeError:  # the reader went away (`| head`): stop quietly, as Unix tools do
        _silence_stdout()
        status = 141
    except OSError as exc:  # writing the product to stdout failed (e.g. a full disk)
        if exc.filename is not None:
            raise  # not stdout: a bug, keep the traceback
        from seqgen.atomic import describe_os_error

        _silence_stdout()
        print(f"seqgen: error: cannot write to standard output: {describe_os_error(exc)}",
              file=sys.stderr)
        status = 1
    except typer.TyperException as exc:  # Typer's usage and parameter errors
        status = getattr(exc, "exit_code", 2)
        ctx = getattr(exc, "ctx", None)
        hint = ""
        if status == 2 and ctx is not None and ctx.parent is not None:
            hint = f" (see 'seqgen {ctx.info_name} --help')"
        message = " ".join(exc.format_message().split())
        print(f"seqgen: error: {message}{hint}", file=sys.stderr)
    except (typer.Exit, typer.Abort) as exc:
        status = getattr(exc, "exit_code", 130)
    stop = signals.unreported()
    if status == 130 and stop is not None:  # Typer swallowed a signal while parsing
        signals.mark_reported()
        print(f"seqgen: error: {stop.word}", file=sys.stderr, flush=True)
        status = stop.exit_code
    if isinstance(status, int) and status:  # a typer.Exit raised inside a command
        sys.exit(status)
