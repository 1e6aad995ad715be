"""CLI entry points, import hygiene and the dino bad-input cases."""

import subprocess

import pytest
from typer.testing import CliRunner

from tests.conftest import ROOT, one_error_line, run_cli, run_reporting_imports


def test_help_and_version():
    r = run_cli("--help")
    assert r.exit_code == 0 and "train-dino" in r.stdout and "sample-dino" in r.stdout
    v = run_cli("--version")
    assert v.exit_code == 0 and v.stdout.startswith("seqgen ")
    # the installed console script is the same entry point
    console = subprocess.run([str(ROOT / ".venv" / "bin" / "seqgen"), "--version"],
                             capture_output=True, text=True)
    assert console.returncode == 0 and console.stdout == v.stdout


RUN_HELP = {"train-text": "Run directory", "train-dino": "Run directory",
            "train-jazz": "Run directory", "train-shakespeare": "Run directory",
            "sample-dino": "Run directory", "generate-poem": "Run directory",
            "generate-text": "Run directory", "generate-jazz": "Run directory",
            "evaluate": "Run directory"}


@pytest.mark.parametrize("command", sorted(RUN_HELP))
def test_every_trainer_and_reader_names_its_run_directory_run(command):
    """One option for a run directory everywhere; the old spellings are hidden."""
    r = run_cli(command, "--help", env={"COLUMNS": "200"})
    assert r.exit_code == 0
    run_line = next(line for line in r.stdout.splitlines() if "--run " in line)
    assert RUN_HELP[command] in run_line, run_line
    assert "--checkpoint" not in r.stdout
    if command.startswith("train") and command != "train-jazz":  # jazz: --out is the MIDI
        assert "--out " not in r.stdout


def test_old_spellings_still_work_with_one_line_naming_the_new_one(tmp_path, dinos):
    run = tmp_path / "r"
    trained = run_cli("train-dino", "--iters", "5", "--report-every", "5", "--out", run)
    assert trained.exit_code == 0 and (run / "meta.json").is_file(), trained.stderr
    assert "seqgen: --out is now --run" in trained.stderr.splitlines()
    sampled = run_cli("sample-dino", "--checkpoint", run, "-n", "2", "--seed", "1")
    again = run_cli("sample-dino", "--run", run, "-n", "2", "--seed", "1")
    assert sampled.exit_code == 0 and sampled.stdout == again.stdout
    assert "seqgen: --checkpoint is now --run" in sampled.stderr.splitlines()
    assert "is now" not in again.stderr
    # an old key in a config file or --set reads as the new one, named on stderr
    cfg = tmp_path / "old.yaml"
    cfg.write_text(f"out: {tmp_path / 'from-yaml'}\niters: 5\nreport_every: 5\n")
    r = run_cli("train-dino", "--config", cfg)
    assert r.exit_code == 0 and (tmp_path / "from-yaml" / "meta.json").is_file(), r.stderr
    assert "setting 'out' is now 'run'" in r.stderr


def test_cli_and_numpy_commands_never_import_tensorflow(tmp_path, dinos):
    """A real process: what `import seqgen.cli` and each NumPy command leave in sys.modules."""
    run = tmp_path / "r"
    r, heavy = run_reporting_imports(["--help"], ["train-dino", "--iters", "20", "--run", run],
                                     ["sample-dino", "--run", run, "-n", "2"])
    assert r.returncode == 0 and "EXIT" not in r.stderr, r.stderr[-2000:]
    assert heavy == [[], [], []], heavy


def test_runner_invoke_and_main_agree_on_seqgen_errors(tmp_path):
    """Typer's CliRunner.invoke(app) prints SeqgenErrors and results as the entry point does."""
    from seqgen.cli import app

    for args in (["sample-dino", "--run", str(tmp_path / "none")], ["--version"]):
        direct = run_cli(*args)
        invoked = CliRunner().invoke(app, args)
        assert (invoked.exit_code, invoked.stdout, invoked.stderr) == \
            (direct.exit_code, direct.stdout, direct.stderr), args


@pytest.fixture
def bad_files(tmp_path):
    files = {
        "empty": tmp_path / "empty.txt",
        "binary": tmp_path / "binary.txt",
        "latin1": tmp_path / "latin1.txt",
    }
    files["empty"].write_bytes(b"")
    files["binary"].write_bytes(b"\x00\x01\x02abc\x00")
    files["latin1"].write_bytes("caf\xe9\n".encode("latin-1"))
    return files


@pytest.mark.parametrize("case", ["missing", "empty", "binary", "latin1", "directory"])
def test_train_dino_bad_data(tmp_path, bad_files, case):
    path = {"missing": tmp_path / "nope.txt", "directory": tmp_path}.get(case) \
        or bad_files[case]
    out = tmp_path / "run"
    r = run_cli("train-dino", "--data", path, "--iters", "5", "--run", out)
    line = one_error_line(r, 1)
    assert str(path) in line
    assert not out.exists()


@pytest.mark.parametrize("args, code", [
    (["train-dino", "--iters", "0"], 2),
    (["train-dino", "--iters", "-3"], 2),
    (["train-dino", "--iters", "ten"], 2),
    (["train-dino", "--hidden", "0"], 2),
    (["train-dino", "--cell", "gru"], 2),
    (["sample-dino", "-n", "-1"], 2),
    (["sample-dino", "-n", "0"], 2),
    (["sample-dino", "--temperature", "0"], 2),
    (["sample-dino", "--temperature", "-1"], 2),
    (["no-such-command"], 2),
])
def test_usage_errors(tmp_path, args, code):
    one_error_line(run_cli(*args, cwd=tmp_path), code)


@pytest.mark.parametrize("text", ["iterz: 3\n", "iters: [\n", "iters: many\n"])
def test_bad_config_cli(tmp_path, text):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    r = run_cli("train-dino", "--config", cfg, "--run", tmp_path / "run")
    assert str(cfg) in one_error_line(r, 2)
    assert not (tmp_path / "run").exists()


def test_bad_checkpoints(tmp_path, dinos):
    missing = run_cli("sample-dino", "--run", tmp_path / "none")
    assert "not found" in one_error_line(missing, 1)
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "meta.json").write_text("{not json")
    r = run_cli("sample-dino", "--run", corrupt)
    assert "corrupt" in one_error_line(r, 1)
    afile = tmp_path / "file"
    afile.write_text("x")
    r = run_cli("sample-dino", "--run", afile)
    assert "directory" in one_error_line(r, 1)


def test_out_dir_of_another_kind_or_foreign_is_protected(tmp_path, dinos):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    r = run_cli("train-dino", "--iters", "5", "--run", foreign)
    assert "not a seqgen run directory" in one_error_line(r, 1)
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.tex"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "meta.json").write_text('{"kind": "jazz-lstm"}')
    r = run_cli("train-dino", "--iters", "5", "--run", other)
    assert "jazz-lstm" in one_error_line(r, 1)
    afile = tmp_path / "afile"
    afile.write_text("x")
    r = run_cli("train-dino", "--iters", "5", "--run", afile)
    assert "is a file" in one_error_line(r, 1)
    assert afile.read_text() == "x"
