"""The only package that imports TensorFlow/Keras. Import its modules lazily.

Importing this package selects the TensorFlow backend for Keras 3 and imports
TensorFlow with its C++ start-up chatter (oneDNN and CUDA notices, printed before
any log level applies) kept off stderr, which carries seqgen's own messages.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")


def _import_tensorflow_quietly() -> None:
    if "tensorflow" in sys.modules:
        return
    sys.stderr.flush()
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    try:
        import keras  # noqa: F401
        import tensorflow  # noqa: F401
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


_import_tensorflow_quietly()
