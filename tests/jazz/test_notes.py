"""The note model: melody events on the grid, the chord-relative view (the same in every key),
the counting baselines, Keras and NumPy computing the same likelihood, improvising inside a
range, and generate-jazz's solos for a musician (-n, --out-dir, sidecars, --render)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from seqgen.errors import UsageError
from seqgen.jazz.baselines import Markov, Unigram, fit_baselines
from seqgen.jazz.events import (
    AHEAD,
    BEATS_AHEAD,
    CONTOUR,
    CONTOUR_WIDTH,
    EVENTS,
    LINE_SPAN,
    MAX_STEPS,
    RECENT,
    REST,
    STEP_SPAN,
    Event,
    Harmony,
    Reader,
    Tune,
    encode_tune,
    melody_events,
    tune_of,
)
from seqgen.jazz.notes import parse_range
from seqgen.midi.notes import Chord, Note
from tests.conftest import error_lines, run_cli
from tests.fixtures.music import sax_and_keys


def chord(offset, pitches, root):
    return Chord(float(offset), 2.0, tuple(pitches), root, "major")


CHANGES = [chord(0, (60, 64, 67), 0), chord(2, (62, 65, 69), 2), chord(4, (55, 59, 62, 65), 7),
           chord(6, (60, 64, 67, 71), 0)]


def test_melody_events_fill_the_line_on_the_grid():
    notes = [Note(0.0, 1.0, 60), Note(0.0, 0.5, 64),  # together: the higher one is the line
             Note(1.02, 0.5, 62),  # off the grid: snapped to beat 2
             Note(2.0, 1.0, None),  # a rest, merged with the gap before it
             Note(4.0, 12.0, 67)]  # three bars: cut at two, the rest of it silence
    events = melody_events(notes)
    assert [(e.start, e.steps, e.pitch) for e in events] == [
        (0, 2, 64), (2, 2, None), (4, 2, 62), (6, 10, None), (16, 32, 67), (48, 16, None)]
    assert all(e.start + e.steps == n.start for e, n in zip(events, events[1:]))


def test_a_tune_starts_at_its_first_note_over_a_chord_and_survives_json():
    notes = [Note(0.0, 1.0, 50), Note(1.0, 1.0, None), Note(2.0, 1.0, 62), Note(3.0, 1.0, 64)]
    tune = tune_of(notes, [chord(1.0, (60, 64, 67), 0), *CHANGES[1:]])
    assert [e.pitch for e in tune.events] == [62, 64]  # before the first chord: left out
    assert Tune.from_json(json.loads(json.dumps(tune.to_json()))) == tune
    with pytest.raises(ValueError):
        Tune.from_json({"events": [[0, MAX_STEPS + 1, 60]], "harmony": tune.harmony.to_json()})


@pytest.mark.parametrize("shift", [1, 5, 11])
def test_a_tune_in_another_key_is_the_same_to_the_network(shift):
    """Inputs and targets are relative to the sounding chord's root: a transposed tune (its
    chords too) gives the network exactly the same arrays."""
    notes = [Note(i * 0.5, 0.5, p) for i, p in enumerate([72, 74, 76, None, 79, 77, 76, 74])]
    up = [Note(n.offset, n.duration, None if n.pitch is None else n.pitch + shift)
          for n in notes]
    moved = [Chord(c.offset, c.duration, tuple(p + shift for p in c.pitches),
                   (c.root + shift) % 12, c.quality) for c in CHANGES]
    X, P, D = encode_tune(tune_of(notes, CHANGES))
    X2, P2, D2 = encode_tune(tune_of(up, moved))
    assert (D == D2).all() and (P == REST).sum() == 1 and ((P == REST) == (P2 == REST)).all()
    # the melody's recent pitch classes and its contour too
    assert np.allclose(X[:, -60 - CONTOUR_WIDTH:], X2[:, -60 - CONTOUR_WIDTH:])
    # a root moved past B counts the pitch from the next octave's root: the same interval
    # above the root, an octave lower in the index; nothing else changes
    octave = P2 - P
    assert set(octave[P != REST].tolist()) <= {0, 12} and (octave[P == REST] == 0).all()
    if not any(c.root + shift >= 12 for c in CHANGES):
        assert (X == X2).all() and (P == P2).all()


def test_the_contour_features_count_by_hand():
    """The step into the previous pitch (none after a rest or at the start) and the previous
    pitch's height against the line's fading mean."""
    line = [Event(0, 2, 60), Event(2, 2, 64), Event(4, 2, None), Event(6, 2, 57),
            Event(8, 2, 55), Event(10, 2, 80)]
    reader, seen = Reader(), []
    for e in line:
        seen.append(reader.contour())
        reader.push(e)
    seen.append(reader.contour())
    none_step, none_line = 2 * STEP_SPAN + 1, 2 * LINE_SPAN + 1
    mean = 60 * RECENT + 64 * (1 - RECENT)  # after 60 and 64
    after_57 = mean * RECENT + 57 * (1 - RECENT)
    after_55 = after_57 * RECENT + 55 * (1 - RECENT)
    after_80 = after_55 * RECENT + 80 * (1 - RECENT)
    assert seen == [
        (none_step, none_line),  # the start
        (none_step, LINE_SPAN),  # 60: no step before it, the line is itself
        (STEP_SPAN + 4, LINE_SPAN + round(64 - mean)),
        (none_step, none_line),  # after a rest
        (none_step, LINE_SPAN + round(57 - after_57)),  # a rest before 57
        (STEP_SPAN - 2, LINE_SPAN + round(55 - after_55)),
        (2 * STEP_SPAN, min(LINE_SPAN + round(80 - after_80), 2 * LINE_SPAN)),  # both cut
    ]
    assert 80 - 55 > STEP_SPAN and 80 - after_80 > LINE_SPAN
    x, _ = reader.features(12, tune_of([Note(0, 1, 60)], CHANGES).harmony)
    assert x[CONTOUR].sum() == 2 and x[CONTOUR][2 * STEP_SPAN] == 1


def test_the_chords_on_the_beats_ahead_are_read_from_this_root():
    """Each of the next four beats' chords, as pitch classes counted from the sounding
    chord's root: what a line has to lead to."""
    triad = 1 | 1 << 4 | 1 << 7
    harmony = Harmony((0, 4, 12), (0, 7, 5), (triad, triad, triad))  # C, G (beat 2), F (4)
    x, root = Reader().features(0, harmony)
    ahead = x[AHEAD].reshape(BEATS_AHEAD, 12)
    expected = [{7, 11, 2}, {7, 11, 2}, {5, 9, 0}, {5, 9, 0}]
    assert root == 0 and [set(np.flatnonzero(row).tolist()) for row in ahead] == expected
    x, root = Reader().features(4, harmony)  # from G: F is a seventh up, then stays
    ahead = x[AHEAD].reshape(BEATS_AHEAD, 12)
    assert root == 7 and [set(np.flatnonzero(row).tolist()) for row in ahead] == [
        {0, 4, 7}, {10, 2, 5}, {10, 2, 5}, {10, 2, 5}]


