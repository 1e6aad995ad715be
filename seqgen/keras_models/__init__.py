"""The only package that imports TensorFlow/Keras. Import its modules lazily.

Importing this package quiets TensorFlow's C++ start-up logging (stderr carries
seqgen's own messages) and selects the TensorFlow backend for Keras 3.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
