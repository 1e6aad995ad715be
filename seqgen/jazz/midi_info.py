"""midi-info: what a MIDI file or lead sheet holds, part by part, and which parts train-jazz
would use; for a folder or several files, what train-jazz would take from each."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from seqgen.errors import MusicError
from seqgen.jazz.cache import ParseCache
from seqgen.jazz.collection import FileUse, collect_files, mark_duplicates, use_of
from seqgen.jazz.config import JazzConfig
from seqgen.midi.leadsheet import open_music
from seqgen.midi.parts import PartChoice, PartSummary
from seqgen.midi.source import choose_parts


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
    source = open_music(path)
    if not any(p.onsets for p in source.parts):
        raise MusicError(f"{source.name} has no notes")
    try:
        choice, error = choose_parts(source), None
    except MusicError as exc:
        choice, error = None, str(exc)
    return MidiInfo(Path(path), source.parts, source.tempos, source.length,
                    source.tempo.seconds(source.length), len(source.symbols), choice, error)


def collection_info(paths: tuple[str, ...]) -> list[FileUse]:
    """What ``train-jazz --midi PATHS`` would take from each file (through the same parse
    cache), with its default settings, and which files repeat an earlier file's melody.

    Raises:
        DataError: a path that does not exist, or no music file at all.
    """
    cfg = JazzConfig().for_midi(paths).resolved()
    cache = ParseCache()
    return mark_duplicates([use_of(path, cfg, cache) for path in collect_files(paths)])
