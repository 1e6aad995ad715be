"""train-jazz on a user's MIDI file (automatic parts, the source's tempo) and generate-jazz's
--primer and --bpm, through the real CLI in-process."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.conftest import cli_once, one_error_line, run_cli
from tests.fixtures.music import band, block_chords, drums, melody


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A jazz model trained for two epochs on a band file at 96 bpm (melody in part 1)."""
    def make(folder):
        song = folder / "band.mid"
        song.write_bytes(band([("Piano", "Piano", block_chords(12)),
                               ("Sax", "AltoSaxophone", melody(12)),
                               ("Kit", "Woodblock", drums(12))], bpm=96))
        # no input dropout: two epochs of it leave too little learnt for the primer's test
        return run_cli("train-jazz", "--midi", str(song), "--epochs", "2", "--set",
                       "input_dropout=0",
                       "--run", str(folder / "run"), "--out", str(folder / "solo.mid"))

    return cli_once(tmp_path_factory, "jazz-own-midi", make)


def test_parts_and_tempo_come_from_the_file(trained):
    from seqgen.midi.source import open_midi

    folder, r = trained
    assert r.exit_code == 0, r.stderr
    assert "melody: part 1 'Sax'" in r.stderr and "chords of part 0 'Piano'" in r.stderr
    meta = json.loads((folder / "run" / "meta.json").read_text())
    assert meta["config"]["bpm"] == 96 and meta["config"]["melody_part"] is None
    assert open_midi(folder / "solo.mid").bpm == pytest.approx(96, abs=0.01)
    assert (folder / "run" / "loss_curve.png").read_bytes()[:4] == b"\x89PNG"


def test_a_part_given_by_name_overrides_the_choice(tmp_path):
    song = tmp_path / "two.mid"
    song.write_bytes(band([("Lead", "AltoSaxophone", melody(6)),
                           ("Alto", "Flute", melody(6, low=-12)),
                           ("Comp", "Piano", block_chords(6))], bpm=140))
    r = run_cli("train-jazz", "--midi", str(song), "--melody-part", "Alto", "--epochs", "1",
                "--run", str(tmp_path / "run"), "--out", str(tmp_path / "solo.mid"))
    assert r.exit_code == 0, r.stderr
    assert "melody: part 1 'Alto'" in r.stderr


def test_primer_notes_open_the_solo_and_bpm_sets_the_tempo(trained, tmp_path):
    from seqgen.midi.source import open_midi, read_primer

    folder, _ = trained
    primer = tmp_path / "primer.mid"
    primer.write_bytes(band([("Sax", "AltoSaxophone", melody(2, low=-5))], bpm=100))
    out = tmp_path / "out.mid"
    r = run_cli("generate-jazz", "--run", str(folder / "run"), "--primer", str(primer),
                "--measures", "5", "--seed", "3", "--bpm", "110", "--out", str(out))
    assert r.exit_code == 0, r.stderr
    written = read_primer(out)  # the solo's melody part, read the same way
    given = [n for n in read_primer(primer).notes if not n.is_rest]
    got = [n for n in written.notes if not n.is_rest][:len(given)]
    assert [(n.offset, n.pitch) for n in got] == [(n.offset, n.pitch) for n in given]
    assert open_midi(out).bpm == pytest.approx(110, abs=0.01)


def test_a_primer_conditions_the_first_generated_event(trained):
    """After a primer's events the network's next pitch distribution is not the one it
    has at the start of a solo: the primer is read into the state, not just written."""
    from seqgen.engine.ops import softmax
    from seqgen.jazz.events import Reader
    from seqgen.jazz.notenet import NoteNet
    from seqgen.jazz.notes import load_notes

    folder, _ = trained
    meta, arrays, corpus = load_notes(folder / "run")
    assert meta["config"]["model"] == "notes"  # --midi FILE trains the note model
    net = NoteNet(arrays)
    tune = corpus.tunes[0]
    x, _ = Reader().features(0, tune.harmony)
    plain = softmax(net.heads(net.run(x[None])[0], x[None])[0][0])
    reader, h, c = Reader(), None, None
    for e in tune.events[:8]:
        x, _ = reader.features(e.start, tune.harmony)
        _, h, c = net.run(x[None], h, c)
        reader.push(e)
    x, _ = reader.features(tune.events[8].start, tune.harmony)
    primed = softmax(net.heads(net.run(x[None], h, c)[0], x[None])[0][0])
    assert 0.5 * np.abs(primed - plain).sum() > 0.05


@pytest.mark.parametrize("case", ["too-long", "only-drums", "bad-bpm"])
def test_bad_primer_and_bpm(trained, tmp_path, case):
    folder, _ = trained
    primer = tmp_path / "p.mid"
    args = ["generate-jazz", "--run", str(folder / "run"), "--out",
            str(tmp_path / "o.mid"), "--seed", "1"]
    if case == "too-long":
        primer.write_bytes(band([("Sax", "AltoSaxophone", melody(4))]))
        r = run_cli(*args, "--primer", str(primer), "--measures", "3")
        assert "4 measures" in one_error_line(r, 1)
    elif case == "only-drums":
        primer.write_bytes(band([("Kit", "Woodblock", drums(2))]))
        r = run_cli(*args, "--primer", str(primer))
        one_error_line(r, 1)
    else:
        r = run_cli(*args, "--bpm", "0")
        assert "--bpm" in one_error_line(r, 2)
    assert not (tmp_path / "o.mid").exists()
