"""Copy a trained note-model run into the package as the shipped note model.

The shipped copy keeps what generating and scoring need: the best validation epoch's
weights (as the run's weights, in half precision: the shipped model cannot be resumed),
every file's tune and role, the default changes, and the run's metrics; Adam's state and
the last epoch's weights are left out. File paths are kept relative to the collection's
folder. Usage::

    .venv/bin/python bench/bench_jazz_learning.py --keep /tmp/notes-run
    .venv/bin/python bench/ship_jazz_notes.py /tmp/notes-run [--folder FOLDER]
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def ship(run: Path, folder: str | None, to: Path) -> Path:
    from seqgen.checkpoints import MARKER_NAME, save_checkpoint
    from seqgen.jazz.notes import KIND, load_notes
    from seqgen.jazz.schema import NOTE_WEIGHT_NAMES, best_weights

    meta, arrays, corpus = load_notes(run)
    weights = best_weights(arrays, NOTE_WEIGHT_NAMES)
    sources = []
    for s in meta["sources"]:
        path = s["path"]
        if folder is not None and path.startswith(folder.rstrip("/") + "/"):
            path = os.path.relpath(path, folder)
        sources.append({**s, "path": path})
    kept = {k: v for k, v in meta.items()
            if k not in ("state", "files", "kind", "format_version", "saved_at")}
    kept["sources"] = sources
    kept["config"] = {**meta["config"], "midi": Path(folder).name if folder else "collection",
                      "run": "shipped", "out": "out.midi"}
    kept["shipped_from"] = "bench/bench_jazz_learning.py (default settings), then " \
                           "bench/ship_jazz_notes.py"
    if to.exists():
        shutil.rmtree(to)
    # half precision: half the bytes in the package; the scores move in the fourth decimal
    # (the loader widens the arrays back to float32)
    weights = {k: v.astype(np.float16) for k, v in weights.items()}
    out = save_checkpoint(to, KIND, kept, arrays=weights, extra_files=corpus.checkpoint_files())
    (out / MARKER_NAME).unlink()  # a finished copy needs no marker of a run in progress
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--folder", help="the collection's folder (paths are kept relative)")
    parser.add_argument("--to", type=Path, default=ROOT / "seqgen" / "assets" / "jazz-notes")
    args = parser.parse_args()
    out = ship(args.run, args.folder, args.to)
    size = sum(p.stat().st_size for p in out.iterdir() if p.is_file())
    print(f"{out}: {size / 1024:.0f} KB")


if __name__ == "__main__":
    main()
