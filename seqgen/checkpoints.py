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
from seqgen.atomic import output_error, write_bytes_atomic
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
    Raises:
        OutputError: a file could not be written (one line naming it and why); the
            previous complete set still loads (from ``run_dir`` or ``.prev/``).
    """
    run_dir = Path(run_dir)
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        if not (run_dir / MARKER_NAME).is_file():
            write_bytes_atomic(run_dir / MARKER_NAME, kind.encode("utf-8"))
        _keep_previous(run_dir)
    except OSError as exc:  # the folder, or the backup of the previous set, cannot be written
        raise output_error(exc.filename or run_dir, exc) from None
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
    try:
        staging.mkdir()
        for name in [*meta["files"], META_NAME]:
            try:
                os.link(run_dir / name, staging / name)
            except OSError:  # no hard links here: copy instead
                shutil.copy2(run_dir / name, staging / name)
        shutil.rmtree(run_dir / PREV_DIR, ignore_errors=True)
        os.replace(staging, run_dir / PREV_DIR)
    except OSError as exc:  # the main set is untouched and complete: say so and leave no staging
        shutil.rmtree(staging, ignore_errors=True)
        raise output_error(run_dir / PREV_DIR, exc) from None


def prepare_run_dir(run_dir: str | Path, kinds: tuple[str, ...] | str) -> Path:
    """Check, before training starts, that ``run_dir`` may receive a checkpoint of ``kinds``.

    An existing run of the same kind may be overwritten (its last complete save stays in
    ``.prev/`` until the new one is complete); anything else already there is protected.

    Raises:
        CheckpointError: a file, another kind's checkpoint, a foreign non-empty folder, or
            a location that cannot be written.
        OutputError: the path cannot even be examined (a name too long...).
    """
    run_dir = Path(run_dir)
    try:
        return _prepare_run_dir(run_dir, (kinds,) if isinstance(kinds, str) else kinds)
    except OSError as exc:  # a name too long, a folder that cannot be listed...
        raise output_error(run_dir, exc) from None


def _prepare_run_dir(run_dir: Path, kinds: tuple[str, ...]) -> Path:
    if run_dir.exists() and not run_dir.is_dir():
        raise CheckpointError(f"output {run_dir} is a file; --run needs a run directory")
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
                                      f"{kinds[0]} one; choose another --run")
        elif any(not p.name.startswith(".") for p in run_dir.iterdir()):
            raise CheckpointError(f"{run_dir} is not empty and not a seqgen run directory; "
                                  "choose another --run")
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
            raise output_error(self.run_dir, exc) from None
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                self._remove_if_created()
                raise output_error(self.path, exc) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = os.read(fd, 64).decode("ascii", "replace").strip() or "unknown"
                os.close(fd)
                self._remove_if_created()
                raise RunInUse(f"{self.run_dir} is in use by another seqgen process (pid "
                               f"{holder}); wait for it to finish or choose another --run"
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
    _check_is_run_dir(run_dir)
    try:
        data = (run_dir / META_NAME).read_bytes()
    except OSError:
        raise CheckpointError(f"{run_dir} is not a seqgen checkpoint (no {META_NAME})") from None
    return _parse_meta(data, run_dir, kinds)


def _check_is_run_dir(run_dir: Path) -> None:
    if not run_dir.exists():
        raise CheckpointError(f"checkpoint not found: {run_dir} (train one first, or pass "
                              "--run DIR)")
    if not run_dir.is_dir():
        raise CheckpointError(f"checkpoint must be a run directory, got a file: {run_dir}")
    if not (run_dir / META_NAME).is_file():
        raise CheckpointError(f"{run_dir} is not a seqgen checkpoint (no {META_NAME})")


def _parse_meta(data: bytes, run_dir: Path, kinds: tuple[str, ...] | str | None) -> dict:
    """The validated metadata in ``data`` (the bytes of ``run_dir/meta.json``)."""
    meta_path = run_dir / META_NAME
    try:
        meta = json.loads(data.decode("utf-8"))
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
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in meta["files"].items()):
        raise CheckpointError(f"checkpoint metadata has a bad 'files': {meta_path}")
    if isinstance(kinds, str):
        kinds = (kinds,)
    if kinds is not None and meta["kind"] not in kinds:
        raise CheckpointError(f"{run_dir} holds a '{meta['kind']}' checkpoint, expected "
                              f"{' or '.join(repr(k) for k in kinds)}")
    return meta


def load_arrays(path: str | Path, data: bytes | None = None) -> dict[str, np.ndarray]:
    """Load an ``.npz`` file (or its bytes ``data``, read before) without ever unpickling.

    Raises:
        CheckpointError: corrupt, or holding pickled objects.
    """
    source = path if data is None else io.BytesIO(data)
    try:
        with np.load(source, allow_pickle=False) as data:
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


# How often a reader tries again when a concurrent save replaced files while it read them:
# a save renames a handful of files within milliseconds, so a few short pauses suffice.
READ_ATTEMPTS = 6
READ_PAUSE = 0.05  # seconds, doubled after each attempt


class _Torn(Exception):
    """A set whose files do not match its metadata (a save in progress, or a broken set)."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _read_set(run_dir: Path, kinds, names: tuple[str, ...]) -> tuple[dict, dict[str, bytes]]:
    """Read ``meta.json`` and every file it lists once each; check each digest on the bytes read.

    Raises:
        CheckpointError: a set that can never load (wrong kind, corrupt metadata...).
        _Torn: a file is missing or does not match its digest.
    """
    _check_is_run_dir(run_dir)
    try:
        meta = _parse_meta((run_dir / META_NAME).read_bytes(), run_dir, kinds)
    except FileNotFoundError:  # the folder was replaced while we looked (.prev/)
        raise _Torn(f"{run_dir} is not a seqgen checkpoint (no {META_NAME})") from None
    except OSError as exc:
        raise CheckpointError(f"cannot read {run_dir / META_NAME}: {exc.strerror}") from None
    files: dict[str, bytes] = {}
    for name, digest in meta["files"].items():
        try:
            data = (run_dir / name).read_bytes()
        except FileNotFoundError:
            raise _Torn(f"checkpoint {run_dir} is incomplete: {name} is missing") from None
        except OSError as exc:
            raise CheckpointError(f"cannot read {run_dir / name}: {exc.strerror}") from None
        if hashlib.sha256(data).hexdigest() != digest:
            raise _Torn(f"checkpoint {run_dir} is inconsistent: {name} does not match its "
                        "metadata (interrupted write?)")
        files[name] = data
    missing = [n for n in names if n not in files]
    if missing:
        raise CheckpointError(f"checkpoint {run_dir} lacks {', '.join(missing)}")
    return meta, files


