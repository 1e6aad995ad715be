"""The text models' weights: their names and shapes, the one schema both sides use.

Keras trains a model (``keras_model.py``) and exports these arrays by name; NumPy loads and
checks them (``nets.py``) to generate and score. Neither writes the shapes down itself.
Each name also says which Keras layer holds the array and at which position among that
layer's weights, so the exporter needs no second list.
"""

from __future__ import annotations

from dataclasses import dataclass

ARCHS = ("lstm", "gru", "gpt")


@dataclass(frozen=True)
class Shape:
    """A text model's architecture and size."""

    arch: str  # lstm, gru or gpt
    layers: int  # recurrent layers, or transformer blocks
    units: int  # recurrent units per layer, or the transformer's width
    embed: int  # embedding width (the transformer's is its width)
    context: int  # training window; the transformer's attention span
    heads: int = 1  # attention heads (gpt)

    def describe(self) -> str:
        if self.arch == "gpt":
            return (f"gpt, {self.layers} blocks of width {self.units}, {self.heads} heads, "
                    f"context {self.context}")
        return (f"{self.arch}, {self.layers} x {self.units} units, embedding {self.embed}, "
                f"context {self.context}")


def weight_layout(shape: Shape, vocab_size: int) -> dict[str, tuple[str, int, tuple]]:
    """Every array: name -> (Keras layer name, index among its weights, array shape)."""
    V, u, E = vocab_size, shape.units, shape.embed
    if shape.arch == "gpt":
        return _gpt_layout(shape, V)
    gates = {"lstm": 4, "gru": 3}[shape.arch]
    out: dict[str, tuple[str, int, tuple]] = {"embedding": ("embedding", 0, (V, E))}
    for k in range(1, shape.layers + 1):
        name = f"{shape.arch}{k}"
        n_in = E if k == 1 else u
        bias = (gates * u,) if shape.arch == "lstm" else (2, gates * u)  # GRU: input, recurrent
        out[f"{name}_kernel"] = (name, 0, (n_in, gates * u))
        out[f"{name}_recurrent"] = (name, 1, (u, gates * u))
        out[f"{name}_bias"] = (name, 2, bias)
    out["dense_kernel"] = ("dense", 0, (u, V))
    out["dense_bias"] = ("dense", 1, (V,))
    return out


def _gpt_layout(shape: Shape, V: int) -> dict[str, tuple[str, int, tuple]]:
    d = shape.units
    out: dict[str, tuple[str, int, tuple]] = {
        "tok_embedding": ("tok_embedding", 0, (V, d)),
        "pos_embedding": ("pos_embedding", 0, (shape.context, d))}
    for k in range(1, shape.layers + 1):
        b = f"block{k}"
        for part, n_in, n_out in (("qkv", d, 3 * d), ("proj", d, d), ("fc", d, 4 * d),
                                  ("out", 4 * d, d)):
            out[f"{b}_{part}_kernel"] = (f"{b}_{part}", 0, (n_in, n_out))
            out[f"{b}_{part}_bias"] = (f"{b}_{part}", 1, (n_out,))
        for ln in ("ln1", "ln2"):
            out[f"{b}_{ln}_gamma"] = (f"{b}_{ln}", 0, (d,))
            out[f"{b}_{ln}_beta"] = (f"{b}_{ln}", 1, (d,))
    out["ln_f_gamma"] = ("ln_f", 0, (d,))
    out["ln_f_beta"] = ("ln_f", 1, (d,))
    out["dense_kernel"] = ("dense", 0, (d, V))
    out["dense_bias"] = ("dense", 1, (V,))
    return out


def weight_shapes(shape: Shape, vocab_size: int) -> dict[str, tuple]:
    """Each array's shape (recurrent layers in Keras' packed layout)."""
    return {name: s for name, (_, _, s) in weight_layout(shape, vocab_size).items()}


def parameters(shape: Shape, vocab_size: int) -> int:
    """The model's number of trainable numbers."""
    total = 0
    for s in weight_shapes(shape, vocab_size).values():
        n = 1
        for x in s:
            n *= x
        total += n
    return total


# the course preset's shape, for checkpoints written before the shape was recorded
SHAKESPEARE_SHAPE = Shape("lstm", 2, 256, 32, 64)
