"""midi-info: what a MIDI file holds, part by part, and which parts train-jazz would use."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seqgen.errors import MusicError
from seqgen.midi.parts import PartChoice, PartSummary
from seqgen.midi.source import choose_parts, open_midi


@dataclass(frozen=True)
class MidiInfo:
    """The parts of a MIDI file, its tempo marks and the automatic part choice.

    ``tempos`` are (quarter, seconds, bpm), empty when the file sets none (120 bpm).
    ``choice`` is what ``train-jazz --midi FILE`` would use over the whole piece; when
    there is none, ``choice_error`` says why.
    """

    path: Path
    parts: tuple[PartSummary, ...]
    tempos: tuple[tuple[float, float, float], ...]
    quarters: float
    seconds: float
    chord_symbols: int
    choice: PartChoice | None
    choice_error: str | None

    def role(self, index: int) -> str:
        """``"melody"`` or ``"harmony"`` (in the choice), ``"drums"`` (ignored) or ``""``."""
        if self.choice is not None and index == self.choice.melody:
            return "melody"
        if self.choice is not None and index in self.choice.harmony_parts:
            return "harmony"
        return "drums" if self.parts[index].drums else ""


def midi_info(path: str | Path) -> MidiInfo:
    """Describe ``path`` (see :class:`MidiInfo`).

    Raises:
        DataError: missing, a directory or empty. MusicError: not MIDI, unreadable, or
        without any notes.
    """
    source = open_midi(path)
    if not any(p.onsets for p in source.parts):
        raise MusicError(f"{source.name} has no notes")
    try:
        choice, error = choose_parts(source), None
    except MusicError as exc:
        choice, error = None, str(exc)
    return MidiInfo(Path(path), source.parts, source.tempos, source.length,
                    source.tempo.seconds(source.length), len(source.symbols), choice, error)
