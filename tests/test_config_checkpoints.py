"""Strict configs and self-describing, atomic checkpoints."""

import dataclasses
import json
import re

import numpy as np
import pytest

from seqgen.checkpoints import load_checkpoint, read_meta, save_checkpoint
from seqgen.config import load_config, read_yaml_mapping, settings_help
from seqgen.errors import CheckpointError, ConfigError
from seqgen.jazz.config import JazzConfig
from seqgen.names.config import DinoConfig
from seqgen.text.config import TextConfig
from tests.conftest import ROOT

# what the sonnets preset (configs/shakespeare.yaml, nothing else) sets apart from train-text's
SONNETS_PRESET = {"run": "runs/shakespeare", "lowercase": True, "arch": "lstm", "layers": 2,
                  "units": 256, "embed": 32, "dropout": 0.4, "context": 64, "lr": 0.005,
                  "lr_schedule": "plateau", "weight_decay": 0.0}


def test_the_sonnets_preset_is_train_texts_settings_with_a_few_fixed():
    """One text product: the preset is a YAML file of TextConfig's keys, which differs from
    train-text's defaults only where the course's recipe fixes a setting."""
    values = read_yaml_mapping(ROOT / "configs" / "shakespeare.yaml")
    assert set(values) == {f.name for f in dataclasses.fields(TextConfig)}
    preset = load_config(TextConfig, None, "shakespeare")
    changed = {f.name: getattr(preset, f.name) for f in dataclasses.fields(TextConfig)
               if getattr(preset, f.name) != getattr(TextConfig(), f.name)}
    assert changed == SONNETS_PRESET


@pytest.mark.parametrize("cls,name", [(DinoConfig, "dino"), (TextConfig, "text"),
                                      (JazzConfig, "jazz")])
def test_yaml_defaults_match_dataclass(cls, name):
    """Each configs/NAME.yaml holds every setting of its dataclass, with the same default, and
    every setting has its help text in the dataclass."""
    values = read_yaml_mapping(ROOT / "configs" / f"{name}.yaml")
    fields = dataclasses.fields(cls)
    assert set(values) == {f.name for f in fields}
    assert load_config(cls, ROOT / "configs" / f"{name}.yaml", name) == cls()
    assert all(len(f.metadata.get("help", "")) > 5 for f in fields), settings_help(cls)


def test_set_overrides_the_file_and_flags_override_set(tmp_path):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("iters: 10\nhidden: 20\n")
    cfg = load_config(DinoConfig, cfg_file, "dino", {"iters": 30},
                      sets=["iters=5", "hidden=64", "val_split=0.25", "cell=lstm"])
    assert (cfg.iters, cfg.hidden, cfg.val_split, cfg.cell) == (30, 64, 0.25, "lstm")
    text = load_config(TextConfig, None, "shakespeare",
                       sets=["units=64", "max_steps=null", "dropout=0"])
    assert text.units == 64 and text.max_steps is None and text.dropout == 0.0
    jazz = load_config(JazzConfig, None, "jazz", sets=["accompaniment_parts=[0, 1]"])
    assert jazz.accompaniment_parts == (0, 1)


def test_set_reads_each_value_as_its_setting_wants():
    """Numbers as Python reads them (1e-3), a string setting as typed (no YAML comments,
    dates or booleans), null where nothing is allowed, lists as YAML."""
    cfg = load_config(DinoConfig, None, "dino",
                      sets=["lr=1e-3", "data=names #1.txt", "out=2024", "val_split=0"])
    assert (cfg.lr, cfg.data, cfg.run, cfg.val_split) == (0.001, "names #1.txt", "2024", 0.0)
    jazz = load_config(JazzConfig, None, "jazz", sets=["melody_part=Guitar", "bpm=null"])
    assert jazz.melody_part == "Guitar" and jazz.bpm is None


@pytest.mark.parametrize("item, fragment", [
    ("units", "--set expects KEY=VALUE, got 'units'"),
    ("=3", "--set expects KEY=VALUE"),
    ("unitz=3", "--set: unknown key 'unitz'"),
    ("epochs=many", "--set: key 'epochs' must be int, got str 'many'"),
    ("units=many", "--set: key 'units' must be int or null, got str 'many'"),
    ("dropout=[1]", "--set: key 'dropout'"),
])
def test_a_bad_set_names_the_key(item, fragment):
    with pytest.raises(ConfigError, match=re.escape(fragment)):
        load_config(TextConfig, None, "shakespeare", sets=[item])


def test_overrides_win(tmp_path):
    cfg_file = tmp_path / "c.yaml"
    cfg_file.write_text("iters: 10\nlr: 1\n")
    cfg = load_config(DinoConfig, cfg_file, "dino", {"iters": 20, "hidden": None})
    assert cfg.iters == 20 and cfg.lr == 1.0 and isinstance(cfg.lr, float)
    assert cfg.hidden is None and cfg.filled().hidden == 50  # None: not given, the default


