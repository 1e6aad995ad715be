"""A piano-roll picture of a score: time in seconds across, pitch names up, a colour per part.

matplotlib is imported lazily and used through its object API with the Agg
canvas, so no GUI backend or pyplot global state is involved.
"""

from __future__ import annotations

from typing import BinaryIO

from seqgen.midi.notes import DRUM_CHANNEL, Score, pitch_name


def part_labels(score: Score) -> dict[tuple[int, int], str]:
    """(track, channel) -> a legend label: the track's name (or number), drums marked."""
    keys = sorted({(n.track, n.channel) for n in score.notes})
    channels_per_track: dict[int, int] = {}
    for track, _ in keys:
        channels_per_track[track] = channels_per_track.get(track, 0) + 1
    labels = {}
    for track, channel in keys:
        label = score.track_names.get(track) or f"track {track}"
        if channels_per_track[track] > 1:
            label += f" (channel {channel})"
        if channel == DRUM_CHANNEL and "drum" not in label.lower():
            label += " [drums]"
        labels[(track, channel)] = label
    return labels


def part_colours(n: int) -> list:
    """``n`` distinct colours: tab10 up to 10 parts, tab20 up to 20, then evenly spaced hues."""
    from matplotlib import colormaps

    if n <= 10:
        return [colormaps["tab10"](i) for i in range(n)]
    if n <= 20:
        return [colormaps["tab20"](i) for i in range(n)]
    return [colormaps["hsv"](i / n) for i in range(n)]


def write_pianoroll(fileobj: BinaryIO, score: Score, title: str = "") -> None:
    """Draw ``score`` as a piano roll and write it to ``fileobj`` as PNG.

    Pitched notes only: drum hits (channel 10) have no pitch to draw and are
    counted in the title instead.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = part_labels(score)
    pitched = [n for n in score.notes if not n.is_drum]
    drums = len(score.notes) - len(pitched)
    by_part: dict[tuple[int, int], dict[int, list[tuple[float, float]]]] = {}
    for n in pitched:  # part -> pitch -> [(start, length)], one bar per note
        rows = by_part.setdefault((n.track, n.channel), {})
        rows.setdefault(n.pitch, []).append((n.start, max(n.end - n.start, 0.02)))

    width = min(24.0, max(8.0, score.duration / 6))
    fig = Figure(figsize=(width, 6), dpi=100)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for colour, (key, rows) in zip(part_colours(len(by_part)), sorted(by_part.items())):
        for i, (pitch, bars) in enumerate(sorted(rows.items())):
            ax.broken_barh(bars, (pitch - 0.4, 0.8), facecolors=colour, edgecolor="white",
                           linewidth=0.4,  # repeated notes stay visibly separate
                           label=labels[key] if i == 0 else None)
    if pitched:
        low = min(n.pitch for n in pitched)
        high = max(n.pitch for n in pitched)
        ax.set_ylim(low - 1.5, high + 1.5)
        step = 1 if high - low <= 18 else (2 if high - low <= 30 else 12)
        ticks = [p for p in range(low, high + 1)
                 if (p % 12 == 0 if step == 12 else (p - low) % step == 0)] or [low]
        ax.set_yticks(ticks, [pitch_name(p) for p in ticks])
        ax.set_yticks(range(low, high + 1), minor=True)
    ax.set_xlim(0, max(score.duration, 1e-3))
    ax.set_xlabel("time (s)")
    ax.set_ylabel("pitch")
    ax.grid(axis="x", alpha=0.3)
    ax.grid(axis="y", alpha=0.15)
    suffix = f" ({drums} drum hits not shown)" if drums else ""
    ax.set_title((title or "piano roll") + suffix)
    if len(by_part) > 1:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small",
                  title="parts")
    fig.tight_layout()
    fig.savefig(fileobj, format="png")
