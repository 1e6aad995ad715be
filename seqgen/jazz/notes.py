"""The note model: its corpus in the checkpoint, its training windows, scoring and solos.

The network (``keras_model.NoteTrainer`` to train, ``notenet.NoteNet`` to run) reads a
melody as events over its chords (``seqgen.jazz.events``) and picks every pitch itself:
nothing in the decoder forces a chord or scale tone, so the share of chord tones in its
solos is what it learnt.

A checkpoint (kind ``jazz-notes``) holds the weights of the last epoch with Adam's state
(for ``--resume``), the weights of the epoch with the best validation loss (``best_*``,
the ones that score and improvise), every usable file's tune with its role, and the
changes a solo follows by default (the first training file's).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.checkpoints import check_shapes, load_checkpoint_files
from seqgen.errors import CheckpointError, DataError, UsageError
from seqgen.jazz.baselines import fit_baselines
from seqgen.jazz.corpus import SourceFile, TokenCorpus, no_files_in
from seqgen.jazz.events import (
    BAR_STEPS,
    INPUT_WIDTH,
    PITCHES,
    STEP,
    Harmony,
    Tune,
    encode_tune,
    melody_events,
)
from seqgen.jazz.notenet import (
    STEP_REACH,
    NoteNet,
    fit_step_offsets,
    improvise_events,
    score_tunes,
)
from seqgen.jazz.schema import (
    BEST,
    NOTE_WEIGHT_NAMES,
    best_weights,
    note_weight_shapes,
    with_skip_paths,
)
from seqgen.midi.notes import MEASURE, Chord, Note

KIND = "jazz-notes"
STEP_OFFSETS = "step_offsets"  # meta.json: the sampler's offsets by step (absent: none)
TUNES_FILE = "tunes.json"
CHORDS_FILE = "chords.json"


@dataclass
class NoteCorpus:
    """Every usable file's tune (in the order of the non-skipped ``sources``) and the
    changes a solo follows by default."""

    tunes: list[Tune]
    sources: list[SourceFile]
    changes: list[list[Chord]]
    source_sha256: str
    bpm: float | None = None

    @classmethod
    def of(cls, corpus: TokenCorpus) -> NoteCorpus:
        return cls(list(corpus.tunes), list(corpus.sources), corpus.changes,
                   corpus.source_sha256, corpus.bpm)

    def part(self, role: str) -> list[Tune]:
        """The tunes of the files used for ``role`` (train, validation or test)."""
        used = [s for s in self.sources if s.role != "skipped"]
        return [t for s, t in zip(used, self.tunes, strict=True) if s.role == role]

    def files(self, role: str) -> tuple[str, ...]:
        return tuple(s.path for s in self.sources if s.role == role)

    def checkpoint_files(self) -> dict[str, bytes]:
        return {TUNES_FILE: json.dumps({"tunes": [t.to_json() for t in self.tunes]},
                                       separators=(",", ":")).encode("utf-8"),
                CHORDS_FILE: json.dumps({"progression": [[c.to_json() for c in cs]
                                                         for cs in self.changes]}
                                        ).encode("utf-8")}


def windows(tunes: list[Tune], length: int) -> tuple[np.ndarray, tuple[np.ndarray, np.ndarray]]:
    """Every tune cut into consecutive windows of ``length`` events, the last one padded:
    inputs ``X (n, length, INPUT_WIDTH)`` (float16: half of float32's memory) and targets
    ``(P, D) (n, length)``, -1 on padding."""
    xs, ps, ds = [], [], []
    for tune in tunes:
        X, P, D = encode_tune(tune)
        for a in range(0, len(P), length):
            m = len(P[a:a + length])
            x = np.zeros((length, INPUT_WIDTH), dtype=np.float16)
            p = np.full(length, -1, dtype=np.int32)
            d = np.full(length, -1, dtype=np.int32)
            x[:m], p[:m], d[:m] = X[a:a + length], P[a:a + length], D[a:a + length]
            xs.append(x)
            ps.append(p)
            ds.append(d)
    if not xs:
        raise DataError("no melody events to train on: the training files hold no notes "
                        "over their chords")
    return np.stack(xs), (np.stack(ps), np.stack(ds))


class NoteTraining:
    """What ``train-jazz`` needs of the note model: windows, trainer, validation, files."""

    kind = KIND
    unit = "event"

    def __init__(self, cfg, corpus: NoteCorpus, on_info):
        self.cfg, self.corpus = cfg, corpus
        train, val = corpus.part("train"), corpus.part("validation")
        self.X, self.Y = windows(train, cfg.window_length)
        self.validation = val
        events = sum(len(t.events) for t in train)
        test = corpus.part("test")
        on_info(f"corpus: {events} melody events in {len(train)} files for training, "
                f"{sum(len(t.events) for t in val)} in {len(val)} for validation, "
                f"{sum(len(t.events) for t in test)} in {len(test)} for test")

    def trainer(self, strategy):
        from seqgen.jazz.keras_model import NoteTrainer

        c = self.cfg
        return NoteTrainer(strategy, c.hidden, c.window_length, c.lr, c.batch_size, c.seed,
                           input_dropout=c.input_dropout)

    def val_loss(self, weights: dict[str, np.ndarray]) -> float | None:
        """Nats per event on the validation files (None without any)."""
        if not self.validation:
            return None
        total, count = score_tunes(NoteNet(weights), self.validation, self.cfg.window_length)
        return total / count

    def files(self) -> dict[str, bytes]:
        return self.corpus.checkpoint_files()

    def meta(self) -> dict:
        return {}


def load_notes(run_dir) -> tuple[dict, dict[str, np.ndarray], NoteCorpus]:
    """Load a note-model checkpoint: (meta, arrays, corpus), shapes validated.

    Raises:
        CheckpointError: missing, corrupt, wrong kind or malformed.
    """
    meta, arrays, files = load_checkpoint_files(run_dir, KIND, (TUNES_FILE, CHORDS_FILE))
    try:
        tunes = [Tune.from_json(t) for t in json.loads(files[TUNES_FILE])["tunes"]]
        changes = [[Chord.from_json(c) for c in cs]
                   for cs in json.loads(files[CHORDS_FILE])["progression"]]
        sources = [SourceFile.from_json(s) for s in meta.get("sources") or []]
        hidden = int(meta["config"]["hidden"])
        offsets = meta.get(STEP_OFFSETS)
        if offsets is not None and np.asarray(offsets, dtype=np.float64).shape != (
                2 * STEP_REACH + 1,):
            raise ValueError(STEP_OFFSETS)
    except (ValueError, KeyError, TypeError):
        raise CheckpointError(f"checkpoint {run_dir}: tunes, chords or step offsets are "
                              "malformed") from None
    if len([s for s in sources if s.role != "skipped"]) != len(tunes) or not changes:
        raise CheckpointError(f"checkpoint {run_dir}: tunes and files disagree")
    # a copy kept in half precision (the shipped model) computes in single precision
    arrays = {k: v.astype(np.float32) if v.dtype == np.float16 else v for k, v in arrays.items()}
    arrays = with_skip_paths(arrays, hidden)
    shapes = note_weight_shapes(hidden)
    check_shapes({k: v for k, v in arrays.items() if k in NOTE_WEIGHT_NAMES}, shapes,
                 str(run_dir))
    if any(f"{BEST}{k}" in arrays for k in shapes):
        check_shapes({k[len(BEST):]: v for k, v in arrays.items() if k.startswith(BEST)},
                     shapes, str(run_dir))
    corpus = NoteCorpus(tunes, sources, changes, str(meta.get("source_sha256", "")),
                        meta["config"].get("bpm"))
    return meta, arrays, corpus


@dataclass(frozen=True)
class NoteScore:
    """The network's and the baselines' nats per melody event on one part."""

    loss: float
    unigram: float
    markov: float
    events: int
    files: tuple[str, ...]
    part: str


def score_part(arrays, corpus: NoteCorpus, window: int, part: str) -> NoteScore:
    """The network (best weights) and both baselines (fitted on the training files, their
    smoothing chosen on the validation files) on the tunes of ``part``.

    Raises:
        DataError: the run has no file in that part.
    """
    tunes = corpus.part(part)
    if not tunes:
        raise no_files_in(part)
    unigram, markov = fit_baselines([t.symbols() for t in corpus.part("train")],
                                    [t.symbols() for t in corpus.part("validation")])
    total, count = score_tunes(NoteNet(best_weights(arrays, NOTE_WEIGHT_NAMES)), tunes, window)
    symbols = [t.symbols() for t in tunes]
    return NoteScore(total / count, unigram.nll(symbols)[0] / count,
                     markov.nll(symbols)[0] / count, count, corpus.files(part), part)


# --------------------------------------------------------------------------- solos

def parse_range(text: str) -> tuple[int, int]:
    """``"C4-C6"`` (or MIDI numbers ``"60-84"``) as the lowest and highest MIDI pitch.

    Raises:
        UsageError: a note that cannot be read, a range upside down or narrower than an
            octave (the melody needs room to move).
    """
    low_text, sep, high_text = text.replace("–", "-").partition("-")
    if not sep:
        raise UsageError(f"--range must look like C4-C6 (lowest-highest), got {text!r}")
    low, high = note_number(low_text, text), note_number(high_text, text)
    if high < low:
        raise UsageError(f"--range {text} is upside down: the lowest note comes first")
    if high - low < 12:
        raise UsageError(f"--range {text} spans {high - low} semitones; give at least an "
                         "octave")
    return low, high


_NAMES = {"C": 0, "D": 2, "E": 4, "F": 5, "G": 7, "A": 9, "B": 11}


def note_number(name: str, whole: str) -> int:
    """A note name with octave (``C4`` = 60, ``Bb3``, ``F#5``) or a MIDI number."""
    s = name.strip()
    if s.isdigit():
        value = int(s)
    elif len(s) >= 2 and s[0].upper() in _NAMES:
        accidental = {"#": 1, "b": -1}.get(s[1], 0) if len(s) > 2 else 0
        octave = s[1 + (accidental != 0):]
        if not octave.lstrip("-").isdigit():
            raise UsageError(f"--range {whole}: cannot read the note {s!r} (like C4, Bb3, F#5)")
        value = 12 * (int(octave) + 1) + _NAMES[s[0].upper()] + accidental
    else:
        raise UsageError(f"--range {whole}: cannot read the note {s!r} (like C4, Bb3, F#5)")
    if not 0 <= value < PITCHES:
        raise UsageError(f"--range {whole}: {s} is outside MIDI's notes (C-1 to G9)")
    return value


def note_solo(arrays, progression: list[list[Chord]], measures: int, window: int,
              temperature: float, rng: np.random.Generator, pitch_range: tuple[int, int] | None,
              primer: str | None = None, repeat_penalty: float = 0.0,
              step_offsets: np.ndarray | None = None
              ) -> tuple[list[Note], list[Chord], float, int]:
    """A solo of ``measures`` bars over ``progression`` (repeated): (melody, chords with
    absolute offsets, summed nats of the drawn events, events drawn).

    With a ``primer`` file, its melody opens the solo (over its own chords, or the
    progression's) and the network continues it from the next bar line.
    """
    head, chords, bars = [], [], 0
    if primer is not None:
        from seqgen.jazz.model import primer_head

        opened, chords, bars = primer_head(primer, progression, measures)
        head = list(opened.notes)
    chords += [Chord(m * MEASURE + c.offset, c.duration, c.pitches, c.root, c.quality)
               for m in range(bars, measures) for c in progression[m % len(progression)]]
    harmony = Harmony.of(chords)
    if not len(harmony):
        raise DataError("the changes have no chord to play over")
    history = [e for e in melody_events(head) if e.start < bars * BAR_STEPS]
    events, nll = improvise_events(NoteNet(best_weights(arrays, NOTE_WEIGHT_NAMES)), harmony,
                                   measures * BAR_STEPS, window, temperature, rng,
                                   pitch_range or (0, PITCHES - 1), bars * BAR_STEPS, history,
                                   repeat_penalty, step_offsets)
    melody = head + [Note(e.start * STEP, e.steps * STEP, e.pitch) for e in events]
    return melody, chords, nll, len(events)


def step_offsets_of(meta: dict) -> np.ndarray | None:
    """A run's sampler offsets by step (None: a run trained before them, or stopped by a
    signal before they were fitted)."""
    offsets = meta.get(STEP_OFFSETS)
    return None if offsets is None else np.asarray(offsets, dtype=np.float64)


def fitted_offsets(arrays, corpus: NoteCorpus, config: dict) -> list[float]:
    """The offsets (:func:`~seqgen.jazz.notenet.fit_step_offsets`) for a run's best
    weights, fitted over its training tunes at its temperature and repeat penalty, as
    stored in meta.json."""
    offsets = fit_step_offsets(NoteNet(best_weights(arrays, NOTE_WEIGHT_NAMES)),
                               corpus.part("train"), int(config["window_length"]),
                               float(config["temperature"]),
                               float(config.get("repeat_penalty") or 0.0),
                               int(config.get("seed") or 0))
    return [round(float(v), 4) for v in offsets]


def shipped_notes() -> Path:
    """The note model shipped with seqgen (trained on music21's corpus; ``docs/jazz.md``)."""
    return Path(__file__).resolve().parent.parent / "assets" / "jazz-notes"
