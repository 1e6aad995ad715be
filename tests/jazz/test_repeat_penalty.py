"""The note model's repeat penalty: the last pitch made less likely when a solo draws the
next one, the run's own value unless the user gives one, and refused where it means nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest

from seqgen.errors import UsageError
from seqgen.jazz.events import Harmony
from seqgen.midi.notes import Chord
from tests.conftest import error_lines, run_cli

II_V_I = [(2, (62, 65, 69, 72), "minor"), (7, (67, 71, 74, 77), "major"),
          (0, (60, 64, 67, 71), "major"), (0, (60, 64, 67, 71), "major")]


@pytest.fixture(scope="module")
def shipped():
    from seqgen.jazz.models import load_model
    from seqgen.jazz.notenet import NoteNet
    from seqgen.jazz.notes import shipped_notes
    from seqgen.jazz.schema import NOTE_WEIGHT_NAMES, best_weights

    model = load_model(shipped_notes())
    return model, NoteNet(best_weights(model.arrays, NOTE_WEIGHT_NAMES))


def harmony(bars: int) -> Harmony:
    return Harmony.of([Chord(4.0 * b, 4.0, pitches, root, quality)
                       for b in range(bars)
                       for root, pitches, quality in [II_V_I[b % len(II_V_I)]]])


def repeats(events) -> tuple[int, int]:
    """(steps that repeat the line's last pitch, steps), rests skipped as the bench does."""
    pitches = [e.pitch for e in events if e.pitch is not None]
    return sum(a == b for a, b in zip(pitches, pitches[1:])), len(pitches) - 1


def solos(net, penalty: float, seeds=range(12)):
    from seqgen.jazz.notenet import improvise_events

    return [improvise_events(net, harmony(8), 8 * 16, 64, 0.9, np.random.default_rng(s),
                             (48, 84), repeat_penalty=penalty) for s in seeds]


def test_the_penalty_makes_the_last_pitch_rarer_and_a_large_one_forbids_it(shipped):
    _, net = shipped
    counts = {p: np.sum([repeats(events) for events, _ in solos(net, p)], axis=0)
              for p in (0.0, 1.0, 50.0)}
    share = {p: r / n for p, (r, n) in counts.items()}
    assert share[0.0] > 0.10  # the network alone repeats notes often over these changes
    assert share[1.0] < share[0.0] - 0.03
    assert counts[50.0][0] == 0 and counts[50.0][1] > 100


def test_no_penalty_draws_exactly_what_the_network_alone_draws(shipped):
    """A run older than the penalty improvises as it did: 0 changes nothing."""
    from seqgen.jazz.notenet import improvise_events

    _, net = shipped
    plain = improvise_events(net, harmony(4), 64, 64, 0.9, np.random.default_rng(3), (48, 84))
    assert plain == improvise_events(net, harmony(4), 64, 64, 0.9, np.random.default_rng(3),
                                     (48, 84), repeat_penalty=0.0)
    assert plain != improvise_events(net, harmony(4), 64, 64, 0.9, np.random.default_rng(3),
                                     (48, 84), repeat_penalty=50.0)


def test_the_solos_own_nats_are_of_the_distribution_it_was_drawn_from(shipped):
    """Greedy draws under a large penalty never repeat a pitch, and the solo's nats, counted
    on the penalised distribution each pitch was drawn from, stay finite."""
    from seqgen.jazz.notenet import improvise_events

    _, net = shipped
    events, nll = improvise_events(net, harmony(4), 64, 64, 0.0, np.random.default_rng(0),
                                   (48, 84), repeat_penalty=50.0)
    assert repeats(events)[0] == 0 and 0 < nll < float("inf")


def test_the_run_records_its_penalty_and_options_override_it(shipped):
    from seqgen.jazz.config import JazzConfig, SoloSampling
    from seqgen.jazz.models import with_run_sampling

    model, _ = shipped
    assert JazzConfig(midi="folder/").resolved().repeat_penalty == 1.0
    assert JazzConfig().resolved().repeat_penalty is None  # the course's grammar model
    own = with_run_sampling(model, SoloSampling())
    assert (own.temperature, own.repeat_penalty) == (0.9, 1.0)
    assert with_run_sampling(model, SoloSampling(repeat_penalty=0.0)).repeat_penalty == 0.0

    class Older:  # a run saved before the penalty (and before the temperature was recorded)
        meta = {"config": {}}

    older = with_run_sampling(Older(), SoloSampling())
    assert (older.temperature, older.repeat_penalty) == (1.0, 0.0)


@pytest.mark.parametrize("settings, message", [
    ({"repeat_penalty": -0.5}, "--repeat-penalty must be between"),
    ({"repeat_penalty": float("nan")}, "--repeat-penalty must be between"),
    ({"repeat_penalty": 1.0, "model": "grammar"}, "note model"),
])
def test_the_penalty_setting_is_checked(settings, message):
    from seqgen.jazz.config import JazzConfig

    with pytest.raises(UsageError, match=message):
        JazzConfig(**settings).validate()


@pytest.mark.parametrize("args, message", [
    (["--repeat-penalty", "-1"], "--repeat-penalty must be between"),
    (["--repeat-penalty", "1", "--run", "{grammar}"], "needs the note model"),
])
def test_a_bad_penalty_is_one_line_and_writes_nothing(tmp_path, args, message):
    from seqgen.jazz.model import SHIPPED

    args = [str(SHIPPED) if a == "{grammar}" else a for a in args]
    r = run_cli("generate-jazz", *args, "--seed", "1", "--out", tmp_path / "o.mid")
    [line] = error_lines(r)
    assert r.exit_code != 0 and message in line
    assert list(tmp_path.iterdir()) == []


def test_generate_jazz_takes_the_penalty_and_writes_it_in_the_sidecar(tmp_path):
    """``--repeat-penalty`` alone plays the shipped note model, as ``--range`` does."""
    out = tmp_path / "solos"
    r = run_cli("generate-jazz", "--repeat-penalty", "50", "--chords", "Dm7 G7 | Cmaj7",
                "--choruses", "2", "-n", "2", "--out-dir", out, "--seed", "5")
    assert r.exit_code == 0, r.stderr
    side = json.loads((out / "solo-01.json").read_text())
    assert side["repeat_penalty"] == 50.0 and side["temperature"] == 0.9
    from seqgen.midi.source import read_primer

    pitches = [n.pitch for n in read_primer(out / "solo-01.mid", melody=0).notes
               if not n.is_rest]
    assert len(pitches) > 4 and all(a != b for a, b in zip(pitches, pitches[1:]))
    r = run_cli("generate-jazz", "--chords", "Dm7 G7 | Cmaj7", "-n", "2", "--out-dir",
                tmp_path / "own", "--seed", "5")
    assert json.loads((tmp_path / "own" / "solo-01.json").read_text())["repeat_penalty"] == 1.0
