"""Defaults sized to the data: what ``train-text`` chooses for settings left open.

Each rule is one row of :data:`RULES`: the first row whose ``up_to`` (training characters)
the text stays under gives every open setting of the model's shape and optimiser. A
setting given in the config, by ``--set`` or by a flag is never changed. The rows, and the
measurements behind them, are explained in ``docs/text.md``.
"""

from __future__ import annotations

import dataclasses

from seqgen.text.config import SIZED, TextConfig

RULES: tuple[tuple[float, str, dict], ...] = (
    # a short text (the sonnets, 94 KB): a mid-sized LSTM, strongly regularised
    (400_000, "a short text", {
        "arch": "lstm", "layers": 2, "units": 256, "embed": 32, "dropout": 0.4,
        "context": 64, "heads": None, "batch_size": 32, "lr": 0.005,
        "lr_schedule": "plateau", "anneal": 0.3, "weight_decay": 0.0}),
    # up to a few MB: GRU layers (three gates, not four: more text per second), no dropout
    # (minutes of training cannot over-fit a MB)
    (2_000_000, "a text of up to 2 MB", {
        "arch": "gru", "layers": 2, "units": 256, "embed": 32, "dropout": 0.0,
        "context": 64, "heads": None, "batch_size": 64, "lr": 0.005,
        "lr_schedule": "plateau", "anneal": 0.3, "weight_decay": 0.0}),
    # several MB and more: windows of 128 characters (twice the span learnt), 32 per batch:
    # more, smaller steps, which with the anneal win at short budgets and hold at long ones
    (float("inf"), "a text of 2 MB or more", {
        "arch": "gru", "layers": 2, "units": 256, "embed": 32, "dropout": 0.0,
        "context": 128, "heads": None, "batch_size": 32, "lr": 0.005,
        "lr_schedule": "plateau", "anneal": 0.3, "weight_decay": 0.0}),
)


# the shortest window any rule chooses: before the text's size is known, a training part
# must hold at least one window of it
MIN_CONTEXT = min(values["context"] for _, _, values in RULES)


# what changes when the user asks for a transformer: its own width, depth and heads, and
# the optimiser small GPTs are usually trained with (warm-up and cosine decay, AdamW) on
# small batches: at batch 128 it trained at about the same characters per second as at 16
# but made an eighth of the optimiser steps, and fell 0.15 nats/char behind; its attention
# spans 64 characters whatever the recurrent rows' windows
GPT = {"layers": 4, "units": 128, "heads": 4, "lr": 0.001, "lr_schedule": "cosine",
       "weight_decay": 0.1, "batch_size": 16, "context": 64}


def op_threads(arch: str) -> int | None:
    """Threads each TensorFlow operation may use while ``arch`` trains (None: TensorFlow's
    choice). One for the recurrent layers: on 2 cores the GRU and the LSTM trained at about
    1.3 times the characters per second with it; the GPT at 0.68 times, so it keeps the
    default."""
    return None if arch == "gpt" else 1


def sized(cfg: TextConfig, train_chars: int) -> tuple[TextConfig, dict, str]:
    """``cfg`` with its open settings filled for a text of ``train_chars`` training characters.

    Returns the config, the settings chosen (name -> value) and the rule's name.
    """
    name, values = next((n, v) for up_to, n, v in RULES if train_chars < up_to)
    arch = cfg.arch or values["arch"]
    if arch == "gpt":
        values = {**values, **GPT}
        values["embed"] = cfg.units or values["units"]  # a transformer's embedding is its width
    chosen = {field: values[field] for field in SIZED if getattr(cfg, field) is None}
    if arch != "gpt":
        chosen.pop("heads", None)
    else:
        chosen.pop("anneal", None)  # the cosine schedule brings the rate down itself
    return dataclasses.replace(cfg, **chosen), chosen, name


def describe(chosen: dict, rule: str, train_chars: int) -> str:
    """The one line ``train-text`` prints about its choice."""
    items = ", ".join(f"{k} {v}" for k, v in chosen.items())
    return f"sized to {rule} ({train_chars:,} training characters): {items}"
