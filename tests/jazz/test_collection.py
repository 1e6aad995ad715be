"""train-jazz on a collection: folders and several files, one line per file, skipped files,
the parse cache, windows inside each file, validation and test files split by piece
(duplicates kept together), evaluate, --resume on a changed collection, midi-info on a
folder."""

from __future__ import annotations

import dataclasses
import json
import shutil

import numpy as np
import pytest

from seqgen.errors import DataError, MusicError
from seqgen.jazz.cache import ParseCache
from seqgen.jazz.collection import collect_files, prepare_corpus, split_roles
from seqgen.jazz.config import JazzConfig
from seqgen.jazz.corpus import make_windows
from tests.conftest import copy_run, one_error_line, run_cli, run_reporting_imports
from tests.helpers.jazz_collection import SKIPPED, USABLE, small_collection


@pytest.fixture(scope="module")
def collection(tmp_path_factory):
    return small_collection(tmp_path_factory.mktemp("collection"))


def read(folder, cache_dir, model="grammar", **settings):
    """(corpus, the lines said, the cache) of ``folder`` read through ``cache_dir``."""
    lines: list[str] = []
    cache = ParseCache(cache_dir, on_warning=lines.append)
    cfg = dataclasses.replace(JazzConfig().for_midi(str(folder), **settings), model=model)
    return prepare_corpus(cfg, lines.append, cache), lines, cache


def test_a_folder_is_searched_through_for_music_files(collection, tmp_path):
    extra = tmp_path / "extra.mid"
    shutil.copy(collection / "band.mid", extra)
    found = collect_files((str(collection), str(extra), str(collection / "band.mid")))
    names = [p.relative_to(collection).as_posix() for p in found[:-1]]
    assert names == sorted([*USABLE, *SKIPPED])  # no notes.txt, band.mid only once
    assert found[-1] == extra
    builtin = collect_files(("data/original_metheny.mid", str(extra)))  # the packaged copy
    assert [str(p) for p in builtin] == ["data/original_metheny.mid", str(extra)]


def test_each_file_is_one_line_used_or_skipped(collection, tmp_path):
    corpus, lines, _ = read(collection, tmp_path / "cache")
    said = {line.split(": ", 1)[0]: line for line in lines}
    for name in USABLE:
        assert " tokens" in said[str(collection / name)] and "skipped" not in said[
            str(collection / name)]
    assert "chords of part 1 'Keys'" in said[str(collection / "band.mid")]
    assert "the file's chord symbols" in said[str(collection / "sub/deeper/sheet.mxl")]
    assert "skipped: not a MIDI file" in said[str(collection / "broken.mid")]
    assert "skipped: no usable melody: it has only drums" in said[str(collection / "drums.mid")]
    assert "skipped: too short: 8 tokens" in said[str(collection / "short.mid")]
    assert [s.role for s in corpus.sources] == ["train" if s.path.endswith(USABLE) else
                                                "skipped" for s in corpus.sources]
    pieces = corpus.pieces("train")
    assert [len(p) for p in pieces] == [int(said[s.path].rsplit("; ", 1)[1].split()[0])
                                        for s in corpus.sources if s.role == "train"]
    assert set(corpus.vocab) == {t for p in pieces for t in p}


def test_the_note_model_reads_notes_and_keeps_a_short_file(collection, tmp_path):
    """Each line counts the melody events the note model reads; a file too short for a
    grammar window still has notes to learn from."""
    corpus, lines, _ = read(collection, tmp_path / "cache", model="notes")
    said = {line.split(": ", 1)[0]: line for line in lines}
    assert said[str(collection / "short.mid")].endswith(" notes")
    used = [s for s in corpus.sources if s.role != "skipped"]
    assert len(used) == len(USABLE) + 1 == len(corpus.tunes)
    for s, tune in zip(used, corpus.tunes):
        assert said[s.path].endswith(f"; {len(tune.events)} notes")