def load_checkpoint_files(run_dir: str | Path, kinds: tuple[str, ...] | str | None = None,
                          names: tuple[str, ...] = ()
                          ) -> tuple[dict, dict[str, np.ndarray], dict[str, bytes]]:
    """Read one complete checkpoint: metadata, ``weights.npz`` arrays and the files ``names``.

    Every file is read once and checked against the digest in the ``meta.json`` read with
    it, so the three results always come from the same save, even while another process
    is saving into ``run_dir``: a set replaced mid-read is read again (a few times, with
    short pauses), and a newest set that stays incomplete (a save that was killed) falls
    back to the previous complete one in ``.prev/``; ``meta["loaded_from"]`` then names it.

    Args:
        names: data files besides ``weights.npz`` the caller needs (e.g. ``corpus.json``).
    Returns:
        ``(meta, arrays, files)`` with ``files`` mapping each name in ``names`` to its bytes.
    Raises:
        CheckpointError: missing, corrupt, wrong kind, newer format, incomplete.
    """
    run_dir = Path(run_dir)
    pause, problem = READ_PAUSE, None
    for attempt in range(READ_ATTEMPTS):
        if attempt:
            time.sleep(pause)
            pause *= 2
        try:
            meta, files = _read_set(run_dir, kinds, names)
            break
        except (_Torn, CheckpointError) as exc:
            problem = exc
        try:
            meta, files = _read_set(run_dir / PREV_DIR, kinds, names)
            meta["loaded_from"] = str(run_dir / PREV_DIR)
            break
        except (_Torn, CheckpointError):
            if isinstance(problem, CheckpointError):
                raise problem from None  # not a save in progress: reading again won't help
    else:
        raise CheckpointError(problem.message)
    arrays = {}
    if WEIGHTS_NAME in files:
        arrays = load_arrays(run_dir / WEIGHTS_NAME, files[WEIGHTS_NAME])
    return meta, arrays, {name: files[name] for name in names}


def load_checkpoint(run_dir: str | Path, kinds: tuple[str, ...] | str | None = None
                    ) -> tuple[dict, dict[str, np.ndarray]]:
    """Read a checkpoint: validated metadata and its ``weights.npz`` arrays (if any).

    The files are read as one complete set (see :func:`load_checkpoint_files`), falling
    back to the previous complete save when the newest one was interrupted;
    ``meta["loaded_from"]`` then names the backup directory.
    """
    meta, arrays, _ = load_checkpoint_files(run_dir, kinds)
    return meta, arrays


def latest_step(run_dir: str | Path) -> int | None:
    """The step a ``--resume`` of ``run_dir`` continues from, or None when there is none.

    That is the newest complete save of its ``last/`` training state when it has one
    (train-shakespeare keeps the best checkpoint beside it, which may be newer), else of
    ``run_dir`` itself.
    """
    run_dir = Path(run_dir)
    folder = run_dir / "last" if (run_dir / "last").is_dir() else run_dir
    try:
        return read_meta(resolve(folder))["step"]
    except CheckpointError:
        return None


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
