"""Pen strokes drawn the way the app's canvas draws them.

streamlit-drawable-canvas's freedraw tool is fabric.js' PencilBrush: it drops
points closer than 0.4 px to the last one kept, then strokes one path per
pen-down: a line from the first point to the midpoint of the first two, a
quadratic curve from each midpoint to the next with the point between as
its control point, and a line to the last point; round caps and joins, at
the chosen width, anti-aliased. draw_strokes() does the same, drawing 4x
finer and averaging down for the anti-aliasing. render_strokes() puts a pen
digit on the 280x280 canvas under the canvas-style benchmark's conditions
(size, place, width, polarity; model/drawings.py), so pen digits and re-drawn
MNIST digits meet the same preprocess().
"""

from __future__ import annotations

import cv2
import numpy as np

from .drawings import CANVAS, _finish, _height_and_width, _place

DECIMATE_PX = 0.4  # fabric.js PencilBrush.decimate
_SUPERSAMPLE = 4
_SHIFT = 4  # cv2 sub-pixel bits


def decimate(points: np.ndarray, distance: float = DECIMATE_PX) -> np.ndarray:
    """Points closer than `distance` to the last kept one dropped; the first and last always kept (as fabric.js does)."""
    if len(points) <= 2:
        return points
    kept = [points[0]]
    for p in points[1:-1]:
        if np.sum((p - kept[-1]) ** 2) >= distance**2:
            kept.append(p)
    kept.append(points[-1])
    return np.array(kept)


def pencil_path(points: np.ndarray, step_px: float = 1.0) -> np.ndarray:
    """The (m, 2) polyline that PencilBrush strokes through (n, 2) points, sampled about every `step_px`.

    It starts at the first point, passes through the midpoint of every two
    consecutive points (bending towards the point between, a quadratic
    Bézier's control point) and ends at the last point. One point is a dot:
    fabric.js widens it by a hair so the round cap shows, and so does this.
    """
    points = np.asarray(points, dtype=np.float64)
    if len(points) == 1 or np.all(points == points[0]):
        return points[[0, 0]] + np.array([[-1e-3, 0], [1e-3, 0]])
    keep = np.concatenate([[True], np.any(np.diff(points, axis=0) != 0, axis=1)])
    points = points[keep]  # fabric skips a point equal to the previous one
    mids = (points[:-1] + points[1:]) / 2
    out = [points[:1], mids[:1]]  # straight to the first midpoint (its control point is the start itself)
    for i in range(1, len(points) - 1):
        a, c, b = mids[i - 1], points[i], mids[i]
        n = max(2, int(np.ceil((np.linalg.norm(c - a) + np.linalg.norm(b - c)) / step_px)))
        t = np.linspace(0, 1, n + 1)[1:, None]
        out.append((1 - t) ** 2 * a + 2 * (1 - t) * t * c + t**2 * b)
    out.append(points[-1:])
    return np.concatenate(out)


def draw_strokes(strokes: list[np.ndarray], width: float, shape: tuple[int, int] = (CANVAS, CANVAS)) -> np.ndarray:
    """White-on-black uint8 ink of strokes given in canvas pixels (x, y; pixel centres at integers)."""
    s = _SUPERSAMPLE
    big = np.zeros((shape[0] * s, shape[1] * s), np.uint8)
    thickness = max(1, int(round(width * s)))
    for stroke in strokes:
        path = pencil_path(decimate(np.asarray(stroke, dtype=np.float64)))
        fine = np.round((path * s + (s - 1) / 2) * (1 << _SHIFT)).astype(np.int32)
        cv2.polylines(big, [fine], False, 255, thickness, cv2.LINE_8, _SHIFT)
    return cv2.resize(big, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)


def _points(strokes) -> np.ndarray:
    return np.concatenate([np.asarray(s, dtype=np.float64) for s in strokes])


def render_strokes(strokes, rng: np.random.Generator, stroke: str, size: str, polarity: str) -> np.ndarray:
    """One canvas image of a pen digit (strokes of (x, y) points, any scale) under the given conditions.

    The digit is scaled to a random height for its size condition (as wide
    digits, still fitting the canvas), put at a random place, and drawn with
    a random width from its stroke condition: the conditions and draws of
    model.drawings.render_digit().
    """
    strokes = [np.asarray(s, dtype=np.float64) for s in strokes]
    if not strokes or not all(len(s) for s in strokes):
        raise ValueError("the digit has no strokes to draw")
    height, width_px = _height_and_width(rng, stroke, size)
    rows_cols = _points(strokes)[:, ::-1]
    placed = _place(rows_cols, rng, height, width_px, cell=0)[:, ::-1]  # back to (x, y)
    bounds = np.cumsum([0] + [len(s) for s in strokes])
    ink = draw_strokes([placed[a:b] for a, b in zip(bounds[:-1], bounds[1:])], width_px)
    return _finish(ink, rng, polarity)
