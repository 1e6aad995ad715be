"""Ctrl-C or SIGTERM at any moment of any command: one line, exit 130/143, what was saved loads.

Each case stops a real process at a named moment (``SEQGEN_PAUSE_AT``: the command says
``seqgen: paused at NAME`` on stderr and waits there), then sends the signal. The test
waits for that line, never for a length of time, so it lands in the same phase on a fast
machine and a slow one.
"""

from __future__ import annotations

import signal

import pytest

from seqgen.checkpoints import load_checkpoint
from tests.conftest import copy_run, dataset, run_cli, stop_at, tiny_shakespeare

TERM, INT = signal.SIGTERM, signal.SIGINT


def word(signum: int) -> str:
    return "terminated (SIGTERM)" if signum == TERM else "interrupted"


# ---------------------------------------------------------------- train-jazz

JAZZ_TRAINING_PHASES = [("step", TERM), ("final-save", INT), ("plot", TERM)]


@pytest.mark.slow
@pytest.mark.parametrize("phase,signum", JAZZ_TRAINING_PHASES,
                         ids=[p for p, _ in JAZZ_TRAINING_PHASES])
@pytest.mark.slow
def test_train_jazz_stopped_while_training_saves_and_resumes(tmp_path, jazz_two_epochs,
                                                              phase, signum):
    run = copy_run(jazz_two_epochs, tmp_path / "run")
    solo = tmp_path / "solo.midi"
    args = ["train-jazz", "--resume", run, "--epochs", "1000", "--out", solo]
    if phase != "step":
        args[4] = "3"  # the last epoch, then the final save and its plot
    _, [line], _ = stop_at(phase, signum, *args)
    meta = load_checkpoint(run, "jazz-lstm")[0]
    assert meta["step"] == 3
    assert line == (f"seqgen: error: {word(signum)}: checkpoint of epoch 3 saved to {run}; "
                    f"continue with --resume {run}")
    assert not solo.exists()
    if phase == "step":  # --resume completes the run from there
        r = run_cli("train-jazz", "--resume", run, "--epochs", "4", "--out", solo)
        assert r.exit_code == 0, r.stderr
        meta = load_checkpoint(run, "jazz-lstm")[0]
        assert meta["step"] == 4 and len(meta["metrics"]["loss_history"]) == 4
        assert solo.is_file()


@pytest.mark.slow
def test_train_jazz_stopped_while_parsing_leaves_nothing(tmp_path):
    run = tmp_path / "run"
    _, [line], _ = stop_at("parse", TERM, "train-jazz", "--midi", dataset("original_metheny.mid"),
                           "--run", run, "--out", tmp_path / "solo.midi")
    assert line == "seqgen: error: terminated (SIGTERM)"
    assert not run.exists() and not (tmp_path / "solo.midi").exists()


@pytest.mark.slow
@pytest.mark.parametrize("signum", [TERM, INT], ids=["SIGTERM", "SIGINT"])
def test_train_jazz_stopped_while_writing_its_solo_keeps_the_checkpoint(tmp_path,
                                                                         jazz_two_epochs,
                                                                         signum):
    run = copy_run(jazz_two_epochs, tmp_path / "run")
    solo = tmp_path / "solo.midi"
    _, [line], _ = stop_at("solo", signum, "train-jazz", "--resume", run, "--epochs", "3",
                           "--out", solo)
    assert line == (f"seqgen: error: {word(signum)} after training: the final checkpoint "
                    f"(epoch 3) is saved in {run}")
    assert load_checkpoint(run, "jazz-lstm")[0]["step"] == 3
    assert not solo.exists() and not list(tmp_path.glob(".solo.midi*"))


@pytest.mark.slow
def test_train_jazz_stopped_while_fitting_its_step_offsets_keeps_the_checkpoint(tmp_path,
                                                                              note_run):
    """The note model's step offsets are fitted after the final save: a signal there keeps
    the checkpoint (without offsets: it samples as a run trained before them), and
    resuming to the end fits and saves them."""
    from seqgen.jazz.models import load_model

    run = copy_run(note_run, tmp_path / "run")
    solo = tmp_path / "solo.mid"
    args = ["train-jazz", "--resume", run, "--epochs", "3", "--out", solo]
    _, [line], _ = stop_at("step-offsets", TERM, *args)
    assert line == (f"seqgen: error: {word(TERM)} after training: the final checkpoint "
                    f"(epoch 3) is saved in {run}")
    meta = load_checkpoint(run, "jazz-notes")[0]
    assert meta["step"] == 3 and "step_offsets" not in meta
    assert load_model(run).step_offsets is None and not solo.exists()
    r = run_cli(*args)
    assert r.exit_code == 0, r.stderr
    meta = load_checkpoint(run, "jazz-notes")[0]
    assert meta["step"] == 3 and len(meta["step_offsets"]) == 27 and solo.is_file()


# ---------------------------------------------------------------- train-shakespeare

SHAKESPEARE_PHASES = [("step", TERM, 1), ("heldout", INT, 5), ("final-save", TERM, 10),
                      ("plot", INT, 5)]


@pytest.mark.slow
@pytest.mark.parametrize("phase,signum,step", SHAKESPEARE_PHASES,
                         ids=[p for p, _, _ in SHAKESPEARE_PHASES])
@pytest.mark.slow
def test_train_shakespeare_stopped_in_each_phase(tmp_path, phase, signum, step):
    cfg = tiny_shakespeare(tmp_path, 3000, epochs=1000, units=8, embed=4, eval_every=5)
    run = tmp_path / "run"
    args = ["train-shakespeare", "--config", cfg, "--run", run]
    if phase == "final-save":
        args += ["--max-steps", "10"]
    _, [line], _ = stop_at(phase, signum, *args)
    meta = load_checkpoint(run / "last", "text-model")[0]
    assert meta["step"] == step
    assert line == (f"seqgen: error: {word(signum)}: checkpoint of step {step} saved to "
                    f"{run / 'last'}; continue with --resume {run}")
    load_checkpoint(run, "text-model")  # the best checkpoint loads too


