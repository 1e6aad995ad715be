"""tf.distribute strategies for the Keras commands (``--strategy``)."""

from __future__ import annotations

import json
import os

from seqgen.errors import UsageError

STRATEGIES = ("default", "mirrored", "multiworker")


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


def get_strategy(name: str):
    """Return the ``tf.distribute.Strategy`` called ``name``.

    Raises:
        UsageError: unknown name, or multiworker without a usable ``TF_CONFIG``.
    """
    if name not in STRATEGIES:
        raise UsageError(f"--strategy must be one of {', '.join(STRATEGIES)}, got {name!r}")
    if name == "multiworker":
        raw = os.environ.get("TF_CONFIG")
        if not raw:
            raise UsageError("--strategy multiworker needs the TF_CONFIG environment variable "
                             "(see README: multi-worker training)")
        try:
            tf_config = json.loads(raw)
            tf_config["cluster"]["worker"]
            tf_config["task"]["index"]
        except (ValueError, KeyError, TypeError):
            raise UsageError("TF_CONFIG is not valid: it needs cluster.worker and task.index"
                             ) from None
    configure_logical_cpus()
    import tensorflow as tf

    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        devices = [d.name for d in tf.config.list_logical_devices("GPU")]
        if not devices:
            devices = [d.name for d in tf.config.list_logical_devices("CPU")]
        return tf.distribute.MirroredStrategy(devices=devices)
    return tf.distribute.MultiWorkerMirroredStrategy()
