"""The built-in datasets: three small files that ship inside the package.

Configs, old checkpoints and the shipped Shakespeare model name them as ``data/<name>``
relative to the working folder (a checkout's layout). ``locate`` turns such a path into
the packaged copy when the working folder has no file there, so every command's default
works from any folder and from an installed wheel. Their checksums are in the
repository's ``data/SHA256SUMS`` (``make data`` verifies them).
"""

from __future__ import annotations

from pathlib import Path

# seqgen/assets/data/: package data, so it travels in a wheel (pyproject's package-data).
BUILTIN_DIR = Path(__file__).resolve().parent / "assets" / "data"
BUILTIN = ("dinos.txt", "shakespeare.txt", "original_metheny.mid")


def builtin_path(name: str) -> Path:
    """The packaged copy of the built-in dataset ``name`` (e.g. ``"dinos.txt"``).

    Raises:
        KeyError: ``name`` is not a built-in dataset (a bug in the caller).
    """
    if name not in BUILTIN:
        raise KeyError(f"{name!r} is not a built-in dataset (one of {', '.join(BUILTIN)})")
    return BUILTIN_DIR / name


def locate(path: str | Path) -> Path:
    """The file a data path from a config, a flag or a checkpoint means.

    An existing path is used as given, so a user's own ``data/dinos.txt`` wins. A missing
    relative ``data/<name>`` or bare ``<name>`` of a built-in dataset is its packaged copy.
    Any other path comes back unchanged, so that checking it reports it missing
    (``seqgen.textio.check_input_file`` does both).

    Args:
        path: as written, e.g. ``"data/shakespeare.txt"``.
    Returns:
        The path to open.
    """
    p = Path(path)
    if p.exists() or p.is_absolute():
        return p
    # Path() drops "./", so "./data/dinos.txt" has the same parts as "data/dinos.txt".
    if p.parts in {("data", p.name), (p.name,)} and p.name in BUILTIN:
        return builtin_path(p.name)
    return p