def tiny_corpus():
    rng = np.random.RandomState(0)
    return [rng.randint(0, 40, size=n) for n in (30, 25, 40)]


def test_the_baselines_are_probability_distributions():
    train = tiny_corpus()
    u = Unigram.fit(train, alpha=0.1)
    assert math.isclose(sum(u.prob(s) for s in range(EVENTS)), 1.0, rel_tol=1e-9)
    m = Markov.fit(train, u, beta=2.0)
    for context in [(-1, -1, -1), tuple(train[0][:3]), (7, 3, 99)]:  # seen, seen, unseen
        p = m.distribution(context)
        assert math.isclose(p.sum(), 1.0, rel_tol=1e-9)
        assert all(math.isclose(p[s], m.prob(context, s)) for s in (0, 5, 39, 4000))


def test_the_markov_chain_counts_by_hand():
    """One tune a b a b: after (start, start, a) the next event is b twice out of twice
    in the order-1 table, and the blend follows the stated formula."""
    a, b = 3, 8
    u = Unigram.fit([np.array([a, b, a, b])], alpha=1.0)
    m = Markov.fit([np.array([a, b, a, b])], u, beta=1.0)
    p1 = (2 + u.prob(b)) / (2 + 1)  # order 1: after a, b twice
    p2 = (1 + p1) / (1 + 1)  # order 2: after (start, a) once
    p3 = (1 + p2) / (1 + 1)  # order 3: after (start, start, a) once
    assert math.isclose(m.prob((-1, -1, a), b), p3)
    total, count = m.nll([np.array([a, b])])
    assert count == 2 and math.isclose(total, -math.log(m.prob((-1, -1, -1), a))
                                       - math.log(p3))


