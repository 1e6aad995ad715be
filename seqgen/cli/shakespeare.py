"""train-shakespeare and generate-poem: the Shakespeare character model."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from seqgen.cli._common import old_option, renamed, run_option, set_option

app = typer.Typer()

RunOpt = Annotated[Optional[Path], run_option(
    "Run directory (default: the model shipped with seqgen).")]
OldCheckpoint = Annotated[Optional[Path], old_option("--checkpoint")]


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
    set_: Annotated[Optional[list[str]], set_option("configs/shakespeare.yaml", "units=64")] = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="Text file.")] = None,
    run: Annotated[Optional[Path], run_option("Run directory (default runs/shakespeare).")
                   ] = None,
    strategy: Annotated[Optional[str], typer.Option(
        "--strategy", help="default, mirrored or multiworker (tf.distribute).")] = None,
    resume: Annotated[Optional[Path], typer.Option("--resume", help="Continue this run.")
                      ] = None,
    eval_every: Annotated[Optional[int], typer.Option(
        "--eval-every", help="Steps between held-out evaluations and checkpoints "
        "(default: an epoch, at most 1,000,000 characters).")] = None,
    val_max_chars: Annotated[Optional[int], typer.Option(
        "--val-max-chars", help="Held-out characters scored at each evaluation.")] = None,
    init_from: Annotated[Optional[str], typer.Option(
        "--init-from", metavar="RUN|NAME", help="Start from this model's weights: a run "
        "directory or sonnets (the shipped model).")] = None,
    out: Annotated[Optional[Path], old_option("--out")] = None,
) -> None:
    """Train the two-layer LSTM character model; keep the checkpoint of the best held-out loss.

    Each evaluation prints the train and held-out loss (nats per character) on stderr; the
    run directory gets the checkpoint, last/ (to --resume from) and loss_curve.png.
    """
    from seqgen.cli.text import run_training

    values = {"epochs": epochs, "time_budget": time_budget, "max_steps": max_steps,
              "batch_size": batch_size, "seed": seed, "lr": lr,
              "data": data, "strategy": strategy,
              "eval_every": eval_every, "val_max_chars": val_max_chars,
              "init_from": init_from}
    run_training("shakespeare", config, values, set_, resume,
                 renamed(run, out, "--out", "--run"), "train-shakespeare")


@app.command("generate-poem")
def generate_poem(
    prompt: Annotated[Optional[str], typer.Argument(
        help="Start of the poem (may be empty); - reads it from standard input.")] = None,
    length: Annotated[int, typer.Option("--length", help="Characters to generate.")] = 400,
    temperature: Annotated[float, typer.Option(
        "--temperature", help="> 0; 1 = as trained, lower = safer.")] = 1.0,
    top_k: Annotated[Optional[int], typer.Option(
        "--top-k", help="Draw only from the K likeliest characters at each step.")] = None,
    top_p: Annotated[Optional[float], typer.Option(
        "--top-p", help="Draw only from the likeliest characters of mass P (0-1].")] = None,
    samples: Annotated[int, typer.Option(
        "-n", "--samples", help="Continuations, apart by a blank line.")] = 1,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Same seed, same poem.")
                    ] = None,
    prompt_file: Annotated[Optional[Path], typer.Option(
        "--prompt-file", help="Read the prompt from this UTF-8 file.")] = None,
    run: RunOpt = None,
    lines: Annotated[Optional[int], typer.Option("--lines", help="Stop after N lines.")
                     ] = None,
    checkpoint: OldCheckpoint = None,
) -> None:
    """Print PROMPT followed by a continuation sampled from the model (no TensorFlow).

    On a terminal the characters appear as they are sampled; a pipe or file gets the same
    bytes. Prompt characters the model does not know are named on stderr and left out of
    its input. Without --seed a random one is drawn and shown on stderr, so a poem can be
    written again; each of -n N continuations has its own seed derived from it.
    """
    from seqgen.cli.text import print_continuations

    print_continuations(prompt, prompt_file, {
        "length": length, "temperature": temperature, "lines": lines, "top_k": top_k,
        "top_p": top_p, "samples": samples}, seed,
        renamed(run, checkpoint, "--checkpoint", "--run"))
