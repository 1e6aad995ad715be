"""The set-up step: `make data` verifies the built-in datasets against data/SHA256SUMS, and
`make install` needs nothing outside the repository (no ../shared)."""

import shutil
import subprocess

import pytest

from seqgen.datasets import BUILTIN, BUILTIN_DIR
from tests.conftest import ROOT


@pytest.fixture
def project(tmp_path):
    """A copy of what `make data` reads: the Makefile, data/SHA256SUMS and the packaged files."""
    proj = tmp_path / "proj"
    (proj / "data").mkdir(parents=True)
    shutil.copy(ROOT / "Makefile", proj / "Makefile")
    shutil.copy(ROOT / "data" / "SHA256SUMS", proj / "data" / "SHA256SUMS")
    shutil.copytree(BUILTIN_DIR, proj / BUILTIN_DIR.relative_to(ROOT))
    return proj


def make_data(project):
    return subprocess.run(["make", "-s", "data"], cwd=project, capture_output=True, text=True)


def test_builtin_datasets_verified(project):
    r = make_data(project)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "verified" in r.stdout


def test_corrupt_dataset_fails_the_checksum(project):
    (project / BUILTIN_DIR.relative_to(ROOT) / "dinos.txt").write_text("not the dataset\n")
    r = make_data(project)
    assert r.returncode != 0
    assert "dinos.txt" in r.stdout + r.stderr


@pytest.mark.parametrize("name", BUILTIN)
def test_missing_dataset_is_named(project, name):
    (project / BUILTIN_DIR.relative_to(ROOT) / name).unlink()
    r = make_data(project)
    assert r.returncode != 0
    assert name in r.stdout + r.stderr


def test_install_needs_nothing_outside_the_repository():
    assert "shared" not in (ROOT / "Makefile").read_text()
