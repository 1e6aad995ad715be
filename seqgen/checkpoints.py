"""Self-describing, versioned run directories written atomically.

A checkpoint is a directory holding ``meta.json`` plus data files (``weights.npz``
and any others). Every file is written to a temporary name and renamed; the
metadata goes last and records a SHA-256 of each data file, so a set interrupted
half way is detected on load instead of silently mixing two steps. Before a new
set is written, the complete previous set is hard-linked into ``.prev/``; a loader
that finds the main set incomplete falls back to it, so a ``kill -9`` at any
moment leaves a loadable checkpoint once one has been completed.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import time
import zipfile
from pathlib import Path

import numpy as np

from seqgen import __version__
from seqgen.atomic import write_bytes_atomic
from seqgen.errors import CheckpointError, RunInUse

FORMAT_VERSION = 1
META_NAME = "meta.json"
PREV_DIR = ".prev"
LOCK_NAME = ".seqgen-lock"  # held (flock) by the process training into the folder
MARKER_NAME = ".seqgen-run"  # written before a run's first file: "this folder is a <kind> run"
WEIGHTS_NAME = "weights.npz"
REQUIRED_META = {"kind": str, "format_version": int, "step": int, "seed": (int, type(None)),
                 "config": dict, "vocab": (list, dict, type(None)), "metrics": dict, "files": dict}


def sha256_file(path: str | Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def save_checkpoint(run_dir: str | Path, kind: str, meta: dict,
                    arrays: dict[str, np.ndarray] | None = None,
                    extra_files: dict[str, bytes] | None = None) -> Path:
    """Write a checkpoint into ``run_dir`` (created if needed).

    Args:
        kind: what the checkpoint holds (e.g. ``"dino-rnn"``); checked on load.
        meta: at least ``step``, ``seed``, ``config``, ``vocab``, ``metrics``.
        arrays: saved to ``weights.npz``.
        extra_files: more data files, name -> bytes.
    Returns:
        The run directory.
    """
    run_dir = Path(run_dir)
    run_dir.mkdir(parents=True, exist_ok=True)
    if not (run_dir / MARKER_NAME).is_file():
        write_bytes_atomic(run_dir / MARKER_NAME, kind.encode("utf-8"))
    _keep_previous(run_dir)
    files: dict[str, str] = {}
    if arrays is not None:
        buf = io.BytesIO()
        np.savez(buf, **{k: np.asarray(v) for k, v in arrays.items()})
        data = buf.getvalue()
        write_bytes_atomic(run_dir / WEIGHTS_NAME, data)
        files[WEIGHTS_NAME] = hashlib.sha256(data).hexdigest()
    for name, data in (extra_files or {}).items():
        write_bytes_atomic(run_dir / name, data)
        files[name] = hashlib.sha256(data).hexdigest()
    full = {"kind": kind, "format_version": FORMAT_VERSION, "seqgen_version": __version__,
            "saved_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "seed": None, "vocab": None,
            "metrics": {}, "config": {}, **meta, "files": files}
    full["kind"] = kind
    full["format_version"] = FORMAT_VERSION
    text = json.dumps(full, indent=2, sort_keys=True, allow_nan=False) + "\n"
    write_bytes_atomic(run_dir / META_NAME, text.encode("utf-8"))
    return run_dir


def _complete(run_dir: Path) -> dict | None:
    """The metadata of ``run_dir`` if its set of files is complete and consistent."""
    try:
        meta = json.loads((run_dir / META_NAME).read_text(encoding="utf-8"))
        files = meta["files"]
        for name, digest in files.items():
            if sha256_file(run_dir / name) != digest:
                return None
        return meta
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def _keep_previous(run_dir: Path) -> None:
    """Hard-link the current complete set into ``.prev/`` (a rename makes it appear whole)."""
    meta = _complete(run_dir)
    if meta is None:
        return
    staging = run_dir / (PREV_DIR + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir()
    for name in [*meta["files"], META_NAME]:
        try:
            os.link(run_dir / name, staging / name)
        except OSError:  # no hard links here: copy instead
            shutil.copy2(run_dir / name, staging / name)
    shutil.rmtree(run_dir / PREV_DIR, ignore_errors=True)
    os.replace(staging, run_dir / PREV_DIR)


def prepare_run_dir(run_dir: str | Path, kinds: tuple[str, ...] | str) -> Path:
    """Check, before training starts, that ``run_dir`` may receive a checkpoint of ``kinds``.

    An existing run of the same kind may be overwritten (its last complete save stays in
    ``.prev/`` until the new one is complete); anything else already there is protected.

    Raises:
        CheckpointError: a file, another kind's checkpoint, a foreign non-empty folder, or
            a location that cannot be written.
    """
    run_dir = Path(run_dir)
    kinds = (kinds,) if isinstance(kinds, str) else kinds
    if run_dir.exists() and not run_dir.is_dir():
        raise CheckpointError(f"output {run_dir} is a file; --out needs a run directory")
    if run_dir.is_dir():
        source = resolve(run_dir)
        meta_path = source / META_NAME
        marker = run_dir / MARKER_NAME
        if meta_path.is_file() or marker.is_file():
            try:
                if meta_path.is_file():
                    kind = json.loads(meta_path.read_text(encoding="utf-8")).get("kind")
                else:  # a run killed before its first save completed
                    kind = marker.read_text(encoding="utf-8").strip()
            except (ValueError, AttributeError, OSError, UnicodeDecodeError):
                kind = None
            if kind not in kinds:
                raise CheckpointError(f"{run_dir} holds a {kind or 'broken'} checkpoint, not a "
                                      f"{kinds[0]} one; choose another --out")
        elif any(not p.name.startswith(".") for p in run_dir.iterdir()):
            raise CheckpointError(f"{run_dir} is not empty and not a seqgen run directory; "
                                  "choose another --out")
        if not os.access(run_dir, os.W_OK):
            raise CheckpointError(f"cannot write to {run_dir} (permission denied)")
        return run_dir
    parent = run_dir.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir() or not os.access(parent, os.W_OK):
        raise CheckpointError(f"cannot create {run_dir}: {parent} is not a writable folder")
    return run_dir


class RunLock:
    """An exclusive lock on a run folder for as long as a process trains into it.

    The lock is an ``flock`` on ``.seqgen-lock`` holding the owner's pid. The kernel
    drops it when its process dies however it dies, so a lock left by a killed run is
    stale by construction and the next run simply takes it. A folder the lock had to
    create is removed again if nothing was saved into it.

    Raises:
        RunInUse: another live process holds the lock (its pid is named).
    """

    def __init__(self, run_dir: str | Path):
        self.run_dir = Path(run_dir)
        self.path = self.run_dir / LOCK_NAME
        self.fd: int | None = None
        self.created = False

    def __enter__(self) -> RunLock:
        import fcntl

        self.created = not self.run_dir.exists()
        try:
            self.run_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            from seqgen.atomic import output_error

            raise output_error(self.run_dir, exc) from None
        while True:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                self._remove_if_created()
                raise RunInUse(f"{self.run_dir} is in use by another seqgen process (pid "
                               f"{holder}); wait for it to finish or choose another --out"
                               ) from None
            try:  # the file may have been replaced between open and lock: lock the current one
                same = os.fstat(fd).st_ino == os.stat(self.path).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode("ascii"))
        self.fd = fd
        return self

    def __exit__(self, *exc) -> None:
        if self.fd is not None:
            os.close(self.fd)  # releases the flock; the file stays (unlinking it would race)
            self.fd = None
        self._remove_if_created()

    def _remove_if_created(self) -> None:
        if self.created:
            try:
                if [p.name for p in self.run_dir.iterdir()] == [LOCK_NAME]:
                    os.unlink(self.path)
                    self.run_dir.rmdir()
            except OSError:
                pass


def read_meta(run_dir: str | Path, kinds: tuple[str, ...] | str | None = None) -> dict:
    """Read and validate ``meta.json`` of ``run_dir``.

    Raises:
        CheckpointError: missing, not JSON, wrong kind, newer format, bad fields.
    """
    run_dir = Path(run_dir)
    if not run_dir.exists():
        raise CheckpointError(f"checkpoint not found: {run_dir} (train one first, or pass "
                              "--checkpoint DIR)")
    if not run_dir.is_dir():
        raise CheckpointError(f"checkpoint must be a run directory, got a file: {run_dir}")
    meta_path = run_dir / META_NAME
    if not meta_path.is_file():
        raise CheckpointError(f"{run_dir} is not a seqgen checkpoint (no {META_NAME})")
    try:
        meta = json.loads(meta_path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise CheckpointError(f"checkpoint metadata is corrupt: {meta_path}") from None
    if not isinstance(meta, dict):
        raise CheckpointError(f"checkpoint metadata is corrupt: {meta_path}")
    for key, tp in REQUIRED_META.items():
        if key not in meta:
            raise CheckpointError(f"checkpoint metadata lacks '{key}': {meta_path}")
        if not isinstance(meta[key], tp) or isinstance(meta[key], bool):
            raise CheckpointError(f"checkpoint metadata has a bad '{key}': {meta_path}")
    if meta["format_version"] > FORMAT_VERSION:
        raise CheckpointError(
            f"checkpoint {run_dir} has format version {meta['format_version']}, newer than "
            f"this seqgen understands ({FORMAT_VERSION}); upgrade seqgen")
    if meta["format_version"] < 1:
        raise CheckpointError(f"checkpoint {run_dir} has an unknown format version")
    if isinstance(kinds, str):
        kinds = (kinds,)
    if kinds is not None and meta["kind"] not in kinds:
        raise CheckpointError(f"{run_dir} holds a '{meta['kind']}' checkpoint, expected "
                              f"{' or '.join(repr(k) for k in kinds)}")
    return meta


def verify_files(run_dir: str | Path, meta: dict) -> None:
    """Check each data file listed in ``meta`` against its recorded SHA-256."""
    run_dir = Path(run_dir)
    for name, digest in meta["files"].items():
        path = run_dir / name
        if not path.is_file():
            raise CheckpointError(f"checkpoint {run_dir} is incomplete: {name} is missing")
        if sha256_file(path) != digest:
            raise CheckpointError(f"checkpoint {run_dir} is inconsistent: {name} does not match "
                                  "its metadata (interrupted write?)")


def load_arrays(path: str | Path) -> dict[str, np.ndarray]:
    """Load an ``.npz`` file without ever unpickling.

    Raises:
        CheckpointError: corrupt, or holding pickled objects.
    """
    try:
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    except ValueError as exc:
        if "pickle" in str(exc).lower() or "object" in str(exc).lower():
            raise CheckpointError(f"{path} holds pickled Python objects; refusing to load it "
                                  "(seqgen never unpickles)") from None
        raise CheckpointError(f"weights file is corrupt: {path}") from None
    except (OSError, EOFError, zipfile.BadZipFile, KeyError):
        raise CheckpointError(f"weights file is corrupt: {path}") from None


def resolve(run_dir: str | Path) -> Path:
    """The directory holding the newest complete set: ``run_dir`` or its ``.prev/`` backup.

    A run whose newest save was interrupted falls back to the previous complete save;
    a run with nothing complete is returned as is (its loader then says what is wrong).
    """
    run_dir = Path(run_dir)
    if run_dir.is_dir() and _complete(run_dir) is None:
        prev = run_dir / PREV_DIR
        if _complete(prev) is not None:
            return prev
    return run_dir


def load_checkpoint(run_dir: str | Path, kinds: tuple[str, ...] | str | None = None
                    ) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a checkpoint: validated metadata and its ``weights.npz`` arrays (if any).

    Falls back to the previous complete save when the newest one was interrupted;
    ``meta["loaded_from"]`` then names the backup directory.
    """
    source = resolve(run_dir)
    meta = read_meta(source, kinds)
    verify_files(source, meta)
    if source != Path(run_dir):
        meta["loaded_from"] = str(source)
    run_dir = source
    arrays = {}
    if WEIGHTS_NAME in meta["files"]:
        arrays = load_arrays(Path(run_dir) / WEIGHTS_NAME)
    return meta, arrays


def check_shapes(arrays: dict[str, np.ndarray], expected: dict[str, tuple], where: str) -> None:
    """Require each named array with the expected shape and a float dtype."""
    for name, shape in expected.items():
        if name not in arrays:
            raise CheckpointError(f"checkpoint {where} lacks the array '{name}'")
        arr = arrays[name]
        if arr.shape != tuple(shape) or arr.dtype.kind != "f":
            raise CheckpointError(f"checkpoint {where}: array '{name}' has shape {arr.shape} "
                                  f"({arr.dtype}), expected {tuple(shape)} floats")
        if not np.all(np.isfinite(arr)):
            raise CheckpointError(f"checkpoint {where}: array '{name}' holds non-finite values")
