"""The Shakespeare character model (SPEC §3): loading, ``evaluate`` and ``generate-poem``.

Both run the exported weights with the NumPy engine and never import TensorFlow.
Training lives in :mod:`seqgen.pipelines.train_shakespeare`.

A run directory holds the checkpoint of the best validation loss (weights only: what
``evaluate`` and ``generate-poem`` read) and, in ``last/``, the newest training state
(weights, Adam slots, history) that ``--resume`` continues from.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.checkpoints import check_shapes, load_checkpoint
from seqgen.config import PoemSampling
from seqgen.engine.stacked import CharLSTMStack, LSTMLayer, sample_index
from seqgen.errors import CheckpointError, DataError, UsageError
from seqgen.pipelines.heldout import heldout_nll
from seqgen.signals import pause_point
from seqgen.text.corpus import load_corpus
from seqgen.text.vocab import Vocab
from seqgen.textio import read_text

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


def _shapes(v: int, embed: int, units: int) -> dict[str, tuple]:
    u4 = 4 * units
    return {"embedding": (v, embed), "lstm1_kernel": (embed, u4), "lstm1_recurrent": (units, u4),
            "lstm1_bias": (u4,), "lstm2_kernel": (units, u4), "lstm2_recurrent": (units, u4),
            "lstm2_bias": (u4,), "dense_kernel": (units, v), "dense_bias": (v,)}


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
    check_shapes(arrays, _shapes(len(vocab), embed, units), str(run_dir))
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

    def stream(rng) -> Iterator[str]:  # the state is never changed in place: shared safely
        logits_now, state_now = logits, state
        newlines = 0
        for n in range(options.length):
            k = sample_index(logits_now, options.temperature, rng, options.top_k, options.top_p)
            ch = vocab.chars[k]
            if ch == "\n" and options.lines is not None:
                newlines += 1
                if newlines >= options.lines:
                    return
            yield ch
            pause_point("generate")
            if n + 1 < options.length:  # the next character's distribution: one step
                logits_now, state_now = stack.step(k, state_now)

    streams = tuple(stream(np.random.default_rng(sample_seed(seed, i)))
                    for i in range(options.samples))
    return PoemStreams(prompt, skipped, streams)


def generate_poem(prompt: str, options: PoemSampling = PoemSampling(),
                  seed: int | None = None, checkpoint=None) -> Poem:
    """The first continuation of :func:`generate_poems`, whole.

    Raises:
        CheckpointError: unusable checkpoint.
    """
    poems = generate_poems(prompt, options, seed, checkpoint)
    return Poem("".join(poems.streams[0]), poems.skipped)
