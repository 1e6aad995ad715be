"""Text models (LSTM, GRU or GPT over characters): loading, ``evaluate``, ``generate-text``
and ``generate-poem``.

All of them run the exported weights with the NumPy nets and never import TensorFlow.
Training lives in :mod:`seqgen.text.train`.

A run directory holds the checkpoint of the best validation loss (weights only: what
``evaluate`` and the generators read) and, in ``last/``, the newest training state
(weights, optimiser slots, history) that ``--resume`` continues from.
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
from seqgen.text.config import TextSampling
from seqgen.text.corpus import load_corpus, training_vocabulary
from seqgen.text.heldout import part_nll
from seqgen.text.nets import net_from_arrays, recurrent_layers
from seqgen.text.schema import ARCHS, SHAKESPEARE_SHAPE, Shape, weight_shapes
from seqgen.textio import read_text
from seqgen.vocab import Vocab

TEXT_KIND = "text-model"  # what train-text (and its preset, train-shakespeare) writes
KIND = "shakespeare-lstm"  # what train-shakespeare wrote before: the shipped model, old runs
KINDS = (TEXT_KIND, KIND)
LAST_DIR = "last"
SHIPPED = Path(__file__).resolve().parent.parent / "assets" / "shakespeare"
STREAM_CHARS = 4096  # held-out characters per stream at least: the sonnets' tail is ~2 streams
PARTS = ("test", "validation")


# ---------------------------------------------------------------- loading and scoring

def shape_of(cfg) -> Shape:
    """The model shape a config (a dataclass or a checkpoint's dict) describes.

    Checkpoints written before the shape was recorded are the course preset's.
    """
    get = cfg.get if isinstance(cfg, dict) else (lambda k, d=None: getattr(cfg, k, d))
    d = SHAKESPEARE_SHAPE
    arch = get("arch") or d.arch
    units = get("units") or d.units
    context = get("context") or get("seq_length") or d.context
    return Shape(arch, get("layers") or d.layers, units,
                 units if arch == "gpt" else (get("embed") or d.embed), context,
                 get("heads") or 1)


def load_model(run_dir) -> tuple[dict, dict[str, np.ndarray], Vocab]:
    """Load a text checkpoint: (meta, arrays, vocab), shapes validated.

    Raises:
        CheckpointError: missing, corrupt, wrong kind or malformed.
    """
    meta, arrays = load_checkpoint(run_dir, KINDS)
    vocab = Vocab.from_list(meta["vocab"], where=f"checkpoint {run_dir}")
    cfg = meta["config"]
    sizes = [cfg.get(k) for k in ("units", "layers", "embed", "context", "heads")]
    if not all(x is None or (isinstance(x, int) and not isinstance(x, bool) and x > 0)
               for x in sizes) or (cfg.get("arch") or "lstm") not in ARCHS:
        raise CheckpointError(f"checkpoint {run_dir}: its model shape is malformed")
    check_shapes(arrays, weight_shapes(shape_of(cfg), len(vocab)), str(run_dir))
    return meta, arrays, vocab


def lowercased(meta: dict) -> bool:
    """Whether the model was trained on lower-cased text (every checkpoint before the choice
    was recorded was)."""
    return bool(meta["config"].get("lowercase", True))


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
    """The loss of a model on a part of a text: ``part`` says which."""

    loss: float  # nats per character
    characters: int  # characters scored
    part: str = "validation"  # test, validation or all (another text, scored whole)
    note: str = ""  # why the part is not the one asked for, if it is not
    unknown: int = 0  # scored characters the training part never showed
    stand_in: str | None = None  # the character whose probability they share

    @property
    def bits_per_char(self) -> float:
        return self.loss / math.log(2)

    @property
    def perplexity(self) -> float:
        return math.exp(self.loss)


def evaluate(checkpoint=None, data=None, max_chars: int | None = None,
             part: str = "test") -> EvalResult:
    """The loss of a checkpoint (default: the shipped model) on a part of a text.

    On the text the model was trained on (the default), ``part`` is the ``test`` end of
    the held-out tail (never used for a decision while training) or its ``validation``
    start; a checkpoint trained before the tail was split has no test part, and its
    whole tail is scored and named validation. Any other text is scored whole. At most
    ``max_chars`` characters are scored, in bounded memory.

    Raises:
        CheckpointError, DataError: unusable checkpoint or text, or a text with characters
            the model does not know. UsageError: an unknown part.
    """
    if part not in PARTS:
        raise UsageError(f"--part must be test or validation, got {part!r}")
    checkpoint = default_checkpoint() if checkpoint is None else Path(checkpoint)
    meta, arrays, vocab = load_model(checkpoint)
    cfg = meta["config"]
    path = data if data is not None else cfg.get("data", "data/shakespeare.txt")
    share = float(cfg.get("test_share", 0.0))
    corpus = load_corpus(path, float(cfg.get("val_fraction", 0.1)), lowercase=lowercased(meta),
                         test_share=share, training_only=False)
    own = corpus.digest == meta.get("data_sha256")
    if own:  # held-out characters the training part never showed are the model's unknown
        corpus = training_vocabulary(corpus, np.array([c in vocab.index
                                                       for c in corpus.vocab.chars]))
    corpus = corpus.with_vocab(vocab, str(path))
    note = ""
    if not own:  # not the training text: all of it
        first, end, part = 1, len(corpus.ids), "all"
    elif share == 0:
        first, end = corpus.part("validation")
        note = "this checkpoint's held-out tail has no test part (test_share 0, or trained " \
               "before the tail was split); its whole tail is scored" if part == "test" else ""
        part = "validation"
    else:
        first, end = corpus.part(part)
    scored = end - first if max_chars is None else min(max_chars, end - first)
    net = net_from_arrays(shape_of(cfg), arrays, np.float32)
    nll = part_nll(net, corpus.ids, first, end, int(cfg.get("warmup", 100)), scored,
                   streams_for(scored), halved=corpus.halved(first, first + scored))
    return EvalResult(nll, scored, part, note, corpus.unknown_in(first, first + scored),
                      corpus.stand_in)


def stack_from_arrays(arrays: dict[str, np.ndarray], dtype=np.float64) -> CharLSTMStack:
    """The NumPy LSTM stack of an LSTM model's exported weights."""
    layers = recurrent_layers(LSTMLayer, arrays, "lstm",
                              sum(n.endswith("_recurrent") for n in arrays))
    return CharLSTMStack.from_embedding(arrays["embedding"], layers, arrays["dense_kernel"],
                                        arrays["dense_bias"], dtype=dtype)


@dataclass(frozen=True)
class Continuation:
    """A continuation of the prompt, and the prompt characters the model does not know."""

    text: str
    skipped: tuple[str, ...]


@dataclass(frozen=True)
class Continuations:
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


def generate_texts(prompt: str, options: TextSampling = TextSampling(),
                   seed: int | None = None, checkpoint=None) -> Continuations:
    """Continue ``prompt`` ``options.samples`` times, up to ``options.length`` characters each.

    The prompt (lower-cased when the model was trained so, read as the start of a line)
    runs through the network once; each new character then costs one step of the NumPy
    net (for a GPT one row through its key/value cache) and one draw of ``sample_index``
    with the options' temperature, top-k and top-p. With ``options.lines``, a
    continuation stops before its ``lines``-th newline.

    Raises:
        CheckpointError: unusable checkpoint.
    """
    checkpoint = default_checkpoint() if checkpoint is None else Path(checkpoint)
    meta, arrays, vocab = load_model(checkpoint)
    net = net_from_arrays(shape_of(meta["config"]), arrays)
    text = prompt.lower() if lowercased(meta) else prompt
    skipped = tuple(sorted(vocab.unknown(text)))
    known = [vocab.index[c] for c in text if c in vocab.index]
    if "\n" in vocab.index:
        known = [vocab.index["\n"], *known]
    logits, state = net.prime(np.array(known, dtype=np.intp))  # one pass

    batch = _SampleBatch(net, vocab.chars, logits, state, options, seed)
    streams = tuple(batch.stream(i) for i in range(options.samples))
    return Continuations(prompt, skipped, streams)


class _SampleBatch:
    """Every continuation of one prompt, advanced together: one matrix step per character.

    Stream ``i`` draws from its own generator seeded with :func:`sample_seed` ``(seed, i)``,
    one ``sample_index`` call per character, exactly as a continuation made on its own, so
    ``-n 1`` and the first of ``-n 8`` are the same text. Reading one stream advances them
    all; the characters of the others wait in their queues (``samples × length`` at most).
    """

    def __init__(self, net, chars: str, logits: np.ndarray, state,
                 options: TextSampling, seed: int | None):
        n = options.samples
        self.net, self.chars, self.options = net, chars, options
        self.rngs = [np.random.default_rng(sample_seed(seed, i)) for i in range(n)]
        self.logits = np.repeat(logits[None, :], n, axis=0)  # (n, V)
        self.state = net.repeat(state, n)  # every stream starts from the prompt's state
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
            self.logits, self.state = self.net.step(tokens, self.state)

    def stream(self, i: int) -> Iterator[str]:
        queue = self.queues[i]
        while queue or self.live[i]:
            if not queue:
                self.advance()
                continue
            yield queue.popleft()
            pause_point("generate")


def generate_text(prompt: str, options: TextSampling = TextSampling(),
                  seed: int | None = None, checkpoint=None) -> Continuation:
    """The first continuation of :func:`generate_texts`, whole.

    Raises:
        CheckpointError: unusable checkpoint.
    """
    texts = generate_texts(prompt, options, seed, checkpoint)
    return Continuation("".join(texts.streams[0]), texts.skipped)
