"""The note model's step offsets: fitted over training tunes' changes so that the solos
step as the melodies do, read the right way round, and nothing when they are zero."""

from __future__ import annotations

import numpy as np
import pytest

from seqgen.jazz.events import Harmony
from seqgen.midi.notes import Chord

C_MAJOR = (0, (60, 64, 67), "major")


@pytest.fixture(scope="module")
def shipped():
    from seqgen.jazz.models import load_model
    from seqgen.jazz.notenet import NoteNet
    from seqgen.jazz.notes import shipped_notes
    from seqgen.jazz.schema import NOTE_WEIGHT_NAMES, best_weights

    model = load_model(shipped_notes())
    return model, NoteNet(best_weights(model.arrays, NOTE_WEIGHT_NAMES))


def one_chord(bars: int) -> Harmony:
    root, pitches, quality = C_MAJOR
    return Harmony.of([Chord(4.0 * b, 4.0, pitches, root, quality) for b in range(bars)])


def total_variation(p: np.ndarray, q: np.ndarray) -> float:
    return 0.5 * float(np.abs(p - q).sum())


def test_steps_are_counted_between_notes_and_far_ones_share_a_bin():
    from seqgen.jazz.events import Event
    from seqgen.jazz.notenet import STEP_REACH, melody_steps, step_index, step_shares

    line = [Event(0, 4, 60), Event(4, 4, None), Event(8, 4, 62), Event(12, 4, 90),
            Event(16, 4, 62)]
    steps = melody_steps(line)
    assert steps.tolist() == [2, 28, -28]  # the rest is skipped
    assert step_index(steps).tolist() == [STEP_REACH + 2, 2 * STEP_REACH, 0]
    shares = step_shares([steps, np.array([2])])
    assert shares.sum() == pytest.approx(1.0)
    assert shares[STEP_REACH + 2] == pytest.approx(0.5) and shares[0] == pytest.approx(0.25)
    assert step_shares([]).sum() == 0.0 and len(step_shares([])) == 2 * STEP_REACH + 1


def test_zero_offsets_draw_exactly_what_none_draw(shipped):
    """A run trained before the offsets (none in its meta) improvises as it did."""
    from seqgen.jazz.notenet import STEP_REACH, improvise_events

    _, net = shipped
    rng = np.random.default_rng
    plain = improvise_events(net, one_chord(4), 64, 64, 0.9, rng(5), (48, 84))
    assert plain == improvise_events(net, one_chord(4), 64, 64, 0.9, rng(5), (48, 84),
                                     step_offsets=np.zeros(2 * STEP_REACH + 1))


def test_an_offset_is_read_as_the_step_up_from_the_last_pitch(shipped):
    """With every step but a tone up made all but impossible, each note is a tone above
    the one before (rests between do not break the line)."""
    from seqgen.jazz.notenet import STEP_REACH, improvise_events, melody_steps

    _, net = shipped
    offsets = np.full(2 * STEP_REACH + 1, -60.0)
    offsets[STEP_REACH + 2] = 0.0
    events, _ = improvise_events(net, one_chord(8), 128, 64, 0.9, np.random.default_rng(1),
                                 (0, 127), step_offsets=offsets)
    steps = melody_steps(events)
    assert len(steps) >= 4 and set(steps.tolist()) == {2}


def test_fitted_offsets_bring_the_solos_steps_to_the_melodies(shipped):
    """Fitted over 16 training tunes' changes, the offsets bring the steps of fresh solos
    over the same changes nearer the melodies' (they were 0.076 off over all 136 tunes)."""
    from seqgen.jazz.notenet import fit_step_offsets, improvise_events, melody_steps, step_shares

    model, net = shipped
    tunes = model.corpus.part("train")[:16]
    target = step_shares([melody_steps(t.events) for t in tunes])
    offsets = fit_step_offsets(net, tunes, 64, 0.9, 1.0, seed=0)
    assert np.all(np.isfinite(offsets)) and np.abs(offsets).max() <= 3.0

    def distance(step_offsets) -> float:
        drawn = []
        for j, tune in enumerate(tunes):
            for i in range(2):
                end = tune.events[-1].start + tune.events[-1].steps
                events, _ = improvise_events(net, tune.harmony, end, 64, 0.9,
                                             np.random.default_rng([99, j, i]),
                                             repeat_penalty=1.0, step_offsets=step_offsets)
                drawn.append(melody_steps(events))
        return total_variation(step_shares(drawn), target)

    before, after = distance(None), distance(offsets)
    assert after < before - 0.02, (before, after)
    assert np.array_equal(offsets, fit_step_offsets(net, tunes, 64, 0.9, 1.0, seed=0))
