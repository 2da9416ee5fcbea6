"""The app's canvas and its pen: drawings made the way a person makes them there.

A drawing is made under a condition: a stroke width (thin, normal, fat), a
size (small, large) and a polarity (white on black, black on white, or ink on
a transparent canvas), each at random within its range, at a random place on
the 280x280 canvas. conditions() deals them out evenly.

The canvas's pen (draw_strokes(), as streamlit-drawable-canvas's freedraw tool
draws) lives in preprocessing.canvas_strokes. render_strokes() puts a pen
digit on the canvas under a condition, so pen digits (sources/pen.py) and
re-drawn MNIST digits (sources/redrawn.py) meet the same preprocess().
"""

from __future__ import annotations

import cv2
import numpy as np

# The canvas and its pen live with the strokes they draw; they are here for this module's users too.
from preprocessing.canvas_strokes import CANVAS, SHIFT, draw_strokes

STROKES = {"thin": (1, 3), "normal": (4, 20), "fat": (21, 30)}
SIZES = {"small": (0.30, 0.60), "large": (0.60, 0.95)}
POLARITIES = ("white-on-black", "black-on-white", "rgba-transparent")


def conditions(n: int, rng: np.random.Generator) -> list[tuple[str, str, str]]:
    """n (stroke, size, polarity) triples, every combination equally often, in random order."""
    combos = [(s, z, p) for s in STROKES for z in SIZES for p in POLARITIES]
    chosen = [combos[i % len(combos)] for i in range(n)]
    rng.shuffle(chosen)
    return chosen


def height_and_width(rng: np.random.Generator, stroke: str, size: str) -> tuple[float, int]:
    """Digit height and stroke width in canvas pixels; a stroke is at most a fifth of the height."""
    height = rng.uniform(*SIZES[size]) * CANVAS
    width_px = int(rng.integers(STROKES[stroke][0], STROKES[stroke][1] + 1))
    return height, max(1, min(width_px, int(height / 5)))


def place(points: np.ndarray, rng: np.random.Generator, height: float, width_px: int, cell: float = 1) -> np.ndarray:
    """Scale (row, col) points so the drawing is `height` tall with strokes on, and put it somewhere on the canvas.

    `cell` is the size of a point's own cell (1 for grid pixels, 0 for pen points).
    """
    span = np.maximum(points.max(axis=0) - points.min(axis=0) + cell, 1e-9)
    scale = (height - width_px) / span[0]
    scale = min(scale, (CANVAS - 4 - width_px) / span[1])  # a wide drawing must still fit
    extent = span * scale + width_px
    origin = np.array([rng.uniform(0, CANVAS - extent[0]), rng.uniform(0, CANVAS - extent[1])])
    return (points - points.min(axis=0)) * scale + origin + width_px / 2


def finish(ink: np.ndarray, rng: np.random.Generator, polarity: str) -> np.ndarray:
    """The ink (white on black, uint8) delivered in the given polarity."""
    if polarity == "white-on-black":
        return ink
    if polarity == "black-on-white":
        return 255 - ink
    rgba = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    rgba[..., :3] = 255 if rng.random() < 0.5 else 0  # white or black ink, transparent elsewhere
    rgba[..., 3] = ink
    return rgba


def place_xy(grid: np.ndarray, rng: np.random.Generator, height: float, width_px: int) -> np.ndarray:
    """(x, y) canvas places of (row, col) grid points, as place() puts them, for drawing."""
    return place(grid.astype(np.float64), rng, height, width_px)[:, ::-1]




def fixed(xy: np.ndarray) -> tuple[int, int]:
    return int(round(xy[0] * (1 << SHIFT))), int(round(xy[1] * (1 << SHIFT)))


def grid_line_pieces(grid: np.ndarray):
    """The pieces of a one-pixel centre line given as (row, col) grid points: (i, j) for each pair of
    8-neighbours, each pair once, and (i,) for a point with no neighbour; indices into `grid`."""
    index = {p: i for i, p in enumerate(map(tuple, grid.tolist()))}
    for (r, c), i in index.items():
        for dr, dc in ((0, 1), (1, -1), (1, 0), (1, 1)):
            j = index.get((r + dr, c + dc))
            if j is not None:
                yield i, j
        if not any((r + dr, c + dc) in index for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc):
            yield (i,)


