"""Property-based tests: arbitrary input never raises anything but seqgen's own errors."""

import string

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seqgen.config import build_config, load_config
from seqgen.errors import SeqgenError
from seqgen.names.config import DinoConfig
from seqgen.textio import read_text
from seqgen.vocab import Vocab

FUZZ = settings(max_examples=150, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@FUZZ
@given(st.binary(max_size=300))
def test_read_text_any_bytes(tmp_path, data):
    path = tmp_path / "f.txt"
    path.write_bytes(data)
    try:
        text = read_text(path)
    except SeqgenError:
        return
    assert text.strip() and "\x00" not in text


yaml_ish = st.text(alphabet=string.printable + "äé€", max_size=200)


@FUZZ
@given(yaml_ish)
def test_config_loader_any_text(tmp_path, text):
    path = tmp_path / "c.yaml"
    path.write_text(text, encoding="utf-8")
    try:
        cfg = load_config(DinoConfig, path, "dino")
    except SeqgenError:
        return
    assert isinstance(cfg, DinoConfig)


scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True),
                    st.text(max_size=10), st.lists(st.integers(), max_size=3))


@FUZZ
@given(st.dictionaries(st.sampled_from(["iters", "lr", "cell", "hidden", "val_split", "bogus",
                                        "data", "clip"]), scalars, max_size=5))
def test_config_values_any_types(values):
    try:
        cfg = build_config(DinoConfig, values, "fuzz.yaml")
        cfg.validate()
    except SeqgenError:
        return
    assert isinstance(cfg.iters, int) and isinstance(cfg.lr, float)
    assert cfg.lr > 0 and cfg.lr != float("inf") and cfg.iters > 0


@FUZZ
@given(st.one_of(st.lists(st.text(max_size=3), max_size=5), st.integers(), st.none(),
                 st.dictionaries(st.text(max_size=2), st.integers(), max_size=2)))
def test_vocab_metadata_any_shape(chars):
    try:
        vocab = Vocab.from_list(chars)
    except SeqgenError:
        return
    assert vocab.decode(vocab.encode("".join(vocab.chars))) == "".join(vocab.chars)


@FUZZ
@given(st.text(max_size=40))
def test_vocab_encode_unknown_chars(text):
    vocab = Vocab.from_text("abc \n")
    try:
        assert vocab.decode(vocab.encode(text)) == text
    except SeqgenError as exc:
        assert "does not know" in str(exc)


# ------------------------------------------------------------------ jazz grammar

# interval names matching [PMmAd]{1,2}-?[0-9]{1,2}, built directly: generating them with
# st.from_regex cost most of the grammar tests' time
interval = st.builds(lambda quality, minus, number: quality + minus + number,
                     st.text("PMmAd", min_size=1, max_size=2), st.sampled_from(["", "-"]),
                     st.text("0123456789", min_size=1, max_size=2))
token_like = st.one_of(
    st.text(max_size=30),
    st.builds(lambda k, d, up, lo: f"{k},{d}" + (f",<{up},{lo}>" if up else ""),
              st.sampled_from("RCSAXQ"), st.sampled_from(["0.250", "1.000", "-1", "x", "1e9"]),
              st.one_of(st.none(), interval), interval),
)


@FUZZ
@given(token_like)
def test_grammar_parser_any_text(text):
    from seqgen.jazz.grammar import parse_token

    try:
        token = parse_token(text)
    except SeqgenError:
        return
    assert token.kind in "RCSAX" and token.duration >= 0


@FUZZ
@given(st.lists(token_like, min_size=1, max_size=12), st.integers(0, 2**32 - 1))
def test_grammar_decoder_any_tokens(texts, seed):
    """Realising any token stream over a chord ends in notes or a seqgen error, nothing else."""
    import numpy as np

    from seqgen.jazz.improvise import realise_measure
    from seqgen.midi.notes import MEASURE, Chord

    stream = iter(texts * 50)
    chord = Chord(0.0, 4.0, (48, 52, 55), 0, "major")
    try:
        notes, used, _ = realise_measure(lambda: next(stream), [chord], None, 64,
                                         np.random.default_rng(seed))
    except SeqgenError:
        return
    except StopIteration:  # the stream ran dry before the measure filled (zero-length tokens)
        return
    assert all(0 <= n.offset < MEASURE and n.duration > 0 for n in notes)
    assert len({n.offset for n in notes}) == len(notes)
