"""The error hierarchy. Library code raises these; only the CLI prints them."""

from __future__ import annotations


class SeqgenError(Exception):
    """A problem with the user's input or environment, shown as one line."""

    exit_code = 1


class UsageError(SeqgenError):
    """A bad option value or combination (exit status 2)."""

    exit_code = 2


class DataError(SeqgenError):
    """A dataset or input file that is missing, empty, binary or malformed."""


class ConfigError(SeqgenError):
    """A YAML config that cannot be read, has unknown keys or wrongly typed values."""

    exit_code = 2


class OutputError(SeqgenError):
    """A file or folder that cannot be written (full disk, no permission, read-only...)."""


class CheckpointError(SeqgenError):
    """A checkpoint that is missing, corrupt, of the wrong kind or of a newer format."""


class RunInUse(CheckpointError):
    """Another live process is training into the same run folder."""


class MusicError(SeqgenError):
    """A MIDI file that cannot be used (unreadable, missing parts, no notes)."""


class GrammarError(MusicError, ValueError):
    """A string that is not a jazz-grammar token or interval name."""


def signal_word(signum: int) -> str:
    """How a stop by ``signum`` is named in messages."""
    import signal

    return "terminated (SIGTERM)" if signum == signal.SIGTERM else "interrupted"


class TrainingInterrupted(SeqgenError):
    """Training was stopped by Ctrl-C (exit 130) or SIGTERM (exit 143) after saving."""

    exit_code = 130

    @classmethod
    def from_signal(cls, signum: int, unit: str, step: int, where, out) -> TrainingInterrupted:
        """The one-line message and exit status for a run stopped by ``signum``."""
        exc = cls(f"{signal_word(signum)}: checkpoint of {unit} {step} saved to {where}; "
                  f"continue with --resume {out}")
        exc.exit_code = 128 + int(signum)
        return exc

    @classmethod
    def after_training(cls, signum: int, unit: str, step: int, where) -> TrainingInterrupted:
        """A signal after the last step: the final checkpoint was already written."""
        exc = cls(f"{signal_word(signum)} after training: the final checkpoint ({unit} "
                  f"{step}) is saved in {where}")
        exc.exit_code = 128 + int(signum)
        return exc


class NonFiniteLoss(SeqgenError):
    """Training produced a NaN or infinite loss."""


class WorkerLost(SeqgenError):
    """Another task of a multi-worker run stopped responding; this worker stopped too.

    Exit status 75 (``EX_TEMPFAIL`` of sysexits.h, "try again later"): nothing is wrong
    with the input, and restarting every worker with ``--resume`` continues the run, so a
    scheduler's retry policy can tell this apart from a bad input (1) or a kill (137).
    """

    exit_code = 75

    def __init__(self, task: str | None, detail: str = ""):
        self.task = task  # "worker 1", or None when TensorFlow's message names no task
        self.detail = detail
        super().__init__(self.describe())

    def describe(self, unit: str | None = None, step: int | None = None,
                 resume: str | None = None) -> str:
        """The one line for the user, with the last checkpoint's step and where to resume."""
        who = self.task or "another worker"
        text = f"{who} of the multi-worker run stopped responding ({self.detail or 'lost'})"
        if resume is None:
            return text + "; restart every worker with --resume and the same settings"
        saved = (f"the last checkpoint is of {unit} {step}" if step is not None
                 else "no checkpoint was saved yet")
        return (f"{text}; {saved}; continue by restarting every worker with the same command "
                f"plus --resume {resume}")

    def with_context(self, unit: str, step: int | None, resume: str) -> WorkerLost:
        exc = WorkerLost(self.task, self.detail)
        exc.args = (self.describe(unit, step, resume),)
        return exc
