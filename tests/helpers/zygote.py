"""Fresh seqgen processes without paying for ``import tensorflow`` each time.

Many tests need a real process: one that a signal stops, that ``kill -9`` ends, that
holds a lock, that trains beside another worker. Starting ``python -m seqgen`` costs
5-10 s on these machines, nearly all of it importing TensorFlow and Keras, and the
suite starts dozens of them.

A *zygote* is a process that has done those imports (and nothing else: no TensorFlow
operation has run in it, so it holds no thread pools) and waits on a Unix socket. Each
request makes it ``fork()``: the child takes the caller's pipes as its standard streams,
its working folder, its environment and its argument list, then runs ``seqgen``'s entry
point (or a script) exactly as ``python -m seqgen ARGS`` would, and ends with that
command's exit status. It is a real, separate process: its own pid, signals, exit code,
files and locks. Only the start-up work is shared.

The caller gets a :class:`ForkedProcess`, which behaves like the ``subprocess.Popen``
the tests used before (``pid``, ``stdout``, ``stderr``, ``poll``, ``wait``,
``send_signal``, ``kill``, ``communicate``). The zygote reaps each child and sends its
status back on the request's connection.

``SEQGEN_TEST_FORK=0`` turns this off (every process is started from scratch); the
tests pass either way.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ENABLED = os.environ.get("SEQGEN_TEST_FORK", "1") != "0"
SOCKET_ENV = "SEQGEN_ZYGOTE"
SHARED_ENV = "SEQGEN_TEST_ZYGOTE"  # PID:SOCKET of a zygote shared by the test processes
PRELOAD = ("tensorflow", "keras", "music21", "matplotlib.backends.backend_agg",
           "matplotlib.figure", "seqgen.cli", "seqgen.keras_loop.loop",
           "seqgen.keras_loop.distribute", "seqgen.text.keras_model", "seqgen.text.train",
           "seqgen.jazz.keras_model", "seqgen.jazz.train", "seqgen.jazz.models",
           "seqgen.midi.source", "seqgen.names.train", "seqgen.audio.render")
_HEADER = struct.Struct("!I")


# ---------------------------------------------------------------- the server

def _preload() -> None:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import importlib

    for name in PRELOAD:
        importlib.import_module(name)


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    data, fds, _, _ = socket.recv_fds(conn, 1 << 20, 3)
    (size,) = _HEADER.unpack_from(data)
    while len(data) < _HEADER.size + size:
        more = conn.recv(1 << 20)
        if not more:
            raise ConnectionError("request cut short")
        data += more
    return json.loads(data[_HEADER.size:_HEADER.size + size]), fds


def _standard_streams(env: dict) -> None:
    """New sys.stdin/stdout/stderr over fds 0-2, encoded as a fresh interpreter would."""
    import io

    encoding = env.get("PYTHONIOENCODING", "utf-8").partition(":")[0] or "utf-8"
    for fd, name, mode, errors in ((0, "stdin", "rb", "strict"), (1, "stdout", "wb", "strict"),
                                   (2, "stderr", "wb", "backslashreplace")):
        raw = open(fd, mode, buffering=0, closefd=False)
        tty = os.isatty(fd)
        buffered = io.BufferedReader(raw) if mode == "rb" else io.BufferedWriter(raw)
        stream = io.TextIOWrapper(buffered, encoding=encoding, errors=errors,
                                  line_buffering=tty or fd == 2, write_through=fd == 2)
        setattr(sys, name, stream)
        setattr(sys, f"__{name}__", stream)


def _run_child(request: dict, fds: list[int]) -> int:
    """In the forked child: become the requested command; return its exit status."""
    for fd, target in zip(fds, (0, 1, 2)):
        os.dup2(fd, target)
        os.close(fd)
    os.chdir(request["cwd"])
    os.environ.clear()
    os.environ.update(request["env"])
    _standard_streams(request["env"])
    import seqgen.signals as sig

    sig._PAUSE_AT = os.environ.get(sig.PAUSE_ENV)  # the module read it at import
    sig._hits.clear()
    argv = request["argv"]
    try:
        if argv[:2] == ["-m", "seqgen"]:  # as python -m seqgen runs seqgen/__main__.py
            from seqgen.cli import main

            sys.argv = [str(Path(sys.modules["seqgen"].__file__).parent / "__main__.py"),
                        *argv[2:]]
            sys.path[0] = os.getcwd()
            main()
        elif argv[0] == "-c":
            sys.argv = ["-c", *argv[2:]]  # as python -c CODE ARGS sets it
            sys.path[0] = ""
            exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
        else:
            import runpy

            sys.argv = list(argv)
            sys.path[0] = str(Path(argv[0]).resolve().parent)
            runpy.run_path(argv[0], run_name="__main__")
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if not isinstance(exc.code, (int, type(None))):
            print(exc.code, file=sys.stderr)
    except KeyboardInterrupt:  # as the interpreter does: die of the signal
        import traceback

        traceback.print_exc()
        _flush()
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        os.kill(os.getpid(), signal.SIGINT)
        code = 130
    except BaseException:
        import traceback

        traceback.print_exc()
        code = 1
    return code


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a reader that left (SIGPIPE is ignored, as in Python)
            pass


def _child(sockets: list[socket.socket], request: dict, fds: list[int]) -> None:
    for s in sockets:  # the listening socket, this request's and the other children's
        s.close()
    code = _run_child(request, fds)
    try:
        import atexit

        atexit._run_exitfuncs()
    finally:
        _flush()
        os._exit(code & 0xFF)


def serve(path: str) -> None:
    """Import, listen on ``path``, fork a child per request; until the parent is gone."""
    _preload()
    parent = os.getppid()
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)
    print("ready", flush=True)
    waiting: dict[int, socket.socket] = {}
    selector = selectors.DefaultSelector()
    selector.register(server, selectors.EVENT_READ)
    while os.getppid() == parent:
        if selector.select(timeout=0.01):
            conn, _ = server.accept()
            request, fds = _receive(conn)
            _flush()
            pid = os.fork()
            if pid == 0:
                _child([server, conn, *waiting.values()], request, fds)
            for fd in fds:
                os.close(fd)
            conn.sendall(json.dumps({"pid": pid}).encode() + b"\n")
            waiting[pid] = conn
        while waiting:
            pid, status = os.waitpid(-1, os.WNOHANG)
            if pid == 0:
                break
            conn = waiting.pop(pid, None)
            if conn is not None:
                code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
                try:
                    conn.sendall(json.dumps({"returncode": code}).encode() + b"\n")
                except OSError:  # the caller stopped listening
                    pass
                conn.close()


# ---------------------------------------------------------------- the client

class ForkedProcess:
    """A child of the zygote, handled like ``subprocess.Popen``."""

    def __init__(self, args, conn: socket.socket, pid: int, stdin, stdout, stderr):
        self.args, self._conn, self.pid = args, conn, pid
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.returncode: int | None = None
        self._buffer = b""

    def _read_status(self, timeout: float | None) -> None:
        if self.returncode is not None:
            return
        self._conn.settimeout(timeout)
        try:
            while b"\n" not in self._buffer:
                chunk = self._conn.recv(4096)
                if not chunk:
                    raise ConnectionError("the zygote went away")
                self._buffer += chunk
        except (TimeoutError, BlockingIOError):
            return
        self.returncode = json.loads(self._buffer.split(b"\n", 1)[0])["returncode"]
        self._conn.close()

    def poll(self) -> int | None:
        self._read_status(0.0)
        return self.returncode

    def wait(self, timeout: float | None = None) -> int:
        self._read_status(timeout)
        if self.returncode is None:
            raise subprocess.TimeoutExpired(self.args, timeout)
        return self.returncode

    def send_signal(self, signum: int) -> None:
        if self.poll() is None:
            try:
                os.kill(self.pid, signum)
            except ProcessLookupError:  # it ended meanwhile
                pass

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def communicate(self, input=None, timeout: float | None = None):
        """Both outputs read to their end (in threads, as Popen does), then the status."""
        results: dict[str, object] = {}

        def drain(name, stream):
            try:
                results[name] = stream.read()
                stream.close()
            except ValueError:  # the caller closed it already
                results[name] = None

        threads = [threading.Thread(target=drain, args=(n, s), daemon=True)
                   for n, s in (("out", self.stdout), ("err", self.stderr)) if s is not None]
        for t in threads:
            t.start()
        if self.stdin is not None:
            if input:
                self.stdin.write(input)
            self.stdin.close()
        deadline = None if timeout is None else time.monotonic() + timeout
        for t in threads:
            t.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
            if t.is_alive():
                raise subprocess.TimeoutExpired(self.args, timeout)
        self.wait(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return results.get("out"), results.get("err")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for s in (self.stdout, self.stderr, self.stdin):
            if s is not None:
                s.close()
        self.wait()


class Zygote:
    """A zygote process: started here (``Zygote()``), or one that another process started
    and shares (:meth:`attach`). Under pytest-xdist the controller starts one for all the
    workers before they exist (:func:`start_shared`), so its imports overlap theirs and
    are paid once per run rather than once per worker."""

    def __init__(self, wait: bool = True):
        self._folder = tempfile.mkdtemp(prefix="seqgen-zygote-")
        self.path = os.path.join(self._folder, "socket")
        root = Path(__file__).resolve().parents[2]
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.helpers.zygote", self.path], cwd=root,
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            env={**os.environ, "PYTHONPATH": str(root)})
        self.pid = self._proc.pid
        self._ready = False
        if wait:
            self._wait_ready()

    @classmethod
    def attach(cls, path: str, pid: int | None = None) -> Zygote:
        """The zygote listening (or, given its ``pid``, about to listen) at ``path``; this
        process does not own it, so :meth:`close` leaves it running."""
        zyg = cls.__new__(cls)
        zyg.path, zyg.pid, zyg._proc, zyg._ready = path, pid, None, False
        return zyg

    def _wait_ready(self) -> None:
        """Until the zygote listens: its "ready" line when this process started it, else
        its socket accepting a connection (checked by the first request)."""
        if self._ready:
            return
        if self._proc is not None:
            line = self._proc.stdout.readline()
            if line.strip() != b"ready":
                raise RuntimeError("the test zygote did not start")
        self._ready = True

    def _connect(self) -> socket.socket:
        self._wait_ready()
        deadline = time.monotonic() + 300
        while True:
            conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            try:
                conn.connect(self.path)
                return conn
            except (FileNotFoundError, ConnectionRefusedError):
                conn.close()  # a shared zygote still importing: its socket is not there yet
                if self.pid is None or not _alive(self.pid):
                    raise RuntimeError("the test zygote is not running") from None
                if time.monotonic() > deadline:
                    raise RuntimeError("the test zygote did not start in 300 s") from None
                time.sleep(0.05)

    def popen(self, argv: list[str], cwd, env: dict, stdin=None, stdout=None, stderr=None,
              text: bool = False) -> ForkedProcess:
        """Like ``subprocess.Popen([python, *argv], ...)``; PIPE, DEVNULL, a file or None.
        The child finds this zygote in ``SEQGEN_ZYGOTE`` (for the processes it starts)."""
        env = {**env, SOCKET_ENV: self.path}
        ours, theirs = [], []
        for fd, (spec, mode) in enumerate(((stdin, "w"), (stdout, "r"), (stderr, "r"))):
            mine, child = self._end(spec, mode, fd)
            ours.append(mine)
            theirs.append(child)
        request = json.dumps({"argv": [str(a) for a in argv], "cwd": str(cwd),
                              "env": {k: str(v) for k, v in env.items()}}).encode()
        conn = self._connect()
        socket.send_fds(conn, [_HEADER.pack(len(request)) + request], theirs)
        for fd in theirs:
            os.close(fd)
        reply = b""
        while not reply.endswith(b"\n"):
            chunk = conn.recv(1)
            if not chunk:
                raise RuntimeError("the test zygote did not fork")
            reply += chunk
        pid = json.loads(reply)["pid"]
        files = [None if fd is None else
                 open(fd, mode + ("" if text else "b"), encoding="utf-8" if text else None,
                      buffering=-1 if text or mode == "r" else 0)
                 for fd, mode in zip(ours, ("w", "r", "r"))]
        return ForkedProcess(argv, conn, pid, *files)

    @staticmethod
    def _end(spec, mode: str, fd: int) -> tuple[int | None, int]:
        """(our end or None, the child's ``fd``, to be closed here once sent)."""
        if spec == subprocess.PIPE:
            r, w = os.pipe()
            return (w, r) if mode == "w" else (r, w)
        if spec == subprocess.DEVNULL or (spec is None and mode == "w"):
            return None, os.open(os.devnull, os.O_RDWR)
        if spec is None:  # inherited, as Popen does
            return None, os.dup(fd)
        return None, os.dup(spec if isinstance(spec, int) else spec.fileno())

    def close(self) -> None:
        if self._proc is None:  # shared: its owner closes it
            return
        self._proc.kill()
        self._proc.wait()
        try:
            os.unlink(self.path)
            os.rmdir(self._folder)
        except OSError:
            pass


def _alive(pid: int) -> bool:
    """Whether ``pid`` runs (a process that ended but is not yet reaped does not)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rpartition(")")[2].split()[0] != "Z"
    except OSError:
        return False


_zygote: list[Zygote] = []


def zygote() -> Zygote | None:
    """This test process's zygote (the shared one, else one started now), or None when
    turned off."""
    if not ENABLED:
        return None
    if not _zygote:
        pid, _, path = os.environ.get(SHARED_ENV, "").partition(":")
        _zygote.append(Zygote.attach(path, int(pid)) if path else Zygote())
    return _zygote[0]


def start_shared() -> None:
    """Start a zygote for the processes started after this one (pytest-xdist's workers),
    without waiting for its imports; they find it in :data:`SHARED_ENV`."""
    if ENABLED and SHARED_ENV not in os.environ:
        zyg = Zygote(wait=False)
        _zygote.append(zyg)
        os.environ[SHARED_ENV] = f"{zyg.pid}:{zyg.path}"


def close() -> None:
    while _zygote:
        _zygote.pop().close()


def launch(path: str, argv: list[str]) -> None:
    """``python zygote.py --via SOCKET ARGV...``: run ``python ARGV`` as a child of the
    zygote at SOCKET with this process's standard streams, folder and environment, pass
    on SIGINT and SIGTERM, and end with its status. Bench scripts run under the tests
    start their seqgen processes this way (``bench/benchkit.py``)."""
    zyg = Zygote.attach(path)
    child = zyg.popen(argv, os.getcwd(), dict(os.environ), stdin=0, stdout=1, stderr=2)

    def forward(signum, frame):
        child.send_signal(signum)

    for s in (signal.SIGINT, signal.SIGTERM):
        signal.signal(s, forward)
    code = child.wait()
    if code < 0:
        signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    sys.exit(code)


if __name__ == "__main__":
    if sys.argv[1] == "--via":
        launch(sys.argv[2], sys.argv[3:])
    else:
        serve(sys.argv[1])
