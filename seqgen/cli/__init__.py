"""The seqgen command line: one Typer app per command group, joined here.

Only this package imports typer and rich; heavy libraries (TensorFlow, music21)
are imported inside the commands that need them.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

try:  # Typer >= 0.26 vendors Click as typer._click
    from typer import _click as click
except ImportError:  # pragma: no cover - older Typer depends on Click
    import click

from seqgen import __version__
from seqgen.cli import dino

app = typer.Typer(
    name="seqgen",
    help="Train and sample sequence models: dinosaur names, Shakespeare, jazz.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(dino.app)

for _module in ("shakespeare", "jazz", "render"):
    try:
        _mod = __import__(f"seqgen.cli.{_module}", fromlist=["app"])
    except ModuleNotFoundError as _exc:  # a command group not built yet
        if _exc.name != f"seqgen.cli.{_module}":
            raise
        continue
    app.add_typer(_mod.app)


def _version(value: bool) -> None:
    if value:
        print(f"seqgen {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Show the version and exit.")] = False,
) -> None:
    """Train and sample sequence models from the command line."""


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the app, reporting usage errors as one line (exit 2)."""
    try:
        status = app(args=argv, prog_name="seqgen", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as exc:
        if exc.ctx is not None:
            print(exc.ctx.get_help(), file=sys.stderr)
        else:
            app(args=["--help"], prog_name="seqgen", standalone_mode=False)
        status = 2
    except click.exceptions.UsageError as exc:
        hint = f" (see 'seqgen {exc.ctx.info_name} --help')" if exc.ctx and exc.ctx.parent else ""
        message = " ".join(exc.format_message().split())
        print(f"seqgen: error: {message}{hint}", file=sys.stderr)
        status = 2
    except click.exceptions.ClickException as exc:
        print(f"seqgen: error: {' '.join(exc.format_message().split())}", file=sys.stderr)
        status = exc.exit_code
    except (typer.Exit, typer.Abort) as exc:
        status = getattr(exc, "exit_code", 130)
    if isinstance(status, int) and status:  # a typer.Exit raised inside a command
        sys.exit(status)
