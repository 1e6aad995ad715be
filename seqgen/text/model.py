"""The Shakespeare character model (embedding, two LSTM layers, softmax): loading, ``evaluate`` and
``generate-poem``.

Both run the exported weights with the NumPy engine and never import TensorFlow.
Training lives in :mod:`seqgen.text.train`.

A run directory holds the checkpoint of the best validation loss (weights only: what
``evaluate`` and ``generate-poem`` read) and, in ``last/``, the newest training state
(weights, Adam slots, history) that ``--resume`` continues from.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.checkpoints import check_shapes, load_checkpoint
from seqgen.engine.stacked import CharLSTMStack, LSTMLayer, sample_index
from seqgen.errors import CheckpointError, DataError, UsageError
from seqgen.signals import pause_point
from seqgen.text.config import PoemSampling
from seqgen.text.corpus import load_corpus
from seqgen.text.heldout import heldout_nll
from seqgen.text.schema import weight_shapes
from seqgen.textio import read_text
from seqgen.vocab import Vocab

KIND = "shakespeare-lstm"
LAST_DIR = "last"
SHIPPED = Path(__file__).resolve().parent.parent / "assets" / "shakespeare"
STREAM_CHARS = 4096  # held-out characters per stream at least: the sonnets' tail is ~2 streams


# ---------------------------------------------------------------- loading and scoring

def stack_from_arrays(arrays: dict[str, np.ndarray], dtype=np.float64) -> CharLSTMStack:
    """The NumPy inference stack of exported Keras weights."""
    layers = [LSTMLayer(arrays[f"lstm{k}_kernel"], arrays[f"lstm{k}_recurrent"],
                        arrays[f"lstm{k}_bias"]) for k in (1, 2)]
    return CharLSTMStack.from_embedding(arrays["embedding"], layers, arrays["dense_kernel"],
                                        arrays["dense_bias"], dtype=dtype)


def load_model(run_dir) -> tuple[dict, dict[str, np.ndarray], Vocab]:
    """Load a Shakespeare checkpoint: (meta, arrays, vocab), shapes validated.

    Raises:
        CheckpointError: missing, corrupt, wrong kind or malformed.
    """
    meta, arrays = load_checkpoint(run_dir, KIND)
    vocab = Vocab.from_list(meta["vocab"], where=f"checkpoint {run_dir}")
    embed, units = meta["config"].get("embed"), meta["config"].get("units")
    if not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in (embed, units)):
        raise CheckpointError(f"checkpoint {run_dir}: config.embed or config.units is malformed")
    check_shapes(arrays, weight_shapes(len(vocab), embed, units), str(run_dir))
    return meta, arrays, vocab


def streams_for(n_scored: int) -> int:
    """How many contiguous streams score ``n_scored`` held-out characters (1 to 128).

    More streams make one NumPy step do more work (fast); each stream costs a warm-up and
    approximates the context before it, so short tails keep one or two.
    """
    return max(1, min(128, n_scored // STREAM_CHARS))


def default_checkpoint() -> Path:
    """The model shipped inside the package."""
    return SHIPPED


@dataclass(frozen=True)
class EvalResult:
    """The held-out loss of a model on a text."""

    val_loss: float  # nats per character
    characters: int  # held-out characters scored

    @property
    def bits_per_char(self) -> float:
        return self.val_loss / math.log(2)

    @property
    def perplexity(self) -> float:
        return math.exp(self.val_loss)


def evaluate(checkpoint=None, data=None, max_chars: int | None = None) -> EvalResult:
    """Recompute the held-out loss of a checkpoint (default: the shipped model).

    The text (default: the one the model was trained on) is split as in training; its
    held-out tail (or the first ``max_chars`` of it) is scored in bounded memory.

    Raises:
        CheckpointError, DataError: unusable checkpoint or text, or a text with characters
            the model does not know.
    """
    checkpoint = default_checkpoint() if checkpoint is None else Path(checkpoint)
    meta, arrays, vocab = load_model(checkpoint)
    cfg = meta["config"]
    path = data if data is not None else cfg.get("data", "data/shakespeare.txt")
    corpus = load_corpus(path, float(cfg.get("val_fraction", 0.1))).with_vocab(vocab, str(path))
    n_val = len(corpus.ids) - corpus.n_train
    scored = n_val if max_chars is None else min(max_chars, n_val)
    nll = heldout_nll(stack_from_arrays(arrays, np.float32), corpus.ids, corpus.n_train,
                      int(cfg.get("warmup", 100)), scored, streams_for(scored))
    return EvalResult(nll, scored)


@dataclass(frozen=True)
class Poem:
    """A continuation of the prompt, and the prompt characters the model does not know."""

    text: str
    skipped: tuple[str, ...]


@dataclass(frozen=True)
class PoemStreams:
    """``options.samples`` continuations of one prompt, each an iterator of characters.

    Nothing is sampled until a stream is read, so a caller can show each character as
    it comes. Stream ``i`` draws from :func:`sample_seed` ``(seed, i)``.
    """

    prompt: str
    skipped: tuple[str, ...]
    streams: tuple[Iterator[str], ...]


def sample_seed(seed: int | None, i: int):
    """The seed of continuation ``i``: ``seed`` itself for the first (so one sample is what
    ``generate-poem`` has always written), an independent child of it for the others."""
    return seed if i == 0 else np.random.SeedSequence(seed, spawn_key=(i,))


def read_prompt(prompt: str | None, prompt_file=None, stdin=None) -> str:
    """The prompt text: ``prompt`` itself, standard input when it is ``-``, or the file.

    Trailing newlines of a file or of standard input are dropped, as the shell's
    ``"$(cat FILE)"`` drops them.

    Raises:
        UsageError: neither or both of ``prompt`` and ``prompt_file``.
        DataError: an unreadable file, or standard input that is not UTF-8 text.
    """
    if (prompt is None) == (prompt_file is None):
        raise UsageError("give the prompt as PROMPT, as - (standard input) or with "
                         "--prompt-file FILE" + (", not both" if prompt is not None else ""))
    if prompt_file is not None:
        return read_text(prompt_file, "--prompt-file").rstrip("\n")
    if prompt != "-":
        return prompt
    raw = stdin.buffer.read() if hasattr(stdin, "buffer") else stdin.read().encode("utf-8")
    try:
        return raw.decode("utf-8").rstrip("\n")
    except UnicodeDecodeError as exc:
        raise DataError(f"standard input is not valid UTF-8 text (byte {exc.start})") from None


def generate_poems(prompt: str, options: PoemSampling = PoemSampling(),
                   seed: int | None = None, checkpoint=None) -> PoemStreams:
    """Continue ``prompt`` ``options.samples`` times, up to ``options.length`` characters each.

    The prompt (lower-cased, read as the start of a line) runs through the network once;
    each new character then costs one step of the stateful NumPy stack and one draw of
    ``sample_index`` with the options' temperature, top-k and top-p. With
    ``options.lines``, a continuation stops before its ``lines``-th newline.

    Raises:
        CheckpointError: unusable checkpoint.
    """
    checkpoint = default_checkpoint() if checkpoint is None else Path(checkpoint)
    _, arrays, vocab = load_model(checkpoint)
    stack = stack_from_arrays(arrays)
    text = prompt.lower()
    skipped = tuple(sorted(vocab.unknown(text)))
    known = [vocab.index[c] for c in text if c in vocab.index]
    if "\n" in vocab.index:
        known = [vocab.index["\n"], *known]
    state = stack.zero_state()
    if known:
        logits, state = stack.logits_sequence(np.array(known), state)  # one pass
        logits = logits[-1]
    else:  # no newline and an empty prompt: only the biases speak
        logits = stack.dense_b + stack.zero_state()[-1][0] @ stack.dense_w

    batch = _PoemBatch(stack, vocab.chars, logits, state, options, seed)
    streams = tuple(batch.stream(i) for i in range(options.samples))
    return PoemStreams(prompt, skipped, streams)


class _PoemBatch:
    """Every continuation of one prompt, advanced together: one matrix step per character.

    Stream ``i`` draws from its own generator seeded with :func:`sample_seed` ``(seed, i)``,
    one ``sample_index`` call per character, exactly as a continuation made on its own, so
    ``-n 1`` and the first of ``-n 8`` are the same text. Reading one stream advances them
    all; the characters of the others wait in their queues (``samples × length`` at most).
    """

    def __init__(self, stack: CharLSTMStack, chars: str, logits: np.ndarray, state,
                 options: PoemSampling, seed: int | None):
        n = options.samples
        self.stack, self.chars, self.options = stack, chars, options
        self.rngs = [np.random.default_rng(sample_seed(seed, i)) for i in range(n)]
        self.logits = np.repeat(logits[None, :], n, axis=0)  # (n, V)
        self.state = [(np.repeat(h[None, :], n, axis=0), np.repeat(c[None, :], n, axis=0))
                      for h, c in state]  # per layer, (n, u) each
        self.queues: list[deque[str]] = [deque() for _ in range(n)]
        self.live = [True] * n  # still drawing characters
        self.newlines = [0] * n
        self.drawn = 0  # characters drawn for each live stream so far

    def advance(self) -> None:
        """Draw one character for every live stream, then step the network for all."""
        o = self.options
        tokens = np.zeros(len(self.live), dtype=np.intp)
        for i, rng in enumerate(self.rngs):
            if not self.live[i]:
                continue
            k = sample_index(self.logits[i], o.temperature, rng, o.top_k, o.top_p)
            ch = self.chars[k]
            if ch == "\n" and o.lines is not None:
                self.newlines[i] += 1
                if self.newlines[i] >= o.lines:  # the line limit: stop before that newline
                    self.live[i] = False
                    continue
            self.queues[i].append(ch)
            tokens[i] = k
        self.drawn += 1
        if self.drawn >= o.length:
            self.live = [False] * len(self.live)
        if any(self.live):  # the next character's distribution: one batched step
            self.logits, self.state = self.stack.step(tokens, self.state)

    def stream(self, i: int) -> Iterator[str]:
        queue = self.queues[i]
        while queue or self.live[i]:
            if not queue:
                self.advance()
                continue
            yield queue.popleft()
            pause_point("generate")


def generate_poem(prompt: str, options: PoemSampling = PoemSampling(),
                  seed: int | None = None, checkpoint=None) -> Poem:
    """The first continuation of :func:`generate_poems`, whole.

    Raises:
        CheckpointError: unusable checkpoint.
    """
    poems = generate_poems(prompt, options, seed, checkpoint)
    return Poem("".join(poems.streams[0]), poems.skipped)
