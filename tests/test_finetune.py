"""--init-from: a new run starts from another model's weights, shape and vocabulary."""

from __future__ import annotations

import json

import numpy as np
import pytest

import seqgen
from seqgen.checkpoints import load_checkpoint
from seqgen.errors import UsageError
from seqgen.finetune import SHIPPED, grow_output, grow_read_rows, merged_symbols
from seqgen.text.config import TextConfig
from seqgen.text.corpus import load_corpus
from seqgen.text.initfrom import adapt, configure
from tests.conftest import one_error_line, run_cli, snapshot

TEXT = "The Quick brown fox, 42 times over the lazy dog; then home.\n" * 50


def test_new_symbols_get_fresh_rows_and_old_rows_keep_their_weights(tmp_path):
    data = tmp_path / "t.txt"
    data.write_text(TEXT)
    cfg, start = configure(TextConfig(data=str(data), init_from="sonnets"), "train-text")
    assert (cfg.arch, cfg.layers, cfg.units, cfg.embed, cfg.context) == ("lstm", 2, 256, 32, 64)
    assert cfg.lowercase is True and cfg.lr is None  # the source's case; the rule's rate
    corpus = load_corpus(data, lowercase=True, test_share=0.5)
    lines = []
    corpus, arrays = adapt(corpus, start, 0.005, lines.append)
    V = len(start.vocab)
    assert corpus.vocab.chars[:V] == start.vocab
    new = corpus.vocab.chars[V:]
    assert new == ["2", "4"] and "new characters with fresh rows: '2', '4'" in lines[0]
    src = start.arrays
    np.testing.assert_array_equal(arrays["embedding"][:V], src["embedding"])
    np.testing.assert_allclose(arrays["embedding"][V:], np.repeat(
        src["embedding"].mean(0, keepdims=True), 2, 0), rtol=1e-6)
    np.testing.assert_array_equal(arrays["dense_kernel"][:, :V], src["dense_kernel"])
    assert not arrays["dense_kernel"][:, V:].any()
    assert (arrays["dense_bias"][V:] == src["dense_bias"].min()).all()
    for name in ("lstm1_kernel", "lstm2_recurrent"):
        np.testing.assert_array_equal(arrays[name], src[name])
    decoded = corpus.vocab.decode(corpus.ids[:20])
    assert decoded == TEXT.lower()[:20]  # the text itself is unchanged by the new order


def test_the_helpers_grow_along_the_symbol_axis():
    kernel, bias = grow_output(np.ones((3, 2)), np.array([0.5, -1.0]), 2)
    assert kernel.shape == (3, 4) and not kernel[:, 2:].any()
    assert bias.tolist() == [0.5, -1.0, -1.0, -1.0]
    rows = grow_read_rows(np.array([[1.0, 2.0], [3.0, 4.0]]), 1)
    assert rows.tolist() == [[1.0, 2.0], [3.0, 4.0], [2.0, 3.0]]
    assert merged_symbols(["b", "a"], ["c", "a", "0"]) == ["b", "a", "0", "c"]


@pytest.mark.slow
def test_a_text_run_from_sonnets_records_its_source_and_resumes(tmp_path):
    data = tmp_path / "t.txt"
    data.write_text(TEXT)
    out = tmp_path / "run"
    info = []
    r = seqgen.train_text(data=data, run=out, init_from="sonnets", max_steps=2,
                          eval_every=1, on_info=info.append)
    assert r.step == 2
    meta = json.loads((out / "meta.json").read_text())
    assert meta["init_from"]["source"] == "sonnets"
    assert meta["init_from"]["weights_sha256"] == json.loads(
        (SHIPPED["sonnets"][0] / "meta.json").read_text())["files"]["weights.npz"]
    assert meta["config"]["init_from"] == "sonnets" and meta["config"]["lr"] == 0.005
    assert any(line.startswith("starting from sonnets") and "learning rate 0.005" in line
               for line in info)
    resumed = seqgen.train_text(data=data, resume=out, max_steps=3, eval_every=1)
    assert resumed.step == 3
    again = json.loads((out / "meta.json").read_text())
    assert again["init_from"] == meta["init_from"] and again["vocab"] == meta["vocab"]
    assert seqgen.load(out).generate("the ", length=20, seed=1)


def test_names_from_dinos_resume_to_the_uninterrupted_run(tmp_path):
    names = tmp_path / "names.txt"
    names.write_text("Ada\nGrace\nAlan\nEdsger\nBarbara\nDonald\nÉmilie\nJosé\n")
    whole, half = tmp_path / "whole", tmp_path / "half"
    seqgen.train_dino(data=names, run=whole, iters=60, init_from="dinos", save_every=60)
    seqgen.train_dino(data=names, run=half, iters=30, init_from="dinos", save_every=30)
    seqgen.train_dino(data=names, resume=half, iters=60, save_every=60)
    a, b = load_checkpoint(whole)[1], load_checkpoint(half)[1]
    assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
    meta = json.loads((whole / "meta.json").read_text())
    source = json.loads((SHIPPED["dinos"][0] / "meta.json").read_text())
    assert meta["vocab"][:len(source["vocab"])] == source["vocab"]
    assert meta["vocab"][len(source["vocab"]):] == ["é"]
    assert meta["config"]["hidden"] == 50 and meta["init_from"]["source"] == "dinos"


