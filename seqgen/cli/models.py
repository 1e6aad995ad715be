"""models: the models shipped inside the package."""

from __future__ import annotations

import typer

app = typer.Typer()


@app.command("models")
def models() -> None:
    """List the shipped models: name, kind, size and what each was trained on.

    Each name loads with `seqgen.load(NAME)` and starts a new run with --init-from NAME.
    """
    from seqgen.api import models as shipped

    rows = shipped()
    width = max(len(m.name) for m in rows)
    kind = max(len(m.kind) for m in rows)
    for m in rows:
        print(f"{m.name:<{width}}  {m.kind:<{kind}}  {m.parameters:>9,} parameters  "
              f"{m.bytes / 1e6:5.2f} MB  {m.trained_on}")
