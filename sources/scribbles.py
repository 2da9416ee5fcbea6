"""Things that are not digits, drawn on the canvas: letters, shapes and random strokes.

Training teaches the networks to meet them with a flat, unsure answer
(outlier exposure); benchmarks/not_sure.py counts how often "not sure" fires
on them. Their labels are -1.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from preprocessing.centre_line import thin

from . import Digits, cached, in_chunks
from .canvas import (CANVAS, SHIFT, conditions, draw_grid_line, finish, fixed, grid_line_strokes, height_and_width, place,
                     place_xy)

#: Letters that no one would take for a digit (no O, I, l, S, Z, B, G, q, g...).
LETTERS = "AEFHKMNRTUVWXYaehkmnrtuvwxy"
SCRIBBLE_KINDS = ("letter", "shape", "strokes")


def _shape(rng: np.random.Generator) -> list[np.ndarray]:
    """Polylines (x, y in a unit square) of a random geometric shape."""
    kind = rng.choice(["rectangle", "triangle", "star", "cross", "spiral", "zigzag", "hash", "wave"])
    t = np.linspace(0, 1, 60)
    if kind == "rectangle":
        w = rng.uniform(0.4, 1.0)
        return [np.array([(0, 0), (w, 0), (w, 1), (0, 1), (0, 0)], float)]
    if kind == "triangle":
        return [np.array([(0.5, 0), (1, 1), (0, 1), (0.5, 0)], float)]
    if kind == "star":
        k = np.arange(11) * 4 * np.pi / 5
        return [np.stack([0.5 + 0.5 * np.sin(k), 0.5 - 0.5 * np.cos(k)], 1)]
    if kind == "cross":
        return [np.array([(0, 0), (1, 1)], float), np.array([(1, 0), (0, 1)], float)]
    if kind == "spiral":
        a = t * rng.uniform(3, 5) * np.pi
        return [np.stack([0.5 + 0.5 * t * np.cos(a), 0.5 + 0.5 * t * np.sin(a)], 1)]
    if kind == "zigzag":
        n = int(rng.integers(3, 7))
        return [np.stack([np.linspace(0, 1, n + 1), np.arange(n + 1) % 2], 1).astype(float)]
    if kind == "hash":
        return [np.array([(0.3, 0), (0.3, 1)], float), np.array([(0.7, 0), (0.7, 1)], float),
                np.array([(0, 0.3), (1, 0.3)], float), np.array([(0, 0.7), (1, 0.7)], float)]
    cycles = rng.uniform(1.5, 3)
    return [np.stack([t, 0.5 + 0.3 * np.sin(t * cycles * 2 * np.pi)], 1)]


def _random_strokes(rng: np.random.Generator) -> list[np.ndarray]:
    """One to three smooth random curves."""
    lines = []
    for _ in range(int(rng.integers(1, 4))):
        steps = rng.normal(0, 1, (40, 2)).cumsum(axis=0)
        steps = cv2.GaussianBlur(steps, (1, 9), 3)  # smooth the walk along its length
        lines.append(steps)
    return lines


def scribble_with_strokes(rng: np.random.Generator, stroke: str, size: str, polarity: str,
                          kind: str | None = None) -> tuple[np.ndarray, list[np.ndarray], int]:
    """A canvas image of something that is not a digit (a letter, a shape or random strokes), with its
    strokes ((n, 2) x, y canvas points each; a letter's centre line traced as a pen would) and the pen's width:
    the image and what the canvas's json_data would hold."""
    kind = kind or rng.choice(SCRIBBLE_KINDS)
    height, width_px = height_and_width(rng, stroke, size)
    ink = np.zeros((CANVAS, CANVAS), np.uint8)
    if kind == "letter":
        letter = str(rng.choice(list(LETTERS)))
        font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX]))
        scratch = np.zeros((200, 200), np.uint8)
        cv2.putText(scratch, letter, (30, 150), font, 4, 255, 2, cv2.LINE_AA)
        line = np.argwhere(thin(scratch > 127))
        placed = place_xy(line, rng, height, width_px)
        image = finish(draw_grid_line(line, placed, width_px), rng, polarity)
        return image, grid_line_strokes(line, placed), width_px
    lines = _shape(rng) if kind == "shape" else _random_strokes(rng)
    points = np.concatenate(lines)[:, ::-1]  # (row, col) for place
    lo = points.min(axis=0)
    placed_all = place(points, rng, height, width_px)
    scale = (placed_all - placed_all.min(axis=0)).max() / max((points - lo).max(), 1e-9)
    offset = placed_all.min(axis=0)
    strokes = []
    for line in lines:
        xy = ((line[:, ::-1] - lo) * scale + offset)[:, ::-1]
        pts = np.array([fixed(p) for p in xy], np.int32)
        cv2.polylines(ink, [pts], False, 255, width_px, cv2.LINE_AA, SHIFT)
        strokes.append(xy)
    return finish(ink, rng, polarity), strokes, width_px


def random_scribble(rng: np.random.Generator, stroke: str, size: str, polarity: str, kind: str | None = None) -> np.ndarray:
    """The canvas image of scribble_with_strokes() alone."""
    return scribble_with_strokes(rng, stroke, size, polarity, kind)[0]


def _preprocessed_scribbles(args: tuple) -> np.ndarray:
    """Worker: n scribbles, preprocessed; uint8 (n, 28, 28)."""
    from preprocessing import preprocess

    n, seed = args
    rng = np.random.default_rng(seed)
    return np.stack([preprocess(random_scribble(rng, *c)).image for c in conditions(n, rng)])


def scribble_set(n: int, seed: int, cache: str | os.PathLike | None = None, processes: int = 2, chunk: int = 500) -> Digits:
    """n non-digit scribbles under conditions(), preprocessed as the app would, labelled -1 (kept in `cache` when given)."""
    def make():
        jobs = [(min(chunk, n - i), seed * 100_003 + i) for i in range(0, n, chunk)]
        return in_chunks(_preprocessed_scribbles, jobs, processes)

    return Digits(cached(cache, make), np.full(n, -1, np.int64))