def test_smoothing_is_chosen_on_validation():
    train, val = tiny_corpus()[:2], tiny_corpus()[2:]
    u, m = fit_baselines(train, val)
    best = min((Markov(u, m.tables, b).nll(val)[0], b) for b in (0.3, 1, 3, 10, 30, 100, 300))
    assert m.beta == best[1]


@pytest.fixture(scope="module")
def weights():
    """A small note network's random weights, from Keras itself (so its layout is Keras')."""
    from seqgen.jazz.keras_model import NoteTrainer
    from seqgen.jazz.schema import SKIP_NAMES
    from seqgen.keras_loop.distribute import get_strategy

    trainer = NoteTrainer(get_strategy("default", lambda m: None), 8, 16, 0.01, 4, seed=2)
    # the direct paths start at zero: give them weights, so the tests see them work
    arrays = trainer.weights()
    rng = np.random.default_rng(4)
    for name in SKIP_NAMES:
        arrays[name] = rng.normal(0, 0.5, arrays[name].shape).astype(np.float32)
    trainer.set_state(arrays, None)
    return trainer


def test_keras_and_numpy_give_the_same_likelihood(weights):
    """The loss Keras trains on and the NumPy scorer agree on a tune (two windows, the second
    one padded)."""
    import keras

    from seqgen.jazz.keras_model import event_loss
    from seqgen.jazz.notenet import NoteNet
    from seqgen.jazz.notes import windows

    notes = [Note(i * 0.25 * (1 + i % 3), 0.25 * (1 + i % 3), 60 + (i * 5) % 19 if i % 7
                  else None) for i in range(24)]
    tune = tune_of(notes, CHANGES * 4)
    X, (P, D) = windows([tune], 16)
    keras_total = float(keras.ops.sum(event_loss(
        weights.trainer.model, X.astype(np.float32), (P, D), training=False))) * 16
    numpy_total = NoteNet(weights.weights()).tune_nll(tune, 16).sum()
    assert len(X) >= 2 and (P[-1] == -1).any()
    assert keras_total == pytest.approx(numpy_total, rel=1e-5)


def test_the_pitch_is_chosen_for_the_events_own_length(weights):
    """The event's own length reaches the pitch head only: not the LSTM (which predicts
    the length), not the duration head; so a solo draws the length first, then the pitch."""
    from seqgen.jazz.events import LENGTH_NOW, encode_tune, set_length
    from seqgen.jazz.notenet import NoteNet

    net = NoteNet(weights.weights())
    notes = [Note(i * 0.5, 0.5, 60 + (i * 3) % 12) for i in range(8)]
    X, _, D = encode_tune(tune_of(notes, CHANGES * 2))
    assert (X[:, LENGTH_NOW].argmax(axis=1) == D).all() and (X[:, LENGTH_NOW].sum(1) == 1).all()
    other = X.copy()
    for row in other:
        set_length(row, 16)
    H, _, _ = net.run(X)
    np.testing.assert_array_equal(net.run(other)[0], H)
    (lp, ld), (lp2, ld2) = net.heads(H, X), net.heads(H, other)
    np.testing.assert_array_equal(ld, ld2)
    assert not np.allclose(lp[1:], lp2[1:])  # (the first event has no previous pitch)


