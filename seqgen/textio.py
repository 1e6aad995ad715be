"""Reading user-supplied files safely: every failure is a readable DataError."""

from __future__ import annotations

from pathlib import Path

from seqgen.datasets import locate
from seqgen.errors import DataError

DATA_HINT = ("pass an existing file with --data PATH "
             "(the defaults data/dinos.txt and data/shakespeare.txt are built in)")


def check_input_file(path: str | Path, what: str = "file", hint: str = "") -> Path:
    """The file to open for ``path``: an existing, non-empty regular file.

    A missing default dataset path (``data/dinos.txt``, ``shakespeare.txt``, ...) is the
    built-in copy shipped with the package (``seqgen.datasets.locate``).

    Returns:
        ``path`` as a Path, or the built-in copy it names.
    Raises:
        DataError: missing, a directory, unreadable or empty.
    """
    p = locate(path)
    suffix = f"; {hint}" if hint else ""
    if not p.exists():
        raise DataError(f"{what} not found: {p}{suffix}")
    if p.is_dir():
        raise DataError(f"{what} is a directory, expected a file: {p}")
    if not p.is_file():
        raise DataError(f"{what} is not a regular file: {p}")
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise DataError(f"cannot read {what} {p}: {exc.strerror}") from None
    if size == 0:
        raise DataError(f"{what} is empty: {p}")
    return p


def read_text(path: str | Path, what: str = "data file", hint: str = "") -> str:
    """Read a UTF-8 text file.

    Raises:
        DataError: missing, a directory, empty, binary (NUL bytes) or not UTF-8.
    """
    p = check_input_file(path, what, hint)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {what} {p}: {exc.strerror}") from None
    if b"\x00" in raw:
        raise DataError(f"{what} looks binary (it contains NUL bytes), expected UTF-8 text: {p}")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise DataError(f"{what} is not valid UTF-8 text (byte {exc.start}): {p}") from None
    if not text.strip():
        raise DataError(f"{what} has no text in it: {p}")
    return text


def check_output_path(path: str | Path, what: str = "output file") -> Path:
    """Check that ``path`` can be written: its folder exists and it is not a directory.

    Raises:
        DataError: the parent folder is missing or ``path`` is a directory.
    """
    p = Path(path)
    if p.is_dir():
        raise DataError(f"{what} {p} is a directory; give a file name")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.exists():
        raise DataError(f"folder for {what} does not exist: {parent} (create it first)")
    if not parent.is_dir():
        raise DataError(f"{parent} is not a folder, cannot write {what} {p.name} there")
    return p
