"""Token files: a big text is encoded once, then memory-mapped by every later run."""

from __future__ import annotations

import numpy as np
import pytest

from seqgen.text import corpus as corpus_module
from seqgen.text import tokencache
from seqgen.text.corpus import CACHE_FROM, load_corpus
from tests.conftest import dataset


@pytest.fixture
def big_text(tmp_path, monkeypatch):
    monkeypatch.setenv("SEQGEN_CACHE_DIR", str(tmp_path / "user-cache"))
    text = dataset("shakespeare.txt").read_text(encoding="utf-8")
    p = tmp_path / "data" / "big.txt"
    p.parent.mkdir()
    p.write_text(text * (CACHE_FROM // len(text) + 2), encoding="utf-8")
    return p


def _no_encoding(*args, **kwargs):
    raise AssertionError("the text was encoded again")


def test_the_second_load_maps_the_first_ones_ids(big_text, monkeypatch):
    first = load_corpus(big_text, lowercase=False, test_share=0.5)
    files = sorted(p.name for p in (big_text.parent / ".seqgen-cache" / "text").iterdir())
    assert [f.rsplit(".", 1)[1] for f in files] == ["ids", "json"]
    monkeypatch.setattr(corpus_module, "_encode", _no_encoding)
    second = load_corpus(big_text, lowercase=False, test_share=0.5)
    assert isinstance(second.ids, np.memmap) and not second.ids.flags.writeable
    np.testing.assert_array_equal(second.ids, first.ids)
    assert second.vocab.chars == first.vocab.chars and second.digest == first.digest
    assert (second.n_train, second.n_valid) == (first.n_train, first.n_valid)


def test_case_folding_is_part_of_the_key(big_text, monkeypatch):
    kept = load_corpus(big_text, lowercase=False)
    folded = load_corpus(big_text, lowercase=True)
    assert any(c.isupper() for c in kept.vocab.chars)
    assert not any(c.isupper() for c in folded.vocab.chars)
    assert kept.digest != folded.digest


def test_a_changed_text_is_encoded_again(big_text):
    a = load_corpus(big_text)
    with big_text.open("a", encoding="utf-8") as f:
        f.write("one more line\n")
    b = load_corpus(big_text)
    assert len(b.ids) == len(a.ids) + len("one more line\n") and b.digest != a.digest


@pytest.mark.parametrize("damage", ["truncate", "garble-meta", "other-key"])
def test_a_damaged_entry_is_ignored_and_written_again(big_text, damage):
    good = np.array(load_corpus(big_text).ids)  # a copy: the mapping is let go
    folder = big_text.parent / ".seqgen-cache" / "text"
    ids_file, = folder.glob("*.ids")
    meta_file, = folder.glob("*.json")
    if damage == "truncate":  # a new file in its place (the old one may still be mapped)
        (folder / "cut").write_bytes(ids_file.read_bytes()[:1000])
        (folder / "cut").replace(ids_file)
    elif damage == "garble-meta":
        meta_file.write_text("{not json")
    else:
        meta_file.write_text(meta_file.read_text().replace('"key": "', '"key": "0'))
    again = load_corpus(big_text)
    np.testing.assert_array_equal(again.ids, good)
    assert ids_file.stat().st_size == len(good)  # the entry is whole again


def test_an_unwritable_data_folder_uses_the_user_cache(big_text, monkeypatch, tmp_path):
    (big_text.parent / ".seqgen-cache").write_text("a file where the folder would go")
    load_corpus(big_text)
    assert list((tmp_path / "user-cache" / "text").glob("big.txt-*.ids"))
    monkeypatch.setattr(corpus_module, "_encode", _no_encoding)
    assert isinstance(load_corpus(big_text).ids, np.memmap)


def test_no_cache_anywhere_only_costs_time(big_text, monkeypatch, tmp_path):
    (big_text.parent / ".seqgen-cache").write_text("x")
    (tmp_path / "user-cache").write_text("x")
    c = load_corpus(big_text)
    assert not isinstance(c.ids, np.memmap) and len(c.ids) > CACHE_FROM


def test_a_small_text_is_not_cached(tmp_path):
    p = tmp_path / "small.txt"
    p.write_text("short text\n" * 100, encoding="utf-8")
    load_corpus(p)
    assert not (tmp_path / ".seqgen-cache").exists()
    assert tokencache.file_key(p, True) != tokencache.file_key(p, False)