@pytest.mark.parametrize("version", ["before the contour", "before the chords ahead"])
def test_a_run_of_an_older_version_scores_as_it_did(weights, version):
    """A note model saved before some inputs (and direct paths) existed loads with them at
    zero: the same scores as its LSTM over the inputs of its day; with real weights on
    them, other scores."""
    from seqgen.jazz.events import AHEAD, CONTOUR, encode_tune
    from seqgen.jazz.notenet import NoteNet
    from seqgen.jazz.schema import SKIP_NAMES, with_skip_paths

    arrays = weights.weights()
    kept = CONTOUR.start if version == "before the contour" else AHEAD.start
    lacking = SKIP_NAMES if version == "before the contour" else ("length_weights",)
    older = {k: v for k, v in arrays.items() if k not in lacking}
    older["lstm_kernel"] = arrays["lstm_kernel"][:kept]
    filled = with_skip_paths(older, 8)
    assert all(not filled[k].any() for k in lacking)
    assert filled["lstm_kernel"].shape == arrays["lstm_kernel"].shape
    notes = [Note(i * 0.5, 0.5, 60 + (i * 3) % 12) for i in range(20)]
    tune = tune_of(notes, CHANGES * 5)
    before = NoteNet(older).tune_nll(tune, 16)
    # what that version computed: its LSTM over its own inputs (the paths it had)
    net = NoteNet(filled)
    X, P, D = encode_tune(tune)
    X[:, kept:] = 0  # (the event's own length too: the pitch head did not read it)
    H, _, _ = net.run(X[:16])
    lp, ld = net.heads(H, X[:16])
    np.testing.assert_allclose(before[:16], -(lp[np.arange(16), P[:16]]
                                              + ld[np.arange(16), D[:16]]), rtol=1e-12)
    assert not np.allclose(NoteNet(arrays).tune_nll(tune, 16), before)


@pytest.mark.parametrize("settings, message", [
    ({"input_dropout": 1.0}, "input-dropout must be in"),
    ({"input_dropout": 0.2, "model": "grammar"}, "note model"),
])
def test_input_dropout_is_checked(settings, message):
    from seqgen.jazz.config import JazzConfig

    with pytest.raises(UsageError, match=message):
        JazzConfig(**settings).validate()


def test_improvising_stays_in_range_fills_the_bars_and_repeats_by_seed(weights):
    from seqgen.jazz.notenet import NoteNet, improvise_events

    net = NoteNet(weights.weights())
    harmony = Harmony.of([Chord(c.offset + 8 * k, c.duration, c.pitches, c.root, c.quality)
                          for k in range(3) for c in CHANGES])
    runs = [improvise_events(net, harmony, 96, 16, 1.0, np.random.default_rng(s), (60, 72))
            for s in (1, 1, 2)]
    events, nll = runs[0]
    assert events[0].pitch is not None and sum(e.steps for e in events) == 96
    assert all(60 <= e.pitch <= 72 for e in events if e.pitch is not None)
    assert runs[1] == runs[0] and runs[2] != runs[0] and nll > 0
    greedy = improvise_events(net, harmony, 96, 16, 0.0, np.random.default_rng(5), (60, 72))
    assert greedy == improvise_events(net, harmony, 96, 16, 0.0, np.random.default_rng(6),
                                      (60, 72))


@pytest.mark.parametrize("text, expected", [("C4-C6", (60, 84)), ("Bb3-F#5", (58, 78)),
                                            ("48-72", (48, 72)), ("c4 - c5", (60, 72))])
def test_a_range_is_read(text, expected):
    assert parse_range(text) == expected


@pytest.mark.parametrize("text, message", [("C6-C4", "upside down"), ("C4-A4", "at least an "
                                                                      "octave"),
                                           ("C4", "lowest-highest"), ("H4-C6", "cannot read"),
                                           ("C4-C12", "outside MIDI")])
def test_a_bad_range_is_refused(text, message):
    with pytest.raises(UsageError, match=message):
        parse_range(text)


