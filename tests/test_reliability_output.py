"""A write that fails (full disk, no permission, read-only filesystem, a file where a folder
should be, a name too long) is one stderr line naming the path and the reason, exit 1, no
partial or temporary file, and the previous complete checkpoint still loads. Failures are
injected into os.replace / os.fsync (the machine's user may be root, whom permissions don't
stop); the path cases use real paths in fresh processes."""

import errno
import os
from pathlib import Path

import pytest

from seqgen.checkpoints import load_checkpoint
from tests.conftest import one_error_line, run_cli, run_process

REASONS = {errno.ENOSPC: "no space left on the device", errno.EACCES: "permission denied",
           errno.EROFS: "read-only filesystem"}


def fail_writes(monkeypatch, name: str, code: int, call: str = "replace"):
    """Make ``os.<call>`` fail with ``code`` for files named ``name`` (in the final path)."""
    real_replace, real_fsync = os.replace, os.fsync

    def replace(src, dst, *a, **k):
        if Path(dst).name == name:
            raise OSError(code, os.strerror(code), str(src))
        return real_replace(src, dst, *a, **k)

    def fsync(fd):  # the data of a temporary file for ``name`` cannot reach the disk
        if f".{name}." in os.readlink(f"/proc/self/fd/{fd}"):
            raise OSError(code, os.strerror(code))
        return real_fsync(fd)

    if call == "replace":
        monkeypatch.setattr(os, "replace", replace)
    else:
        monkeypatch.setattr(os, "fsync", fsync)


def leftovers(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*")
                  if p.name.endswith(".tmp") or ".tmp" in p.parts[-1])


def check_one_line(r, path_part: str, code: int) -> None:
    """One error line (status lines such as "synth: built-in" may precede it), no traceback."""
    assert r.exit_code == 1, r.stderr[-2000:]
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    [line] = [line for line in r.stderr.splitlines() if line.startswith("seqgen: error:")]
    assert path_part in line and line.endswith(REASONS[code]), line


@pytest.mark.parametrize("name,code,call", [
    ("weights.npz", errno.ENOSPC, "fsync"),
    ("names.txt", errno.EACCES, "replace"),
    ("meta.json", errno.EROFS, "replace"),
    (".prev", errno.ENOSPC, "replace"),
    ("loss_curve.png", errno.ENOSPC, "fsync"),
])
def test_train_dino_write_failures(dinos, tmp_path, monkeypatch, name, code, call):
    run = tmp_path / "run"
    assert run_cli("train-dino", "--iters", "30", "--run", run).exit_code == 0
    fail_writes(monkeypatch, name, code, call)
    r = run_cli("train-dino", "--iters", "60", "--run", run)
    monkeypatch.undo()
    check_one_line(r, str(run / name) if name != ".prev" else str(run), code)
    assert leftovers(run) == []
    meta, _ = load_checkpoint(run, "dino-rnn")
    assert meta["step"] in (30, 60) if name == "loss_curve.png" else meta["step"] == 30
    assert run_cli("sample-dino", "--run", run, "-n", "2", "--seed", "0").exit_code == 0


@pytest.mark.slow
def test_shakespeare_last_state_write_failure(tmp_path, monkeypatch):
    cfg = tiny_shakespeare_cfg(tmp_path)
    run = tmp_path / "run"
    assert run_cli("train-shakespeare", "--config", cfg, "--run", run, "--max-steps", "5"
                   ).exit_code == 0
    fail_writes(monkeypatch, "weights.npz", errno.ENOSPC, "fsync")
    r = run_cli("train-shakespeare", "--config", cfg, "--resume", run, "--max-steps", "10")
    monkeypatch.undo()
    check_one_line(r, str(run), errno.ENOSPC)
    assert leftovers(run) == []
    assert load_checkpoint(run / "last", "text-model")[0]["step"] == 5
    r = run_cli("train-shakespeare", "--config", cfg, "--resume", run, "--max-steps", "10")
    assert r.exit_code == 0, r.stderr


def tiny_shakespeare_cfg(folder):
    from tests.conftest import tiny_shakespeare

    return tiny_shakespeare(folder, 4000, units=16, embed=8, eval_every=5)


@pytest.fixture
def jazz_run(jazz_two_epochs):
    """The session's short jazz run (only read here: generate-jazz writes elsewhere)."""
    return jazz_two_epochs


@pytest.mark.slow
@pytest.mark.parametrize("code", [errno.ENOSPC, errno.EACCES])
def test_generate_jazz_midi_write_failure(jazz_run, tmp_path, monkeypatch, code):
    out = tmp_path / "solo.midi"
    fail_writes(monkeypatch, "solo.midi", code)
    r = run_cli("generate-jazz", "--run", jazz_run, "--out", out, "--seed", "2",
                "--measures", "2")
    monkeypatch.undo()
    check_one_line(r, str(out), code)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["solo.wav", "solo.png"])
def test_render_midi_write_failure_leaves_neither_file(tmp_path, monkeypatch, name):
    from tests.fixtures.music import sax_and_keys

    midi = tmp_path / "tune.mid"  # eight bars of two parts: the render's every step
    midi.write_bytes(sax_and_keys(8))
    folder = tmp_path / "out"
    folder.mkdir()
    fail_writes(monkeypatch, name, errno.ENOSPC)
    r = run_cli("render-midi", midi, "--synth", "builtin", "--out", folder / "solo.wav",
                "--plot", "--sample-rate", "8000")
    monkeypatch.undo()
    check_one_line(r, str(folder / name), errno.ENOSPC)
    assert list(folder.iterdir()) == []


@pytest.mark.slow
@pytest.mark.parametrize("where", ["under a file", "name too long"])
def test_real_unwritable_paths_in_a_fresh_process(dinos, tmp_path, where):
    (tmp_path / "afile").write_text("x")
    out = tmp_path / "afile" / "run" if where == "under a file" else tmp_path / ("x" * 300)
    r = run_process("train-dino", "--iters", "10", "--run", out)
    line = one_error_line(r, 1)
    assert str(out) in line, line
    assert ("not a writable folder" in line if where == "under a file"
            else line.endswith("file name too long")), line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]
