"""train-text and generate-text: a character model of any text, sized to it.

train-shakespeare and generate-poem (``shakespeare.py``) are the course's preset over the
same code; the bodies of the commands live here and serve both.
"""

from __future__ import annotations

import sys
from itertools import chain
from pathlib import Path
from typing import Annotated, Optional

import typer

from seqgen.cli._common import (
    announce_seed,
    command_line,
    draw_seed,
    info,
    old_option,
    progress_bar,
    renamed,
    run_option,
    set_option,
    user_errors,
)

app = typer.Typer()

Opt = typer.Option
InitOpt = Annotated[Optional[str], Opt(
    "--init-from", metavar="RUN|NAME", help="Start from this text model's weights: a run "
    "directory or a shipped model (sonnets; see `seqgen models`). Its shape comes along.")]
REASONS = {"time_budget": "time-budget", "max_steps": "max-steps",
           "another_worker": "another worker",
           "target": "patience (no better validation loss)"}


def run_training(preset: str, config: Path | None, values: dict, sets, resume: Path | None,
                 run: Path | None, command: str) -> None:
    """Train through :func:`seqgen.api.train_text` (``preset``: text or shakespeare) and
    print the summary line."""
    from seqgen import api

    with user_errors():
        with progress_bar(command) as bar:
            def on_eval(r: dict) -> None:
                mark = " *" if r["best"] else ""
                info(f"epoch {r['epoch']}: train_loss {r['train_loss']:.4f} val_loss "
                     f"{r['val_loss']:.4f} ({r['seconds']:.1f} s, step {r['step']}){mark}")

            result = api.train_text(run=run, resume=resume, config=config, set=sets or (),
                                    progress=bar, on_info=info, on_eval=on_eval,
                                    command=command_line(), preset=preset, **values)
    if not result.trained:
        info(f"nothing to train: {resume} is already at step {result.step} "
             f"(epoch {result.epochs:g})")
        return
    why = f", stopped by {REASONS[result.stopped_by]}" if result.stopped_by in REASONS else ""
    info(f"best val_loss {result.val_loss:.4f} nats/char after {result.epochs:g} epochs, "
         f"{result.step} steps, {result.seconds:.1f} s{why}; run {result.run}")


def print_continuations(prompt, prompt_file, options: dict, seed, run) -> None:
    """Sample and print the continuations of a prompt (generate-text, generate-poem)."""
    from seqgen.config import make_options
    from seqgen.text.config import TextSampling
    from seqgen.text.model import generate_texts, read_prompt
    from seqgen.vocab import describe_chars

    seed, drawn = draw_seed(seed)
    with user_errors():
        sampling = make_options(TextSampling, **options)
        texts = generate_texts(read_prompt(prompt, prompt_file, sys.stdin), sampling, seed,
                               run)
    if drawn:
        announce_seed(seed, "write this text")
    if texts.skipped:
        info(f"skipped characters the model does not know: {describe_chars(texts.skipped)}")
    live = sys.stdout.isatty()  # a terminal sees each character; a pipe gets the same bytes
    with user_errors():
        for i, chars in enumerate(texts.streams):  # samples apart by a blank line
            for piece in chain(["\n" * (i > 0) + texts.prompt], chars, ["\n"]):  # lazily
                sys.stdout.write(piece)
                if live:
                    sys.stdout.flush()
    sys.stdout.flush()