@pytest.mark.slow
def test_generate_writes_solos_with_sidecars_and_wavs(note_run, tmp_path):
    out = tmp_path / "solos"
    r = run_cli("generate-jazz", "--run", note_run, "--chords", "Dm7 G7 | Cmaj7",
                "--choruses", "2", "-n", "2", "--out-dir", out, "--range", "C4-C5",
                "--seed", "7", "--render")
    assert r.exit_code == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == [
        "solo-01.json", "solo-01.mid", "solo-01.wav", "solo-02.json", "solo-02.mid",
        "solo-02.wav"]
    side = [json.loads((out / f"solo-0{i}.json").read_text()) for i in (1, 2)]
    assert [s["seed"] for s in side] == [7, 8] and side[0]["chart"] == "Dm7 G7 | Cmaj7"
    assert side[0]["temperature"] == 0.9 and side[0]["range"] == [60, 72]  # the model's own
    assert side[0]["measures"] == 4 and side[0]["nats_per_note"] > 0
    from seqgen.midi.source import read_primer

    pitches = [n.pitch for n in read_primer(out / "solo-01.mid", melody=0).notes
               if not n.is_rest]
    assert pitches and all(60 <= p <= 72 for p in pitches)
    again = tmp_path / "again.mid"
    r = run_cli("generate-jazz", "--run", note_run, "--chords", "Dm7 G7 | Cmaj7",
                "--choruses", "2", "--range", "C4-C5", "--seed", "8", "--out", again)
    assert r.exit_code == 0 and again.read_bytes() == (out / "solo-02.mid").read_bytes()


@pytest.mark.parametrize("case", ["symbol", "range", "out-dir", "n without a folder",
                                  "symbol for a folder"])
def test_bad_generate_input_is_one_line_and_writes_nothing(note_run, tmp_path, case):
    args = ["generate-jazz", "--run", note_run, "--seed", "1"]
    blocker = tmp_path / "taken"
    blocker.write_text("a file")
    extra, message = {
        "symbol": (["--chords", "Dm7 Xq7 | C", "--out", tmp_path / "o.mid"], "Xq7"),
        "range": (["--range", "C5-C4", "--out", tmp_path / "o.mid"], "upside down"),
        "out-dir": (["-n", "2", "--out-dir", blocker], "is a file"),
        "n without a folder": (["-n", "3", "--out", tmp_path / "o.mid"], "--out-dir"),
        "symbol for a folder": (["--chords", "C | Hm7", "-n", "2", "--out-dir",
                                 tmp_path / "solos"], "Hm7"),
    }[case]
    r = run_cli(*args, *extra)
    [line] = error_lines(r)
    assert r.exit_code != 0 and message in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["taken"]


def test_the_shipped_note_model_plays_a_chart_or_a_range(tmp_path):
    """Without --run, --chords or --range is the shipped note model's; the course's
    grammar model keeps the plain command."""
    from seqgen.midi.source import read_primer

    out = tmp_path / "ii-v.mid"
    r = run_cli("generate-jazz", "--chords", "Dm7 G7 | Cmaj7", "--range", "G3-G4", "--seed",
                "3", "--out", out)
    assert r.exit_code == 0, r.stderr
    assert "nats per note under the model" in r.stderr
    pitches = [n.pitch for n in read_primer(out, melody=0).notes if not n.is_rest]
    assert pitches and all(55 <= p <= 67 for p in pitches)
    r = run_cli("generate-jazz", "--seed", "4", "--out", tmp_path / "course.mid")
    assert r.exit_code == 0 and "per grammar token" in r.stderr


