"""Shared fixtures and helpers: datasets, running the CLI, and the checks every CLI test makes.

Two ways to run a command:

- ``run_cli(*args)`` calls ``seqgen.cli.main`` in this process, inside Typer's ``CliRunner``
  isolation (stdout, stderr and ``os.environ`` swapped for the call). Usage errors, bad input
  and ordinary runs use it: no interpreter start, no second TensorFlow import.
- ``run_process(*args)`` / ``start_process(*args)`` run ``python -m seqgen`` in a fresh process.
  Only for tests whose subject is the process itself: signals, kill -9, multi-worker
  clusters, and settings that must precede TensorFlow's start-up. The process is forked
  from a zygote that has already imported TensorFlow (``tests/helpers/zygote.py``), so it
  starts in a fraction of a second; ``SEQGEN_TEST_FORK=0`` starts each from scratch.
  ``run_reporting_imports`` (which modules a command imports) always starts from scratch.

Both return a ``CliResult`` (``exit_code``, ``stdout``, ``stderr``).
"""

from __future__ import annotations

import ast
import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from seqgen.datasets import BUILTIN_DIR

ROOT = Path(__file__).resolve().parent.parent
DATA = BUILTIN_DIR  # the datasets ship inside the package (seqgen/assets/data)
SEQGEN = [sys.executable, "-m", "seqgen"]
ENV = {"COLUMNS": "200"}  # Rich wraps help and progress lines at the terminal width


def dataset(name: str) -> Path:
    path = DATA / name
    if not path.is_file():
        pytest.fail(f"{path} is missing: restore it with `git checkout {path}`")
    return path


@pytest.fixture(scope="session", autouse=True)
def jazz_parse_cache(tmp_path_factory) -> Path:
    """The jazz parse cache of this test run: a folder of its own, never the user's
    ``~/.cache`` (commands run in-process and in child processes both read the variable).
    All of pytest-xdist's workers share it (entries are written atomically), so a file
    that several tests train on, the built-in solo above all (music21 takes about ten
    seconds over it), is parsed once for the run (twice at most, by two tests at the same
    moment) rather than once per worker."""
    base = tmp_path_factory.getbasetemp()
    folder = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "parse-cache"
    os.environ["SEQGEN_CACHE_DIR"] = str(folder)
    return folder


@pytest.fixture
def dinos() -> Path:
    return dataset("dinos.txt")


# ---------------------------------------------------------------- running the CLI


@dataclass(frozen=True)
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def returncode(self) -> int:  # the name subprocess.CompletedProcess uses
        return self.exit_code


# What a fresh interpreter shows (pytest installs its own filters while a test runs).
_PYTHON_DEFAULT_FILTERS = [("default", DeprecationWarning, "__main__"),
                           ("ignore", DeprecationWarning, None),
                           ("ignore", PendingDeprecationWarning, None),
                           ("ignore", ImportWarning, None),
                           ("ignore", ResourceWarning, None)]


def run_cli(*args, cwd=None, env=None, input=None) -> CliResult:
    """Run ``seqgen ARGS`` in this process, from ``cwd`` (default: the repository root).

    The entry point ``seqgen.cli.main`` is called as the console script calls it, so usage
    errors are its one-line ``seqgen: error:`` form. Python warnings are written to the
    captured stderr as a fresh process would print them; an exception that escapes the
    command fails the test with its traceback.
    """
    from seqgen.cli import main

    runner = CliRunner()
    with contextlib.chdir(cwd or ROOT), \
            runner.isolation(input=input, env={**ENV, **(env or {})}) as (out, err, _), \
            warnings.catch_warnings(record=True) as caught:
        warnings.resetwarnings()
        for action, category, module in reversed(_PYTHON_DEFAULT_FILTERS):  # each goes first
            warnings.filterwarnings(action, category=category, module=module or "")
        try:
            main([str(a) for a in args])
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else int(exc.code is not None)
        for w in caught:
            sys.stderr.write(warnings.formatwarning(w.message, w.category, w.filename,
                                                    w.lineno, w.line))
        sys.stdout.flush()
        sys.stderr.flush()
        return CliResult(code, out.getvalue().decode(), err.getvalue().decode())


