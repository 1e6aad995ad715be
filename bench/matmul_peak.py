"""The machine's float32 matmul peak as TensorFlow reaches it, in GFLOP/s.

The best of a few square products of two sizes (``2 n^3`` FLOPs each), after one warm-up
product per size. Run as a script it prints the figure alone, so that a bench can measure
it in a child process and keep TensorFlow out of its own memory (a child's peak RSS, as
the kernel reports it, starts from its parent's at the fork).

    .venv/bin/python bench/matmul_peak.py [--size 2048] [--repeats 5]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def matmul_peak(size: int = 2048, repeats: int = 5) -> float:
    """GFLOP/s of ``size``² and ``(2 size)``² float32 products, the best of ``repeats`` each."""
    import seqgen.keras_loop  # noqa: F401, I001  (TensorFlow, imported quietly)
    import tensorflow as tf

    best = 0.0
    for n in (size, 2 * size):
        a, b = tf.random.normal((n, n)), tf.random.normal((n, n))
        product = tf.function(tf.matmul)
        product(a, b).numpy()
        for _ in range(repeats):
            t0 = time.perf_counter()
            product(a, b).numpy()
            best = max(best, 2 * n ** 3 / (time.perf_counter() - t0) / 1e9)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=2048)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{matmul_peak(args.size, args.repeats):.1f}")


if __name__ == "__main__":
    main()
