"""The note model's network in NumPy: score tunes and improvise over changes, no TensorFlow.

The arrays are the ones Keras trains (``seqgen.jazz.keras_model.NoteTrainer``, names in
``seqgen.jazz.schema``). A tune is read in consecutive windows of ``window`` events, each
from a zero state, as the network was trained.
"""

from __future__ import annotations

import numpy as np

from seqgen.engine.ops import log_softmax, sample_index
from seqgen.engine.stacked import LSTMLayer, lstm_run
from seqgen.jazz.events import (
    CONTOUR,
    LENGTH_NOW,
    LSTM_WIDTH,
    PITCH_OUT,
    PITCHES,
    PREVIOUS_LENGTH,
    PREVIOUS_PITCH,
    REST,
    Event,
    Harmony,
    Reader,
    Tune,
    absolute_pitch,
    encode_tune,
    interval_index,
    set_length,
)
from seqgen.jazz.schema import with_skip_paths

STEP_REACH = 13  # steps of more than an octave up or down share one offset
PITCH_STEPS = np.arange(PITCHES)  # each pitch's step from pitch 0
FIT_ROUNDS = 3  # the solos' steps were 0.076 (TV) from the melodies' before, 0.025 after
FIT_EVENTS = 8_000  # melody events drawn a round at most: about 2 s on a 2-core machine
SHARE_FLOOR = 2e-3  # keeps a step neither side takes, or only one does, from diverging
OFFSET_LIMIT = 3.0  # nats: no step made more than 20 times likelier or rarer


