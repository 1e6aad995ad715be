"""NameStore: today's names, shuffle, held-out split, digest and names.txt, compactly."""

import hashlib
import io
import math
import tracemalloc

import numpy as np
import pytest

import seqgen.textstream as stream
from seqgen.errors import DataError
from seqgen.names.store import NameStore, load_name_set
from seqgen.textio import read_text
from seqgen.vocab import Vocab
from tests.conftest import dataset


def todays_load_names(path, shuffle_seed, val_split):
    """``seqgen/names/model.py::load_names`` on lists of strings: train, val, vocab, digest."""
    text = read_text(path, "names file")
    names = [n for n in (line.lower().strip() for line in text.splitlines()) if n]
    digest = hashlib.sha256("\n".join(names).encode("utf-8")).hexdigest()
    np.random.RandomState(shuffle_seed).shuffle(names)
    train, val = names, []
    if val_split > 0:
        distinct = list(dict.fromkeys(names))
        val = distinct[len(distinct) - int(math.ceil(len(distinct) * val_split)):]
        held = set(val)
        train = [n for n in names if n not in held]
    return train, val, Vocab.from_text("".join(names), always="\n").chars, digest


def assert_same_as_today(path, seed, val_split):
    data = load_name_set(path, seed, val_split)
    train, val, chars, digest = todays_load_names(path, seed, val_split)
    assert data.names(data.train) == train
    assert data.names(data.val) == val
    assert (data.vocab.chars, data.digest) == (chars, digest)
    buf = io.BytesIO()
    data.write_names(buf)  # today's names.txt in the checkpoint
    assert buf.getvalue() == ("\n".join(train + val) + "\n").encode("utf-8")
    return data


@pytest.mark.parametrize("seed,val_split", [(0, 0.0), (0, 0.1), (7, 0.25), (3, 0.5)])
def test_dinos_in_todays_order_split_and_digest(seed, val_split):
    data = assert_same_as_today(dataset("dinos.txt"), seed, val_split)
    store = data.store
    assert store.ids.dtype == np.uint8
    assert (store.ids.nbytes + store.offsets.nbytes) / len(store.ids) < 20
    if val_split == 0:  # nothing held out: training order is the shuffle itself
        np.testing.assert_array_equal(data.train, store.shuffled(seed))
    first = store.encode(0)
    assert store.vocab.decode(first) == store.name(0)


TRICKY = ("Ab\r\nab\n\n  ΣΟΦΙΑ  \r\ncd\x85ef\u2028AB\rab\nxé\nXÉ\nzz\x0c\n" * 30) + "last"


@pytest.mark.parametrize("chunk", [2, 5, 1 << 20])
def test_every_line_break_of_splitlines_and_pieces_cut_anywhere(tmp_path, monkeypatch, chunk):
    monkeypatch.setattr(stream, "CHUNK_BYTES", chunk)
    p = tmp_path / "names.txt"
    p.write_bytes(TRICKY.encode("utf-8"))
    for seed, val_split in ((0, 0.1), (1, 0.4)):
        assert_same_as_today(p, seed, val_split)


def test_a_repeated_name_is_never_on_both_sides(tmp_path):
    rng = np.random.default_rng(0)
    p = tmp_path / "names.txt"
    p.write_text("".join(f"{w}\n" for w in rng.choice(["ab", "ba", "Ab", "c", "abc"], 3000)),
                 encoding="utf-8")
    data = assert_same_as_today(p, 2, 0.3)
    assert not set(data.names(data.train)) & set(data.names(data.val))


def test_equal_hashes_of_different_names_are_told_apart(monkeypatch):
    store = NameStore.from_file(dataset("dinos.txt"))
    exact = store._groups_exact()
    monkeypatch.setattr(np, "power", lambda base, pos: np.zeros_like(pos))  # every hash alike
    groups = store._groups()
    # the same partition as grouping the strings themselves
    assert len(set(zip(groups, exact))) == len(set(groups)) == len(set(exact))


def test_no_names_and_no_names_left_to_train_on(tmp_path):
    p = tmp_path / "blank.txt"
    p.write_text("  \n\x0c\n x", encoding="utf-8")
    assert len(NameStore.from_file(p)) == 1
    p.write_text("\n \t\n", encoding="utf-8")
    with pytest.raises(DataError, match="no text in it"):
        NameStore.from_file(p)
    with pytest.raises(DataError, match="leaves no names to train on"):
        load_name_set(dataset("dinos.txt"), 0, 1.0)


def write_names(path, count):
    rng = np.random.default_rng(0)
    syllables = np.array(["sau", "rus", "don", "tyr", "an", "o", "ra", "ptor", "cer", "a",
                          "top", "s", "ste", "go", "bra", "chi"])
    first = [s.capitalize() for s in syllables.tolist()]
    rest = syllables.tolist()
    with path.open("w", encoding="utf-8") as f:
        for start in range(0, count, 50_000):
            parts = rng.integers(0, len(syllables), (min(50_000, count - start), 4)).tolist()
            f.write("".join(f"{first[a]}{rest[b]}{rest[c]}{rest[d]}\n" for a, b, c, d in parts))


@pytest.mark.slow
def test_memory_per_character_does_not_grow_with_the_file(tmp_path):
    """The store is ~1 byte per character plus 8 per name; loading and splitting stay
    within a fixed number of bytes per character, whatever the file's size."""
    per_char = {}
    for count in (50_000, 400_000):  # about 0.5 MB and 4 MB
        p = tmp_path / f"{count}.txt"
        write_names(p, count)
        tracemalloc.start()
        data = load_name_set(p, 0, 0.1)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        store = data.store
        assert len(store) == count
        assert (store.ids.nbytes + store.offsets.nbytes) / len(store.ids) < 3
        per_char[count] = peak / len(store.ids)
    assert per_char[400_000] < 1.3 * per_char[50_000] and per_char[400_000] < 20, per_char
