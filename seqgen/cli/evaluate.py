"""evaluate: score a checkpoint on data it never trained on, whatever model it holds."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from seqgen.cli._common import old_option, renamed, run_option, user_errors

app = typer.Typer()


def _kind(run: Path | None) -> str | None:
    """The kind recorded in the run's metadata (None: the shipped text model)."""
    if run is None:
        return None
    from seqgen.checkpoints import read_meta, resolve

    return read_meta(resolve(run))["kind"]


@app.command("evaluate")
def evaluate(
    run: Annotated[Optional[Path], run_option(
        "Run directory (default: the text model shipped with seqgen).")] = None,
    data: Annotated[Optional[Path], typer.Option(
        "--data", help="Text file (default: the one the model was trained on, whose "
        "held-out part is scored; another text is scored whole).")] = None,
    part: Annotated[str, typer.Option(
        "--part", help="test (never used while training) or validation (chose the "
        "checkpoint and the learning rate).")] = "test",
    checkpoint: Annotated[Optional[Path], old_option("--checkpoint")] = None,
) -> None:
    """Held-out loss of a checkpoint.

    A text model: the test part of its text (the end of the held-out tail, which no
    training decision saw), full context, in nats per character; stderr says which part
    was scored. A jazz note model: nats per note on its collection's test files, beside a
    frequency table (unigram) and an order-3 Markov chain fitted on its training files.
    The grammar model: its loss per grammar token on those files.
    """
    run = renamed(run, checkpoint, "--checkpoint", "--run")
    with user_errors():
        kind = _kind(run)
        if kind is not None and kind.startswith("jazz"):
            _evaluate_jazz(run, data, part)
            return
        from seqgen.text.model import evaluate as score

        r = score(run, data, part=part)
    from seqgen.cli._common import info

    if r.note:
        info(r.note)
    what = {"test": "the test part (the end of the held-out tail; no training decision "
            "saw it)", "validation": "the validation part (it chose the checkpoint)",
            "all": "the whole text (not the one the model was trained on)"}[r.part]
    unknown = f" ({r.unknown:,} of them never in the training part: scored as {r.stand_in!r}, " \
        "its rarest character, with half its probability)" if r.unknown else ""
    info(f"scored {what}: {r.characters:,} characters{unknown}")
    name = {"test": "test_loss", "validation": "val_loss", "all": "loss"}[r.part]
    print(f"{name}={r.loss:.4f} bits_per_char={r.bits_per_char:.4f} "
          f"perplexity={r.perplexity:.3f} part={r.part} characters={r.characters}")


def _evaluate_jazz(run: Path, data: Path | None, part: str) -> None:
    from seqgen.cli._common import info
    from seqgen.errors import UsageError
    from seqgen.jazz.models import evaluate_jazz

    if data is not None:
        raise UsageError("--data is for text models; a jazz run is scored on the files held "
                         "out from its training (train-jazz --held-out)")
    r = evaluate_jazz(run, part)
    what = {"test": "test files (no training decision saw them)",
            "validation": "validation files (they chose the epoch)"}[r.part]
    if r.unigram is None:
        info(f"scored the {len(r.files)} {what}: nats per grammar token, a unit of this "
             "model only (no baseline or note model is scored in it)")
        print(f"{_KEY[r.part]}={r.loss:.4f} tokens={r.count} files={len(r.files)} "
              f"part={r.part}")
        return
    info(f"scored the {len(r.files)} {what}: nats per note (a melody event, note or rest); "
         "unigram and markov are counting baselines fitted on the training files")
    print(f"{_KEY[r.part]}={r.loss:.4f} unigram={r.unigram:.4f} markov={r.markov:.4f} "
          f"notes={r.count} files={len(r.files)} part={r.part}")


_KEY = {"test": "test_loss", "validation": "val_loss"}  # the printed key says which part
