"""The jazz token model (an LSTM over grammar tokens): checkpoints and improvising.

The corpus it learns from is read in :mod:`seqgen.jazz.corpus`.

Training lives in :mod:`seqgen.jazz.train`; improvising runs the weights with
the NumPy engine and never imports TensorFlow.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np

from seqgen.checkpoints import check_shapes, load_checkpoint_files
from seqgen.engine.ops import log_softmax, sample_index
from seqgen.engine.stacked import LSTMLayer, TokenLSTM
from seqgen.errors import CheckpointError, DataError
from seqgen.jazz.corpus import SourceFile, TokenCorpus
from seqgen.jazz.grammar import encode_measure, parse_token
from seqgen.jazz.improvise import realise_measure
from seqgen.jazz.schema import weight_shapes
from seqgen.midi.notes import MEASURE, Chord, Note

KIND = "jazz-lstm"
CORPUS_FILE = "corpus.json"
CHORDS_FILE = "chords.json"
SHIPPED = Path(__file__).resolve().parent.parent / "assets" / "jazz"  # trained by train-jazz


def _load_corpus(run_dir: Path, meta: dict, files: dict[str, bytes]) -> TokenCorpus:
    try:
        measures = json.loads(files[CORPUS_FILE].decode("utf-8"))["measures"]
        chords = json.loads(files[CHORDS_FILE].decode("utf-8"))["progression"]
        progression = [[Chord.from_json(c) for c in cs] for cs in chords]
        for m in measures:
            for t in m:
                parse_token(t)
        sources = [SourceFile.from_json(s) for s in meta.get("sources") or []]
    except (ValueError, KeyError, TypeError):
        raise CheckpointError(f"checkpoint {run_dir}: corpus or chords are malformed") from None
    corpus = TokenCorpus(measures, progression, str(meta.get("source_sha256", "")),
                         sources=sources)
    if isinstance(meta["vocab"], list) and corpus.vocab != meta["vocab"] \
            and set(corpus.vocab) <= set(meta["vocab"]):  # a fine-tuned run's token order
        corpus = dataclasses.replace(corpus, order=list(meta["vocab"]))
    if corpus.vocab != meta["vocab"] or not progression or not all(
            c.pitches for cs in progression for c in cs) or (sources and (
            sum(s.measures for s in sources) != len(measures) or not corpus.spans("train"))):
        raise CheckpointError(f"checkpoint {run_dir}: vocabulary and corpus disagree")
    return corpus


def load_jazz(run_dir) -> tuple[dict, dict[str, np.ndarray], TokenCorpus]:
    """Load a jazz checkpoint: (meta, arrays, corpus), shapes validated.

    Raises:
        CheckpointError: missing, corrupt, wrong kind or malformed.
    """
    meta, arrays, files = load_checkpoint_files(run_dir, KIND, (CORPUS_FILE, CHORDS_FILE))
    corpus = _load_corpus(run_dir, meta, files)
    hidden, v = meta["config"].get("hidden"), len(meta["vocab"])
    if not isinstance(hidden, int) or hidden <= 0 or v == 0:
        raise CheckpointError(f"checkpoint {run_dir}: config.hidden or vocab is malformed")
    check_shapes(arrays, weight_shapes(v, hidden), str(run_dir))
    return meta, arrays, corpus


def stepper(arrays: dict[str, np.ndarray]) -> TokenLSTM:
    """The trained LSTM as the NumPy engine steps it, one token at a time."""
    return TokenLSTM(LSTMLayer(arrays["lstm_kernel"], arrays["lstm_recurrent"],
                               arrays["lstm_bias"]), arrays["dense_kernel"], arrays["dense_bias"])


def improvise(arrays: dict[str, np.ndarray], vocab: list[str], progression: list[list[Chord]],
              measures: int, temperature: float, rng: np.random.Generator,
              primed: list[int] = (), prev: int | None = None, first: int = 0
              ) -> tuple[list[Note], list[Chord], float, int]:
    """Measures ``first`` … ``measures - 1`` of a solo over the progression (repeated).

    Each measure starts the LSTM from a zero input and state (as in training) and draws
    tokens, fed back one-hot, until its 4 quarters are full. ``primed`` tokens (a primer's
    last measure) are run through the network before the first measure, which then
    continues from them; ``prev`` is the pitch before it. Returns the melody and chords
    (absolute offsets), and the drawn tokens' summed negative log-likelihood and count.
    """
    model = stepper(arrays)
    melody: list[Note] = []
    chords: list[Chord] = []
    carry = None
    drawn = [0.0, 0]  # summed nll, tokens
    for m in range(first, measures):
        bar_chords = progression[m % len(progression)]
        model.reset()
        last: list[int | None] = [None]
        if m == first and primed:
            model.next_logits(None)
            for t in primed[:-1]:
                model.next_logits(t)
            last[0] = primed[-1]

        def next_token(last=last) -> str:
            logits = model.next_logits(last[0])
            last[0] = sample_index(logits, temperature, rng)
            drawn[0] -= float(log_softmax(np.asarray(logits, dtype=np.float64))[last[0]])
            drawn[1] += 1
            return vocab[last[0]]

        notes, _, prev = realise_measure(next_token, bar_chords, carry, prev, rng)
        start = m * MEASURE
        melody += [dataclasses.replace(n, offset=start + n.offset) for n in notes]
        chords += [dataclasses.replace(c, offset=start + c.offset) for c in bar_chords]
        if bar_chords:
            carry = bar_chords[-1]
    return melody, chords, drawn[0], drawn[1]


def primer_tokens(path: str, vocab: list[str], progression: list[list[Chord]], measures: int):
    """(notes, chords, tokens of its last measure, last pitch, bars) of a primer file."""
    primer, chords, bars = primer_head(path, progression, measures)
    index = {t: i for i, t in enumerate(vocab)}
    end = bars * MEASURE
    sounding = [c for c in chords if c.offset < end]
    bar_notes = [dataclasses.replace(n, offset=n.offset - (bars - 1) * MEASURE)
                 for n in primer.measures[-1]]
    tokens = [index[t] for t in encode_measure(bar_notes, sounding) if t in index]
    notes = [n for n in primer.notes if not n.is_rest]
    return primer.notes, chords, tokens, (notes[-1].pitch if notes else None), bars


def primer_head(path: str, progression: list[list[Chord]], measures: int):
    """(the primer, the chords under it, its bars) of a primer file: its own harmony, or
    the model's progression when it has none.

    Raises:
        DataError: the primer is as long as the solo or longer. And as ``read_primer``.
    """
    from seqgen.midi.source import read_primer

    primer = read_primer(path)
    bars = len(primer.measures)
    if bars >= measures:
        raise DataError(f"primer {path} has {bars} measures; ask for more --measures than that")
    if primer.chords:
        return primer, list(primer.chords), bars
    chords = [dataclasses.replace(c, offset=m * MEASURE + c.offset)
              for m in range(bars) for c in progression[m % len(progression)]]
    return primer, chords, bars


CHANGES_FILES = (".mid", ".midi", ".mxl", ".musicxml", ".xml", ".abc")  # --chords as a file


def changes(chords: str | None, default: list[list[Chord]]) -> list[list[Chord]]:
    """The progression a solo follows: ``chords`` as a file (its harmony) when one exists
    by that name, else as a typed chart; ``default`` (the training source's) without it.

    Raises:
        UsageError: a chart that cannot be read (the symbol named). DataError / MusicError:
            a file that cannot be read or has no harmony.
    """
    from seqgen.midi.chart import parse_chart, read_changes

    if chords is None:
        return default
    path = Path(chords)
    if path.is_file():
        return read_changes(path)
    if path.suffix.lower() in CHANGES_FILES or "/" in chords:
        raise DataError(f"--chords: file not found: {chords}")
    return parse_chart(chords)
