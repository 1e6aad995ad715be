"""The bad-input matrix: every command, every kind of mistake, through the CLI entry point.

Each case must end with at most three stderr lines (one is best), no traceback, exit
status 2 for usage errors and 1 otherwise, and leave the working folder exactly as it
was: no output file created, none modified. The cases run in-process (``run_cli``).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from tests.conftest import DATA, error_lines, run_cli, snapshot

USAGE, FAIL = 2, 1


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """A working folder with good inputs, bad inputs and trained checkpoints."""
    w = tmp_path_factory.mktemp("world")
    shutil.copy(DATA / "dinos.txt", w / "names.txt")
    shutil.copy(DATA / "shakespeare.txt", w / "sonnets.txt")
    shutil.copy(DATA / "original_metheny.mid", w / "solo.mid")
    (w / "empty.txt").write_bytes(b"")
    (w / "binary.bin").write_bytes(bytes(range(256)) * 4)
    (w / "latin1.txt").write_bytes("Ç'est déjà l'été\n".encode("latin-1"))
    (w / "notmidi.mid").write_text("this is not a MIDI file\n")
    (w / "empty.mid").write_bytes(b"")
    (w / "folder").mkdir()
    (w / "unknown_key.yaml").write_text("iterz: 5\n")
    (w / "wrong_type.yaml").write_text("epochs: lots\niters: lots\n")
    (w / "broken.yaml").write_text("epochs: [1, 2\n")
    r = run_cli("train-dino", "--data", w / "names.txt", "--iters", "30", "--run", w / "dino",
                cwd=w)
    assert r.exit_code == 0, r.stderr
    corrupt = w / "corrupt_ckpt"
    shutil.copytree(w / "dino", corrupt)
    (corrupt / "weights.npz").write_bytes(b"PK\x03\x04 truncated")
    shutil.rmtree(corrupt / ".prev", ignore_errors=True)
    newer = w / "newer_ckpt"
    shutil.copytree(w / "dino", newer)
    meta = json.loads((newer / "meta.json").read_text())
    meta["format_version"] = 99
    (newer / "meta.json").write_text(json.dumps(meta))
    shutil.rmtree(newer / ".prev", ignore_errors=True)
    (w / "half_ckpt").mkdir()
    (w / "half_ckpt" / "weights.npz").write_bytes(b"")
    from tests.fixtures.music import band, drums, sax_and_keys

    (w / "drums.mid").write_bytes(band([("Kit", "Woodblock", drums(4))]))
    (w / "one_note.mid").write_bytes(band([("Sax", "AltoSaxophone", [(0.0, 1.0, (72,))])]))
    # a small tune of two parts: what a part named wrongly is checked on (music21 reads it in
    # a moment, the Metheny solo in seconds)
    (w / "tune.mid").write_bytes(sax_and_keys(4))
    return w


def check(world: Path, args: list, code: int, expect: str | None = None):
    before = snapshot(world)
    r = run_cli(*args, cwd=world)
    assert r.exit_code == code, (args, r.exit_code, r.stderr[-1500:])
    error_lines(r, max_lines=3)
    if expect is not None:
        assert expect.lower() in r.stderr.lower(), (expect, r.stderr)
    assert snapshot(world) == before, f"{args} changed the working folder"
    return r


DINO = [
    ("dino missing data", ["train-dino", "--data", "nope.txt", "--run", "o"], FAIL, "not found"),
    ("dino empty data", ["train-dino", "--data", "empty.txt", "--run", "o"], FAIL, "empty"),
    ("dino binary data", ["train-dino", "--data", "binary.bin", "--run", "o"], FAIL, "binary"),
    ("dino latin-1 data", ["train-dino", "--data", "latin1.txt", "--run", "o"], FAIL, "UTF-8"),
    ("dino data is a folder", ["train-dino", "--data", "folder", "--run", "o"], FAIL,
     "directory"),
    ("dino out is a file", ["train-dino", "--data", "names.txt", "--run", "names.txt"], FAIL,
     "is a file"),
    ("dino iters 0", ["train-dino", "--iters", "0", "--run", "o"], USAGE, "--iters"),
    ("dino iters -1", ["train-dino", "--iters", "-1", "--run", "o"], USAGE, "--iters"),
    ("dino unknown key", ["train-dino", "--config", "unknown_key.yaml", "--run", "o"], USAGE,
     "iterz"),
    ("dino wrong type", ["train-dino", "--config", "wrong_type.yaml", "--run", "o"], USAGE,
     "iters"),
    ("dino broken yaml", ["train-dino", "--config", "broken.yaml", "--run", "o"], USAGE,
     "broken.yaml"),
    ("dino missing config", ["train-dino", "--config", "nope.yaml", "--run", "o"], USAGE,
     "not found"),
    ("dino resume missing", ["train-dino", "--resume", "nope", "--run", "o"], FAIL, "not found"),
    ("sample n 0", ["sample-dino", "--run", "dino", "-n", "0"], USAGE, "--count"),
    ("sample n -2", ["sample-dino", "--run", "dino", "-n", "-2"], USAGE, "--count"),
    ("sample temperature 0", ["sample-dino", "--run", "dino", "--temperature", "0"],
     USAGE, "temperature"),
    ("sample temperature -1", ["sample-dino", "--run", "dino", "--temperature", "-1"],
     USAGE, "temperature"),
    ("sample missing ckpt", ["sample-dino", "--run", "nope"], FAIL, "not found"),
    ("sample ckpt is a file", ["sample-dino", "--run", "names.txt"], FAIL, "directory"),
    ("sample corrupt ckpt", ["sample-dino", "--run", "corrupt_ckpt"], FAIL, None),
    ("sample newer ckpt", ["sample-dino", "--run", "newer_ckpt"], FAIL, "newer"),
    ("sample half ckpt", ["sample-dino", "--run", "half_ckpt"], FAIL, "meta.json"),
    ("sample empty folder", ["sample-dino", "--run", "folder"], FAIL, "meta.json"),
    ("sample prefix unknown", ["sample-dino", "--run", "dino", "--prefix", "☃☃"],
     USAGE, "prefix"),
    ("sample max-length 0", ["sample-dino", "--run", "dino", "--max-length", "0"],
     USAGE, "--max-length"),
    ("sample prefix too long", ["sample-dino", "--run", "dino", "--prefix", "abcdef",
                                "--max-length", "3"], USAGE, "--max-length"),
]

JAZZ = [
    ("jazz missing midi", ["train-jazz", "--midi", "nope.mid", "--run", "j",
                           "--out", "o.midi"], FAIL, "not found"),
    ("jazz empty midi", ["train-jazz", "--midi", "empty.mid", "--run", "j",
                         "--out", "o.midi"], FAIL, "empty"),
    ("jazz text as midi", ["train-jazz", "--midi", "notmidi.mid", "--run", "j",
                           "--out", "o.midi"], FAIL, "MIDI"),
    ("jazz midi is a folder", ["train-jazz", "--midi", "folder", "--run", "j",
                               "--out", "o.midi"], FAIL, "directory"),
    ("jazz epochs 0", ["train-jazz", "--epochs", "0", "--run", "j", "--out", "o.midi"],
     USAGE, "epochs"),
    ("jazz unknown key", ["train-jazz", "--config", "unknown_key.yaml", "--run", "j"],
     USAGE, "iterz"),
    ("jazz wrong type", ["train-jazz", "--config", "wrong_type.yaml", "--run", "j"],
     USAGE, "epochs"),
    ("jazz broken yaml", ["train-jazz", "--config", "broken.yaml", "--run", "j"],
     USAGE, "broken.yaml"),
    ("jazz out folder missing", ["train-jazz", "--epochs", "1", "--run", "j",
                                 "--out", "no/such/dir/o.midi"], FAIL, "no/such/dir"),
    ("jazz strategy", ["train-jazz", "--strategy", "bogus", "--run", "j"], USAGE,
     "strategy"),
    ("gen-jazz missing ckpt", ["generate-jazz", "--run", "nope", "--out", "o.midi"],
     FAIL, "not found"),
    ("gen-jazz wrong kind", ["generate-jazz", "--run", "dino", "--out", "o.midi"], FAIL,
     "dino"),
    ("gen-jazz ckpt is a file", ["generate-jazz", "--run", "solo.mid", "--out",
                                 "o.midi"], FAIL, "directory"),
    ("gen-jazz temperature -1", ["generate-jazz", "--run", "dino", "--temperature",
                                 "-1", "--out", "o.midi"], USAGE, "temperature"),
    ("gen-jazz measures 0", ["generate-jazz", "--run", "dino", "--measures", "0",
                             "--out", "o.midi"], USAGE, "measures"),
    ("jazz only drums", ["train-jazz", "--midi", "drums.mid", "--run", "j",
                         "--out", "o.midi"], FAIL, "drums.mid"),
    ("jazz single note", ["train-jazz", "--midi", "one_note.mid", "--run", "j",
                          "--out", "o.midi"], FAIL, "one_note.mid"),
    ("jazz no such part", ["train-jazz", "--midi", "tune.mid", "--melody-part", "Tuba",
                           "--run", "j", "--out", "o.midi"], FAIL, "Tuba"),
    ("jazz bpm 0", ["train-jazz", "--bpm", "0", "--run", "j", "--out", "o.midi"],
     USAGE, "--bpm"),
    ("gen-jazz primer missing", ["generate-jazz", "--primer", "nope.mid", "--out", "o.midi"],
     FAIL, "not found"),
    ("gen-jazz primer only drums", ["generate-jazz", "--primer", "drums.mid",
                                    "--out", "o.midi"], FAIL, "drums"),
    ("gen-jazz primer not midi", ["generate-jazz", "--primer", "notmidi.mid",
                                  "--out", "o.midi"], FAIL, "MIDI"),
    ("gen-jazz bpm 0", ["generate-jazz", "--bpm", "0", "--out", "o.midi"], USAGE, "--bpm"),
]

RENDER = [
    ("render missing", ["render-midi", "nope.mid"], FAIL, "not found"),
    ("render empty", ["render-midi", "empty.mid"], FAIL, "empty"),
    ("render not midi", ["render-midi", "notmidi.mid"], FAIL, "MIDI"),
    ("render binary", ["render-midi", "binary.bin", "--out", "b.wav"], FAIL, "MIDI"),
    ("render folder", ["render-midi", "folder"], FAIL, "directory"),
    ("render synth", ["render-midi", "solo.mid", "--synth", "organ"], USAGE, "synth"),
    ("render soundfont", ["render-midi", "solo.mid", "--synth", "fluidsynth", "--soundfont",
                          "nope.sf2"], FAIL, "nope.sf2"),
    ("render out folder", ["render-midi", "solo.mid", "--synth", "builtin", "--out",
                           "no/such/dir/x.wav"], FAIL, "no/such/dir"),
    ("render rate", ["render-midi", "solo.mid", "--sample-rate", "0"], USAGE, "sample-rate"),
    ("midi-info missing", ["midi-info", "nope.mid"], FAIL, "not found"),
    ("midi-info empty", ["midi-info", "empty.mid"], FAIL, "empty"),
    ("midi-info not midi", ["midi-info", "notmidi.mid"], FAIL, "MIDI"),
    ("midi-info folder", ["midi-info", "folder"], FAIL, "directory"),
    ("midi-info no file", ["midi-info"], USAGE, "midi"),
]


@pytest.mark.parametrize("name, args, code, expect", DINO + RENDER, ids=lambda v: v
                         if isinstance(v, str) and " " in v else "")
def test_bad_input_fast_commands(world, name, args, code, expect):
    check(world, args, code, expect)


@pytest.mark.slow
@pytest.mark.parametrize("name, args, code, expect", JAZZ, ids=lambda v: v
                         if isinstance(v, str) and " " in v else "")
def test_bad_input_jazz(world, name, args, code, expect):
    check(world, args, code, expect)


def test_matrix_covers_every_command():
    listed = {args[0] for _, args, _, _ in DINO + JAZZ + RENDER + SHAKESPEARE + TEXT}
    help_text = run_cli("--help").stdout
    commands = set(re.findall(r"│ ([a-z]+-[a-z]+)\s", help_text)) | {"evaluate"} & set(
        re.findall(r"│ ([a-z]+)\s", help_text))
    assert commands and commands <= listed, commands - listed


SHAKESPEARE = [
    # unknown prompt characters are named and skipped: a warning, not a failure
    ("poem unknown chars", ["generate-poem", "Ça ira ☃", "--seed", "1", "--length", "10"],
     0, "'☃'"),
    ("poem length 0", ["generate-poem", "hello", "--length", "0"], USAGE, "--length"),
    ("poem length -5", ["generate-poem", "hello", "--length", "-5"], USAGE, "--length"),
    ("poem temperature 0", ["generate-poem", "hello", "--temperature", "0"], USAGE,
     "temperature"),
    ("poem temperature -1", ["generate-poem", "hello", "--temperature", "-1"], USAGE,
     "temperature"),
    ("poem missing ckpt", ["generate-poem", "hello", "--run", "nope"], FAIL,
     "not found"),
    ("poem top-k 0", ["generate-poem", "hello", "--top-k", "0"], USAGE, "--top-k"),
    ("poem top-p 0", ["generate-poem", "hello", "--top-p", "0"], USAGE, "--top-p"),
    ("poem top-p 1.5", ["generate-poem", "hello", "--top-p", "1.5"], USAGE, "--top-p"),
    ("poem samples 0", ["generate-poem", "hello", "-n", "0"], USAGE, "--samples"),
    ("poem prompt file missing", ["generate-poem", "--prompt-file", "nope.txt"], FAIL,
     "not found"),
    ("poem prompt file binary", ["generate-poem", "--prompt-file", "binary.bin"], FAIL,
     "binary"),
    ("poem wrong kind", ["generate-poem", "hello", "--run", "dino"], FAIL, "dino"),
    ("poem ckpt is a file", ["generate-poem", "hello", "--run", "names.txt"], FAIL,
     "directory"),
    ("poem newer ckpt", ["generate-poem", "hello", "--run", "newer_ckpt"], FAIL, None),
    ("evaluate missing data", ["evaluate", "--data", "nope.txt"], FAIL, "not found"),
    ("evaluate binary data", ["evaluate", "--data", "binary.bin"], FAIL, "binary"),
    ("evaluate latin-1 data", ["evaluate", "--data", "latin1.txt"], FAIL, "UTF-8"),
    ("evaluate empty data", ["evaluate", "--data", "empty.txt"], FAIL, "empty"),
    ("evaluate wrong kind", ["evaluate", "--run", "dino"], FAIL, "dino"),
    ("shakespeare missing data", ["train-shakespeare", "--data", "nope.txt", "--run", "s"],
     FAIL, "not found"),
    ("shakespeare empty data", ["train-shakespeare", "--data", "empty.txt", "--run", "s"],
     FAIL, "empty"),
    ("shakespeare binary data", ["train-shakespeare", "--data", "binary.bin", "--run", "s"],
     FAIL, "binary"),
    ("shakespeare latin-1", ["train-shakespeare", "--data", "latin1.txt", "--run", "s"], FAIL,
     "UTF-8"),
    ("shakespeare data folder", ["train-shakespeare", "--data", "folder", "--run", "s"], FAIL,
     "directory"),
    ("shakespeare epochs 0", ["train-shakespeare", "--epochs", "0", "--run", "s"], USAGE,
     "epochs"),
    ("shakespeare eval-every 0", ["train-shakespeare", "--eval-every", "0", "--run", "s"],
     USAGE, "--eval-every"),
    ("shakespeare val-max-chars -1", ["train-shakespeare", "--val-max-chars", "-1", "--run",
                                      "s"], USAGE, "--val-max-chars"),
    ("shakespeare unknown key", ["train-shakespeare", "--config", "unknown_key.yaml",
                                 "--run", "s"], USAGE, "iterz"),
    ("shakespeare broken yaml", ["train-shakespeare", "--config", "broken.yaml", "--run", "s"],
     USAGE, "broken.yaml"),
    ("shakespeare wrong type", ["train-shakespeare", "--config", "wrong_type.yaml",
                                "--run", "s"], USAGE, "epochs"),
    ("shakespeare out is a file", ["train-shakespeare", "--data", "sonnets.txt", "--run",
                                   "names.txt", "--max-steps", "1"], FAIL, None),
    ("shakespeare resume wrong kind", ["train-shakespeare", "--resume", "dino"], FAIL, "dino"),
]

TEXT = [
    ("text missing data", ["train-text", "--data", "nope.txt", "--run", "t"], FAIL, "not found"),
    ("text binary data", ["train-text", "--data", "binary.bin", "--run", "t"], FAIL, "binary"),
    ("text arch", ["train-text", "--data", "sonnets.txt", "--arch", "rnn", "--run", "t"],
     USAGE, "arch"),
    ("text heads divide", ["train-text", "--data", "sonnets.txt", "--arch", "gpt", "--units",
                           "30", "--heads", "4", "--run", "t"], USAGE, "multiple of --heads"),
    ("text heads for lstm", ["train-text", "--data", "sonnets.txt", "--arch", "lstm", "--heads",
                             "2", "--run", "t"], USAGE, "--heads"),
    ("text gpt embed", ["train-text", "--data", "sonnets.txt", "--arch", "gpt", "--units", "32",
                        "--embed", "16", "--run", "t"], USAGE, "--embed"),
    ("text layers 0", ["train-text", "--data", "sonnets.txt", "--layers", "0", "--run", "t"],
     USAGE, "layers"),
    ("text dropout 1", ["train-text", "--data", "sonnets.txt", "--dropout", "1", "--run", "t"],
     USAGE, "dropout"),
    ("text schedule", ["train-text", "--data", "sonnets.txt", "--set", "lr_schedule=steep",
                       "--run", "t"], USAGE, "lr-schedule"),
    ("text test share", ["train-text", "--data", "sonnets.txt", "--set", "test_share=1",
                         "--run", "t"], USAGE, "test-share"),
    ("text out is a file", ["train-text", "--data", "sonnets.txt", "--run", "names.txt",
                            "--max-steps", "1"], FAIL, None),
    ("text resume wrong kind", ["train-text", "--resume", "dino"], FAIL, "dino"),
    ("gen-text missing ckpt", ["generate-text", "hi", "--run", "nope"], FAIL, "nope"),
    ("gen-text default ckpt", ["generate-text", "hi"], FAIL, "runs/text"),
    ("gen-text wrong kind", ["generate-text", "hi", "--run", "dino"], FAIL, "dino"),
    ("gen-text length 0", ["generate-text", "hi", "--length", "0"], USAGE, "--length"),
    ("evaluate part", ["evaluate", "--part", "train"], USAGE, "--part"),
    ("evaluate unknown chars", ["evaluate", "--data", "latin1.txt"], FAIL, "not valid UTF-8"),
]


@pytest.mark.parametrize("name, args, code, expect", TEXT, ids=lambda v: v
                         if isinstance(v, str) and " " in v else "")
def test_bad_input_text(world, name, args, code, expect):
    check(world, args, code, expect)


@pytest.mark.slow
@pytest.mark.parametrize("name, args, code, expect", SHAKESPEARE, ids=lambda v: v
                         if isinstance(v, str) and " " in v else "")
def test_bad_input_shakespeare(world, name, args, code, expect):
    check(world, args, code, expect)
