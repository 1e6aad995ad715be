"""The streamed corpus and the window sampler give exactly today's text, ids and batches."""

import hashlib
import tracemalloc

import numpy as np
import pytest

import seqgen.textstream as stream
from seqgen.errors import DataError
from seqgen.text.corpus import WindowSampler, load_corpus, split_point
from seqgen.textio import read_text
from seqgen.vocab import Vocab
from tests.conftest import dataset
from tests.helpers.reference_text import training_windows


def todays_corpus(path, val_fraction=0.1):
    """The whole-text loader the streamed one replaces: ids, chars, n_train, digest."""
    text = read_text(path, "text file").lower()
    vocab = Vocab.from_text(text)
    return (np.array(vocab.encode(text)), vocab.chars, split_point(len(text), val_fraction),
            hashlib.sha256(text.encode("utf-8")).hexdigest())


def same_as_today(path):
    """The streamed reader's ids and vocabulary of the whole text (``training_only``
    narrows the vocabulary afterwards: tests/text/test_heldout.py)."""
    corpus = load_corpus(path, lowercase=True, training_only=False)
    ids, chars, n_train, digest = todays_corpus(path)
    np.testing.assert_array_equal(corpus.ids, ids)
    assert corpus.vocab.chars == chars
    assert (corpus.n_train, corpus.digest) == (n_train, digest)
    return corpus


def test_sonnets_keep_their_vocabulary_ids_split_and_digest_in_one_byte_per_char():
    corpus = same_as_today(dataset("shakespeare.txt"))
    assert corpus.ids.dtype == np.uint8 and corpus.ids.nbytes == len(corpus.ids)


TRICKY = ("\ufeffΟΔΟΣ ΟΔΟΣ\r\nİstanbul ÉTÉ\tΣΑΣ.\n" * 40) + "ΑΣ ΑΣ" * 60 + "ΣΟΦΟΣ"


@pytest.mark.parametrize("chunk", [3, 7, 64, 1 << 20])
def test_pieces_cut_anywhere_lower_case_like_the_whole_text(tmp_path, monkeypatch, chunk):
    """Final sigma depends on its neighbours; BOM, CRLF and multi-byte chars cross cuts."""
    monkeypatch.setattr(stream, "CHUNK_BYTES", chunk)
    p = tmp_path / "t.txt"
    p.write_bytes(TRICKY.encode("utf-8"))
    same_as_today(p)


def test_a_wide_vocabulary_takes_two_bytes(tmp_path):
    p = tmp_path / "wide.txt"
    p.write_text("".join(chr(0x4E00 + k) for k in range(300)) * 3, encoding="utf-8")
    corpus = same_as_today(p)
    assert corpus.ids.dtype == np.uint16


@pytest.mark.parametrize("content", [b"", b"ab\x00cd" * 50, b"\xff\xfe" * 50, b"  \n ",
                                     b"abc" * 10 + b"\xe2\x82" + b"abc" * 10,
                                     b"ok \xff then" + b"x" * 100 + b"\x00"])
@pytest.mark.parametrize("chunk", [4, 1 << 20])
def test_bad_files_say_what_the_whole_file_reader_says(tmp_path, monkeypatch, content, chunk):
    monkeypatch.setattr(stream, "CHUNK_BYTES", chunk)
    p = tmp_path / "t.txt"
    p.write_bytes(content)
    with pytest.raises(DataError) as whole:
        read_text(p, "text file")
    with pytest.raises(DataError) as streamed:
        load_corpus(p)
    assert str(streamed.value).split(";")[0] == str(whole.value).split(";")[0]


def test_with_vocab_recodes_into_a_checkpoints_vocabulary(tmp_path):
    p = tmp_path / "t.txt"
    p.write_text("abcab cab" * 5, encoding="utf-8")
    corpus = load_corpus(p)
    wider = Vocab(["\n", " ", "a", "b", "c", "z"])
    moved = corpus.with_vocab(wider)
    assert wider.decode(moved.ids) == corpus.vocab.decode(corpus.ids)
    with pytest.raises(DataError, match="'c'"):
        corpus.with_vocab(Vocab([" ", "a", "b"]))


# ---------------------------------------------------------------- the sampler

def todays_batches(train_ids, T, B, seed, epochs):
    """Today's loop: every epoch's windows, shuffled, cut into full batches."""
    out = []
    for epoch in range(1, epochs + 1):
        rng = np.random.default_rng([seed, epoch])
        X, Y = training_windows(train_ids, T, int(rng.integers(T)))
        order = rng.permutation(len(X))
        X, Y = X[order], Y[order]
        out += [(X[k:k + B], Y[k:k + B]) for k in range(0, len(X) - B + 1, B)]
    return out


