"""Where this process stands in a multi-worker cluster (from ``TF_CONFIG``), without TensorFlow."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def is_chief() -> bool:
    """True unless ``TF_CONFIG`` names this process a worker other than worker 0."""
    raw = os.environ.get("TF_CONFIG")
    if not raw:
        return True
    try:
        task = json.loads(raw).get("task", {})
    except (ValueError, AttributeError):
        return True
    kind, index = task.get("type", "worker"), task.get("index", 0)
    return kind == "chief" or (kind == "worker" and index == 0)


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
        yield Path(tmp) / Path(path).name