def test_the_source_rows_start_where_dinos_left_them(tmp_path):
    """One SGD step moves every weight a little; the fine-tuned start is dinos' own."""
    names = tmp_path / "names.txt"
    names.write_text("Ada\nGrace\nAlan\n")
    r = seqgen.train_dino(data=names, run=tmp_path / "r", iters=1, init_from="dinos", lr=1e-9)
    assert r.step == 1
    tuned = load_checkpoint(tmp_path / "r")[1]
    src = load_checkpoint(SHIPPED["dinos"][0])[1]
    np.testing.assert_allclose(tuned["Waa"], src["Waa"], atol=1e-6)
    np.testing.assert_allclose(tuned["Wya"], src["Wya"], atol=1e-6)


@pytest.mark.parametrize("args, message", [
    (["train-text", "--init-from", "metheny"], "--init-from metheny is a 'jazz-lstm' model, "
     "which train-text cannot start from: give a train-text or train-shakespeare run or one "
     "of: sonnets"),
    (["train-text", "--init-from", "sonnet"], "--init-from sonnet: no such run directory or "
     "shipped model (shipped for train-text: sonnets;"),
    (["train-text", "--init-from", "sonnets", "--units", "64"], "--units 64 contradicts the "
     "model of --init-from sonnets (units 256)"),
    (["train-text", "--init-from", "sonnets", "--resume", "RUN"], "--init-from starts a new "
     "run from another model's weights and --resume continues a run"),
    (["train-text", "--init-from", "DAMAGED"], "is not a seqgen checkpoint (no meta.json)"),
    (["train-dino", "--init-from", "sonnets"], "which train-dino cannot start from: give a "
     "train-dino run or one of: dinos"),
    (["train-dino", "--init-from", "dinos", "--cell", "lstm"], "--cell lstm contradicts"),
    (["train-jazz", "--init-from", "metheny", "--model", "notes"],
     "--model notes contradicts --init-from metheny (a grammar model)"),
    (["train-jazz", "--init-from", "jazz-notes", "--model", "grammar"],
     "--model grammar contradicts --init-from jazz-notes"),
    (["train-shakespeare", "--init-from", "dinos"], "which train-shakespeare cannot start"),
])
def test_a_bad_source_is_one_line_exit_2_and_nothing_written(tmp_path, args, message):
    data = tmp_path / "t.txt"
    data.write_text(TEXT)
    (tmp_path / "DAMAGED").mkdir()
    (tmp_path / "RUN").mkdir()
    args = [str(tmp_path / a) if a in ("DAMAGED", "RUN") else a for a in args]
    before = snapshot(tmp_path)
    r = run_cli(*args, "--data" if args[0] != "train-jazz" else "--midi",
                data if args[0] != "train-jazz" else tmp_path, "--run", tmp_path / "new")
    line = one_error_line(r, 2)
    assert message in line, line
    assert snapshot(tmp_path) == before


def test_python_raises_the_same_error():
    with pytest.raises(UsageError, match="--init-from sonnet: no such run directory"):
        seqgen.train_text(data="x.txt", init_from="sonnet")


@pytest.mark.slow
def test_a_grammar_run_from_metheny_extends_its_tokens(tmp_path):
    from tests.fixtures.music import sax_and_keys

    song = tmp_path / "band.mid"
    song.write_bytes(sax_and_keys(12, bpm=100))
    info = []
    r = seqgen.train_jazz(song, run=tmp_path / "run", out=tmp_path / "solo.mid",
                          init_from="metheny", model="grammar", epochs=1, on_info=info.append)
    assert r.model == "grammar" and r.solo is not None
    meta = json.loads((tmp_path / "run" / "meta.json").read_text())
    source = json.loads((SHIPPED["metheny"][0] / "meta.json").read_text())["vocab"]
    assert meta["vocab"][:len(source)] == source and len(meta["vocab"]) > len(source)
    assert any(f"{len(meta['vocab']) - len(source)} new grammar tokens" in line
               for line in info)
    solo = seqgen.load(tmp_path / "run").generate(seed=1)  # the order loads back
    assert solo.report["notes"] > 0
    with pytest.raises(UsageError, match="--model notes contradicts --init-from metheny"):
        seqgen.train_jazz(song, run=tmp_path / "x", init_from="metheny", model="notes")
