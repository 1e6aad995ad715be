"""CLI entry points, import hygiene and the dino bad-input matrix."""

import subprocess
import sys

import pytest

from tests.conftest import ROOT, run_cli


def test_help_and_version():
    r = run_cli("--help")
    assert r.returncode == 0 and "train-dino" in r.stdout and "sample-dino" in r.stdout
    v = run_cli("--version")
    assert v.returncode == 0 and v.stdout.startswith("seqgen ")
    console = subprocess.run([str(ROOT / ".venv" / "bin" / "seqgen"), "--version"],
                             capture_output=True, text=True)
    assert console.returncode == 0 and console.stdout == v.stdout


def test_cli_and_numpy_commands_never_import_tensorflow(tmp_path, dinos):
    code = (
        "import sys\n"
        "from seqgen.cli import main\n"
        "sys.argv = ['seqgen'] + sys.argv[1:]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "bad = [m for m in ('tensorflow', 'keras', 'music21') if m in sys.modules]\n"
        "print('HEAVY', bad, file=sys.stderr)\n"
    )
    for args in (["--help"], ["train-dino", "--iters", "20", "--out", str(tmp_path / "r")],
                 ["sample-dino", "--checkpoint", str(tmp_path / "r"), "-n", "2"]):
        r = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                           cwd=ROOT)
        assert "HEAVY []" in r.stderr, (args, r.stderr[-500:])


def one_error_line(r):
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert "Traceback" not in r.stderr, r.stderr
    assert len(lines) == 1, r.stderr
    return lines[0]


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
    r = run_cli("train-dino", "--data", path, "--iters", "5", "--out", out)
    assert r.returncode == 1
    line = one_error_line(r)
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
    r = run_cli(*args)
    assert r.returncode == code
    one_error_line(r)


@pytest.mark.parametrize("text", ["iterz: 3\n", "iters: [\n", "iters: many\n"])
def test_bad_config_cli(tmp_path, text):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text)
    r = run_cli("train-dino", "--config", cfg, "--out", tmp_path / "run")
    assert r.returncode == 2
    assert str(cfg) in one_error_line(r)
    assert not (tmp_path / "run").exists()


def test_bad_checkpoints(tmp_path, dinos):
    missing = run_cli("sample-dino", "--checkpoint", tmp_path / "none")
    assert missing.returncode == 1 and "not found" in one_error_line(missing)
    corrupt = tmp_path / "corrupt"
    corrupt.mkdir()
    (corrupt / "meta.json").write_text("{not json")
    r = run_cli("sample-dino", "--checkpoint", corrupt)
    assert r.returncode == 1 and "corrupt" in one_error_line(r)
    afile = tmp_path / "file"
    afile.write_text("x")
    r = run_cli("sample-dino", "--checkpoint", afile)
    assert r.returncode == 1 and "directory" in one_error_line(r)


def test_out_dir_of_another_kind_or_foreign_is_protected(tmp_path, dinos):
    foreign = tmp_path / "foreign"
    foreign.mkdir()
    (foreign / "thesis.tex").write_text("precious")
    r = run_cli("train-dino", "--iters", "5", "--out", foreign)
    assert r.returncode == 1 and "not a seqgen run directory" in one_error_line(r)
    assert sorted(p.name for p in foreign.iterdir()) == ["thesis.tex"]
    other = tmp_path / "other"
    other.mkdir()
    (other / "meta.json").write_text('{"kind": "jazz-lstm"}')
    r = run_cli("train-dino", "--iters", "5", "--out", other)
    assert r.returncode == 1 and "jazz-lstm" in one_error_line(r)
    afile = tmp_path / "afile"
    afile.write_text("x")
    r = run_cli("train-dino", "--iters", "5", "--out", afile)
    assert r.returncode == 1 and "is a file" in one_error_line(r)
    assert afile.read_text() == "x"