def process_env(env=None) -> dict:
    return {**os.environ, **ENV, **(env or {})}


def run_process(*args, cwd=None, env=None, timeout=600) -> CliResult:
    """Run ``python -m seqgen ARGS`` in a fresh process and wait for it."""
    proc = start_process(*args, cwd=cwd, env=env)
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    return CliResult(proc.returncode, out, err)


def start_process(*args, cwd=None, env=None, **popen):
    """Start ``python -m seqgen ARGS`` (text pipes for stdout and stderr unless given): a
    ``subprocess.Popen``, or the zygote's child that behaves like one."""
    popen.setdefault("stdout", subprocess.PIPE)
    popen.setdefault("stderr", subprocess.PIPE)
    return python_process(["-m", "seqgen", *map(str, args)], cwd=cwd, env=env, **popen)


def python_process(argv: list, cwd=None, env=None, **popen):
    """``python ARGV`` in a new process, forked from the zygote unless it is turned off."""
    from tests.helpers import zygote

    fork = zygote.zygote()
    if fork is None:
        return subprocess.Popen([sys.executable, *map(str, argv)], cwd=cwd or ROOT,
                                env=process_env(env), text=True, **popen)
    return fork.popen(list(map(str, argv)), cwd or ROOT, process_env(env), text=True, **popen)


def pytest_collection_modifyitems(session, config, items):
    """The longest tests first (the benches' quick runs, then the modules that hold slow
    tests), so that no worker is left with one of them at the end while the other idles.
    A module's tests stay together: a module-scoped fixture is built again each time its
    module's tests resume after another module's."""
    slow_modules = {item.module for item in items if item.get_closest_marker("slow")}

    def rank(item):
        if item.nodeid.startswith("tests/test_benches.py"):
            return 0
        return 1 if item.module in slow_modules else 2

    items.sort(key=rank)  # stable: each module keeps its order


def pytest_configure(config):
    """pytest-xdist's controller starts the zygote its workers share (they inherit its
    address in the environment), so that its imports overlap theirs."""
    if not hasattr(config, "workerinput") and config.getoption("numprocesses", None):
        from tests.helpers import zygote

        zygote.start_shared()


def pytest_sessionfinish(session, exitstatus):
    from tests.helpers import zygote

    zygote.close()


HEAVY = ("tensorflow", "keras", "music21")
_REPORT_HEAVY = """\
import sys
from seqgen.cli import main
for argv in ARGVS:
    try:
        main(argv)
    except SystemExit as exc:
        if exc.code:
            print('EXIT', exc.code, file=sys.stderr)
    print('HEAVY', [m for m in HEAVY if m in sys.modules], file=sys.stderr, flush=True)
"""


def run_reporting_imports(*argvs, cwd=None, timeout=300) -> tuple[CliResult, list[list[str]]]:
    """Run each argv in turn in ONE fresh process; after each, which of HEAVY are imported.

    Returns the process result (stderr without the report lines) and one list per argv.
    """
    code = (f"ARGVS = {[[str(a) for a in argv] for argv in argvs]!r}\nHEAVY = {HEAVY!r}\n"
            + _REPORT_HEAVY)
    r = subprocess.run([sys.executable, "-c", code], cwd=cwd or ROOT, env=process_env(),
                       capture_output=True, text=True, timeout=timeout)
    heavy, rest = [], []
    for line in r.stderr.splitlines(keepends=True):
        if line.startswith("HEAVY "):
            heavy.append(ast.literal_eval(line[len("HEAVY "):]))
        else:
            rest.append(line)
    assert len(heavy) == len(argvs), r.stderr[-2000:]
    return CliResult(r.returncode, r.stdout, "".join(rest)), heavy


def wait_for_file(path: Path, proc: subprocess.Popen, timeout: float = 120) -> None:
    """Wait until ``path`` exists while ``proc`` is still running."""
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, f"{path} did not appear in {timeout} s"
        time.sleep(0.05)