@pytest.mark.parametrize("text, fragment", [
    ("iterz: 5\n", "unknown key 'iterz'"),
    ("iters: many\n", "key 'iters' must be int"),
    ("iters: 2.5\n", "key 'iters' must be int"),
    ("lr: yes\n", "key 'lr'"),
    ("iters: [1\n", "broken YAML"),
    ("- a\n- b\n", "expected a mapping"),
])
def test_bad_config_names_key_and_file(tmp_path, text, fragment):
    cfg_file = tmp_path / "bad.yaml"
    cfg_file.write_text(text)
    with pytest.raises(ConfigError) as err:
        load_config(DinoConfig, cfg_file, "dino")
    assert fragment in str(err.value) and str(cfg_file) in str(err.value)


def test_checkpoint_round_trip_and_refusals(tmp_path):
    arrays = {"W": np.arange(6.0).reshape(2, 3)}
    save_checkpoint(tmp_path / "run", "toy", {"step": 3, "seed": 1, "config": {"a": 1},
                                             "vocab": ["a"], "metrics": {"loss": 0.5}},
                    arrays=arrays)
    meta, got = load_checkpoint(tmp_path / "run", "toy")
    assert meta["format_version"] == 1 and meta["step"] == 3 and meta["kind"] == "toy"
    np.testing.assert_array_equal(got["W"], arrays["W"])
    assert not [p for p in (tmp_path / "run").iterdir() if p.name.endswith(".tmp")]
    with pytest.raises(CheckpointError, match="expected 'other'"):
        read_meta(tmp_path / "run", "other")
    meta_path = tmp_path / "run" / "meta.json"
    newer = json.loads(meta_path.read_text())
    newer["format_version"] = 99
    meta_path.write_text(json.dumps(newer))
    with pytest.raises(CheckpointError, match="newer"):
        read_meta(tmp_path / "run", "toy")


def test_checkpoint_detects_mismatched_files(tmp_path):
    run = tmp_path / "run"
    base = {"step": 1, "seed": 0, "config": {}, "vocab": None, "metrics": {}}
    save_checkpoint(run, "toy", base, arrays={"W": np.zeros(3)})
    (run / "weights.npz").write_bytes(b"PK\x03\x04garbage")
    with pytest.raises(CheckpointError, match="inconsistent"):
        load_checkpoint(run, "toy")


def test_pickled_arrays_refused(tmp_path):
    run = tmp_path / "run"
    save_checkpoint(run, "toy", {"step": 1, "seed": 0, "config": {}, "vocab": None,
                                 "metrics": {}}, arrays={"W": np.zeros(2)})
    np.savez(run / "weights.npz", W=np.array([{"evil": 1}], dtype=object))
    from seqgen.checkpoints import load_arrays

    with pytest.raises(CheckpointError, match="pickled"):
        load_arrays(run / "weights.npz")


def test_interrupted_save_falls_back_to_previous_complete_set(tmp_path):
    """New weights renamed in but metadata not yet written: the loader uses .prev/."""
    run = tmp_path / "run"
    base = {"seed": 0, "config": {}, "vocab": None, "metrics": {}}
    save_checkpoint(run, "toy", {**base, "step": 1}, arrays={"W": np.zeros(3)})
    save_checkpoint(run, "toy", {**base, "step": 2}, arrays={"W": np.ones(3)})
    meta, arrays = load_checkpoint(run, "toy")
    assert meta["step"] == 2 and "loaded_from" not in meta
    # save 3 killed between its data rename and its metadata rename
    from seqgen.checkpoints import _keep_previous

    _keep_previous(run)
    np.savez(tmp_path / "new.npz", W=np.full(3, 7.0))
    (tmp_path / "new.npz").replace(run / "weights.npz")  # writers always rename into place
    meta, arrays = load_checkpoint(run, "toy")
    assert meta["step"] == 2 and meta["loaded_from"].endswith(".prev")
    np.testing.assert_array_equal(arrays["W"], np.ones(3))
    (run / "meta.json").unlink()
    assert load_checkpoint(run, "toy")[0]["step"] == 2


def test_run_killed_before_its_first_save_can_be_trained_again(tmp_path):
    """A folder holding only a half-written first save is still recognised as our run."""
    from seqgen.checkpoints import prepare_run_dir

    run = tmp_path / "run"
    save_checkpoint(run, "toy", {"step": 1, "seed": 0, "config": {}, "vocab": None,
                                 "metrics": {}}, arrays={"W": np.zeros(2)})
    (run / "meta.json").unlink()  # killed before the metadata landed
    assert prepare_run_dir(run, "toy") == run
    with pytest.raises(CheckpointError, match="toy"):
        prepare_run_dir(run, "other")
    with pytest.raises(CheckpointError, match="no meta.json"):
        load_checkpoint(run, "toy")
