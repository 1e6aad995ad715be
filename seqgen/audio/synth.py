"""The built-in synthesiser: notes in, a float32 sample array out (pure NumPy, no I/O).

Each note is a sum of harmonic partials under an attack/decay/sustain/release
envelope; drums (MIDI channel 10) are short cached noise or sine bursts. The
work is vectorised per note: one array operation per partial or envelope
segment, never a Python loop over samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from seqgen.midi.notes import Note

TAIL_SECONDS = 0.5  # the output runs this long past the score, for releases and drum decays
PEAK = 0.9  # normalised peak (about -0.9 dBFS): loud, never clipped


@dataclass(frozen=True)
class Timbre:
    """Partial amplitudes (fundamental first) and an ADSR envelope in seconds.

    ``decay_tau`` > 0 adds an exponential fade over the whole note (plucked and
    struck instruments); 0 keeps the sustain level flat (organs, winds, strings).
    """

    partials: tuple[float, ...]
    attack: float
    decay: float
    sustain: float
    release: float
    decay_tau: float = 0.0


PIANO = Timbre((1.0, 0.5, 0.3, 0.2, 0.12, 0.08, 0.05), 0.005, 0.25, 0.5, 0.25, 1.6)
# General MIDI program families (program // 8) -> timbre; unlisted families use PIANO.
TIMBRES: dict[int, Timbre] = {
    0: PIANO,
    1: Timbre((1.0, 0.1, 0.4, 0.05, 0.2), 0.002, 0.3, 0.2, 0.3, 0.8),            # mallets
    2: Timbre((1.0, 0.8, 0.6, 0.3, 0.4, 0.2, 0.25, 0.1), 0.02, 0.05, 0.9, 0.08),  # organ
    3: Timbre((1.0, 0.6, 0.45, 0.3, 0.2, 0.15, 0.1, 0.06), 0.004, 0.2, 0.4, 0.2, 1.2),  # guitar
    4: Timbre((1.0, 0.35, 0.12, 0.05), 0.008, 0.2, 0.6, 0.12, 2.0),              # bass
    5: Timbre((1.0, 0.7, 0.5, 0.4, 0.3, 0.2, 0.15), 0.08, 0.2, 0.8, 0.3),       # strings
    6: Timbre((1.0, 0.6, 0.4, 0.3, 0.2, 0.1), 0.1, 0.2, 0.8, 0.35),             # ensemble
    7: Timbre((1.0, 0.9, 0.8, 0.6, 0.45, 0.3, 0.2, 0.1), 0.03, 0.1, 0.75, 0.12),  # brass
    8: Timbre((1.0, 0.2, 0.6, 0.15, 0.4, 0.1, 0.2), 0.03, 0.1, 0.8, 0.1),        # reeds
    9: Timbre((1.0, 0.15, 0.05), 0.04, 0.1, 0.8, 0.12),                          # pipes
    10: Timbre((1.0, 0.5, 0.33, 0.25, 0.2, 0.16, 0.14), 0.01, 0.1, 0.7, 0.1),   # synth lead
    11: Timbre((1.0, 0.4, 0.2, 0.1), 0.2, 0.3, 0.7, 0.45),                       # synth pad
}


def timbre_for(program: int) -> Timbre:
    """The timbre used for a General MIDI program number (0-127)."""
    return TIMBRES.get(program // 8, PIANO)


def midi_to_hz(pitch: float) -> float:
    """Equal temperament, A4 (MIDI 69) = 440 Hz."""
    return 440.0 * 2.0 ** ((pitch - 69) / 12)


def render_notes(notes: list[Note] | tuple[Note, ...], duration: float,
                 sample_rate: int = 44100) -> np.ndarray:
    """Mix ``notes`` into a mono signal of ``duration + TAIL_SECONDS`` seconds.

    Args:
        notes: the score's notes, timed in seconds (``start``/``end``); drums are those on
            channel 10.
        duration: the score's length in seconds (its last event).
        sample_rate: samples per second, > 0.
    Returns:
        float32 array, shape (round((duration + TAIL_SECONDS) * sample_rate),),
        normalised to a peak of ``PEAK`` (all zeros if nothing sounds).
    """
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    total = max(1, round((duration + TAIL_SECONDS) * sample_rate))
    out = np.zeros(total, dtype=np.float32)
    longest = max((n.end - n.start for n in notes), default=0.0) + TAIL_SECONDS
    cache = _Cache(sample_rate, min(total, int(longest * sample_rate) + 2))
    for note in notes:
        if note.start is None or note.end is None:
            raise ValueError("render_notes needs notes timed in seconds (TempoMap.place)")
        start = round(note.start * sample_rate)
        if start >= total or note.end < note.start:
            continue
        wave = cache.drum(note.pitch) if note.is_drum else _tone(note, cache)
        wave = wave[: total - start]
        out[start:start + len(wave)] += wave * np.float32(note.velocity / 127)
    return normalise(out)


def normalise(samples: np.ndarray, peak: float = PEAK) -> np.ndarray:
    """Scale ``samples`` in place so their largest magnitude is ``peak``; silence stays silent."""
    largest = float(np.max(np.abs(samples))) if samples.size else 0.0
    if largest > 0:
        samples *= np.float32(peak / largest)
    return samples


class _Cache:
    """Arrays shared by all notes of one render: sample indices, decay curves, drum hits."""

    def __init__(self, sample_rate: int, max_len: int):
        self.sr = sample_rate
        self.index = np.arange(max_len, dtype=np.float64)  # (max_len,) sample numbers
        self.ramp = (self.index / sample_rate).astype(np.float32)  # seconds from note start
        self._decays: dict[float, np.ndarray] = {}
        self._drums: dict[int, np.ndarray] = {}

    def decay(self, tau: float, n: int) -> np.ndarray:
        if tau not in self._decays:
            self._decays[tau] = np.exp(-self.ramp / np.float32(tau))
        return self._decays[tau][:n]

    def drum(self, pitch: int) -> np.ndarray:
        if pitch not in self._drums:
            self._drums[pitch] = _drum_hit(pitch, self.sr)
        return self._drums[pitch]


def _tone(note: Note, cache: _Cache) -> np.ndarray:
    """One note: harmonic partials times its envelope. Returns float32, shape (n,)."""
    sr, timbre = cache.sr, timbre_for(note.program)
    held = max(note.end - note.start, 0.01)
    n_held = round(held * sr)
    n = min(n_held + round(timbre.release * sr), len(cache.index))
    n_held = min(n_held, n)
    f = midi_to_hz(note.pitch)
    # Phase in cycles, reduced to [0, 1) in float64 before the float32 sine, so long
    # high notes keep an exact pitch (float32 alone would smear a phase of 1e5 rad).
    cycles = cache.index[:n] * (f / sr)
    theta = (2 * np.pi * (cycles - np.floor(cycles))).astype(np.float32)
    s1 = np.sin(theta)
    tone = s1 * np.float32(timbre.partials[0])
    if len(timbre.partials) > 1 and 2 * f < 0.45 * sr:
        # sin((k+1)x) = 2 cos(x) sin(kx) - sin((k-1)x): one multiply-add per partial.
        two_cos = np.float32(2.0) * np.cos(theta)
        prev, cur = np.zeros_like(s1), s1
        for k, amp in enumerate(timbre.partials[1:], start=2):
            if k * f >= 0.45 * sr:  # drop partials that would alias past Nyquist
                break
            prev, cur = cur, two_cos * cur - prev
            tone += np.float32(amp) * cur
    tone *= _envelope(timbre, n_held, n, sr, cache)
    return tone * np.float32(1.0 / sum(timbre.partials))


def _envelope(t: Timbre, n_held: int, n: int, sr: int, cache: _Cache) -> np.ndarray:
    """ADSR over ``n`` samples, released after ``n_held``; float32, shape (n,)."""
    env = np.empty(n, dtype=np.float32)
    ramp = cache.ramp
    na = max(1, round(t.attack * sr))
    nd = max(1, round(t.decay * sr))
    # attack 0 -> 1, decay 1 -> sustain, hold at sustain: each a slice of one affine ramp
    a_end = min(na, n_held)
    env[:a_end] = ramp[:a_end] * np.float32(sr / na)
    d_end = min(na + nd, n_held)
    if d_end > na:
        env[na:d_end] = 1.0 - ramp[:d_end - na] * np.float32((1.0 - t.sustain) * sr / nd)
    if n_held > na + nd:
        env[na + nd:n_held] = t.sustain
    if n > n_held:  # release: linear from the level reached at note-off down to 0
        level = float(env[n_held - 1]) if n_held > 0 else 0.0
        nr = n - n_held
        env[n_held:] = np.float32(level) - ramp[:nr] * np.float32(level * sr / max(nr, 1))
    if t.decay_tau > 0:
        env *= cache.decay(t.decay_tau, n)
    return env


def _drum_hit(pitch: int, sr: int) -> np.ndarray:
    """A General MIDI percussion sound as a short float32 burst (deterministic noise)."""
    rng = np.random.default_rng(pitch)
    if pitch in (35, 36):  # bass drums: a falling sine
        n = int(0.25 * sr)
        t = np.arange(n) / sr
        freq = 50 + 90 * np.exp(-t / 0.03)
        wave = np.sin(2 * np.pi * np.cumsum(freq) / sr) * np.exp(-t / 0.09)
    elif pitch in (37, 38, 39, 40):  # snares, claps, rim: noise plus a body tone
        n = int(0.2 * sr)
        t = np.arange(n) / sr
        wave = (0.7 * rng.standard_normal(n) + 0.5 * np.sin(2 * np.pi * 185 * t)) \
            * np.exp(-t / 0.05)
    elif pitch in (42, 44, 46, 49, 51, 52, 53, 55, 57, 59, 54, 69, 70, 82):  # metal, shakers
        long = pitch in (46, 49, 51, 52, 53, 55, 57, 59)
        n = int((0.45 if long else 0.12) * sr)
        t = np.arange(n) / sr
        bright = np.diff(rng.standard_normal(n + 1))  # first difference: a crude high-pass
        wave = 0.4 * bright * np.exp(-t / (0.15 if long else 0.03))
    else:  # toms, congas, bongos, blocks: a pitched thump
        n = int(0.2 * sr)
        t = np.arange(n) / sr
        freq = midi_to_hz(min(max(pitch, 36), 90) - 12)
        wave = (np.sin(2 * np.pi * freq * t) + 0.2 * rng.standard_normal(n)) \
            * np.exp(-t / 0.06)
    return wave.astype(np.float32) * np.float32(0.6)
