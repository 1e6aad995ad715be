"""The streamed held-out scorer: today's number with one stream, close with many, flat memory."""

import json
import tracemalloc

import numpy as np
import pytest

from seqgen.engine.scoring import flops_per_char
from seqgen.engine.stacked import CharLSTMStack, LSTMLayer, log_softmax_rows
from seqgen.text.corpus import load_corpus
from seqgen.text.heldout import heldout_nll
from seqgen.vocab import Vocab
from tests.conftest import ROOT, dataset
from tests.helpers.reference_text import heldout_stream

SHIPPED = ROOT / "seqgen" / "assets" / "shakespeare"


def shipped_stack(dtype):
    arrays = dict(np.load(SHIPPED / "weights.npz"))
    layers = [LSTMLayer(arrays[f"lstm{k}_kernel"], arrays[f"lstm{k}_recurrent"],
                        arrays[f"lstm{k}_bias"]) for k in (1, 2)]
    return CharLSTMStack.from_embedding(arrays["embedding"], layers, arrays["dense_kernel"],
                                        arrays["dense_bias"], dtype=dtype)


def random_stack(vocab, units, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    layers = [LSTMLayer(rng.normal(0, 0.3, (n_in, 4 * units)),
                        rng.normal(0, 0.3, (units, 4 * units)), rng.normal(0, 0.3, 4 * units))
              for n_in in (8, units)]
    return CharLSTMStack.from_embedding(rng.normal(0, 1, (vocab, 8)), layers,
                                        rng.normal(0, 0.5, (units, vocab)),
                                        rng.normal(0, 0.1, vocab), dtype=dtype)


def todays_heldout_nll(stack, ids, n_train, warmup):
    """the held-out scorer before streaming: one stream, all logits."""
    inputs, targets = heldout_stream(ids, n_train, warmup)
    logits, _ = stack.logits_sequence(inputs)
    logp = log_softmax_rows(logits[len(inputs) - len(targets):])
    return float(-logp[np.arange(len(targets)), targets].mean())


@pytest.fixture(scope="module")
def sonnets():
    vocab = Vocab(json.loads((SHIPPED / "meta.json").read_text())["vocab"])
    return load_corpus(dataset("shakespeare.txt"), lowercase=True).with_vocab(vocab)


@pytest.mark.parametrize("m,warmup", [(1200, 100), (300, 1), (50, 0)])
def test_one_stream_is_todays_number_in_float64(sonnets, m, warmup):
    stack = shipped_stack(np.float64)
    ids = sonnets.ids[:sonnets.n_train + m]  # today's function scores the whole tail
    expected = todays_heldout_nll(stack, ids, sonnets.n_train, warmup)
    got = heldout_nll(stack, sonnets.ids, sonnets.n_train, warmup, max_chars=m, streams=1)
    assert got == pytest.approx(expected, abs=1e-9)


def test_a_short_training_text_warms_up_on_all_of_it():
    ids = np.random.default_rng(1).integers(0, 5, 300).astype(np.uint8)
    stack = random_stack(5, 12)
    expected = todays_heldout_nll(stack, ids, 40, 100)  # 40 < warmup
    assert heldout_nll(stack, ids, 40, 100, streams=1) == pytest.approx(expected, abs=1e-9)
    # more streams than characters: one per character
    assert np.isfinite(heldout_nll(stack, ids, 290, 100, streams=64))


@pytest.mark.parametrize("streams", [7, 32])
def test_many_streams_differ_only_by_the_warm_up(sonnets, streams):
    """Pieces after the first start from `warmup` characters of context instead of all;
    on the shipped model that moves the loss by well under a thousandth of a nat."""
    stack = shipped_stack(np.float32)
    one = heldout_nll(shipped_stack(np.float64), sonnets.ids, sonnets.n_train, 100,
                      max_chars=3000, streams=1)
    many = heldout_nll(stack, sonnets.ids, sonnets.n_train, 100, max_chars=3000,
                       streams=streams)
    assert many == pytest.approx(one, abs=1e-3)


def test_the_arithmetic_count_of_the_shipped_model():
    # 2 x LSTM(256): one recurrent product each, one input product for layer 2, dense(38)
    assert flops_per_char(shipped_stack(np.float32)) == 2 * (3 * 256 * 1024 + 256 * 38)


def test_memory_does_not_grow_with_the_tail():
    stack = random_stack(20, 32, dtype=np.float32)
    peaks = {}
    for n in (1_000_000, 8_000_000):
        ids = np.random.default_rng(0).integers(0, 20, n).astype(np.uint8)
        n_train = n - n // 100  # tails of 10,000 and 80,000 characters
        tracemalloc.start()
        # one thread: with two, whether their buffers overlap in time is up to the scheduler
        heldout_nll(stack, ids, n_train, 50, streams=64, threads=1)
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
    assert peaks[8_000_000] < 1.2 * peaks[1_000_000], peaks


def test_threads_share_the_pieces_without_changing_the_result():
    stack = random_stack(20, 32, dtype=np.float64)
    ids = np.random.default_rng(5).integers(0, 20, 30_000).astype(np.uint8)
    one = heldout_nll(stack, ids, 25_000, 50, streams=16, threads=1)
    for threads in (2, 3):
        assert heldout_nll(stack, ids, 25_000, 50, streams=16, threads=threads) == \
            pytest.approx(one, rel=1e-12)


def test_the_vocabulary_is_the_training_parts_and_unknowns_share_the_rarest(tmp_path):
    from seqgen.text.corpus import load_corpus

    text = "abcab" * 30 + "z" + "abcab" * 2 + "q" + "ab" * 9  # 'z' once: the rarest
    path = tmp_path / "t.txt"
    path.write_text(text + "xyxya" * 4)  # the held-out tail: x and y never trained on
    corpus = load_corpus(path, 0.1, test_share=0.5)
    assert corpus.vocab.chars == ["a", "b", "c", "q", "z"]  # the training part's alone
    assert corpus.stand_in in ("q", "z")  # seen once each: the first in order
    assert corpus.stand_in == "q"
    tail = path.read_text()[corpus.n_train:]
    positions = [corpus.n_train + i for i, ch in enumerate(tail) if ch in "xy"]
    assert corpus.unknown.tolist() == positions
    q = corpus.vocab.index["q"]
    assert all(corpus.ids[p] == q for p in positions)
    first, end = corpus.part("test")
    assert corpus.unknown_in(first, end) == sum(ch in "xy" for ch in tail[first - corpus.n_train:])
    assert corpus.halved(first, end) == q and corpus.halved(0, corpus.n_train) is None
    whole = load_corpus(path, 0.1, test_share=0.5, training_only=False)
    assert whole.vocab.chars == ["a", "b", "c", "q", "x", "y", "z"] and whole.unknown is None
