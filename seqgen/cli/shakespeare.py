"""train-shakespeare, generate-poem and evaluate: the Shakespeare character model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from seqgen.cli._common import announce_seed, draw_seed, fail, info, progress_bar, user_errors

app = typer.Typer()

CkptOpt = Annotated[Optional[Path], typer.Option(
    "--checkpoint", help="Run directory (default: the model shipped with seqgen).")]


@app.command("train-shakespeare")
def train_shakespeare(
    epochs: Annotated[Optional[int], typer.Option("--epochs", help="Total epochs.")] = None,
    time_budget: Annotated[Optional[float], typer.Option(
        "--time-budget", help="Stop after the step in which this many seconds run out.")
                           ] = None,
    max_steps: Annotated[Optional[int], typer.Option(
        "--max-steps", help="Stop after this many optimiser steps in all.")] = None,
    batch_size: Annotated[Optional[int], typer.Option(
        "--batch-size", help="Windows per step on each replica.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Initialisation and order.")
                    ] = None,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Adam learning rate.")] = None,
    config: Annotated[Optional[Path], typer.Option(
        "--config", help="YAML config file (default: configs/shakespeare.yaml).")] = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="Text file.")] = None,
    out: Annotated[Optional[Path], typer.Option("--out", help="Run directory.")] = None,
    strategy: Annotated[Optional[str], typer.Option(
        "--strategy", help="default, mirrored or multiworker (tf.distribute).")] = None,
    resume: Annotated[Optional[Path], typer.Option("--resume", help="Continue this run.")
                      ] = None,
) -> None:
    """Train the two-layer LSTM character model; keep the checkpoint of the best held-out loss.

    Each epoch prints its train and held-out loss (nats per character) on stderr; the run
    directory gets the checkpoint, last/ (to --resume from) and loss_curve.png.
    """
    from seqgen.config import ShakespeareConfig, load_config
    from seqgen.pipelines.shakespeare import train_shakespeare as run

    with user_errors():
        if resume is not None and out is None:
            out = resume
        cfg = load_config(ShakespeareConfig, config, "shakespeare", {
            "epochs": epochs, "time_budget": time_budget, "max_steps": max_steps,
            "batch_size": batch_size, "seed": seed, "lr": lr,
            "data": str(data) if data else None, "out": str(out) if out else None,
            "strategy": strategy})

        with progress_bar("train-shakespeare", cfg.epochs) as bar:
            def on_epoch(r: dict) -> None:
                mark = " *" if r["best"] else ""
                info(f"epoch {r['epoch']}: train_loss {r['train_loss']:.4f} val_loss "
                     f"{r['val_loss']:.4f} ({r['seconds']:.1f} s, step {r['step']}){mark}")

            summary = run(cfg, resume=str(resume) if resume else None, on_progress=bar,
                          on_info=info, on_epoch=on_epoch)
    if not summary["trained"]:
        info(f"nothing to train: {resume} is already at epoch {summary['epochs']}")
        return
    reasons = {"time_budget": "time-budget", "max_steps": "max-steps",
               "another_worker": "another worker"}
    why = f", stopped by {reasons[summary['stopped_by']]}" if summary["stopped_by"] else ""
    info(f"best val_loss {summary['val_loss']:.4f} nats/char after {summary['epochs']} epochs, "
         f"{summary['steps']} steps, {summary['seconds']:.1f} s{why}; checkpoint "
         f"{summary['out']}")


@app.command("generate-poem")
def generate_poem(
    prompt: Annotated[str, typer.Argument(help="Start of the poem (may be empty).")],
    length: Annotated[int, typer.Option("--length", help="Characters to generate.")] = 400,
    temperature: Annotated[float, typer.Option(
        "--temperature", help="> 0; 1 = as trained, lower = safer.")] = 1.0,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Same seed, same poem.")
                    ] = None,
    checkpoint: CkptOpt = None,
    lines: Annotated[Optional[int], typer.Option("--lines", help="Stop after N lines.")
                     ] = None,
) -> None:
    """Print PROMPT followed by a continuation sampled from the model (no TensorFlow).

    Prompt characters the model does not know are named on stderr and left out of its input.
    Without --seed a random one is drawn and shown on stderr, so a poem can be written again.
    """
    from seqgen.pipelines.shakespeare import MAX_LENGTH
    from seqgen.pipelines.shakespeare import generate_poem as run

    if not 1 <= length <= MAX_LENGTH:
        raise fail(f"--length must be between 1 and {MAX_LENGTH}, got {length}", 2)
    if not temperature > 0:
        raise fail(f"--temperature must be > 0, got {temperature}", 2)
    if lines is not None and lines <= 0:
        raise fail(f"--lines must be positive, got {lines}", 2)
    seed, drawn = draw_seed(seed)
    with user_errors():
        text, skipped = run(prompt, length, temperature, seed, checkpoint, lines)
    if drawn:
        announce_seed(seed, "write this poem")
    if skipped:
        from seqgen.text.vocab import describe_chars

        info(f"skipped characters the model does not know: {describe_chars(skipped)}")
    print(prompt + text)


@app.command("evaluate")
def evaluate(
    checkpoint: CkptOpt = None,
    data: Annotated[Optional[Path], typer.Option(
        "--data", help="Text file (default: the one the model was trained on).")] = None,
) -> None:
    """Held-out loss of a Shakespeare model: the last 10% of the text, full context."""
    from seqgen.pipelines.shakespeare import evaluate as run

    with user_errors():
        r = run(checkpoint, data)
    print(f"val_loss={r['val_loss']:.4f} bits_per_char={r['bits_per_char']:.4f} "
          f"perplexity={r['perplexity']:.3f}")
