"""The one way seqgen writes files: to a temporary name in the destination folder, then rename.

A reader never sees half a file, and a failed write (a full disk, a read-only
filesystem, a missing permission) leaves the previous version untouched and is
reported as one :class:`~seqgen.errors.OutputError` line naming the path and the reason.
Several files that belong together (a WAV and its piano roll) are staged and renamed
together by :func:`staged_outputs`.
"""

from __future__ import annotations

import errno
import io
import os
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from seqgen.errors import OutputError

_REASONS = {
    errno.ENOSPC: "no space left on the device",
    errno.EDQUOT: "disk quota exceeded",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EROFS: "read-only filesystem",
    errno.ENAMETOOLONG: "file name too long",
    errno.ENOTDIR: "a file stands where a folder should be",
    errno.EISDIR: "it is a folder",
    errno.ENOENT: "its folder does not exist",
    errno.EEXIST: "something else already exists there",
}


def describe_os_error(exc: OSError) -> str:
    """A short reason for ``exc`` in words (``"no space left on the device"``)."""
    return _REASONS.get(exc.errno, exc.strerror or type(exc).__name__)


def output_error(path: str | Path, exc: OSError) -> OutputError:
    """The one-line error for a failed write of ``path``."""
    return OutputError(f"cannot write {path}: {describe_os_error(exc)}")


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temp_beside(final: Path) -> Path:
    """An empty temporary file in ``final``'s folder, with the permissions a new file gets."""
    folder = final.parent if str(final.parent) else Path(".")
    fd, tmp = tempfile.mkstemp(prefix=f".{final.name}.", suffix=".tmp", dir=folder)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_umask())
    return Path(tmp)


def _unlink_quietly(path: Path) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


def write_atomic(path: str | Path, write: Callable[[io.BufferedWriter], object]) -> None:
    """Write ``path`` through ``write(fileobj)`` into a temporary file, fsync, then rename.

    Raises:
        OutputError: the file could not be written; nothing at ``path`` changed.
    """
    path = Path(path)
    tmp = None
    try:
        tmp = _temp_beside(path)
        with open(tmp, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        if tmp is not None:
            _unlink_quietly(tmp)
        raise output_error(path, exc) from None
    except BaseException:
        if tmp is not None:
            _unlink_quietly(tmp)
        raise


def write_bytes_atomic(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (see :func:`write_atomic`)."""
    write_atomic(path, lambda f: f.write(data))


@contextmanager
def staged_outputs() -> Iterator[Callable[[Path], Path]]:
    """Yield ``stage(final) -> temporary path``; rename them all only if the block succeeds.

    On any exception every temporary file is removed and no final path is touched (a
    rename that fails after an earlier one worked removes the renamed file too), so the
    outputs appear together or not at all. OS errors become one :class:`OutputError`.
    """
    staged: list[tuple[Path, Path]] = []

    def stage(final: Path) -> Path:
        final = Path(final)
        try:
            tmp = _temp_beside(final)
        except OSError as exc:
            raise output_error(final, exc) from None
        staged.append((tmp, final))
        return tmp

    renamed: list[Path] = []
    current: Path | None = None
    try:
        yield stage
        for tmp, final in staged:
            current = final
            os.replace(tmp, final)
            renamed.append(final)
    except BaseException as exc:
        for path in [tmp for tmp, _ in staged] + renamed:
            _unlink_quietly(path)
        if isinstance(exc, OSError):
            raise output_error(current or (staged[-1][1] if staged else "output"), exc) from None
        raise
