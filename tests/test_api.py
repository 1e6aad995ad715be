"""seqgen as a Python library: the same output as the command line for a seed, the same
checks and messages, typed results, and the examples of docs/api.md."""

from __future__ import annotations

import contextlib
import io
import re
import subprocess
import sys

import pytest

import seqgen
from seqgen.errors import CheckpointError, ConfigError, UsageError
from tests.conftest import HEAVY, ROOT, one_error_line, process_env, run_cli


def test_import_load_and_generate_need_no_tensorflow():
    code = ("import sys, seqgen\n"
            "light = [m for m in " + repr(HEAVY) + " if m in sys.modules]\n"
            "seqgen.load('sonnets').generate('a', length=5, seed=1)\n"
            "seqgen.load('dinos').generate(n=2, seed=1)\n"
            "print(light, [m for m in ('tensorflow', 'keras') if m in sys.modules])\n")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=process_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "[] []", r.stdout


def test_text_generation_is_the_clis_for_a_seed():
    prompt = "Shall I compare thee"
    api = seqgen.load("sonnets").generate(prompt, length=150, seed=7, temperature=0.8)
    cli = run_cli("generate-poem", prompt, "--length", 150, "--seed", 7, "--temperature", 0.8)
    assert cli.exit_code == 0, cli.stderr
    assert cli.stdout == prompt + api + "\n"
    assert len(api) == 150


def test_names_are_the_clis_for_a_seed():
    api = seqgen.load("dinos").generate(n=12, seed=3, prefix="ty")
    cli = run_cli("sample-dino", "-n", 12, "--seed", 3, "--prefix", "ty")
    assert cli.exit_code == 0, cli.stderr
    assert cli.stdout.splitlines() == api
    assert all(name.lower().startswith("ty") for name in api)


def test_a_jazz_solo_is_the_clis_file_for_a_seed(tmp_path):
    solo = seqgen.load("metheny").generate(seed=4)
    written = solo.write_midi(tmp_path / "api.mid")
    cli = run_cli("generate-jazz", "--seed", 4, "--out", tmp_path / "cli.mid")
    assert cli.exit_code == 0, cli.stderr
    assert (tmp_path / "api.mid").read_bytes() == (tmp_path / "cli.mid").read_bytes()
    assert written.report == solo.report and solo.report["notes"] > 0


def test_a_note_solo_with_a_repeat_penalty_is_the_clis_file(tmp_path):
    """The penalty given (0: none) and the run's own (1.0) draw different solos, each the
    one the CLI writes for the seed."""
    model = seqgen.load("jazz-notes")
    for penalty, extra in (("0", {"repeat_penalty": 0.0}), ("1.0", {})):
        model.generate(seed=2, chords="Dm7 G7 | Cmaj7", choruses=2, **extra).write_midi(
            tmp_path / f"api-{penalty}.mid")
        cli = run_cli("generate-jazz", "--seed", 2, "--chords", "Dm7 G7 | Cmaj7",
                      "--choruses", 2, "--repeat-penalty", penalty, "--out",
                      tmp_path / f"cli-{penalty}.mid")
        assert cli.exit_code == 0, cli.stderr
        assert (tmp_path / f"api-{penalty}.mid").read_bytes() == \
            (tmp_path / f"cli-{penalty}.mid").read_bytes()
    assert (tmp_path / "api-0.mid").read_bytes() != (tmp_path / "api-1.0.mid").read_bytes()


def test_evaluate_is_typed_and_scores_the_test_part():
    score = seqgen.load("sonnets").evaluate()
    assert score.part == "test"
    assert score.loss == pytest.approx(1.5821, abs=5e-5)  # the shipped model's test loss
    cli = run_cli("evaluate")
    assert f"test_loss={score.loss:.4f}" in cli.stdout


def test_shipped_models_are_listed_and_each_loads():
    listed = seqgen.models()
    assert [m.name for m in listed] == ["sonnets", "dinos", "metheny", "jazz-notes"]
    kinds = {m.name: type(seqgen.load(m.name)).__name__ for m in listed}
    assert kinds == {"sonnets": "TextModel", "dinos": "NamesModel", "metheny": "JazzModel",
                     "jazz-notes": "JazzModel"}
    r = run_cli("models")
    assert r.exit_code == 0 and len(r.stdout.splitlines()) == 4
    assert re.search(r"^sonnets\s+shakespeare-lstm\s+832,230 parameters", r.stdout, re.M)


def test_bad_values_raise_the_clis_message_and_never_exit(tmp_path):
    with pytest.raises(UsageError) as caught:
        seqgen.train_text(data="x.txt", run=tmp_path / "r", lr=-1.0)
    cli = run_cli("train-text", "--data", "x.txt", "--run", tmp_path / "r", "--lr", -1)
    assert one_error_line(cli, 2) == f"seqgen: error: {caught.value}"
    with pytest.raises(ConfigError, match="unknown key 'no_such_setting'"):
        seqgen.train_dino(run=tmp_path / "d", no_such_setting=1)
    with pytest.raises(ConfigError, match="key 'iters' must be int"):
        seqgen.train_dino(run=tmp_path / "d", iters="many")
    with pytest.raises(CheckpointError, match="checkpoint not found"):
        seqgen.load(tmp_path / "nothing")
    with pytest.raises(UsageError, match="--temperature"):
        seqgen.load("sonnets").generate(temperature=0)
    assert not (tmp_path / "r").exists() and not (tmp_path / "d").exists()


def _examples() -> list[str]:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    return re.findall(r"```python\n(.*?)```", text, re.S)


@pytest.mark.slow
def test_every_example_of_the_api_doc_runs(tmp_path, monkeypatch):
    """The blocks run in order in one namespace, in an empty folder, as a reader would."""
    blocks = _examples()
    assert len(blocks) >= 5
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, "docs/api.md", "exec"), namespace)
    printed = out.getvalue()
    assert "refused: --units 64 contradicts the model of --init-from sonnets" in printed
    assert "starting from sonnets (shakespeare-lstm" in printed
    assert (tmp_path / "solo.mid").is_file() and (tmp_path / "runs" / "mine").is_dir()
