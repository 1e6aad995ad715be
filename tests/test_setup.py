"""The set-up step: datasets copied from ../shared/data and verified against SHA256SUMS."""

import shutil
import subprocess

import pytest

from tests.conftest import ROOT

FILES = ["dinos.txt", "shakespeare.txt", "original_metheny.mid"]


@pytest.fixture
def project(tmp_path):
    proj = tmp_path / "proj"
    (proj / "data").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", proj / "Makefile")
    shutil.copy(ROOT / "data" / "SHA256SUMS", proj / "data" / "SHA256SUMS")
    return proj


def make_data(project, shared):
    return subprocess.run(["make", "-s", "data", f"SHARED_DATA={shared}"], cwd=project,
                          capture_output=True, text=True)


def test_data_copied_and_verified(project):
    r = make_data(project, ROOT / "data")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verified" in r.stdout
    for name in FILES:
        assert (project / "data" / name).read_bytes() == (ROOT / "data" / name).read_bytes()


def test_missing_shared_data_names_the_files(project, tmp_path):
    r = make_data(project, tmp_path / "nowhere")
    assert r.returncode != 0
    for name in FILES:
        assert name in r.stdout
    assert "data/" in r.stdout


def test_corrupt_dataset_fails_the_checksum(project, tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    for name in FILES:
        shutil.copy(ROOT / "data" / name, shared / name)
    (shared / "dinos.txt").write_text("not the dataset\n")
    r = make_data(project, shared)
    assert r.returncode != 0
    assert "dinos.txt" in r.stdout + r.stderr
