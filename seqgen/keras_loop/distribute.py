"""tf.distribute strategies for the Keras commands (``--strategy``)."""

from __future__ import annotations

import os
from collections.abc import Callable

from seqgen.cluster import bind_warning, read_cluster
from seqgen.errors import UsageError


def configure_logical_cpus() -> int | None:
    """Split the CPU into ``SEQGEN_LOGICAL_CPUS`` logical devices (before TF initialises)."""
    value = os.environ.get("SEQGEN_LOGICAL_CPUS")
    if not value:
        return None
    try:
        n = int(value)
    except ValueError:
        raise UsageError(f"SEQGEN_LOGICAL_CPUS must be a positive integer, got {value!r}"
                         ) from None
    if n <= 0:
        raise UsageError(f"SEQGEN_LOGICAL_CPUS must be a positive integer, got {n}")
    import tensorflow as tf

    cpus = tf.config.list_physical_devices("CPU")
    try:
        tf.config.set_logical_device_configuration(
            cpus[0], [tf.config.LogicalDeviceConfiguration() for _ in range(n)])
    except RuntimeError:  # already initialised: keep what is there
        pass
    return n


def configure_op_threads(threads: int | None) -> None:
    """Let each TensorFlow operation use at most ``threads`` threads (before TF initialises;
    None, or ``TF_NUM_INTRAOP_THREADS`` set by the user: TensorFlow's own choice).

    Independent operations still run side by side on the other cores. A recurrent layer's
    step is many small products, which lose more to being split across cores than they
    gain: on 2 cores one thread per operation trains a GRU or LSTM of 256 units about 1.3
    times as fast (docs/text.md), while a transformer's larger products need the split.
    """
    if threads is None or "TF_NUM_INTRAOP_THREADS" in os.environ:
        return
    import tensorflow as tf

    try:
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    except RuntimeError:  # already initialised in this process: keep what is there
        pass


def get_strategy(name: str, on_info: Callable[[str], None] = lambda message: None,
                 op_threads: int | None = None):
    """Return the ``tf.distribute.Strategy`` called ``name`` (validated by the config),
    with at most ``op_threads`` threads per operation (:func:`configure_op_threads`).

    A multi-worker strategy first passes :func:`~seqgen.cluster.bind_warning` to
    ``on_info``: TensorFlow's server listens on every interface (docs/scale-out.md).

    Raises:
        UsageError: multiworker without a usable ``TF_CONFIG``.
    """
    cluster = read_cluster() if name == "multiworker" else None
    if name == "multiworker" and cluster is None:
        raise UsageError("--strategy multiworker needs the TF_CONFIG environment variable "
                         "(see docs/scale-out.md)")
    if cluster is not None:
        on_info(bind_warning(cluster))
    configure_logical_cpus()
    configure_op_threads(op_threads)
    import tensorflow as tf

    if name == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU")]
        if not devices:
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()
