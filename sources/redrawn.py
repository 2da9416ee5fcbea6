"""MNIST digits re-drawn as canvas drawings.

A person's canvas drawing differs from an MNIST digit in stroke width, size,
place and polarity. render_digit() re-draws an MNIST digit that way: thinned
to its centre line, then drawn as anti-aliased strokes of a chosen width on a
280x280 canvas. It keeps what the person would have kept: faint strokes stay
whole, loops the writer's pen filled in are traced round, and a loop the new
pen would fill in is drawn again thinner or bigger. The canvas-style
benchmark and training's drawings are made this way.
"""

from __future__ import annotations

import os

import cv2
import numpy as np

from preprocessing.centre_line import thin

from . import Digits, cached, in_chunks
from .canvas import CANVAS, STROKES, conditions, draw_grid_line, finish, grid_line_strokes, height_and_width, place_xy

#: Bumped whenever render_digit() draws differently, so cached drawing sets are re-made.
RENDERER_VERSION = 2


_THRESHOLDS = (110, 70, 40)  # ink levels tried, darkest first, to trace a faint digit without gaps


def _pieces(mask: np.ndarray, min_area: int) -> tuple[int, np.ndarray, np.ndarray]:
    """(count, labels, areas) of the 8-connected pieces of `mask` with at least min_area pixels."""
    _, labels, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    areas = stats[:, cv2.CC_STAT_AREA].copy()
    areas[0] = 0  # background
    return int((areas >= min_area).sum()), labels, areas


def _hollow_blobs(mask: np.ndarray, line: np.ndarray) -> np.ndarray:
    """`mask` with a hole punched in each blob much thicker than its strokes.

    A writer's small loop that the pen filled in (the blob of a 9 or 6) has no
    hole, so thinning turns it into a line and the 9 into a 7. The blob's core,
    where the ink is over twice as deep as along the centre line, is cut out,
    so thinning goes round it and the loop comes back. Cores smaller than a
    stroke's width squared are left alone: those are thick corners, not loops.
    """
    depth = cv2.distanceTransform(mask.astype(np.uint8), cv2.DIST_L2, 5)
    radius = float(np.median(depth[line]))
    _, labels, areas = _pieces(depth > 2 * radius, min_area=1)
    return mask & ~(areas >= radius**2)[labels]  # areas[0], the background, is 0


