"""train-jazz and generate-jazz through the CLI entry point (in-process unless the process is
the subject: Ctrl-C, the TensorFlow-free generator, logical CPUs set before TensorFlow starts)."""

from __future__ import annotations

import json

import pytest

from seqgen.jazz.improvise import solo_report
from tests.conftest import (
    cli_once,
    copy_run,
    dataset,
    one_error_line,
    run_cli,
    run_process,
    run_reporting_imports,
)
from tests.helpers.midi_io import read_performance


def _quality(path):
    perf = read_performance(path)
    return solo_report(perf.melody, perf.chords, perf.bpm, perf.quarters)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """``seqgen train-jazz`` with no flags, in an empty folder (the data is built in)."""
    dataset("original_metheny.mid")
    return cli_once(tmp_path_factory, "jazz-no-flags", lambda work: run_cli("train-jazz",
                                                                             cwd=work))


@pytest.mark.slow
def test_train_jazz_with_no_flags_writes_a_solo(trained):
    work, result = trained
    assert result.stdout.strip() == "out.midi"
    assert "replicas: 1" in result.stderr
    report = _quality(work / "out.midi")
    assert report.bpm == 130.0
    assert report.seconds >= 25.0
    assert report.clashes == 0
    assert report.in_harmony >= 0.80
    meta = json.loads((work / "runs" / "jazz" / "meta.json").read_text())
    assert meta["kind"] == "jazz-lstm" and meta["step"] == 100
    assert meta["metrics"]["loss_per_token"] == pytest.approx(0.1615, abs=2e-4)  # the recipe's
    assert meta["metrics"]["train_seconds"] > 0
    assert len(meta["metrics"]["loss_history"]) == 100
    assert {"corpus.json", "chords.json", "weights.npz"} <= set(meta["files"])
    assert 60 <= len(meta["vocab"]) <= 130


@pytest.mark.slow
def test_generate_jazz_is_reproducible_and_needs_no_tensorflow(trained):
    work, _ = trained
    # a real process, to see what it imports; the other runs are in-process
    first, heavy = run_reporting_imports(["generate-jazz", "--seed", "1", "--out", "a.midi"],
                                         cwd=work)
    assert first.exit_code == 0 and "EXIT" not in first.stderr, first.stderr
    assert "tensorflow" not in heavy[0], "tensorflow imported"

    def gen(*args):
        r = run_cli("generate-jazz", *args, cwd=work)
        assert r.exit_code == 0, r.stderr
        return r

    gen("--seed", "1", "--out", "b.midi")
    gen("--seed", "2", "--out", "c.midi")
    assert (work / "a.midi").read_bytes() == (work / "b.midi").read_bytes()
    assert (work / "a.midi").read_bytes() != (work / "c.midi").read_bytes()
    r = gen("--seed", "3", "--measures", "3", "--temperature", "0", "--out", "d.midi")
    assert "3 measures" in r.stderr
    report = _quality(work / "d.midi")
    assert 2 * 4 * 60 / 130 < report.seconds <= 3 * 4 * 60 / 130 + 1e-9
    unseeded = gen("--out", "e.midi")
    assert unseeded.stderr.startswith("seed: ")
    seed = unseeded.stderr.split()[1]
    gen("--seed", seed, "--out", "f.midi")
    assert (work / "e.midi").read_bytes() == (work / "f.midi").read_bytes()
    source = _quality(work / "a.midi")
    assert source.seconds >= 25.0 and source.clashes == 0 and source.in_harmony >= 0.8