def test_a_half_precision_copy_scores_as_its_widened_weights(note_run, tmp_path):
    """The shipped model keeps its weights in float16; loading widens them to float32, and
    the copy scores as the run with the same (rounded) weights in float32."""
    from seqgen.checkpoints import save_checkpoint
    from seqgen.jazz.notes import KIND, load_notes, score_part

    meta, arrays, corpus = load_notes(note_run)
    kept = {k: v for k, v in meta.items()
            if k not in ("files", "kind", "format_version", "saved_at")}
    save_checkpoint(tmp_path / "half", KIND, kept,
                    arrays={k: v.astype(np.float16) for k, v in arrays.items()},
                    extra_files=corpus.checkpoint_files())
    _, loaded, corpus = load_notes(tmp_path / "half")
    assert loaded.keys() == arrays.keys()
    assert all(v.dtype == np.float32 for v in loaded.values())
    rounded = {k: v.astype(np.float16).astype(np.float32) for k, v in arrays.items()}
    assert not all(np.array_equal(rounded[k], arrays[k]) for k in arrays)
    window = int(meta["config"]["window_length"])
    assert score_part(loaded, corpus, window, "test").loss == pytest.approx(
        score_part(rounded, corpus, window, "test").loss, rel=1e-12)


def test_resuming_a_run_whose_arrays_do_not_fit_says_how_to_go_on(tmp_path):
    """A run saved by a version whose note model had other inputs cannot go on with its
    optimiser's state: one line, which names --init-from, and the run is left as it was."""
    from seqgen.checkpoints import load_checkpoint_files, save_checkpoint
    from seqgen.jazz.config import JazzConfig
    from seqgen.jazz.notes import CHORDS_FILE, KIND, TUNES_FILE
    from seqgen.jazz.train import train_jazz

    folder = tmp_path / "tunes"
    folder.mkdir()
    (folder / "tune.mid").write_bytes(sax_and_keys(4))
    train_jazz(JazzConfig(midi=str(folder), epochs=1, hidden=8, run=str(tmp_path / "run"),
                          out=str(tmp_path / "first.mid")))
    meta, arrays, files = load_checkpoint_files(tmp_path / "run", KIND,
                                                (TUNES_FILE, CHORDS_FILE))
    kernel = arrays["lstm_kernel"].shape
    slots = [k for k, v in arrays.items() if k.startswith("opt_") and v.shape == kernel]
    assert slots  # Adam's moments of the LSTM kernel
    for k in slots:  # as an older version's, with fewer input rows
        arrays[k] = arrays[k][:-12]
    kept = {k: v for k, v in meta.items()
            if k not in ("files", "kind", "format_version", "saved_at")}
    run = save_checkpoint(tmp_path / "older", KIND, kept, arrays=arrays, extra_files=files)
    before = {p.name: p.read_bytes() for p in run.iterdir() if p.is_file()}
    result = run_cli("train-jazz", "--resume", run, "--epochs", "3",
                     "--out", tmp_path / "x.mid")
    assert result.exit_code == 1 and "Traceback" not in result.stderr
    [line] = [x for x in result.stderr.splitlines() if x.startswith("seqgen: error: ")]
    assert "does not fit the model" in line and f"--init-from {run}" in line
    assert {name: (run / name).read_bytes() for name in before} == before  # nothing lost
    assert not (tmp_path / "x.mid").exists()


def test_a_finished_run_keeps_its_step_offsets_and_bad_ones_are_refused(note_run, tmp_path):
    """train-jazz fits the sampler's step offsets once training is over and saves them with
    the weights; a meta.json whose offsets do not fit is refused in one line."""
    from seqgen.jazz.models import load_model
    from tests.conftest import copy_run

    meta = json.loads((note_run / "meta.json").read_text())
    offsets = meta["step_offsets"]
    assert len(offsets) == 27 and all(math.isfinite(v) and abs(v) <= 3.0 for v in offsets)
    assert any(offsets)
    np.testing.assert_array_equal(load_model(note_run).step_offsets, offsets)
    bad = copy_run(note_run, tmp_path / "bad")
    (bad / "meta.json").write_text(json.dumps({**meta, "step_offsets": [0.5, 1.0]}))
    out = tmp_path / "solo.mid"
    r = run_cli("generate-jazz", "--run", bad, "--out", out, "--seed", "1")
    assert r.exit_code != 0 and not out.exists()
    assert "step offsets are malformed" in error_lines(r)[0]
