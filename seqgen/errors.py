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


class MusicError(SeqgenError):
    """A MIDI file that cannot be used (unreadable, missing parts, no notes)."""


class GrammarError(MusicError, ValueError):
    """A string that is not a jazz-grammar token or interval name."""


class TrainingInterrupted(SeqgenError):
    """Training was stopped by Ctrl-C after saving a checkpoint."""

    exit_code = 130


class NonFiniteLoss(SeqgenError):
    """Training produced a NaN or infinite loss."""
