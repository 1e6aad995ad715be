"""midi-info: the parts of a MIDI file and the ones train-jazz would use."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from seqgen.cli._common import user_errors

app = typer.Typer()
HEADER = ("part", "name", "instrument", "notes", "chords", "max", "range",
          "first (q / s)", "last (q / s)", "use")


def _when(quarter: float | None, seconds: float | None) -> str:
    return "-" if quarter is None else f"{quarter:g} / {seconds:.1f}"


def _rows(info) -> list[tuple[str, ...]]:
    from seqgen.midi.notes import pitch_name

    rows = []
    for p in info.parts:
        span = "-" if p.low is None else f"{pitch_name(p.low)}-{pitch_name(p.high)}"
        rows.append((str(p.index), p.name[:20] or "-", p.instrument[:20] or "-", str(p.notes),
                     str(p.chords), str(p.max_simultaneous), span, _when(p.first, p.first_s),
                     _when(p.last, p.last_s), info.role(p.index)))
    return rows


def format_info(info) -> str:
    """The report printed by midi-info (a plain-text table)."""
    lines = [f"{info.path}: {len(info.parts)} parts, {info.quarters:g} quarter notes "
             f"({info.seconds:.1f} s)"]
    marks = [f"{bpm:g} bpm at quarter {q:g} ({s:.1f} s)" for q, s, bpm in info.tempos]
    lines.append("tempo: " + ("; ".join(marks) if marks else "no tempo mark (120 bpm)"))
    if info.chord_symbols:
        lines.append(f"chord symbols: {info.chord_symbols}")
    table = [HEADER, *_rows(info)]
    widths = [max(len(row[i]) for row in table) for i in range(len(HEADER))]
    left = {1, 2, 6, 9}  # text columns; numbers align right
    for row in table:
        cells = [c.ljust(w) if i in left else c.rjust(w)
                 for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
    if info.choice is not None:
        lines.append("train-jazz would use: " + info.choice.describe(info.parts))
    else:
        lines.append(f"train-jazz cannot choose parts by itself: {info.choice_error}")
    return "\n".join(lines)


def format_collection(uses) -> str:
    """One row per file: its notes and what train-jazz would use, or why it would skip it;
    a file whose melody an earlier one has is marked (it stays on that file's side of the
    split)."""
    width = max(len(u.path) for u in uses)
    rows = [f"{'file'.ljust(width)}  {'notes':>5}  train-jazz would use"]
    for u in uses:
        what = u.piece.chosen if u.piece is not None else f"skip: {u.why}"
        if u.same_as is not None:
            what += f"; duplicate: the same melody as {u.same_as}"
        size = str(len(u.piece.tune.events)) if u.piece is not None else "-"
        rows.append(f"{u.path.ljust(width)}  {size:>5}  {what}")
    usable = sum(u.piece is not None for u in uses)
    duplicates = sum(u.same_as is not None for u in uses)
    rows.append(f"{usable} of {len(uses)} files usable, {duplicates} of them duplicates")
    return "\n".join(rows)


@app.command("midi-info")
def midi_info(
    midi: Annotated[list[Path], typer.Argument(
        help="The MIDI file or lead sheet to describe; or folders and several files.",
        show_default=False)],
) -> None:
    """Show each part of a MIDI file and the parts train-jazz would use.

    For every part: its index (the one the jazz config takes), name, instrument, single
    notes, chords, the most notes sounding at once, pitch range, and its first and last
    note in quarter notes and seconds; before the table, the tempo marks. Drum parts are
    never melody or harmony. Given a folder or several files: one row per file, with what
    train-jazz would take from it or why it would skip it.
    """
    from seqgen.jazz.midi_info import collection_info
    from seqgen.jazz.midi_info import midi_info as run

    with user_errors():
        if len(midi) == 1 and not midi[0].is_dir():
            print(format_info(run(midi[0])))
            return
        uses = collection_info(tuple(str(p) for p in midi))
    print(format_collection(uses))