def draw_grid_line(grid: np.ndarray, placed: np.ndarray, width_px: int) -> np.ndarray:
    """Ink (uint8) of a one-pixel centre line, given as (row, col) grid points and their (x, y) places on the canvas."""
    ink = np.zeros((CANVAS, CANVAS), np.uint8)
    for piece in grid_line_pieces(grid):
        if len(piece) == 2:
            cv2.line(ink, fixed(placed[piece[0]]), fixed(placed[piece[1]]), 255, width_px, cv2.LINE_AA, SHIFT)
        else:
            cv2.circle(ink, fixed(placed[piece[0]]), max(1, width_px // 2) << SHIFT, 255, -1, cv2.LINE_AA, SHIFT)
    return ink


def grid_line_paths(grid: np.ndarray) -> list[list[int]]:
    """A one-pixel centre line (row, col grid points) walked as a pen would trace it: paths of indices
    into `grid`, each step to an 8-neighbour along a piece not yet walked, starting from the line's
    ends (points with one neighbour), then from wherever pieces are left (loops); a lone point is a
    path of its own. Every piece of grid_line_pieces() is walked exactly once."""
    neighbours: dict[int, list[int]] = {}
    for piece in grid_line_pieces(grid):
        i = piece[0]
        neighbours.setdefault(i, [])
        if len(piece) == 2:
            j = piece[1]
            neighbours[i].append(j)
            neighbours.setdefault(j, []).append(i)
    walked: set[tuple[int, int]] = set()

    def left(i: int) -> list[int]:
        return [j for j in neighbours[i] if (min(i, j), max(i, j)) not in walked]

    paths = []
    ends = [i for i, n in neighbours.items() if len(n) == 1]
    for start in ends + list(neighbours):
        if not neighbours[start]:
            paths.append([start])  # a lone point: a tap of the pen
            continue
        while left(start):
            path = [start]
            while left(path[-1]):
                nxt = left(path[-1])[0]
                walked.add((min(path[-1], nxt), max(path[-1], nxt)))
                path.append(nxt)
            paths.append(path)
    return paths


def grid_line_strokes(grid: np.ndarray, placed: np.ndarray) -> list[np.ndarray]:
    """draw_grid_line()'s centre line as canvas strokes ((n, 2) x, y points each) through the grid
    points' `placed` places, as if traced with the pen (grid_line_paths()), for preprocess(strokes=...)."""
    return [placed[path] for path in grid_line_paths(grid)]


def _points(strokes) -> np.ndarray:
    return np.concatenate([np.asarray(s, dtype=np.float64) for s in strokes])


def place_strokes(strokes, rng: np.random.Generator, stroke: str, size: str) -> tuple[list[np.ndarray], int]:
    """A pen digit's strokes (of (x, y) points, any scale) placed on the canvas under the given conditions,
    in canvas pixels, and the pen's width: what the canvas's json_data would hold.

    The digit is scaled to a random height for its size condition (as wide
    digits, still fitting the canvas), put at a random place, and given a
    random width from its stroke condition: the conditions and draws of
    sources.redrawn.render_digit().
    """
    strokes = [np.asarray(s, dtype=np.float64) for s in strokes]
    if not strokes or not all(len(s) for s in strokes):
        raise ValueError("the digit has no strokes to draw")
    height, width_px = height_and_width(rng, stroke, size)
    rows_cols = _points(strokes)[:, ::-1]
    placed = place(rows_cols, rng, height, width_px, cell=0)[:, ::-1]  # back to (x, y)
    bounds = np.cumsum([0] + [len(s) for s in strokes])
    return [placed[a:b] for a, b in zip(bounds[:-1], bounds[1:])], width_px


def render_with_strokes(strokes, rng: np.random.Generator, stroke: str, size: str,
                        polarity: str) -> tuple[np.ndarray, list[np.ndarray], int]:
    """One canvas image of a pen digit (strokes of (x, y) points, any scale) under the given conditions
    (placed as place_strokes() places it, drawn by the canvas's pen, in the polarity), with the placed
    strokes and the pen's width: the image and what the canvas's json_data holds."""
    placed, width_px = place_strokes(strokes, rng, stroke, size)
    return finish(draw_strokes(placed, width_px), rng, polarity), placed, width_px


def render_strokes(strokes, rng: np.random.Generator, stroke: str, size: str, polarity: str) -> np.ndarray:
    """The canvas image of render_with_strokes() alone."""
    return render_with_strokes(strokes, rng, stroke, size, polarity)[0]
