"""A training loop that runs unchanged under every tf.distribute strategy.

Keras 3's ``model.fit`` fails under ``MultiWorkerMirroredStrategy`` (it hands
PerReplica values to ops that expect tensors; keras-team/keras#20585), so the
Keras commands train with this loop instead: the model and optimiser are built
inside ``strategy.scope()``, each step runs ``strategy.run`` on a shard of the
global batch, and the per-replica losses are summed with ``strategy.reduce``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import seqgen.keras_loop  # noqa: F401  (quiet TensorFlow before importing it)
from seqgen.errors import WorkerLost

# What TensorFlow raises in a collective (or the coordination service) when a peer is gone;
# the peer names itself in the message as /job:worker/replica:0/task:1.
_LOST_ERRORS = ("UnavailableError", "AbortedError", "DeadlineExceededError", "CancelledError",
                "InternalError", "UnknownError", "FailedPreconditionError")
_LOST_WORDS = ("collective", "coordination", "heartbeat", "connection", "peer", "socket",
               "unavailable", "deadline", "aborted", "cancelled", "barrier", "recvbuf")
_TASK = re.compile(r"/job:(\w+)/replica:\d+/task:(\d+)")
_REASON = re.compile(r"(connection reset by peer|connection refused|socket closed|"
                     r"heartbeat timeout|deadline exceeded|failed to connect)", re.IGNORECASE)


def lost_worker(exc: BaseException, own_task: str | None = None) -> WorkerLost | None:
    """The :class:`WorkerLost` that a TensorFlow error from a collective means, if any.

    Args:
        own_task: this process's ``"worker 1"``; a message naming only it names nobody.
    """
    if type(exc).__name__ not in _LOST_ERRORS or not hasattr(exc, "error_code"):
        return None
    text = str(getattr(exc, "message", exc))
    low = text.lower()
    if not any(word in low for word in _LOST_WORDS):
        return None
    tasks = [f"{job} {index}" for job, index in _TASK.findall(text)]
    others = [t for t in dict.fromkeys(tasks) if t != own_task]
    reason = _REASON.search(text)
    detail = reason.group(1).lower() if reason else type(exc).__name__
    return WorkerLost(others[0] if others else None, detail)


@contextmanager
def peers_watched(strategy) -> Iterator[None]:
    """Turn a collective's failure after a peer vanished into :class:`WorkerLost`."""
    try:
        yield
    except Exception as exc:
        resolver = getattr(strategy, "cluster_resolver", None)
        if resolver is not None and resolver.task_type is not None:  # multi-worker only
            lost = lost_worker(exc, f"{resolver.task_type} {resolver.task_id}")
            if lost is not None:
                raise lost from None
        raise


class DistributedTrainer:
    """Owns a model and its optimiser on a strategy and runs training/evaluation steps.

    Args:
        strategy: a ``tf.distribute.Strategy``.
        build_model: returns an uncompiled, built ``keras.Model`` (called inside the scope).
        make_optimizer: returns a Keras optimiser (called inside the scope).
        example_loss: ``(model, inputs, targets, training) -> (batch,)`` per-example losses.
        global_batch: the batch size summed over all replicas.
        jit_compile: compile the training step with XLA (one replica only).
    """

    def __init__(self, strategy, build_model: Callable, make_optimizer: Callable,
                 example_loss: Callable, global_batch: int, jit_compile: bool = False):
        import tensorflow as tf

        self.tf = tf
        self.strategy = strategy
        self.global_batch = global_batch
        self.example_loss = example_loss
        with strategy.scope():
            self.model = build_model()
            self.optimizer = make_optimizer()
            self.optimizer.build(self.model.trainable_variables)
        self._train = tf.function(
            self._train_step, autograph=False,
            jit_compile=jit_compile and strategy.num_replicas_in_sync == 1)

    @property
    def replicas(self) -> int:
        return self.strategy.num_replicas_in_sync

    def distribute(self, dataset):
        """Shard a dataset batched with the *global* batch size across replicas and workers."""
        tf = self.tf
        options = tf.data.Options()
        options.experimental_distribute.auto_shard_policy = \
            tf.data.experimental.AutoShardPolicy.DATA
        return self.strategy.experimental_distribute_dataset(dataset.with_options(options))

    def _replica_loss(self, inputs, targets, training):
        per_example = self.example_loss(self.model, inputs, targets, training)
        # sum over this replica's examples / global batch: the all-reduce then gives the mean
        return self.tf.reduce_sum(per_example) / self.global_batch

    def _train_step(self, inputs, targets):
        tf = self.tf

        def step(x, y):
            with tf.GradientTape() as tape:
                loss = self._replica_loss(x, y, True)
            variables = self.model.trainable_variables
            grads = tape.gradient(loss, variables)
            self.optimizer.apply_gradients(zip(grads, variables))
            return loss

        per_replica = self.strategy.run(step, args=(inputs, targets))
        return self.strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

    def train_step(self, batch) -> float:
        """One optimiser step on a distributed batch ``(inputs, targets)``; the mean loss.

        Raises:
            WorkerLost: another worker of a multi-worker run is gone.
        """
        with peers_watched(self.strategy):
            return float(self._train(*batch))

    def weights(self) -> list:
        """Model weights as NumPy arrays (readable on every worker, no collectives)."""
        return [v.numpy() for v in self.model.weights]

    def optimizer_state(self) -> list:
        return [v.numpy() for v in self.optimizer.variables]

    def set_state(self, weights: list, optimizer_state: list | None = None) -> None:
        """Restore model weights (and optimiser slots/iterations) from NumPy arrays."""
        for var, value in zip(self.model.weights, weights, strict=True):
            var.assign(value)
        if optimizer_state is not None:
            for var, value in zip(self.optimizer.variables, optimizer_state, strict=True):
                var.assign(value)


class NamedWeightsTrainer:
    """Base for a command's trainer: its ``DistributedTrainer`` with weights by name.

    Subclasses set ``WEIGHT_NAMES`` (the model's weights in order) and ``self.trainer``.
    """

    WEIGHT_NAMES: tuple[str, ...] = ()
    trainer: DistributedTrainer

    @property
    def replicas(self) -> int:
        return self.trainer.replicas

    def weights(self) -> dict:
        """The model's arrays by name (Keras layout; LSTM gates i, f, c, o)."""
        return dict(zip(self.WEIGHT_NAMES, self.trainer.weights(), strict=True))

    def optimizer_state(self) -> list:
        return self.trainer.optimizer_state()

    def set_state(self, weights: dict, optimizer_state: list | None) -> None:
        self.trainer.set_state([weights[k] for k in self.WEIGHT_NAMES], optimizer_state)

    def any_worker(self, stop: bool) -> bool:
        """Whether any replica of any worker says ``stop`` (an all-reduce of one number).

        Under multi-worker training every worker must leave the loop at the same step, or
        the others would wait forever in the next step's all-reduce; a time budget or a
        stop request seen by one worker is therefore agreed on by all.
        """
        tf = self.trainer.tf
        if not hasattr(self, "_any"):
            strategy = self.trainer.strategy

            @tf.function(autograph=False)
            def _any(x):
                # each replica contributes its worker's flag; the reduce sums over all
                per_replica = strategy.run(lambda v: tf.identity(v), args=(x,))
                return strategy.reduce(tf.distribute.ReduceOp.SUM, per_replica, axis=None)

            self._any = _any
        with peers_watched(self.trainer.strategy):
            return bool(float(self._any(tf.constant(1.0 if stop else 0.0))) > 0.5)