@pytest.mark.parametrize("args,code,message", [
    (["generate-jazz", "--run", "nowhere"], 1, "checkpoint not found"),
    (["generate-jazz", "--measures", "0"], 2, "--measures must be positive"),
    (["generate-jazz", "--temperature", "-1"], 2, "--temperature must be 0 or more"),
    (["train-jazz", "--temperature", "-0.5"], 2, "--temperature must be 0 or more"),
    (["train-jazz", "--epochs", "0"], 2, "--epochs must be positive"),
    (["train-jazz", "--strategy", "magic", "--midi", "{notmidi}"], 2, "--strategy must be one"),
    (["generate-jazz", "--run", "{dino}"], 1, "holds a 'dino-rnn' checkpoint"),
    (["train-jazz", "--midi", "{notmidi}"], 1, "not a MIDI file"),
    (["train-jazz", "--midi", "{missing}"], 1, "MIDI file not found"),
    (["train-jazz", "--out", "{nodir}/x.midi"], 1, "does not exist"),
])
def test_bad_input_is_one_line_without_output(tmp_path, args, code, message):
    from seqgen.checkpoints import save_checkpoint

    (tmp_path / "notes.txt").write_text("not music\n")
    save_checkpoint(tmp_path / "dino", "dino-rnn", {"step": 1, "seed": 0, "config": {},
                                                     "vocab": ["a"], "metrics": {}})
    subs = {"notmidi": tmp_path / "notes.txt", "missing": tmp_path / "missing.mid",
            "nodir": tmp_path / "nodir", "dino": tmp_path / "dino"}
    args = [a.format(**subs) for a in args]
    result = run_cli(*args, "--out" if "--out" not in args else "--seed",
                     tmp_path / "out.midi" if "--out" not in args else "1", cwd=tmp_path)
    assert message in one_error_line(result, code)
    assert not (tmp_path / "out.midi").exists()


@pytest.mark.slow
def test_resume_continues_to_the_total_epochs(tmp_path, jazz_two_epochs):
    run = copy_run(jazz_two_epochs, tmp_path / "run")  # train-jazz --epochs 2 --seed 1
    meta1 = json.loads((run / "meta.json").read_text())
    second = run_cli("train-jazz", "--resume", run, "--epochs", "4",
                     "--out", tmp_path / "b.midi")
    assert second.exit_code == 0, second.stderr
    meta2 = json.loads((run / "meta.json").read_text())
    assert meta1["step"] == 2 and meta2["step"] == 4
    assert meta2["metrics"]["loss_history"][:2] == meta1["metrics"]["loss_history"]
    assert len(meta2["metrics"]["loss_history"]) == 4
    assert meta2["metrics"]["train_seconds"] > meta1["metrics"]["train_seconds"]
    assert (tmp_path / "b.midi").is_file()
    # weights and Adam's moments come back: the same curve as an uninterrupted run
    straight = run_cli("train-jazz", "--epochs", "4", "--seed", "1", "--run",
                       tmp_path / "straight", "--out", tmp_path / "c.midi")
    assert straight.exit_code == 0, straight.stderr
    meta3 = json.loads((tmp_path / "straight" / "meta.json").read_text())
    assert meta3["metrics"]["loss_history"] == pytest.approx(meta2["metrics"]["loss_history"],
                                                             abs=1e-4)


@pytest.mark.slow
def test_the_note_model_trains_under_the_mirrored_strategy(tmp_path):
    """Two replicas on two logical CPUs, validation every epoch (the grammar model trains
    under the multi-worker strategy in test_distribute_cli)."""
    from tests.fixtures.music import band, block_chords, melody

    for i, low in enumerate((0, -4, -7)):
        (tmp_path / f"t{i}.mid").write_bytes(band([("Sax", "AltoSaxophone",
                                                    melody(3 + i, low=low)),
                                                   ("Keys", "Piano", block_chords(3 + i))]))
    # a fresh process: the logical-CPU split must precede TensorFlow's start-up
    result = run_process("train-jazz", "--midi", tmp_path, "--held-out", "0.5", "--epochs",
                         "2", "--strategy", "mirrored", "--set", "hidden=16", "--run",
                         tmp_path / "run", "--out", tmp_path / "m.midi",
                         env={"SEQGEN_LOGICAL_CPUS": "2"})
    assert result.exit_code == 0, result.stderr
    assert "replicas: 2" in result.stderr and "validation chose epoch" in result.stderr
    assert (tmp_path / "m.midi").is_file()
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    assert meta["kind"] == "jazz-notes" and len(meta["metrics"]["val_history"]) == 2
