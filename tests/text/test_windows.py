"""The Shakespeare corpus: lower-casing, the held-out split, windows and the held-out stream."""

from __future__ import annotations

import numpy as np
import pytest

from seqgen.errors import DataError
from seqgen.text.corpus import load_corpus, split_point
from tests.conftest import dataset
from tests.helpers.reference_text import heldout_stream, training_windows


def test_sonnets_have_38_lower_case_symbols_and_a_tenth_held_out():
    corpus = load_corpus(dataset("shakespeare.txt"), lowercase=True, test_share=0.0)
    assert len(corpus.vocab) == 38
    assert all(c == c.lower() for c in corpus.vocab.chars)
    n = len(corpus.ids)
    assert len(corpus.val_ids) == n - corpus.n_train == int(np.ceil(0.1 * n))
    text = corpus.vocab.decode(corpus.ids)
    raw = dataset("shakespeare.txt").read_text(encoding="utf-8").lower()
    assert text == raw
    assert corpus.vocab.decode(corpus.val_ids) == raw[-len(corpus.val_ids):]


@pytest.mark.parametrize("n,frac,expected", [(100, 0.1, 90), (101, 0.1, 90), (10, 0.25, 7)])
def test_split_point(n, frac, expected):
    assert split_point(n, frac) == expected


def test_windows_predict_every_next_character_and_never_touch_the_held_out_part():
    ids = np.arange(1000, dtype=np.int32)  # position == value, so indices are visible
    n_train = split_point(len(ids), 0.1)
    train = ids[:n_train]
    for offset in (0, 3, 19):
        X, Y = training_windows(train, 20, offset)
        assert X.shape == Y.shape == ((n_train - 1 - offset) // 20, 20)
        np.testing.assert_array_equal(Y, X + 1)  # each position's target is the next char
        np.testing.assert_array_equal(X[:, 0], offset + 20 * np.arange(len(X)))
        assert Y.max() < n_train  # no target (or input) from the held-out tail
        assert len(set(X.ravel())) == X.size  # windows do not overlap
        # every training character that fits is an input exactly once
        assert X.size >= n_train - 1 - offset - 19


def test_windows_need_enough_text():
    with pytest.raises(DataError, match="too few"):
        training_windows(np.arange(10, dtype=np.int32), 20)


def test_heldout_stream_scores_each_held_out_char_from_everything_before_it():
    ids = np.arange(200, dtype=np.int32)
    n_train = 150
    inputs, targets = heldout_stream(ids, n_train, warmup=100)
    np.testing.assert_array_equal(targets, ids[150:])
    # 100 characters before the tail, then the tail but its last character
    np.testing.assert_array_equal(inputs, ids[50:199])
    w = len(inputs) - len(targets) + 1
    assert w == 100
    for j in (0, 7, 49):  # the output after input w - 1 + j predicts targets[j]
        assert inputs[w - 1 + j] + 1 == targets[j]
    inputs, _ = heldout_stream(ids, 30, warmup=100)  # short training text: all of it
    np.testing.assert_array_equal(inputs[:30], ids[:30])


def test_no_epoch_offset_lets_a_window_reach_the_held_out_part():
    corpus = load_corpus(dataset("shakespeare.txt"), lowercase=True)
    positions = np.arange(len(corpus.ids))  # windows over positions instead of characters
    for offset in range(100):
        X, Y = training_windows(positions[:corpus.n_train], 100, offset)
        assert Y.max() == corpus.n_train - 1 - (corpus.n_train - 1 - offset) % 100
        assert Y.max() < corpus.n_train


@pytest.mark.parametrize("content,match", [(b"", "empty"), (b"ab\x00cd" * 50, "binary"),
                                           (b"\xff\xfe" * 50, "UTF-8"), (b"  \n ", "no text")])
def test_bad_text_files_are_data_errors(tmp_path, content, match):
    p = tmp_path / "t.txt"
    p.write_bytes(content)
    with pytest.raises(DataError, match=match):
        load_corpus(p)


def test_missing_and_directory(tmp_path):
    with pytest.raises(DataError, match="not found"):
        load_corpus(tmp_path / "nope.txt")
    with pytest.raises(DataError, match="directory"):
        load_corpus(tmp_path)