def test_the_parse_cache_is_reused_and_a_corrupt_entry_rebuilt(collection, tmp_path):
    cache_dir = tmp_path / "cache"
    first, lines, cache = read(collection, cache_dir)
    files = len(USABLE) + len(SKIPPED)
    assert (cache.hits, cache.misses) == (0, files)
    assert f"parse cache: 0 of {files} files read from {cache_dir}" in lines
    second, lines, cache = read(collection, cache_dir)
    assert cache.hits == files and any(f"parse cache: {files} of {files}" in line
                                       for line in lines)
    assert second.measures == first.measures and second.progression == first.progression
    assert [s.to_json() for s in second.sources] == [s.to_json() for s in first.sources]
    entries = sorted(cache_dir.glob("*.json"))
    entries[0].write_bytes(entries[0].read_bytes()[:20])  # truncated
    entries[1].write_text('{"version": 1, "piece": {"measures": [["nonsense"]]}}')
    third, _, cache = read(collection, cache_dir)
    assert (cache.hits, cache.misses) == (files - 2, 2)
    assert third.measures == first.measures
    assert read(collection, cache_dir)[2].hits == files  # rewritten whole


def test_other_parts_settings_are_another_cache_entry(collection, tmp_path):
    cache = ParseCache(tmp_path)
    song = collection / "band.mid"
    cfg = JazzConfig().for_midi(str(song))
    prepare_corpus(cfg, cache=cache)
    prepare_corpus(JazzConfig().for_midi(str(song), melody_part=1), cache=cache)
    assert cache.misses == 2 and cache.hits == 0


