"""generate-poem's --top-k/--top-p, -n/--samples, prompt sources and streaming."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
import tty

import numpy as np
import pytest

from seqgen.engine.ops import softmax_rows
from seqgen.text import model as text_model
from seqgen.text.config import TextSampling
from tests.conftest import ROOT, SEQGEN, one_error_line, process_env, run_cli

PROMPT = "Shall I compare thee"


def replay_probabilities(prompt: str, text: str, temperature: float = 1.0):
    """The model's next-character probabilities before each character of ``text``.

    Steps the NumPy stack ourselves: the prompt (lower-cased, after a newline) in one pass,
    then one step per emitted character.
    """
    _, arrays, vocab = text_model.load_model(text_model.default_checkpoint())
    stack = text_model.stack_from_arrays(arrays)
    ids = [vocab.index["\n"], *(vocab.index[c] for c in prompt.lower())]
    logits, state = stack.logits_sequence(np.array(ids))
    logits = logits[-1]
    for ch in text:
        yield vocab.index[ch], softmax_rows(logits / temperature)
        logits, state = stack.step(vocab.index[ch], state)


@pytest.mark.parametrize("k, temperature", [(1, 1.0), (3, 1.0), (5, 1.5)])
def test_top_k_never_leaves_the_k_likeliest(k, temperature):
    options = TextSampling(length=300, temperature=temperature, top_k=k)
    text = text_model.generate_text(PROMPT, options, seed=k).text
    assert len(text) == 300
    outside = 0
    for index, p in replay_probabilities(PROMPT, text, temperature):
        kth = np.sort(p)[-k]  # the k-th largest probability
        outside += p[index] < kth
    assert outside == 0
    plain = text_model.generate_text(PROMPT, TextSampling(length=300, temperature=1.5), seed=5)
    ranks = [int((p > p[i]).sum()) for i, p in replay_probabilities(PROMPT, plain.text, 1.5)]
    assert max(ranks) >= 5  # without top-k the same model does leave the five likeliest


@pytest.mark.parametrize("top_p", [0.5, 0.9])
def test_top_p_keeps_the_smallest_set_with_that_mass(top_p):
    text = text_model.generate_text(PROMPT, TextSampling(length=300, top_p=top_p), seed=2).text
    for index, p in replay_probabilities(PROMPT, text):
        ordered = np.sort(p)[::-1]
        n = int(np.searchsorted(np.cumsum(ordered), top_p)) + 1  # smallest prefix >= P
        assert p[index] >= ordered[n - 1], (p[index], ordered[:n])


def test_filters_combine_with_temperature_and_stay_reproducible():
    args = ["generate-poem", PROMPT, "--length", "120", "--seed", "3", "--top-k", "10",
            "--top-p", "0.8", "--temperature", "0.7"]
    a, b = run_cli(*args), run_cli(*args)
    assert a.exit_code == 0 and a.stdout == b.stdout and a.stdout.startswith(PROMPT)
    assert a.stdout != run_cli(*args[:-6]).stdout


def test_several_samples_are_reproducible_and_the_first_is_the_single_one():
    three = run_cli("generate-poem", PROMPT, "--length", "80", "--seed", "9", "-n", "3")
    again = run_cli("generate-poem", PROMPT, "--length", "80", "--seed", "9", "--samples", "3")
    one = run_cli("generate-poem", PROMPT, "--length", "80", "--seed", "9")
    assert three.exit_code == 0 and three.stdout == again.stdout
    streams = text_model.generate_texts(PROMPT, TextSampling(length=80, samples=3), 9).streams
    poems = [PROMPT + "".join(s) + "\n" for s in streams]
    assert three.stdout == "\n".join(poems)  # separated by a blank line
    assert one.stdout == poems[0] and len(set(poems)) == 3


def test_prompt_from_standard_input_and_from_a_file(tmp_path):
    literal = run_cli("generate-poem", PROMPT, "--length", "60", "--seed", "1")
    piped = run_cli("generate-poem", "-", "--length", "60", "--seed", "1", input=PROMPT + "\n")
    (tmp_path / "prompt.txt").write_text(PROMPT + "\n")
    filed = run_cli("generate-poem", "--prompt-file", tmp_path / "prompt.txt", "--length", "60",
                    "--seed", "1")
    assert literal.exit_code == piped.exit_code == filed.exit_code == 0
    assert literal.stdout == piped.stdout == filed.stdout


def run_on_terminal(*args) -> tuple[subprocess.Popen, int]:
    """Start ``seqgen ARGS`` with a raw pseudo-terminal as stdout; returns (process, master)."""
    master, slave = pty.openpty()
    tty.setraw(slave)  # no newline translation: the bytes are the program's own
    proc = subprocess.Popen([*SEQGEN, *args], cwd=ROOT, env=process_env(), stdout=slave,
                            stderr=subprocess.DEVNULL)
    os.close(slave)
    return proc, master


def read_all(master: int) -> bytes:
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: the other end closed
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    return b"".join(chunks)


def test_terminal_and_pipe_get_the_same_bytes():
    args = ["generate-poem", "Shall I, à la", "--length", "150", "-n", "2", "--seed", "4",
            "--top-k", "20"]
    proc, master = run_on_terminal(*args)
    shown = read_all(master)
    assert proc.wait(timeout=120) == 0
    piped = subprocess.run([*SEQGEN, *args], cwd=ROOT, env=process_env(), capture_output=True,
                           timeout=120)
    assert piped.returncode == 0 and shown == piped.stdout
    assert piped.stdout.decode().startswith("Shall I, à la")


def test_a_terminal_sees_characters_while_they_are_sampled():
    proc, master = run_on_terminal("generate-poem", "x", "--length", "1000000", "--seed", "0")
    try:
        first = b""
        deadline = time.monotonic() + 60
        while len(first) < 3 and time.monotonic() < deadline:  # the prompt, then two more
            first += os.read(master, 64)
        assert len(first) >= 3 and first.startswith(b"x")
        assert proc.poll() is None  # a million characters are still to come
    finally:
        proc.kill()
        proc.wait()
        os.close(master)


def test_generation_imports_no_tensorflow():
    code = ("import sys; from seqgen.cli import main\n"
            "try: main(['generate-poem', 'x', '--length', '5', '--top-k', '3', '-n', '2'])\n"
            "except SystemExit: pass\n"
            "print('tensorflow' in sys.modules, file=sys.stderr)")
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=process_env(),
                       capture_output=True, text=True, timeout=120)
    assert r.stderr.strip().splitlines()[-1] == "False", r.stderr


@pytest.mark.parametrize("args, match", [
    (["--top-k", "0"], "--top-k"),
    (["--top-k", "-3"], "--top-k"),
    (["--top-k", "two"], "--top-k"),
    (["--top-p", "0"], "--top-p"),
    (["--top-p", "1.5"], "--top-p"),
    (["--top-p", "-0.1"], "--top-p"),
    (["--top-p", "nan"], "--top-p"),
    (["--top-p", "high"], "--top-p"),
    (["-n", "0"], "--samples"),
    (["--samples", "-2"], "--samples"),
    (["-n", "many"], "--samples"),
    (["--prompt-file", "nope.txt"], "not found"),
    (["--prompt-file", "folder"], "folder"),
    (["--prompt-file", "binary.bin"], "binary"),
    (["--prompt-file", "latin1.txt"], "UTF-8"),
    (["--prompt-file", "empty.txt"], "empty"),
])
def test_bad_new_flags_are_one_line_and_status_2_or_1(tmp_path, args, match):
    """Bad flag values are usage errors (2); a prompt file that cannot be used is a bad
    input file (1), as for --data."""
    (tmp_path / "folder").mkdir()
    (tmp_path / "binary.bin").write_bytes(bytes(range(256)))
    (tmp_path / "latin1.txt").write_bytes("déjà vu\n".encode("latin-1"))
    (tmp_path / "empty.txt").write_bytes(b"")
    prompt = [] if "--prompt-file" in args else ["x"]
    r = run_cli("generate-poem", *prompt, *args, cwd=tmp_path)
    assert match in one_error_line(r, 1 if "--prompt-file" in args else 2)
    assert r.stdout == ""


@pytest.mark.parametrize("args, stdin, match, code", [
    ([], None, "PROMPT", 2),
    (["x", "--prompt-file", "p.txt"], None, "not both", 2),
    (["-"], "d\xe9j\xe0".encode("latin-1"), "UTF-8", 1),
])
def test_prompt_source_mistakes_are_one_line(tmp_path, args, stdin, match, code):
    (tmp_path / "p.txt").write_text("x\n")
    r = run_cli("generate-poem", *args, cwd=tmp_path, input=stdin)
    assert match in one_error_line(r, code)
