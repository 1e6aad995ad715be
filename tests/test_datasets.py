"""The built-in datasets: checksums, the locate rules, the wheel, and every command's defaults
run from an empty folder (nothing but the installed package to read from)."""

import hashlib
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from seqgen.datasets import BUILTIN, BUILTIN_DIR, builtin_path, locate
from seqgen.errors import DataError
from seqgen.textio import check_input_file, read_text
from tests.conftest import ROOT, run_cli

SHIPPED_MODEL = ("seqgen/assets/shakespeare/meta.json", "seqgen/assets/shakespeare/weights.npz")


def sha256sums() -> dict[str, str]:
    """name -> hex digest, from the repository's data/SHA256SUMS."""
    sums = {}
    for line in (ROOT / "data" / "SHA256SUMS").read_text().splitlines():
        digest, name = line.split(maxsplit=1)
        sums[name.lstrip("*")] = digest
    return sums


# -- the files ---------------------------------------------------------------------------------

def test_sha256sums_lists_exactly_the_builtin_datasets():
    assert sorted(sha256sums()) == sorted(BUILTIN)


@pytest.mark.parametrize("name", BUILTIN)
def test_packaged_copy_matches_its_checksum(name):
    data = builtin_path(name).read_bytes()
    assert hashlib.sha256(data).hexdigest() == sha256sums()[name]


def test_git_tracks_one_copy_of_each_dataset():
    r = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip("not a git checkout")
    tracked = [Path(p) for p in r.stdout.splitlines()]
    for name in BUILTIN:
        copies = [p for p in tracked if p.name == name]
        assert copies == [BUILTIN_DIR.relative_to(ROOT) / name], copies


# -- locate: an existing path wins, default names fall back, anything else is an error ----------

@pytest.mark.parametrize("name", BUILTIN)
@pytest.mark.parametrize("form", ["data/{}", "./data/{}", "{}"])
def test_missing_default_path_is_the_packaged_copy(tmp_path, monkeypatch, name, form):
    monkeypatch.chdir(tmp_path)
    assert locate(form.format(name)) == builtin_path(name)
    assert check_input_file(form.format(name)) == builtin_path(name)


def test_existing_file_wins_over_the_packaged_copy(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "dinos.txt").write_text("mine\n")
    (tmp_path / "shakespeare.txt").write_text("my own sonnet\n")
    assert locate("data/dinos.txt") == Path("data/dinos.txt")
    assert read_text("data/dinos.txt") == "mine\n"
    assert read_text("shakespeare.txt") == "my own sonnet\n"
    # An absolute path is taken as written too.
    assert read_text(tmp_path / "data" / "dinos.txt") == "mine\n"


@pytest.mark.parametrize("path", ["data/mine.txt", "other/dinos.txt", "data/data/dinos.txt",
                                  "DINOS.TXT", "/nonexistent/data/dinos.txt"])
def test_any_other_missing_path_is_an_error(tmp_path, monkeypatch, path):
    monkeypatch.chdir(tmp_path)
    assert locate(path) == Path(path)
    with pytest.raises(DataError, match="not found"):
        check_input_file(path, "names file")


def test_builtin_path_refuses_an_unknown_name():
    with pytest.raises(KeyError, match="not a built-in dataset"):
        builtin_path("mine.txt")


# -- the wheel ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                        "-q", "-w", str(out), "."], cwd=ROOT, capture_output=True, text=True)
    assert r.returncode == 0, r.stdout + r.stderr
    (whl,) = out.glob("seqgen-*.whl")
    return whl


@pytest.mark.slow
def test_wheel_holds_the_datasets_and_the_shipped_model(wheel):
    with zipfile.ZipFile(wheel) as z:
        names = set(z.namelist())
        for name in BUILTIN:
            member = f"seqgen/assets/data/{name}"
            assert member in names
            assert hashlib.sha256(z.read(member)).hexdigest() == sha256sums()[name]
        for member in SHIPPED_MODEL:
            assert member in names
        # the presets are settings files: train-shakespeare from a wheel needs its YAML
        for name in ("dino", "text", "shakespeare", "jazz"):
            assert f"seqgen/configs/{name}.yaml" in names
        # Datasets travel once, inside the package; nothing lands outside it.
        assert not [n for n in names if not n.startswith(("seqgen/", "seqgen-"))]


@pytest.mark.slow
def test_seqgen_from_the_wheel_trains_from_an_empty_folder(wheel, tmp_path):
    site = tmp_path / "site"
    with zipfile.ZipFile(wheel) as z:
        z.extractall(site)
    work = tmp_path / "work"
    work.mkdir()
    # The extracted wheel comes first on the path; the venv only provides the dependencies.
    env = {**os.environ, "PYTHONPATH": str(site)}
    r = subprocess.run([sys.executable, "-c", "import seqgen; print(seqgen.__file__)"],
                       cwd=work, env=env, capture_output=True, text=True)
    assert Path(r.stdout.strip()).is_relative_to(site), r.stdout + r.stderr
    r = subprocess.run([sys.executable, "-c", "from seqgen.config import default_config_path as d;"
                        " print(d('shakespeare').resolve())"], cwd=work, env=env,
                       capture_output=True, text=True)
    assert Path(r.stdout.strip()).is_relative_to(site), r.stdout + r.stderr  # the wheel's own
    r = subprocess.run([sys.executable, "-m", "seqgen", "train-dino", "--iters", "20"],
                       cwd=work, env=env, capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    assert (work / "runs" / "dino").is_dir()


# -- every command's defaults from an empty folder ----------------------------------------------

@pytest.fixture
def empty(tmp_path) -> Path:
    work = tmp_path / "empty"
    work.mkdir()
    return work


def test_train_and_sample_dino_from_an_empty_folder(empty):
    r = run_cli("train-dino", "--iters", "50", cwd=empty)
    assert r.returncode == 0, r.stderr
    assert "not found" not in r.stderr
    assert (empty / "runs" / "dino").is_dir()
    r = run_cli("sample-dino", cwd=empty)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip()
    assert sorted(p.name for p in empty.iterdir()) == ["runs"]  # no data/ was needed


def test_evaluate_and_generate_poem_from_an_empty_folder(empty):
    # The shipped model records data/shakespeare.txt; the built-in copy stands in for it.
    r = run_cli("evaluate", cwd=empty)
    assert r.returncode == 0, r.stderr
    test_loss = float(re.search(r"test_loss=([\d.]+)", r.stdout).group(1))
    assert test_loss <= 1.60
    r = run_cli("generate-poem", "shall i", "--seed", "0", cwd=empty)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("shall i")


@pytest.mark.slow
def test_train_shakespeare_from_an_empty_folder(empty):
    r = run_cli("train-shakespeare", "--max-steps", "2", "--run", "runs/sh", cwd=empty)
    assert r.returncode == 0, r.stderr
    assert (empty / "runs" / "sh").is_dir()


@pytest.mark.slow
def test_train_and_generate_jazz_from_an_empty_folder(empty):
    r = run_cli("train-jazz", "--epochs", "1", cwd=empty)
    assert r.returncode == 0, r.stderr
    r = run_cli("generate-jazz", cwd=empty)
    assert r.returncode == 0, r.stderr