@app.command("train-text")
def train_text(
    data: Annotated[Optional[Path], Opt("--data", help="Text file (UTF-8).")] = None,
    run: Annotated[Optional[Path], run_option("Run directory (default runs/text).")] = None,
    lowercase: Annotated[Optional[bool], Opt(
        "--lowercase/--keep-case", help="Fold the text to lower case (default: keep it).")
                         ] = None,
    arch: Annotated[Optional[str], Opt("--arch", help="lstm, gru or gpt.")] = None,
    layers: Annotated[Optional[int], Opt("--layers", help="Recurrent layers or gpt blocks.")
                      ] = None,
    units: Annotated[Optional[int], Opt("--units", help="Layer width (gpt: model width).")
                     ] = None,
    embed: Annotated[Optional[int], Opt("--embed", help="Embedding width (lstm, gru).")] = None,
    dropout: Annotated[Optional[float], Opt("--dropout", help="Dropout after each layer.")
                       ] = None,
    context: Annotated[Optional[int], Opt(
        "--context", help="Characters per training window (gpt: its attention span).")] = None,
    heads: Annotated[Optional[int], Opt("--heads", help="Attention heads (gpt).")] = None,
    epochs: Annotated[Optional[int], Opt("--epochs", help="Total epochs.")] = None,
    time_budget: Annotated[Optional[float], Opt(
        "--time-budget", help="Stop after the step in which this many seconds run out; "
        "also sizes the learning-rate schedule.")] = None,
    max_steps: Annotated[Optional[int], Opt(
        "--max-steps", help="Stop after this many optimiser steps in all.")] = None,
    batch_size: Annotated[Optional[int], Opt(
        "--batch-size", help="Windows per step on each replica.")] = None,
    lr: Annotated[Optional[float], Opt("--lr", help="Peak learning rate.")] = None,
    patience: Annotated[Optional[int], Opt(
        "--patience", help="Stop after N validations without a better loss.")] = None,
    seed: Annotated[Optional[int], Opt("--seed", help="Initialisation and order.")] = None,
    config: Annotated[Optional[Path], Opt(
        "--config", help="YAML config file (default: configs/text.yaml).")] = None,
    set_: Annotated[Optional[list[str]], set_option("configs/text.yaml", "lr_schedule=cosine")
                    ] = None,
    strategy: Annotated[Optional[str], Opt(
        "--strategy", help="default, mirrored or multiworker (tf.distribute).")] = None,
    resume: Annotated[Optional[Path], Opt("--resume", help="Continue this run.")] = None,
    eval_every: Annotated[Optional[int], Opt(
        "--eval-every", help="Steps between validations and checkpoints.")] = None,
    init_from: InitOpt = None,
    out: Annotated[Optional[Path], old_option("--out")] = None,
) -> None:
    """Train a character model of any text; keep the checkpoint of the best validation loss.

    The text keeps its case unless --lowercase. Every setting of the model left open is
    chosen from the text's size (the choice is shown on stderr and kept in the checkpoint).
    The held-out tail (the last 10%) is split: its first half, validation, chooses the
    checkpoint and the learning rate; its second half, test, is left for `seqgen evaluate`.
    """
    values = {"data": data, "lowercase": lowercase, "arch": arch,
              "layers": layers, "units": units, "embed": embed, "dropout": dropout,
              "context": context, "heads": heads, "epochs": epochs, "time_budget": time_budget,
              "max_steps": max_steps, "batch_size": batch_size, "lr": lr, "patience": patience,
              "seed": seed, "strategy": strategy, "eval_every": eval_every,
              "init_from": init_from}
    run_training("text", config, values, set_, resume, renamed(run, out, "--out", "--run"),
                 "train-text")


@app.command("generate-text")
def generate_text(
    prompt: Annotated[Optional[str], typer.Argument(
        help="Start of the text (may be empty); - reads it from standard input.")] = None,
    run: Annotated[Optional[Path], run_option("Run directory of train-text (default "
                                              "runs/text).")] = None,
    length: Annotated[int, Opt("--length", help="Characters to generate.")] = 400,
    temperature: Annotated[float, Opt(
        "--temperature", help="> 0; 1 = as trained, lower = safer.")] = 1.0,
    top_k: Annotated[Optional[int], Opt(
        "--top-k", help="Draw only from the K likeliest characters at each step.")] = None,
    top_p: Annotated[Optional[float], Opt(
        "--top-p", help="Draw only from the likeliest characters of mass P (0-1].")] = None,
    samples: Annotated[int, Opt("-n", "--samples", help="Continuations, apart by a blank line.")
                       ] = 1,
    seed: Annotated[Optional[int], Opt("--seed", help="Same seed, same text.")] = None,
    prompt_file: Annotated[Optional[Path], Opt(
        "--prompt-file", help="Read the prompt from this UTF-8 file.")] = None,
    lines: Annotated[Optional[int], Opt("--lines", help="Stop after N lines.")] = None,
    checkpoint: Annotated[Optional[Path], old_option("--checkpoint")] = None,
) -> None:
    """Print PROMPT followed by a continuation sampled from a text model (no TensorFlow).

    Works with any text checkpoint (LSTM, GRU or GPT). The prompt is lower-cased only if
    the model was trained lower-cased. On a terminal the characters appear as they are
    sampled. Without --seed a random one is drawn and shown on stderr.
    """
    print_continuations(prompt, prompt_file, {
        "length": length, "temperature": temperature, "lines": lines, "top_k": top_k,
        "top_p": top_p, "samples": samples}, seed,
        renamed(run, checkpoint, "--checkpoint", "--run") or Path("runs/text"))
