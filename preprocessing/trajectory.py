"""The pen's path as a sequence: how a digit was written, not only how it looks.

    sequence = pen_sequence(strokes)   # float32 (LENGTH, FEATURES), from the canvas's strokes

Two digits can leave the same 28x28 image and still be written differently: a
1 drawn up from its foot and straight down again looks like a closed-top 4,
but a 4 is written in two strokes; a 5's flag is a stroke of its own, a 6's
loop is not. The canvas keeps the strokes (json_data), so the order and
direction of the pen are there to read. This turns them into what the pen
network (model.networks.PenNet) reads:

- the strokes together are centred on their box and scaled by its longer
  side, so size and place on the canvas do not matter (as 20x20 framing does
  for the image);
- each stroke is resampled at an even spacing along its length, the POINTS
  points shared out between the strokes by length (at least 2 a stroke), so
  the speed of the pen and how often the browser sampled it do not matter;
- each point carries its place (x, y), the pen's heading there (a unit
  vector), whether a stroke starts or ends there, and a 1 for "a point"; the
  rest of the LENGTH rows are zeros (padding).
"""

from __future__ import annotations

import numpy as np

#: Points shared out between the strokes, by length.
POINTS = 64
#: Rows of a sequence: room for POINTS and the extra points that short strokes get; the rest is padding.
LENGTH = 80
#: Columns: x, y, heading x, heading y, stroke starts, stroke ends, present.
FEATURES = 7
STROKE_STARTS = 4  # the column that is 1 where a stroke starts


def _resample(points: np.ndarray, k: int) -> np.ndarray:
    """k points evenly spaced along the polyline `points` (a dot: the point k times)."""
    steps = np.linalg.norm(np.diff(points, axis=0), axis=1)
    if len(points) == 1 or steps.sum() == 0:
        return np.repeat(points[:1], k, axis=0)
    along = np.concatenate([[0.0], np.cumsum(steps)])
    t = np.linspace(0.0, along[-1], k)
    return np.stack([np.interp(t, along, points[:, 0]), np.interp(t, along, points[:, 1])], axis=1)


def _headings(points: np.ndarray) -> np.ndarray:
    """Unit vectors along the path at each point ((0, 0) where the pen does not move)."""
    d = np.gradient(points, axis=0) if len(points) > 1 else np.zeros_like(points)
    norm = np.linalg.norm(d, axis=1, keepdims=True)
    return np.where(norm > 1e-9, d / np.maximum(norm, 1e-9), 0.0)


def pen_sequence(strokes, points: int = POINTS, length: int = LENGTH) -> np.ndarray:
    """The strokes ((n, 2) x, y points each, in the order drawn; any one scale) as a (length, FEATURES) float32 sequence.

    Raises ValueError when there is no point to read or a point is not a finite number.
    Strokes beyond what `length` rows hold are cut off (a digit has a handful).
    """
    paths = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes]
    paths = [p for p in paths if len(p)]
    if not paths:
        raise ValueError("There are no strokes to read.")
    if not all(np.isfinite(p).all() for p in paths):
        raise ValueError("A stroke has a point that is not a number.")
    everything = np.concatenate(paths)
    lo, hi = everything.min(axis=0), everything.max(axis=0)
    centre, scale = (lo + hi) / 2, max(float((hi - lo).max()), 1e-6)
    lengths = [float(np.linalg.norm(np.diff(p, axis=0), axis=1).sum()) for p in paths]
    total = sum(lengths) or 1.0
    rows = []
    for path, stroke_length in zip(paths, lengths):
        k = max(2, int(round(points * stroke_length / total)))
        q = (_resample(path, k) - centre) / scale
        marks = np.zeros((k, 3))
        marks[0, 0], marks[-1, 1], marks[:, 2] = 1, 1, 1
        rows.append(np.concatenate([q, _headings(q), marks], axis=1))
    seq = np.concatenate(rows)[:length]
    out = np.zeros((length, FEATURES), np.float32)
    out[: len(seq)] = seq
    return out


def path_picture(sequence: np.ndarray, side: int = 168) -> np.ndarray:
    """The pen path a sequence holds, drawn for people: RGB uint8 (side, side, 3), black background.

    Each stroke is drawn point to point, coloured from blue (the first point written) to red (the
    last), with a ring where each stroke starts: what the pen network reads, order and direction
    included. Raises ValueError for a sequence with no point.
    """
    import cv2

    seq = np.asarray(sequence, dtype=np.float32)
    present = seq[:, 6] > 0.5
    if seq.ndim != 2 or seq.shape[1] != FEATURES or not present.any():
        raise ValueError("There is no pen path to draw.")
    seq = seq[present]
    xy = np.rint((seq[:, :2] * 0.85 + 0.5) * (side - 1)).astype(np.int32)
    picture = np.zeros((side, side, 3), np.uint8)
    n = len(seq)
    colour = lambda i: (int(255 * i / max(n - 1, 1)), 64, int(255 * (1 - i / max(n - 1, 1))))  # noqa: E731 (R, G, B)
    for i in range(n - 1):
        if not seq[i, 5]:  # the pen is not lifted between point i and the next
            cv2.line(picture, tuple(map(int, xy[i])), tuple(map(int, xy[i + 1])), colour(i), max(1, side // 60), cv2.LINE_AA)
    for i in np.flatnonzero(seq[:, 4]):
        cv2.circle(picture, tuple(map(int, xy[i])), max(3, side // 30), colour(i), max(1, side // 90), cv2.LINE_AA)
    return picture
