"""The parts of the text benches that decide their figures, tested without training:
how every side's test part is scored, the PyTorch peer's learning-rate schedule, and the
German manual pages turned into running text. (The PyTorch peer itself needs its own
environment, which the suite does not build; ``bench_text_peers.py`` runs it.)"""

import gzip

import numpy as np
import pytest

from tests.conftest import ROOT


@pytest.fixture()
def bench(monkeypatch):
    monkeypatch.syspath_prepend(str(ROOT / "bench"))
    import gpt_recipe
    import public_text
    from peers import nanogpt_torch

    return gpt_recipe, nanogpt_torch, public_text


@pytest.mark.parametrize("start,end,context", [(40, 1000, 64), (33, 34, 64), (100, 517, 16)])
def test_every_test_character_is_scored_once_with_enough_context(bench, start, end, context):
    gpt_recipe = bench[0]
    ids = np.random.default_rng(0).integers(0, 50, size=1200)
    seen = []

    def nll(x, y):  # the "loss" of each target is its id; record how much context it had
        seen.append(x.shape)
        return y.astype(np.float64)

    assert gpt_recipe.score_windows(nll, ids, start, end, context) == \
        pytest.approx(ids[start:end].mean())
    assert all(shape[1] == context for shape in seen)


def test_scoring_refuses_a_start_without_context(bench):
    with pytest.raises(ValueError):
        bench[0].score_windows(lambda x, y: y, np.zeros(100, dtype=int), 10, 90, 64)


def test_the_peer_schedule_is_nanogpts_by_steps(bench):
    nano = bench[1]
    cfg = nano.NanoConfig()
    assert nano.lr_at(0, cfg) == pytest.approx(1e-3 / 101)
    assert nano.lr_at(99, cfg) == pytest.approx(1e-3 * 100 / 101)
    middle = (cfg.warmup_iters + cfg.lr_decay_iters) // 2
    assert nano.lr_at(middle, cfg) == pytest.approx((1e-3 + 1e-4) / 2)
    assert nano.lr_at(cfg.lr_decay_iters, cfg) == pytest.approx(1e-4)
    assert nano.lr_at(10 * cfg.lr_decay_iters, cfg) == 1e-4
    steps = [nano.lr_at(s, cfg) for s in range(cfg.warmup_iters, cfg.lr_decay_iters)]
    assert all(a >= b for a, b in zip(steps, steps[1:]))
    # the variant whose decay follows the time budget: the same warm-up by steps, then
    # the cosine by the share of the time left after it
    assert nano.lr_by_time(5, 1.0, None, 300.0, cfg) == nano.lr_at(5, cfg)
    assert nano.lr_by_time(500, 160.0, 20.0, 300.0, cfg) == pytest.approx((1e-3 + 1e-4) / 2)
    assert nano.lr_by_time(500, 300.0, 20.0, 300.0, cfg) == pytest.approx(1e-4)
    # the FLOP estimate the bench prints reads the recipe's shape through these names
    assert (cfg.layers, cfg.embed, cfg.context) == (4, 128, 64)
    assert bench[0].flops_per_char(800_000, cfg) == 6 * 800_000 + 12 * 4 * 128 * 64


PAGE = r""".\" a comment that is not text
.TH DPKG 1 "2024" "Debian"
.SH BESCHREIBUNG
\fBdpkg\fP ist ein Werkzeug zum Installieren, Bauen und Entfernen von Paketen f\(:ur
Debian\-Systeme; gro\(ssz\[:u]gig.
.TP
.B \-\-help
.BR dpkg (1)
.sp
Stra\[ss]e und \(BqZitat\(lq.
"""


def test_troff_pages_become_running_text(bench):
    text = bench[2].troff_to_text(PAGE)
    assert text.endswith(".\n\n")  # pages are joined by a blank line
    assert text.splitlines()[:-1] == [
        "BESCHREIBUNG",
        "dpkg ist ein Werkzeug zum Installieren, Bauen und Entfernen von Paketen für",
        "Debian-Systeme; großzügig.",
        "--help",
        "dpkg (1)",
        "Straße und „Zitat“.",
    ]


def test_manpages_text_is_built_in_a_fixed_order_and_cut(bench, tmp_path):
    public_text = bench[2]
    source = tmp_path / "man" / "de"
    for i in range(5):
        page = source / "man1" / f"page{i}.1.gz"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_bytes(gzip.compress(f".SH NAME\nSeite {i} \\(:ubersetzt\n".encode()))
    (source / "man1" / "broken.1.gz").write_bytes(b"not gzip")
    a = public_text.build_manpages(tmp_path / "a", 10_000, source)
    b = public_text.build_manpages(tmp_path / "b", 10_000, source)
    text = a.read_text(encoding="utf-8")
    assert text == b.read_text(encoding="utf-8")
    assert sorted(line for line in text.splitlines() if line.startswith("Seite")) == \
        [f"Seite {i} übersetzt" for i in range(5)]
    short = public_text.build_manpages(tmp_path / "c", 30, source).read_text(encoding="utf-8")
    assert len(short) == 30 and text.startswith(short)
    with pytest.raises(SystemExit, match="no German manual pages"):
        public_text.build_manpages(tmp_path / "d", 100, tmp_path / "nowhere")