@pytest.mark.parametrize("T,B,seed", [(64, 32, 0), (64, 32, 7), (10, 4, 1), (7, 16, 2)])
def test_sampler_gives_todays_batches_in_todays_order(T, B, seed):
    train_ids = load_corpus(dataset("shakespeare.txt"), lowercase=True).train_ids
    if T == 64:  # the sonnets' config: every epoch has the same number of steps
        assert ((len(train_ids) - 1) // T) // B == ((len(train_ids) - T) // T) // B
    else:
        train_ids = train_ids[:2000]
    sampler = WindowSampler(train_ids, T, B, seed)
    expected = todays_batches(train_ids, T, B, seed, epochs=3)
    assert len(expected) == 3 * sampler.steps_per_epoch
    for step in [*range(len(expected)), 5, 0, len(expected) - 1]:  # random access too
        X, Y = sampler.batch(step)
        assert X.dtype == Y.dtype == np.int32 and X.shape == (B, T)
        np.testing.assert_array_equal(X, expected[step][0])
        np.testing.assert_array_equal(Y, expected[step][1])
    assert sampler.epoch(sampler.steps_per_epoch) == 2


def test_a_long_epoch_loses_only_its_last_batch():
    """(n - 1) // T a multiple of B: an epoch with one more window had one more batch."""
    T, B = 10, 4
    train_ids = np.arange(1 + 8 * T, dtype=np.int32)  # 8 windows at offset 0, 7 after
    sampler = WindowSampler(train_ids, T, B, 0)
    assert sampler.steps_per_epoch == 1
    for e in range(1, 6):
        today = todays_batches(train_ids, T, B, 0, e)
        first_of_epoch = len(todays_batches(train_ids, T, B, 0, e - 1))
        np.testing.assert_array_equal(sampler.batch(e - 1)[0], today[first_of_epoch][0])


def test_shards_are_contiguous_rows_of_the_global_batch():
    train_ids = np.arange(5000, dtype=np.uint16)
    whole = WindowSampler(train_ids, 16, 12, 3)
    shards = [WindowSampler(train_ids, 16, 12, 3, shard_index=i, shard_count=3)
              for i in range(3)]
    for step in (0, 7, whole.steps_per_epoch + 2):
        X = np.concatenate([s.batch(step)[0] for s in shards])
        np.testing.assert_array_equal(X, whole.batch(step)[0])
    assert shards[0].chars_per_step == 4 * 16
    with pytest.raises(DataError, match="3 equal shards"):
        WindowSampler(train_ids, 16, 10, 3, shard_index=0, shard_count=3)


def test_too_little_text_for_one_batch_is_todays_message():
    with pytest.raises(DataError, match="the training text gives 9 windows, fewer than one "
                                        "batch of 32; lower --batch-size or --context"):
        WindowSampler(np.arange(101, dtype=np.uint8), 10, 32, 0)
    with pytest.raises(DataError, match="too few"):
        WindowSampler(np.arange(10, dtype=np.uint8), 20, 1, 0)


# ---------------------------------------------------------------- memory stays flat

def write_text(path, megabytes):
    lines = dataset("shakespeare.txt").read_text(encoding="utf-8").splitlines(keepends=True)
    rng = np.random.default_rng(0)
    size = 0
    with path.open("w", encoding="utf-8") as f:
        while size < megabytes * 1e6:
            piece = "".join(lines[i] for i in rng.permutation(len(lines)))
            f.write(piece)
            size += len(piece)


def traced(fn):
    tracemalloc.start()
    try:
        result = fn()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_beyond_the_id_array_does_not_grow_with_the_text(tmp_path, monkeypatch):
    """load_corpus: one byte per character plus buffers of one piece; the sampler: one
    epoch's order (8 bytes per window of 64) plus one batch."""
    monkeypatch.setattr(stream, "CHUNK_BYTES", 1 << 18)
    extra = {}
    for mb in (1, 8):
        p = tmp_path / f"{mb}.txt"
        write_text(p, mb)
        corpus, peak = traced(lambda: load_corpus(p))  # noqa: B023
        assert corpus.ids.nbytes == len(corpus.ids) >= mb * 1e6
        sampler = WindowSampler(corpus.train_ids, 64, 32, 0)
        _, sampler_peak = traced(lambda: [sampler.batch(s) for s in (0, 1, 10**6)])  # noqa: B023
        assert sampler_peak < 8 * len(corpus.ids) / 64 + (1 << 20)
        extra[mb] = peak - corpus.ids.nbytes
    assert extra[8] < 1.5 * extra[1] + (1 << 20), extra
