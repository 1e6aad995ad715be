"""evaluate: score a checkpoint on data it never trained on, whatever model it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from seqgen.cli._common import user_errors

app = typer.Typer()


def _kind(checkpoint: Path | None) -> str | None:
    """The kind recorded in the checkpoint's metadata (None: the shipped text model)."""
    if checkpoint is None:
        return None
    from seqgen.checkpoints import read_meta, resolve

    return read_meta(resolve(checkpoint))["kind"]


@app.command("evaluate")
def evaluate(
    checkpoint: Annotated[Optional[Path], typer.Option(
        "--checkpoint", help="Run directory (default: the text model shipped with seqgen).")
                          ] = None,
    data: Annotated[Optional[Path], typer.Option(
        "--data", help="Text file (default: the one the model was trained on).")] = None,
) -> None:
    """Held-out loss of a checkpoint.

    A text model: the last 10% of its text, full context, in nats per character. A jazz
    model: the loss per grammar token on the files held out from its training.
    """
    with user_errors():
        kind = _kind(checkpoint)
        if kind is not None and kind.startswith("jazz"):
            _evaluate_jazz(checkpoint, data)
            return
        from seqgen.text.model import evaluate as run

        r = run(checkpoint, data)
    print(f"val_loss={r.val_loss:.4f} bits_per_char={r.bits_per_char:.4f} "
          f"perplexity={r.perplexity:.3f}")


def _evaluate_jazz(checkpoint: Path, data: Path | None) -> None:
    from seqgen.cli._common import info
    from seqgen.errors import UsageError
    from seqgen.jazz.evaluate import evaluate_jazz

    if data is not None:
        raise UsageError("--data is for text models; a jazz model is scored on the files "
                         "held out from its training (train-jazz --val-split)")
    r = evaluate_jazz(checkpoint)
    info(f"scored the {len(r.files)} held-out file(s), {r.tokens} tokens: loss in nats per "
         "grammar token")
    print(f"val_loss={r.loss_per_token:.4f} tokens={r.tokens} held_out_files={len(r.files)}")