class NoteNet:
    """The LSTM and its two heads, from the exported arrays."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        # the previous event's direct paths ([previous pitch, next pitch]: their interval's
        # weight, alone, by the contour and by the event's own length; [previous length,
        # next length]), and the LSTM kernel's rows for the newer inputs: zeros for a run
        # of an older version
        arrays = with_skip_paths(arrays, arrays["lstm_recurrent"].shape[0])
        self.lstm = LSTMLayer(arrays["lstm_kernel"], arrays["lstm_recurrent"],
                              arrays["lstm_bias"])
        self.pitch_w, self.pitch_b = arrays["pitch_kernel"], arrays["pitch_bias"]
        self.dur_w, self.dur_b = arrays["duration_kernel"], arrays["duration_bias"]
        self.by_interval = np.zeros((PITCHES, PITCH_OUT))
        self.by_interval[:, :PITCHES] = arrays["interval_weights"][interval_index()]
        self.by_length = np.asarray(arrays["rhythm_kernel"], dtype=np.float64)
        self.contour = np.asarray(arrays["contour_weights"], dtype=np.float64)
        self.by_length_now = np.asarray(arrays["length_weights"], dtype=np.float64)

    def run(self, X: np.ndarray, h=None, c=None):
        """Hidden outputs ``H (T, u)`` over inputs ``X (T, INPUT_WIDTH)`` and the final state."""
        u = self.lstm.units
        h = np.zeros(u, dtype=np.float64) if h is None else h
        c = np.zeros(u, dtype=np.float64) if c is None else c
        xproj = X[:, :LSTM_WIDTH].astype(np.float64) @ self.lstm.kernel + self.lstm.bias
        return lstm_run(self.lstm, xproj, h, c)

    def heads(self, H: np.ndarray, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log-probabilities of the pitch ``(T, PITCH_OUT)`` and duration ``(T, MAX_STEPS)``
        from the LSTM's outputs ``H`` and the inputs ``X`` they were computed from."""
        return self.pitch_head(H, X), self.length_head(H, X)

    def length_head(self, H: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Log-probabilities of the event's length ``(T, MAX_STEPS)``."""
        return log_softmax(H @ self.dur_w + self.dur_b
                           + X[:, PREVIOUS_LENGTH].astype(np.float64) @ self.by_length)

    def pitch_head(self, H: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Log-probabilities of the pitch ``(T, PITCH_OUT)``, given the event's own length
        in ``X`` (read by this head only)."""
        X = X.astype(np.float64)
        previous = X[:, PREVIOUS_PITCH]
        by_contour = np.zeros((len(X), PITCH_OUT))
        rows = np.flatnonzero(previous.sum(axis=1))  # none after a rest or at the start
        if len(rows):
            # each event's interval weights
            weights = X[rows, CONTOUR] @ self.contour + X[rows, LENGTH_NOW] @ self.by_length_now
            at = np.arange(PITCHES) + PITCHES - 1 - previous[rows].argmax(axis=1)[:, None]
            by_contour[rows, :PITCHES] = np.take_along_axis(weights, at, axis=1)
        return log_softmax(H @ self.pitch_w + self.pitch_b
                           + previous @ self.by_interval + by_contour)

    def tune_nll(self, tune: Tune, window: int) -> np.ndarray:
        """Each event's negative log-likelihood ``(n,)`` in nats, given the chords."""
        X, P, D = encode_tune(tune)
        out = np.empty(len(P))
        for a in range(0, len(P), window):
            H, _, _ = self.run(X[a:a + window])
            lp, ld = self.heads(H, X[a:a + window])
            idx = np.arange(len(H))
            out[a:a + window] = -(lp[idx, P[a:a + window]] + ld[idx, D[a:a + window]])
        return out


def score_tunes(net: NoteNet, tunes: list[Tune], window: int) -> tuple[float, int]:
    """(summed NLL in nats, events) of ``tunes``."""
    total, count = 0.0, 0
    for t in tunes:
        nll = net.tune_nll(t, window)
        total += float(nll.sum())
        count += len(nll)
    return total, count


def improvise_events(net: NoteNet, harmony: Harmony, total_steps: int, window: int,
                     temperature: float, rng: np.random.Generator,
                     pitch_range: tuple[int, int] = (0, PITCHES - 1),
                     start: int = 0, history: list[Event] = (),
                     repeat_penalty: float = 0.0,
                     step_offsets: np.ndarray | None = None) -> tuple[list[Event], float]:
    """Draw events from grid step ``start`` until ``total_steps`` over ``harmony``, after
    the events of ``history`` (a primer's, before ``start``: read, not drawn).

    Each event's length is drawn first, then its pitch for that length, over the chord
    sounding when it starts, among the pitches inside ``pitch_range`` (the others are
    masked out); the last event's length is cut at the end. ``step_offsets`` (see
    :func:`fit_step_offsets`) are added to each pitch's logit by its step from the line's
    last pitch (rests between do not count), and ``repeat_penalty`` is taken from the
    logit of that last pitch: the network, reading its own draws, repeats notes more often
    than the melodies it learnt from. The state restarts every ``window`` events, as in
    training. Returns the events and their summed negative log-likelihood under the model
    (of the masked, untempered distributions the draw was made from: the solo's own nats).
    """
    low, high = pitch_range
    events: list[Event] = []
    nll = 0.0
    h = c = None
    reader = Reader()
    last = None  # the line's last pitch
    for i, e in enumerate(history):
        if i % window == 0:
            h = c = None
        x, _ = reader.features(e.start, harmony)
        _, h, c = net.run(x[None, :], h, c)
        reader.push(e)
        last = e.pitch if e.pitch is not None else last
    step = start
    while step < total_steps:
        if (len(history) + len(events)) % window == 0:
            h = c = None
        prev = reader.prev
        if prev is not None and prev.start + prev.steps < step:  # silence after a primer
            reader.push(Event(prev.start + prev.steps, step - prev.start - prev.steps, None))
        x, root = reader.features(step, harmony)
        H, h, c = net.run(x[None, :], h, c)
        ld = net.length_head(H, x[None, :])[0]
        di = sample_index(ld, temperature, rng)  # the length first: the pitch is chosen for it
        set_length(x, di + 1)
        lp = _mask_pitches(net.pitch_head(H, x[None, :])[0], root, low, high,
                           first=reader.prev is None)
        if step_offsets is not None and last is not None:
            lp[:PITCHES] += step_offsets[step_index(PITCH_STEPS + root - last)]
        if repeat_penalty and last is not None and 0 <= last - root < PITCHES:
            lp[last - root] -= repeat_penalty
        pi = sample_index(lp, temperature, rng)
        nll -= float(log_softmax(lp)[pi] + ld[di])
        dur = min(di + 1, total_steps - step)  # the last event ends with the solo
        e = Event(step, dur, absolute_pitch(pi, root))
        events.append(e)
        reader.push(e)
        last = e.pitch if e.pitch is not None else last
        step += dur
    return events, nll


def step_index(steps: np.ndarray) -> np.ndarray:
    """The offset each step in semitones reads: steps of more than an octave share one."""
    return np.clip(steps, -STEP_REACH, STEP_REACH) + STEP_REACH


def melody_steps(events: list[Event]) -> np.ndarray:
    """The steps in semitones between consecutive notes of a line (rests skipped)."""
    return np.diff([e.pitch for e in events if e.pitch is not None]).astype(np.int64)


def step_shares(steps: list[np.ndarray]) -> np.ndarray:
    """The share of each step (:func:`step_index`) among all of ``steps``."""
    counts = np.bincount(step_index(np.concatenate([np.zeros(0, np.int64), *steps])),
                         minlength=2 * STEP_REACH + 1)
    return counts / max(counts.sum(), 1)


def fit_step_offsets(net: NoteNet, tunes: list[Tune], window: int, temperature: float,
                     repeat_penalty: float, seed: int) -> np.ndarray:
    """Logit offsets by step from the line's last pitch ``(2 * STEP_REACH + 1,)`` under
    which the network's solos over ``tunes``' own changes step as the tunes' melodies do.

    Reading its own draws, the network drifts from the steps it learnt (too many leaps of
    a third, too few steps down). Each round draws a solo over every tune's changes (at
    most ``FIT_EVENTS`` melody events in all, the tunes in a seeded order), with the
    offsets so far, and adds to each step's offset the log of the melodies' share of it
    over the solos'. Only the training tunes are read.
    """
    target = step_shares([melody_steps(t.events) for t in tunes])
    chosen, events = [], 0
    for i in np.random.default_rng([seed, 0]).permutation(len(tunes)):
        if events >= FIT_EVENTS:
            break
        if tunes[i].events:
            chosen.append(tunes[i])
            events += len(tunes[i].events)
    offsets = np.zeros(2 * STEP_REACH + 1)
    for r in range(FIT_ROUNDS):
        drawn = []
        for j, tune in enumerate(chosen):
            end = tune.events[-1].start + tune.events[-1].steps
            solo, _ = improvise_events(net, tune.harmony, end, window, temperature,
                                       np.random.default_rng([seed, r + 1, j]),
                                       repeat_penalty=repeat_penalty, step_offsets=offsets)
            drawn.append(melody_steps(solo))
        offsets += np.log((target + SHARE_FLOOR) / (step_shares(drawn) + SHARE_FLOOR))
        np.clip(offsets, -OFFSET_LIMIT, OFFSET_LIMIT, out=offsets)
    return offsets


def _mask_pitches(lp: np.ndarray, root: int, low: int, high: int, first: bool) -> np.ndarray:
    """Pitch log-probabilities with pitches outside ``[low, high]`` impossible (and a rest
    impossible for the first event: a solo starts with a note)."""
    out = np.full_like(lp, -np.inf)
    lo, hi = max(low - root, 0), min(high - root, PITCHES - 1)
    out[lo:hi + 1] = lp[lo:hi + 1]
    if not first:
        out[REST] = lp[REST]
    return out