def stop_at(phase: str, signum: int, *args, cwd=None) -> tuple[int, list[str], str]:
    """Run ``seqgen ARGS`` paused at ``phase`` (``SEQGEN_PAUSE_AT``), send ``signum`` once it
    says it is there; check the one ``seqgen: error:`` line, no traceback and the status
    128 + signum. Returns (status, [the error line], stdout)."""
    proc = start_process(*args, cwd=cwd, env={"SEQGEN_PAUSE_AT": phase})
    lines: list[str] = []
    paused = threading.Event()

    def read():
        for line in proc.stderr:
            lines.append(line)
            if line.startswith(f"seqgen: paused at {phase.partition('@')[0]}"):
                paused.set()
        paused.set()  # the stream ended: the process is gone

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    try:
        assert paused.wait(timeout=300), "".join(lines)[-3000:]
        assert proc.poll() is None, f"never paused at {phase}: " + "".join(lines)[-3000:]
        proc.send_signal(signum)
        out = proc.stdout.read()
        proc.wait(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=10)
    err = "".join(lines)
    assert "Traceback" not in err, err[-3000:]
    errors = [line for line in err.splitlines() if line.startswith("seqgen: error:")]
    assert len(errors) == 1, err[-3000:]
    assert proc.returncode == 128 + signum, (proc.returncode, err[-3000:])
    return proc.returncode, errors, out


