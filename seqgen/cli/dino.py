"""train-dino and sample-dino: the NumPy character model of dinosaur names."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from seqgen.cli._common import (
    announce_seed,
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

ConfigOpt = Annotated[Optional[Path], typer.Option("--config", help="YAML config file "
                                                   "(default: configs/dino.yaml).")]


@app.command("train-dino")
def train_dino(
    iters: Annotated[Optional[int], typer.Option("--iters", help="Total iterations.")] = None,
    hidden: Annotated[Optional[int], typer.Option("--hidden", help="Hidden units.")] = None,
    lr: Annotated[Optional[float], typer.Option("--lr", help="Learning rate.")] = None,
    clip: Annotated[Optional[float], typer.Option("--clip", help="Gradient clip bound.")] = None,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Initialisation seed.")] = None,
    cell: Annotated[Optional[str], typer.Option("--cell", help="rnn or lstm.")] = None,
    batch_size: Annotated[Optional[int], typer.Option(
        "--batch-size", help="1 = reference SGD; >1 = mini-batches with Adam.")] = None,
    val_split: Annotated[Optional[float], typer.Option(
        "--val-split", help="Fraction of names held out.")] = None,
    report_every: Annotated[Optional[int], typer.Option("--report-every")] = None,
    save_every: Annotated[Optional[int], typer.Option("--save-every")] = None,
    data: Annotated[Optional[Path], typer.Option("--data", help="Names file.")] = None,
    run: Annotated[Optional[Path], run_option("Run directory (default runs/dino).")] = None,
    resume: Annotated[Optional[Path], typer.Option("--resume", help="Continue this run.")] = None,
    config: ConfigOpt = None,
    set_: Annotated[Optional[list[str]], set_option("configs/dino.yaml", "hidden=64")] = None,
    init_from: Annotated[Optional[str], typer.Option(
        "--init-from", metavar="RUN|NAME", help="Start from this names model's weights: a "
        "run directory or dinos (the shipped model). Its cell and size come along.")] = None,
    out: Annotated[Optional[Path], old_option("--out")] = None,
) -> None:
    """Train the character model on a list of names and save a checkpoint.

    Prints `Iteration: N, Loss: X` and sampled names every --report-every iterations.
    """
    from seqgen import api

    def report(step: int, loss: float, names: list[str]) -> None:
        lines = [f"Iteration: {step}, Loss: {loss:f}", *names, ""]
        print("\n".join(lines), flush=True)

    with user_errors(), progress_bar("train-dino", iters) as bar:
        result = api.train_dino(
            data, run=renamed(run, out, "--out", "--run"), init_from=init_from, resume=resume,
            config=config, set=set_ or (),
            progress=bar, on_report=report, on_info=info, iters=iters, hidden=hidden, lr=lr,
            clip=clip, seed=seed, cell=cell, batch_size=batch_size, val_split=val_split,
            report_every=report_every, save_every=save_every)
    if not result.trained:
        info(f"nothing to do: {resume} is already at iteration {result.step}")
        return
    extra = f", val_loss {result.val_loss:.4f} nats/char" if result.val_loss else ""
    info(f"saved checkpoint to {result.run} (iteration {result.step}{extra})")


@app.command("sample-dino")
def sample_dino(
    n: Annotated[int, typer.Option("-n", "--count", help="How many names.")] = 10,
    temperature: Annotated[float, typer.Option("--temperature", help="> 0; 1 = as trained.")
                           ] = 1.0,
    seed: Annotated[Optional[int], typer.Option("--seed", help="Same seed, same names.")
                    ] = None,
    novel: Annotated[bool, typer.Option("--novel", help="Skip names seen in training.")
                     ] = False,
    prefix: Annotated[str, typer.Option(
        "--prefix", help="Every name starts with this text (fed to the model first).")] = "",
    max_length: Annotated[int, typer.Option(
        "--max-length", help="Characters of a name at most, the prefix included.")] = 50,
    run: Annotated[Optional[Path], run_option(
        "Run directory (default: the model shipped with seqgen).")] = None,
    checkpoint: Annotated[Optional[Path], old_option("--checkpoint")] = None,
) -> None:
    """Print new names from a trained checkpoint, one per line.

    Names are written as the training file writes them (capitalised for the dinosaurs).
    Prefix characters the model does not know are named on stderr and left out.
    """
    from seqgen.config import make_options
    from seqgen.names.config import NameSampling
    from seqgen.names.model import sample_dino as sample

    seed, drawn = draw_seed(seed)
    with user_errors():
        options = make_options(NameSampling, count=n, temperature=temperature, novel=novel,
                               prefix=prefix, max_length=max_length)
        result = sample(options, seed, renamed(run, checkpoint, "--checkpoint", "--run"))
        if result.skipped:
            from seqgen.vocab import describe_chars

            info(f"skipped prefix characters the model does not know: "
                 f"{describe_chars(result.skipped)}")
        _print_names(result.names, n)
    if drawn:
        announce_seed(seed, "print these names")


PROGRESS_FROM = 100_000  # lists at least this long show progress on stderr (a terminal)


def _print_names(names, n: int) -> None:
    """Write each name as it is made: at once on a terminal, in full buffers into a pipe
    (whose reader leaving ends the command at the next write)."""
    live = sys.stdout.isatty()
    write = sys.stdout.write
    if n < PROGRESS_FROM or live or not sys.stderr.isatty():  # a bar among names garbles both
        for name in names:
            write(name + "\n")
            if live:
                sys.stdout.flush()
        return
    with progress_bar("sample-dino", n) as bar:
        for i, name in enumerate(names, 1):
            write(name + "\n")
            if i % 10_000 == 0:
                bar(i)
        bar(n)
