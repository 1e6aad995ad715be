"""The jazz models behind one interface: load a run, score it, improvise solos.

``generate-jazz``, ``evaluate`` and the first solo of ``train-jazz`` call
:func:`load_model` (or :func:`model_from`) and use what it returns the same way, whichever
model the run holds: the note model (``seqgen.jazz.notes``) or the course's grammar model
(``seqgen.jazz.model``). NumPy only: no TensorFlow; music21 only to read a file's
changes or a chord symbol outside the shipped table.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from seqgen.atomic import write_bytes_atomic
from seqgen.checkpoints import read_meta, resolve
from seqgen.errors import OutputError, UsageError
from seqgen.jazz import model as grammar
from seqgen.jazz import notes
from seqgen.jazz.config import DEFAULT_BPM, SoloSampling
from seqgen.jazz.corpus import HELD_OUT, no_files_in
from seqgen.jazz.improvise import solo_report
from seqgen.jazz.schema import WEIGHT_NAMES, best_weights
from seqgen.midi.notes import MEASURE, Chord, Note
from seqgen.signals import pause_point
from seqgen.textio import check_output_path


@dataclass(frozen=True)
class JazzScore:
    """A model's negative log-likelihood on one part of its collection, in nats per
    ``unit``, beside the counting baselines in the same units (None where the model's unit
    has none: the grammar model's tokens)."""

    loss: float
    unigram: float | None
    markov: float | None
    count: int
    unit: str  # "note" (a melody event: note or rest) or "grammar token"
    files: tuple[str, ...]
    part: str


@dataclass(frozen=True)
class Solo:
    """An improvised solo before it is written: melody and chords with absolute offsets,
    bars, and its summed negative log-likelihood under the model over ``count`` units."""

    melody: list[Note]
    chords: list[Chord]
    measures: int
    nll: float
    count: int


class GrammarModel:
    """The course's grammar-token LSTM (``jazz-lstm`` runs)."""

    kind, unit = grammar.KIND, "grammar token"

    def __init__(self, meta: dict, arrays: dict, corpus):
        self.meta, self.arrays, self.corpus = meta, arrays, corpus
        self.weights = best_weights(arrays, WEIGHT_NAMES)

    @property
    def changes(self) -> list[list[Chord]]:
        return self.corpus.changes

    def score(self, part: str) -> JazzScore:
        from seqgen.jazz.evaluate import pieces_loss

        pieces = self.corpus.pieces(part)
        if not pieces:
            raise no_files_in(part)
        loss, count = pieces_loss(self.weights, self.meta["vocab"], pieces,
                                  int(self.meta["config"]["window_length"]))
        files = tuple(s.path for s in self.corpus.sources if s.role == part)
        return JazzScore(loss, None, None, count, self.unit, files, part)

    def improvise(self, progression: list[list[Chord]], measures: int,
                  options: SoloSampling, rng: np.random.Generator) -> Solo:
        if options.pitch_range is not None:
            raise UsageError("--range needs the note model (train one with train-jazz --midi "
                             "FOLDER); the grammar model keeps to its own register rules")
        if options.repeat_penalty:
            raise UsageError("--repeat-penalty needs the note model; the grammar model's "
                             "pitches follow its own rules")
        options = with_run_sampling(self, options)
        vocab = self.meta["vocab"]
        head, head_chords, primed, prev, bars = [], [], [], None, 0
        if options.primer is not None:
            head, head_chords, primed, prev, bars = grammar.primer_tokens(
                options.primer, vocab, progression, measures)
        melody, chords, nll, count = grammar.improvise(
            self.weights, vocab, progression, measures, options.temperature, rng, primed,
            prev, bars)
        return Solo([*head, *melody], [*head_chords, *chords], measures, nll, count)


class NoteModel:
    """The note model (``jazz-notes`` runs)."""

    kind, unit = notes.KIND, "note"

    def __init__(self, meta: dict, arrays: dict, corpus):
        self.meta, self.arrays, self.corpus = meta, arrays, corpus
        self.window = int(meta["config"]["window_length"])
        self.step_offsets = notes.step_offsets_of(meta)

    @property
    def changes(self) -> list[list[Chord]]:
        return self.corpus.changes

    def score(self, part: str) -> JazzScore:
        s = notes.score_part(self.arrays, self.corpus, self.window, part)
        return JazzScore(s.loss, s.unigram, s.markov, s.events, self.unit, s.files, s.part)

    def improvise(self, progression: list[list[Chord]], measures: int,
                  options: SoloSampling, rng: np.random.Generator) -> Solo:
        options = with_run_sampling(self, options)
        melody, chords, nll, count = notes.note_solo(
            self.arrays, progression, measures, self.window, options.temperature, rng,
            options.pitch_range, options.primer, options.repeat_penalty, self.step_offsets)
        return Solo(melody, chords, measures, nll, count)


def model_from(kind: str, meta: dict, arrays: dict, corpus) -> GrammarModel | NoteModel:
    """The model of a run of ``kind`` from its parts (``train-jazz``'s weights in memory)."""
    return (NoteModel if kind == notes.KIND else GrammarModel)(meta, arrays, corpus)


def load_model(run_dir) -> GrammarModel | NoteModel:
    """Load a jazz run of either kind.

    Raises:
        CheckpointError: missing, corrupt, not a jazz run, or malformed.
    """
    kind = read_meta(resolve(run_dir), (grammar.KIND, notes.KIND))["kind"]
    if kind == notes.KIND:
        return NoteModel(*notes.load_notes(run_dir))
    return GrammarModel(*grammar.load_jazz(run_dir))


def evaluate_jazz(checkpoint, part: str = "test") -> JazzScore:
    """Score ``checkpoint`` on its ``part`` files (test, or validation) beside the counting
    baselines in the same units.

    Raises:
        CheckpointError: missing or corrupt checkpoint. DataError: no file in that part.
        UsageError: a part that is neither.
    """
    if part not in HELD_OUT:
        raise UsageError(f"--part for a jazz run is test or validation, got {part!r}")
    return load_model(checkpoint).score(part)


def shipped(options: SoloSampling) -> Path:
    """The model ``generate-jazz`` uses without ``--run``: the note model over your
    own changes (``--chords``), in a range you give (``--range``) or with a repeat penalty
    you give, the course's grammar model over the Metheny changes."""
    wants_notes = any(v is not None for v in (options.chords, options.pitch_range,
                                              options.repeat_penalty))
    if wants_notes and (notes.shipped_notes() / "meta.json").is_file():
        return notes.shipped_notes()
    return grammar.SHIPPED


# --------------------------------------------------------------------------- writing

@dataclass(frozen=True)
class SoloResult:
    """A written solo, its quality report and its own likelihood under the model."""

    out: str
    measures: int
    seed: int | None
    report: dict
    nll_per_unit: float | None = None
    unit: str = "note"


@dataclass(frozen=True)
class JazzSolo:
    """An improvised solo, not yet written: its melody, the chords under it, its tempo."""

    melody: list
    chords: list
    bpm: float
    measures: int
    seed: int | None
    nll_per_unit: float | None
    unit: str

    @property
    def report(self) -> dict:
        """Notes, seconds, the share of chord tones and of chord or scale tones."""
        return solo_report(self.melody, self.chords, self.bpm, self.measures * MEASURE).as_dict()

    def write_midi(self, out) -> SoloResult:
        """Write the solo (and a piano part comping its chords) to the MIDI file ``out``.

        Raises:
            OutputError: ``out`` cannot be written; nothing is left half-written.
        """
        from seqgen.midi.solo import write_solo as write_midi

        check_output_path(out, "output MIDI file")
        write_midi(out, self.melody, self.chords, self.bpm)
        return SoloResult(str(out), self.measures, self.seed, self.report, self.nll_per_unit,
                          self.unit)


def improvise_solo(model, options: SoloSampling, seed: int | None, bpm: float,
                   progression: list[list[Chord]] | None = None) -> JazzSolo:
    """Improvise over the changes (``progression``, read from ``options.chords`` or the
    model's own when not given). A temperature left open is the run's own (the one its
    config records)."""
    progression = progression or the_changes(model, options)
    n = options.measures or len(progression)
    solo = model.improvise(progression, n, options, np.random.default_rng(seed))
    return JazzSolo(solo.melody, solo.chords, bpm, n, seed,
                solo.nll / solo.count if solo.count else None, model.unit)


def write_solo(model, out, options: SoloSampling, seed: int | None, bpm: float,
               progression: list[list[Chord]] | None = None) -> SoloResult:
    """Improvise (:func:`improvise_solo`) and write the solo to ``out``."""
    solo = improvise_solo(model, options, seed, bpm, progression)
    pause_point("generate")
    return solo.write_midi(out)


def the_changes(model, options: SoloSampling) -> list[list[Chord]]:
    """The bars a solo follows: ``--chords`` (a chart or a file), else the model's own
    changes, ``--choruses`` times."""
    return grammar.changes(options.chords, model.changes) * options.choruses


def with_run_sampling(model, options: SoloSampling) -> SoloSampling:
    """``options`` with the run's own temperature and repeat penalty where it leaves them
    open (the values its config records; runs older than either: 1.0 and none)."""
    recorded = model.meta["config"]
    filled = {}
    for name, older in (("temperature", 1.0), ("repeat_penalty", 0.0)):
        if getattr(options, name) is None:
            value = recorded.get(name)
            filled[name] = float(value) if value is not None else older
    return dataclasses.replace(options, **filled)


def generate_jazz(checkpoint, out, options: SoloSampling = SoloSampling(),
                  seed: int | None = None) -> SoloResult:
    """Write a new solo from a run (default: the shipped model, see :func:`shipped`).

    Raises:
        CheckpointError, DataError, UsageError, OutputError.
    """
    check_output_path(out, "output MIDI file")
    model = load_model(shipped(options) if checkpoint is None else checkpoint)
    return write_solo(model, out, options, seed, solo_bpm(model, options))


def solo_bpm(model, options: SoloSampling) -> float:
    """The tempo a solo is written at: the option's, else the run's."""
    return options.bpm or float(model.meta["config"].get("bpm") or DEFAULT_BPM)


def generate_many(checkpoint, out_dir, count: int, options: SoloSampling, seed: int
                  ) -> list[SoloResult]:
    """Write ``count`` solos ``solo-01.mid`` … into ``out_dir``, solo ``i`` with seed
    ``seed + i``, each with a JSON sidecar (seed, chart, temperature, repeat penalty, its
    own nats per unit).

    Raises:
        OutputError: ``out_dir`` exists as a file or cannot be created. And as
            :func:`generate_jazz`.
    """
    folder = Path(out_dir)
    if folder.exists() and not folder.is_dir():
        raise OutputError(f"--out-dir {folder} is a file, not a folder")
    model = load_model(shipped(options) if checkpoint is None else checkpoint)
    progression = the_changes(model, options)  # a chart that cannot be read: no folder made
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create --out-dir {folder}: {exc.strerror}") from None
    results = []
    width = max(2, len(str(count)))
    own = with_run_sampling(model, options)  # what the sidecars record
    for i in range(count):
        path = folder / f"solo-{i + 1:0{width}d}.mid"
        r = write_solo(model, path, options, seed + i, solo_bpm(model, options), progression)
        sidecar = {"seed": seed + i, "chart": options.chords, "choruses": options.choruses,
                   "temperature": own.temperature, "repeat_penalty": own.repeat_penalty,
                   "range": list(options.pitch_range) if options.pitch_range else None,
                   "run": str(checkpoint) if checkpoint else "shipped",
                   "model": model.kind, "measures": r.measures,
                   f"nats_per_{model.unit.replace(' ', '_')}": r.nll_per_unit,
                   "report": r.report}
        write_bytes_atomic(path.with_suffix(".json"),
                           (json.dumps(sidecar, indent=1) + "\n").encode("utf-8"))
        results.append(r)
    return results