def saved_step(meta: Path) -> int | None:
    """The step a run's ``meta.json`` records, or None while there is none (or it is being
    replaced)."""
    import json

    try:
        return int(json.loads(meta.read_text())["step"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def wait_for_step(meta: Path, procs, at_least: int, timeout: float = 300) -> int:
    """Poll ``meta`` until it records a step of at least ``at_least`` while every process in
    ``procs`` runs; return that step. The event to synchronise on instead of a sleep."""
    procs = procs if isinstance(procs, (list, tuple)) else [procs]
    deadline = time.monotonic() + timeout
    while True:
        step = saved_step(meta)
        if step is not None and step >= at_least:
            return step
        for p in procs:
            assert p.poll() is None, p.communicate()
        assert time.monotonic() < deadline, f"{meta} did not reach step {at_least} in {timeout} s"
        time.sleep(0.02)


def free_loopback_ports(n: int) -> list[int]:
    """``n`` free TCP ports on 127.0.0.1 (for local multi-worker clusters)."""
    socks = [socket.socket() for _ in range(n)]
    for s in socks:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in socks]
    for s in socks:
        s.close()
    return ports


def loopback_cluster(n: int) -> dict:
    """A ``TF_CONFIG`` cluster of ``n`` workers on free loopback ports."""
    return {"worker": [f"127.0.0.1:{p}" for p in free_loopback_ports(n)]}


# ---------------------------------------------------------------- checks on results


def error_lines(r: CliResult, max_lines: int = 1) -> list[str]:
    """The non-blank stderr lines of a failed command: 1..max_lines of them, no traceback."""
    assert "Traceback" not in r.stderr, r.stderr[-2000:]
    lines = [line for line in r.stderr.splitlines() if line.strip()]
    assert 1 <= len(lines) <= max_lines, r.stderr[-2000:]
    return lines


def one_error_line(r: CliResult, code: int | None = None) -> str:
    """The single ``seqgen: error: ...`` line of a failed command (nonzero status, or ``code``)."""
    if code is None:
        assert r.exit_code != 0, (r.stdout, r.stderr)
    else:
        assert r.exit_code == code, (r.exit_code, r.stderr[-2000:])
    [line] = error_lines(r)
    assert line.startswith("seqgen: error: "), line
    return line


def snapshot(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path -> SHA-256), to prove a command wrote nothing."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and "__pycache__" not in p.parts:
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


# ---------------------------------------------------------------- tiny training inputs

TINY_SHAKESPEARE = {"epochs": 2, "batch_size": 8, "context": 16, "embed": 4, "units": 16,
                    "dropout": 0.1, "lr": 0.01, "warmup": 20}


def tiny_shakespeare(folder: Path, chars: int = 4000, **settings) -> Path:
    """Write ``tiny.txt`` (the sonnets' first ``chars`` characters) and ``tiny.yaml``, a small
    train-shakespeare config reading it (``settings`` override TINY_SHAKESPEARE; None leaves a
    key to its default); return the config's path."""
    text = dataset("shakespeare.txt").read_text(encoding="utf-8")[:chars]
    (folder / "tiny.txt").write_text(text, encoding="utf-8")
    values = {**TINY_SHAKESPEARE, **settings, "data": str(folder / "tiny.txt")}
    config = folder / "tiny.yaml"
    config.write_text("".join(f"{k}: {v}\n" for k, v in values.items() if v is not None))
    return config


def built_once(factory, name: str, build) -> Path:
    """The folder ``name`` that ``build(folder)`` fills once for the whole test run: the
    first worker (of pytest-xdist's) to ask builds it while the others wait on its lock,
    then all read it. Shared trained models live here; a test that changes one works on a
    ``copy_run`` of it."""
    import fcntl

    base = factory.getbasetemp()
    root = (base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base) / "built-once"
    root.mkdir(exist_ok=True)
    folder = root / name
    with open(root / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (root / f"{name}.done").exists():
            if folder.exists():  # a build that failed half way
                shutil.rmtree(folder)
            folder.mkdir()
            build(folder)
            (root / f"{name}.done").touch()
    return folder


def cli_once(factory, name: str, make) -> tuple[Path, CliResult]:
    """:func:`built_once` for a command: ``make(folder)`` runs it (a ``CliResult``, which
    must succeed); every worker gets the folder and that result."""
    import json

    def build(folder):
        r = make(folder)
        assert r.exit_code == 0, r.stderr
        (folder / "result.json").write_text(json.dumps([r.exit_code, r.stdout, r.stderr]))

    folder = built_once(factory, name, build)
    return folder, CliResult(*json.loads((folder / "result.json").read_text()))


@pytest.fixture(scope="session")
def jazz_two_epochs(tmp_path_factory) -> Path:
    """A train-jazz checkpoint of 2 epochs, seed 1, on the built-in solo. Read-only: a test
    that continues it works on ``copy_run(jazz_two_epochs, ...)``. (Each train-jazz run parses
    the MIDI file and traces the model again, so tests share this one.)"""
    def build(work):
        r = run_cli("train-jazz", "--midi", dataset("original_metheny.mid"), "--epochs", "2",
                    "--seed", "1", "--run", work / "run", "--out", work / "solo.midi")
        assert r.exit_code == 0, r.stderr

    return built_once(tmp_path_factory, "jazz-two-epochs", build) / "run"


@pytest.fixture(scope="session")
def note_run(tmp_path_factory):
    """A note model trained two epochs on three small band files (one validation, one
    test), from Python: a folder needs nothing but its path. Trained once for all the
    workers; tests only read it."""
    from seqgen.jazz.config import JazzConfig
    from seqgen.jazz.train import train_jazz
    from tests.fixtures.music import sax_and_keys

    def build(folder):
        (folder / "midi").mkdir()
        for i, low in enumerate((0, -5, -9)):
            (folder / "midi" / f"tune{i}.mid").write_bytes(sax_and_keys(4 + i, low=low))
        result = train_jazz(JazzConfig(midi=str(folder / "midi"), held_out=0.5, epochs=2,
                                       hidden=16,
                                       run=str(folder / "run"),
                                       out=str(folder / "solo.mid")))
        assert result.model == "notes" and result.train.step == 2
        assert result.best_epoch in (1, 2) and result.solo.report["notes"] > 0

    return built_once(tmp_path_factory, "jazz-notes-bands", build) / "run"


def copy_run(run: Path, to: Path) -> Path:
    """A private copy of a shared run folder, to resume or damage."""
    shutil.copytree(run, to)
    return to
