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
    assert second.token_file is not None and not second.ids.flags.writeable
    np.testing.assert_array_equal(second.ids, first.ids)
    assert second.vocab.chars == first.vocab.chars and second.digest == first.digest
    assert (second.n_train, second.n_valid) == (first.n_train, first.n_valid)


def test_a_mapped_text_keeps_the_training_vocabulary(big_text, monkeypatch):
    """Where each character first occurs is cached with the ids, so a mapped text gets the
    same training-part vocabulary (and the same unknown characters) as its first run."""
    with big_text.open("a", encoding="utf-8") as f:
        f.write("\u0416" * 3 + "done\n")  # in the test part only
    first = load_corpus(big_text, lowercase=False, test_share=0.5)
    monkeypatch.setattr(corpus_module, "_encode", _no_encoding)
    second = load_corpus(big_text, lowercase=False, test_share=0.5)
    assert "\u0416" not in first.vocab.index and second.vocab.chars == first.vocab.chars
    assert len(first.unknown) == 3 and second.unknown.tolist() == first.unknown.tolist()
    assert second.stand_in == first.stand_in
    np.testing.assert_array_equal(second.ids, first.ids)


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
    assert load_corpus(big_text).token_file is not None


def test_no_cache_anywhere_only_costs_time(big_text, monkeypatch, tmp_path):
    (big_text.parent / ".seqgen-cache").write_text("x")
    (tmp_path / "user-cache").write_text("x")
    c = load_corpus(big_text)
    assert c.token_file is None and c.ids.flags.writeable and len(c.ids) > CACHE_FROM


def test_a_small_text_is_not_cached(tmp_path):
    p = tmp_path / "small.txt"
    p.write_text("short text\n" * 100, encoding="utf-8")
    load_corpus(p)
    assert not (tmp_path / ".seqgen-cache").exists()
    assert tokencache.file_key(p, True) != tokencache.file_key(p, False)


def test_windows_read_from_the_token_file_are_the_mapped_ones(big_text):
    from seqgen.text.corpus import WindowSampler

    load_corpus(big_text)
    mapped = load_corpus(big_text)
    in_memory = np.array(mapped.ids)
    by_file = WindowSampler(mapped.train_ids, 64, 16, 3, token_file=mapped.token_file)
    by_index = WindowSampler(in_memory[:mapped.n_train], 64, 16, 3)
    assert by_file.file is not None and by_index.file is None
    for step in (0, 1, 7, by_file.steps_per_epoch + 2):
        for a, b in zip(by_file.batch(step), by_index.batch(step)):
            np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("by_file", [True, False])
def test_reading_windows_of_a_big_text_adds_no_resident_memory(big_text, by_file):
    """Windows read from the file map nothing; read through the mapping, the same windows
    bring the file's pages into the process (the comparison shows the test can fail)."""
    from seqgen.text.corpus import WindowSampler

    text = big_text.read_text(encoding="utf-8")
    big_text.write_text(text * 8, encoding="utf-8")  # about 10 MB
    load_corpus(big_text)
    c = load_corpus(big_text)
    sampler = WindowSampler(c.train_ids, 16, 64, 0,
                            token_file=c.token_file if by_file else None)
    sampler._start_epoch(1)  # the epoch's order, the same either way
    before = _rss_kb()
    for step in range(100):
        sampler.batch(step)
    grown = _rss_kb() - before  # KB
    if by_file:
        assert grown < 1024, grown
    else:
        assert grown > 2048, grown


def _rss_kb() -> int:
    with open("/proc/self/status") as f:
        return int(f.read().split("VmRSS:")[1].split()[0])