@pytest.mark.slow
def test_train_shakespeare_stopped_while_loading_leaves_nothing(tmp_path):
    cfg = tiny_shakespeare(tmp_path, 3000)
    run = tmp_path / "run"
    _, [line], _ = stop_at("load", INT, "train-shakespeare", "--config", cfg, "--run", run)
    assert line == "seqgen: error: interrupted"
    assert not run.exists()


@pytest.mark.slow
@pytest.mark.parametrize("phase,signum,step", [("heldout", TERM, 5), ("step", INT, 1)])
def test_train_text_gpt_stopped_in_a_phase_saves_then_generates(tmp_path, phase, signum,
                                                                step):
    """train-text shares train-shakespeare's loop; its GPT's state saves and samples too."""
    data = tmp_path / "t.txt"
    data.write_text(dataset("shakespeare.txt").read_text(encoding="utf-8")[:3000],
                    encoding="utf-8")
    run = tmp_path / "run"
    _, [line], _ = stop_at(phase, signum, "train-text", "--data", data, "--run", run, "--arch",
                           "gpt", "--units", "8", "--heads", "2", "--layers", "1",
                           "--context", "16", "--batch-size", "4", "--eval-every", "5",
                           "--set", "xla=false")  # seconds of compiling, for a few steps
    assert line == (f"seqgen: error: {word(signum)}: checkpoint of step {step} saved to "
                    f"{run / 'last'}; continue with --resume {run}")
    assert load_checkpoint(run / "last", "text-model")[0]["step"] == step
    g = run_cli("generate-text", "Shall", "--run", run, "--seed", "1", "--length", "20")
    assert g.exit_code == 0 and len(g.stdout) == len("Shall") + 20 + 1, g.stderr


# ---------------------------------------------------------------- train-dino

@pytest.mark.slow
@pytest.mark.parametrize("phase,signum", [("step", TERM), ("final-save", TERM), ("plot", INT)])
def test_train_dino_stopped_in_each_phase(tmp_path, phase, signum):
    run = tmp_path / "run"
    iters = "1000000" if phase == "step" else "300"
    _, [line], _ = stop_at(phase if phase != "step" else "step@200", signum, "train-dino",
                           "--iters", iters, "--run", run)
    step = 200 if phase == "step" else 300
    assert load_checkpoint(run, "dino-rnn")[0]["step"] == step
    assert line == (f"seqgen: error: {word(signum)}: checkpoint of iteration {step} saved to "
                    f"{run}; continue with --resume {run}")


# ---------------------------------------------------------------- commands that make things

@pytest.mark.slow
def test_generate_poem_stopped_mid_stream(tmp_path):
    _, [line], out = stop_at("generate", TERM, "generate-poem", "shall i", "--seed", "1",
                             "--length", "50")
    assert line == "seqgen: error: terminated (SIGTERM)"
    assert out.startswith("shall i")


@pytest.mark.slow
def test_evaluate_stopped_while_scoring():
    _, [line], out = stop_at("heldout", INT, "evaluate")
    assert line == "seqgen: error: interrupted" and out == ""


@pytest.mark.slow
def test_generate_jazz_stopped_before_writing_leaves_no_file(tmp_path):
    solo = tmp_path / "solo.midi"
    _, [line], _ = stop_at("generate", TERM, "generate-jazz", "--out", solo, "--seed", "1",
                           "--measures", "2")
    assert line == "seqgen: error: terminated (SIGTERM)"
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_render_midi_stopped_mid_render_leaves_no_file(tmp_path):
    from tests.fixtures.music import sax_and_keys

    midi = tmp_path / "solo.midi"  # eight bars of two parts: read, planned, then rendered
    midi.write_bytes(sax_and_keys(8))
    _, [line], _ = stop_at("render", TERM, "render-midi", midi, "--synth", "builtin", "--plot")
    assert line == "seqgen: error: terminated (SIGTERM)"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["solo.midi"]


def test_a_signal_while_the_plot_helper_closes_is_not_lost(monkeypatch, tmp_path):
    """The last moment of a training loop: the final save is done and the plotting helper
    is closing. A SIGTERM then still ends the run with its one line and 143, not exit 0."""
    import os

    from seqgen import plotting, signals, training
    from seqgen.errors import TrainingInterrupted

    class Job:
        unit = "step"

        def step(self, step):
            return 1.0

        def after_step(self, step, loss):
            return False

        def save(self, step, final):
            return tmp_path

        def agree(self, stop):
            return stop

        def progress(self):
            return {}

    real_close = plotting._Helper.close

    def close_then_signal(helper):
        real_close(helper)
        os.kill(os.getpid(), signal.SIGTERM)

    before = {s: signal.getsignal(s) for s in (INT, TERM)}
    signals.install()
    try:
        monkeypatch.setattr(plotting, "HELPER_AFTER", 0.0)
        monkeypatch.setattr(plotting, "matplotlib_loaded", lambda: False)
        monkeypatch.setattr(plotting._Helper, "close", close_then_signal)
        with pytest.raises(TrainingInterrupted) as info:
            training.run_loop(Job(), 0, training.Schedule(total=3), tmp_path)
    finally:
        for s, handler in before.items():
            signal.signal(s, handler)
    assert info.value.exit_code == 143
    assert str(info.value).startswith("terminated (SIGTERM): checkpoint of step 3 saved to")
