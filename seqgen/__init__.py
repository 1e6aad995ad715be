"""seqgen: train and sample sequence models, from the command line or from Python.

    import seqgen
    seqgen.load("sonnets").generate("Once", length=200, seed=1)

The functions and classes below are imported on first use, so ``import seqgen`` stays
light (no NumPy model, no TensorFlow): see :mod:`seqgen.api` and ``docs/api.md``.
"""

__version__ = "0.1.0"

_API = ("load", "models", "evaluate", "train_text", "train_shakespeare", "train_dino",
        "train_jazz", "render_midi", "TextModel", "NamesModel", "JazzModel", "Shipped")
_ERRORS = ("SeqgenError", "UsageError", "DataError", "ConfigError", "OutputError",
           "CheckpointError", "MusicError", "TrainingInterrupted")
__all__ = ["__version__", *_API, *_ERRORS]


def __getattr__(name: str):
    if name in _API:
        from seqgen import api

        return getattr(api, name)
    if name in _ERRORS:
        from seqgen import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'seqgen' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