def test_an_unwritable_cache_costs_one_warning(collection, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    corpus, lines, _ = read(collection, blocker / "cache")
    warnings = [line for line in lines if line.startswith("seqgen: warning:")]
    assert len(warnings) == 1 and "cannot write the parse cache" in warnings[0]
    assert len(corpus.pieces("train")) == len(USABLE)


def test_a_failure_read_from_the_cache_names_this_file(collection, tmp_path):
    cache = ParseCache(tmp_path / "cache")
    cfg = JazzConfig()
    for name in ("drums.mid", "copy-of-drums.mid"):
        shutil.copy(collection / "drums.mid", tmp_path / name)
        with pytest.raises(MusicError, match=f"{tmp_path / name}: no usable melody"):
            prepare_corpus(cfg.for_midi(str(tmp_path / name)), cache=cache)
    assert (cache.hits, cache.misses) == (1, 1)


def test_windows_stay_inside_one_file():
    pieces = [40, 31, 55]
    ids = np.concatenate([np.full(n, i) for i, n in enumerate(pieces)])  # token = its file
    X, Y = make_windows(ids, 3, 500, 30, seed=0, pieces=pieces)
    per_window = Y.argmax(-1)  # (windows, T)
    assert all(len(set(w)) == 1 for w in per_window.tolist())
    assert set(per_window[:, 0].tolist()) == {0, 1, 2}


def test_one_piece_draws_the_windows_it_always_drew():
    """One file: the same windows as before collections (a start drawn in len - T)."""
    ids = np.random.RandomState(1).randint(0, 9, 229)
    rng = np.random.RandomState(0)
    starts = [rng.choice(len(ids) - 30) for _ in range(60)]
    _, Y = make_windows(ids, 9, 60, 30, seed=0)
    assert (Y.argmax(-1) == np.stack([ids[s:s + 30] for s in starts])).all()


@pytest.mark.parametrize("n, fraction, held", [(5, 0.2, 2), (5, 0.01, 2), (5, 0.99, 4),
                                               (10, 0.3, 3), (3, 0.5, 2), (4, 0.0, 0),
                                               (9, None, 0), (10, None, 2), (40, None, 8)])
def test_held_out_pieces_are_half_validation_half_test(n, fraction, held):
    pieces = [f"piece{i}" for i in range(n)]
    roles = split_roles(pieces, fraction, seed=3)
    assert roles.count("validation") + roles.count("test") == held
    assert roles.count("test") - roles.count("validation") in ((0, 1) if held else (0,))
    assert split_roles(pieces, fraction, seed=3) == roles
    if held:
        assert any(split_roles(pieces, fraction, seed=s) != roles for s in range(10))


def test_a_piece_in_two_files_is_never_on_both_sides():
    pieces = ["a", "b", "b", "c", "d", "d", "d", "e", "f", "g", "h", "i"]
    for seed in range(20):
        roles = split_roles(pieces, 0.5, seed)
        for p in set(pieces):
            assert len({r for r, pp in zip(roles, pieces) if pp == p}) == 1


def test_a_piece_keeps_its_side_when_another_file_drops_out():
    """Another model may skip a short file: the other pieces stay where they were, so its
    test files are still ones the first model never trained on."""
    pieces = [f"piece{i}" for i in range(40)]
    roles = dict(zip(pieces, split_roles(pieces, None, seed=0)))
    fewer = pieces[:5] + pieces[6:]
    moved = [p for p, r in zip(fewer, split_roles(fewer, None, seed=0)) if roles[p] != r]
    assert len(moved) <= 1


def test_holding_out_needs_several_pieces(collection):
    with pytest.raises(DataError, match="3 are needed"):
        split_roles(["a", "a", "b"], 0.5, 0)
    r = run_cli("train-jazz", "--midi", collection / "band.mid", "--held-out", "0.5")
    assert "--held-out holds out whole files" in one_error_line(r, 1)


@pytest.mark.parametrize("case", ["empty folder", "missing path", "nothing usable",
                                  "parts for a folder", "bad split", "one piece"])
def test_bad_collections_are_one_line(collection, tmp_path, case):
    args = ["train-jazz", "--run", tmp_path / "run", "--out", tmp_path / "o.midi"]
    if case == "empty folder":
        (tmp_path / "empty").mkdir()
        r = run_cli(*args, "--midi", tmp_path / "empty")
        assert "no music files in directory" in one_error_line(r, 1)
    elif case == "missing path":
        r = run_cli(*args, "--midi", collection, "--midi", tmp_path / "nope")
        assert "not found" in one_error_line(r, 1)
    elif case == "parts for a folder":
        r = run_cli(*args, "--midi", collection, "--melody-part", "0")
        assert "describe one file" in one_error_line(r, 2)
    elif case == "bad split":
        r = run_cli(*args, "--midi", collection, "--held-out", "1")
        assert "--held-out" in one_error_line(r, 2)
    elif case == "one piece":
        for name in ("a.mid", "b.mid", "c.midi"):
            shutil.copy(collection / "band.mid", tmp_path / name)
        r = run_cli(*args, "--midi", tmp_path / "a.mid", "--midi", tmp_path / "b.mid",
                    "--midi", tmp_path / "c.midi")
        assert r.exit_code == 1 and "Traceback" not in r.stderr
        assert r.stderr.splitlines()[-1] == ("seqgen: error: all 3 usable files hold the same "
                                             "melody (one piece in several files): give "
                                             "different pieces")
    else:
        sheet = tmp_path / "sheet.musicxml"
        sheet.write_text("no XML at all")
        r = run_cli(*args, "--midi", collection / "broken.mid", "--midi",
                    collection / "drums.mid", "--midi", sheet)
        assert r.exit_code == 1 and "Traceback" not in r.stderr
        lines = r.stderr.splitlines()
        assert [line.startswith("seqgen: error:") for line in lines].count(True) == 1
        assert lines[-1] == "seqgen: error: none of the 3 files is usable (see the lines above)"
        assert sum("skipped" in line for line in lines) == 3
        assert f"{sheet}: skipped: cannot read lead sheet: " in r.stderr
    assert not (tmp_path / "run").exists() and not (tmp_path / "o.midi").exists()


def test_midi_info_on_a_folder_is_one_row_per_file(collection, tmp_path):
    folder = shutil.copytree(collection, tmp_path / "music")
    shutil.copy(folder / "band.mid", folder / "sub" / "band-again.mid")
    r = run_cli("midi-info", folder)
    assert r.exit_code == 0, r.stderr
    rows = r.stdout.splitlines()
    files = len(USABLE) + len(SKIPPED) + 1
    assert len(rows) == 1 + files + 1
    usable = len(USABLE) + 2  # the note model reads short.mid too
    assert rows[-1] == f"{usable} of {files} files usable, 1 of them duplicates"
    by_file = {row.split()[0]: row for row in rows[1:-1]}
    assert "skip: not a MIDI file" in by_file[str(folder / "broken.mid")]
    assert "melody: part 0 'Sax'" in by_file[str(folder / "band.mid")]
    assert by_file[str(folder / "sub" / "band-again.mid")].endswith(
        f"duplicate: the same melody as {folder / 'band.mid'}")


def test_evaluate_a_model_trained_on_one_file_says_there_is_nothing_held_out():
    from seqgen.jazz.model import SHIPPED

    r = run_cli("evaluate", "--run", SHIPPED)  # trained on the Metheny solo alone
    assert "this run has no test files" in one_error_line(r, 1)
    r = run_cli("evaluate", "--run", SHIPPED, "--part", "whole")
    assert "test or validation" in one_error_line(r, 2)
    r = run_cli("evaluate", "--run", SHIPPED, "--data", "x.txt")
    assert "--data is for text models" in one_error_line(r, 2)


def test_window_nll_is_the_sum_of_minus_log_probabilities():
    """An LSTM with zero weights outputs its dense bias at every step: the loss of a
    sequence is then the sum of -log softmax(bias) over its tokens."""
    from seqgen.jazz.evaluate import window_nll
    from seqgen.jazz.model import stepper

    V, u = 4, 3
    bias = np.log(np.array([0.1, 0.2, 0.3, 0.4]))
    arrays = {"lstm_kernel": np.zeros((V, 4 * u)), "lstm_recurrent": np.zeros((u, 4 * u)),
              "lstm_bias": np.zeros(4 * u), "dense_kernel": np.zeros((u, V)),
              "dense_bias": bias}
    ids = [3, 0, 2, 2, 1]
    assert window_nll(stepper(arrays), ids) == pytest.approx(-np.log([.4, .1, .3, .3, .2]).sum())


@pytest.mark.slow
def test_train_evaluate_and_resume_a_collection(collection, tmp_path):
    folder = shutil.copytree(collection, tmp_path / "music")
    run, out = tmp_path / "run", tmp_path / "solo.midi"
    r = run_cli("train-jazz", "--midi", folder / "sub", "--midi", folder / "band.mid",
                "--midi", folder / "broken.mid", "--held-out", "0.34", "--epochs", "2",
                "--run", run, "--out", out)
    assert r.exit_code == 0, r.stderr
    assert sum(line.endswith(" notes") for line in r.stderr.splitlines()) == 3
    assert f"{folder / 'broken.mid'}: skipped: not a MIDI file" in r.stderr
    assert "in 1 files for training" in r.stderr and "in 1 for validation" in r.stderr
    assert "validation chose epoch" in r.stderr
    meta = json.loads((run / "meta.json").read_text())
    roles = sorted(s["role"] for s in meta["sources"])
    assert roles == ["skipped", "test", "train", "validation"]
    assert len(meta["metrics"]["val_history"]) == 2
    assert out.read_bytes()[:4] == b"MThd"

    [held] = [s for s in meta["sources"] if s["role"] == "test"]
    [said] = [line for line in r.stderr.splitlines() if line.startswith(held["path"] + ": ")]
    r, heavy = run_reporting_imports(["evaluate", "--run", run])
    assert r.exit_code == 0, r.stderr
    assert heavy == [[]]  # NumPy alone: neither TensorFlow nor music21
    fields = dict(item.split("=") for item in r.stdout.split())
    assert list(fields) == ["test_loss", "unigram", "markov", "notes", "files", "part"]
    assert fields["files"] == "1" and fields["part"] == "test"
    assert said.endswith(f"; {fields['notes']} notes")  # the whole test file is scored
    assert 0 < float(fields["test_loss"]) < 20 and float(fields["markov"]) > 0

    resume = ["train-jazz", "--resume", copy_run(run, tmp_path / "more"), "--epochs", "3",
              "--out", tmp_path / "more.midi"]
    (folder / "sub" / "new.mid").write_bytes((folder / "band.mid").read_bytes())
    assert f"{folder / 'sub' / 'new.mid'} was added" in one_error_line(run_cli(*resume), 1)
    (folder / "sub" / "new.mid").unlink()
    symbols = folder / "sub" / "symbols.mid"
    kept = symbols.read_bytes()
    symbols.write_bytes(kept + b"\0")
    assert f"{symbols} was modified" in one_error_line(run_cli(*resume), 1)
    symbols.unlink()
    assert f"{symbols} was removed" in one_error_line(run_cli(*resume), 1)
    (folder / "broken.mid").write_bytes(b"still no MIDI file\n")  # a skipped file counts too
    symbols.write_bytes(kept)
    assert "broken.mid was modified" in one_error_line(run_cli(*resume), 1)
    (folder / "broken.mid").write_bytes((collection / "broken.mid").read_bytes())
    r = run_cli(*resume)
    assert r.exit_code == 0, r.stderr
    more = json.loads((tmp_path / "more" / "meta.json").read_text())
    assert more["step"] == 3 and more["sources"] == meta["sources"]
    assert held["sha256"] in {s["sha256"] for s in more["sources"]}
