"""Every setting of every trainer from the command line: --set KEY=VALUE, checked like the
YAML file, one line naming a bad key or value."""

from __future__ import annotations

import pytest

from seqgen.checkpoints import load_checkpoint
from tests.conftest import dataset, one_error_line, run_cli, tiny_shakespeare


def test_train_dino_takes_any_setting(tmp_path):
    r = run_cli("train-dino", "--iters", "3", "--set", "hidden=16", "--set", "report_names=2",
                "--run", tmp_path / "run")
    assert r.exit_code == 0, r.stderr
    meta, arrays = load_checkpoint(tmp_path / "run", "dino-rnn")
    assert meta["config"]["hidden"] == 16 and meta["config"]["report_names"] == 2
    assert arrays["Waa"].shape == (16, 16)


@pytest.mark.slow
def test_train_shakespeare_sizes_its_model_with_set(tmp_path):
    cfg = tiny_shakespeare(tmp_path, 3000)
    r = run_cli("train-shakespeare", "--config", cfg, "--set", "units=12", "--set", "embed=3",
                "--max-steps", "2", "--run", tmp_path / "run")
    assert r.exit_code == 0, r.stderr
    meta, arrays = load_checkpoint(tmp_path / "run", "text-model")
    assert meta["config"]["units"] == 12 and meta["config"]["embed"] == 3
    assert any(a.shape == (12, 48) for a in arrays.values())  # a recurrent kernel (u, 4u)


@pytest.mark.slow
def test_train_jazz_sizes_its_model_with_set(tmp_path):
    r = run_cli("train-jazz", "--epochs", "1", "--set", "hidden=8", "--run",
                tmp_path / "run", "--out", tmp_path / "solo.midi")
    assert r.exit_code == 0, r.stderr
    meta, arrays = load_checkpoint(tmp_path / "run", "jazz-lstm")
    assert meta["config"]["hidden"] == 8
    assert any(a.shape[-1] == 32 for a in arrays.values())  # the LSTM's 4 × 8 gate columns


@pytest.mark.parametrize("command", ["train-dino", "train-shakespeare", "train-jazz"])
@pytest.mark.parametrize("item, fragment", [
    ("hiddn=3", "--set: unknown key 'hiddn'"),
    ("epochs=lots", "key 'epochs' must be int"),
    ("seed", "--set expects KEY=VALUE, got 'seed'"),
])
def test_a_bad_set_is_one_line_and_writes_nothing(tmp_path, command, item, fragment):
    if command == "train-dino" and item.startswith("epochs"):
        item = "iters=lots"
        fragment = "key 'iters' must be int"
    r = run_cli(command, "--set", item, cwd=tmp_path)
    assert fragment in one_error_line(r, 2)
    assert list(tmp_path.iterdir()) == []


def test_set_midi_is_the_midi_option(tmp_path):
    r = run_cli("train-jazz", "--set", "midi=nowhere.mid", cwd=tmp_path)
    line = one_error_line(r)
    assert "nowhere.mid" in line
    dataset("original_metheny.mid")


def test_set_keeps_the_source_settings_for_another_midi_file(tmp_path):
    """--set offset_start for another file is kept (not reset with the config's own window):
    given alone, it is refused for want of offset_end."""
    r = run_cli("train-jazz", "--midi", "other.mid", "--set", "offset_start=8", cwd=tmp_path)
    assert "offset_start and offset_end must be given together" in one_error_line(r, 2)
