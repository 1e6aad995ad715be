"""Where this process stands in a multi-worker cluster: ``TF_CONFIG``, read once, no TensorFlow."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from seqgen.errors import UsageError


@dataclass(frozen=True)
class Cluster:
    """The parts of ``TF_CONFIG`` seqgen uses."""

    workers: tuple[str, ...]  # host:port of every worker, in task-index order
    task_type: str  # "worker" or "chief"
    index: int

    @property
    def is_chief(self) -> bool:
        return self.task_type == "chief" or (self.task_type == "worker" and self.index == 0)

    @property
    def address(self) -> str:
        """This task's own host:port."""
        return self.workers[self.index] if self.task_type == "worker" else ""


def read_cluster(env: dict | None = None) -> Cluster | None:
    """The cluster described by ``TF_CONFIG``, or None when it is not set.

    Raises:
        UsageError: ``TF_CONFIG`` is set but is not JSON with ``cluster.worker`` (a list of
            host:port) and ``task.index`` (an int naming one of them).
    """
    raw = (os.environ if env is None else env).get("TF_CONFIG")
    if not raw:
        return None
    bad = UsageError("TF_CONFIG is not valid: it needs cluster.worker (a list of host:port) "
                     "and task.index")
    try:
        config = json.loads(raw)
        workers = config["cluster"]["worker"]
        task = config["task"]
        index, task_type = task["index"], task.get("type", "worker")
    except (ValueError, KeyError, TypeError, AttributeError):
        raise bad from None
    if (not isinstance(workers, list) or not workers
            or not all(isinstance(w, str) and ":" in w for w in workers)
            or not isinstance(index, int) or isinstance(index, bool) or index < 0
            or (task_type == "worker" and index >= len(workers))):
        raise bad
    return Cluster(tuple(workers), str(task_type), index)


def is_chief() -> bool:
    """True unless ``TF_CONFIG`` names this process a worker other than worker 0."""
    cluster = read_cluster()
    return cluster is None or cluster.is_chief


@contextmanager
def output_dir(path: str | Path, multiworker: bool) -> Iterator[Path]:
    """Where this process writes its checkpoints.

    The chief (and any single-process run) writes to ``path``; the other workers of a
    multi-worker run write the same files to a temporary folder that is removed
    afterwards, so only the chief's checkpoint ever reaches ``path``.
    """
    if not multiworker or is_chief():
        yield Path(path)
        return
    with tempfile.TemporaryDirectory(prefix="seqgen-worker-") as tmp:
        folder = Path(tmp) / Path(path).name
        _PUBLIC[folder] = Path(path)
        try:
            yield folder
        finally:
            del _PUBLIC[folder]


_PUBLIC: dict[Path, Path] = {}  # a worker's temporary folder -> the --run the user gave


def public_path(folder: str | Path) -> Path:
    """The folder the user named for ``folder`` (a worker's temporary one, or itself).

    Messages that tell the user to ``--resume`` name this, not a worker's scratch folder.
    """
    return _PUBLIC.get(Path(folder), Path(folder))


def bind_warning(cluster: Cluster) -> str:
    """The one-line warning a multi-worker run shows when it starts (see docs/scale-out.md)."""
    port = cluster.address.rsplit(":", 1)[-1] if cluster.address else "its port"
    return (f"warning: this worker's TensorFlow server listens on port {port} of every network "
            "interface and runs whatever a connecting peer sends; run multi-worker training "
            "only on a private network or behind a firewall, never on a public interface")