def centre_line(digit: np.ndarray, upscale: int = 4) -> np.ndarray:
    """The centre-line pixels (row, col) of a 28x28 MNIST digit, in a grid `upscale` times finer.

    The ink is traced at the darkest of a few levels that leaves the fewest
    pieces, so a faint stroke is not broken into dots; filled loops are opened
    (see _hollow_blobs); specks of noise are dropped.
    """
    big = cv2.resize(digit, None, fx=upscale, fy=upscale, interpolation=cv2.INTER_CUBIC)
    speck = upscale**2  # one MNIST pixel: smaller pieces of ink are noise, not strokes
    masks = [big > level for level in _THRESHOLDS]
    counts = [_pieces(m, speck)[0] for m in masks]
    mask = masks[counts.index(min(counts))]  # first (darkest) of the fewest pieces
    line = thin(mask)
    if line.any():
        line = thin(_hollow_blobs(mask, line))
    count, labels, areas = _pieces(line, speck // 2)
    if count:  # drop specks of noise, not the drawing
        line = (areas >= speck // 2)[labels] & line
    return np.argwhere(line)


def open_loops(mask: np.ndarray) -> int:
    """Holes in `mask` big enough to survive fitting it into MNIST's 20x20 box (one pixel there, at least)."""
    ys, xs = np.nonzero(mask)
    if len(ys) == 0:
        return 0
    pixel = max(ys.max() - ys.min() + 1, xs.max() - xs.min() + 1) / 20
    _, _, stats, _ = cv2.connectedComponentsWithStats((~mask).astype(np.uint8), connectivity=4)
    x, y, w, h, area = stats.T
    inside = (x > 0) & (y > 0) & (x + w < mask.shape[1]) & (y + h < mask.shape[0])  # not the background around
    return int((inside & (area >= pixel**2))[1:].sum())  # label 0 is the ink itself


def _rescaled(placed: np.ndarray, factor: float, width_px: int) -> np.ndarray:
    """(x, y) points scaled by `factor` about their centre, then moved as little as needed to stay on the canvas."""
    centre = (placed.max(axis=0) + placed.min(axis=0)) / 2
    out = (placed - centre) * factor + centre
    low, high = out.min(axis=0) - width_px / 2 - 1, out.max(axis=0) + width_px / 2 + 1
    return out - np.minimum(low, 0) - np.maximum(high - (CANVAS - 1), 0)


def render_digit(digit: np.ndarray, rng: np.random.Generator, stroke: str, size: str, polarity: str) -> np.ndarray:
    """The canvas image of render_digit_with_strokes() alone."""
    return render_digit_with_strokes(digit, rng, stroke, size, polarity)[0]


def render_digit_with_strokes(digit: np.ndarray, rng: np.random.Generator, stroke: str, size: str,
                              polarity: str) -> tuple[np.ndarray, list[np.ndarray], int]:
    """One canvas image of `digit` (28x28 uint8, white on black) under the given conditions, with its
    strokes (its centre line traced as a pen would, sources.canvas.grid_line_strokes()) and the pen's width:
    the image and what the canvas's json_data would hold had a person traced it.

    A person whose pen fills in a loop sees it and draws again: so while the
    ink shows fewer open loops than the centre line has, the pen is made
    thinner (down to its condition's thinnest), then the digit bigger (up to
    95% of the canvas). Raises ValueError for a digit with no ink to trace.
    """
    line = centre_line(digit)
    if len(line) == 0:
        raise ValueError("the digit has no ink to re-draw")
    height, width_px = height_and_width(rng, stroke, size)
    placed = place_xy(line, rng, height, width_px)
    ink = draw_grid_line(line, placed, width_px)
    grid = np.zeros(line.max(axis=0) + 1, bool)
    grid[tuple(line.T)] = True
    loops = open_loops(grid)
    while loops and open_loops(ink > 127) < loops:
        if width_px > STROKES[stroke][0]:
            width_px = max(STROKES[stroke][0], int(width_px * 0.8))
        else:
            extent = (placed.max(axis=0) - placed.min(axis=0)).max() + width_px
            factor = min(1.2, 0.95 * CANVAS / extent)
            if factor <= 1.01:
                break  # as big and thin as this condition allows
            placed = _rescaled(placed, factor, width_px)
        ink = draw_grid_line(line, placed, width_px)
    return finish(ink, rng, polarity), grid_line_strokes(line, placed), width_px


def _preprocessed_digits(args: tuple) -> np.ndarray:
    """Worker: render digits[i] canvas-style and preprocess each; uint8 (n, 28, 28)."""
    from preprocessing import preprocess

    digits, seed = args
    rng = np.random.default_rng(seed)
    out = []
    for digit, condition in zip(digits, conditions(len(digits), rng)):
        try:
            out.append(preprocess(render_digit(digit, rng, *condition)).image)
        except ValueError:  # a digit too faint or broken to re-draw: keep it as MNIST has it
            out.append(digit)
    return np.stack(out)


def redraw(digits: Digits, seed: int, cache: str | os.PathLike | None = None, processes: int = 2, chunk: int = 500) -> Digits:
    """Every digit re-drawn canvas-style under conditions() and preprocessed as the app would; labels kept.

    The images are kept in `cache` (a .npy path), when given, and read from there next time.
    """
    def make():
        jobs = [(digits.images[i : i + chunk], seed * 100_003 + i) for i in range(0, len(digits), chunk)]
        return in_chunks(_preprocessed_digits, jobs, processes)

    return Digits(cached(cache, make), digits.labels)
