"""Step images made ready to show: square and large enough to see each pixel."""

from __future__ import annotations

import numpy as np


def pad_to_square(img: np.ndarray) -> np.ndarray:
    """Centre `img` on a black square as wide as its longer side."""
    h, w = img.shape[:2]
    side = max(h, w)
    if h == w:
        return img
    out = np.zeros((side, side) + img.shape[2:], img.dtype)
    y0, x0 = (side - h) // 2, (side - w) // 2
    out[y0 : y0 + h, x0 : x0 + w] = img
    return out


def enlarge(img: np.ndarray, min_side: int = 168) -> np.ndarray:
    """Scale a small image up by a whole factor with nearest-neighbour, so each pixel stays a crisp square."""
    factor = max(1, -(-min_side // max(1, min(img.shape[:2]))))
    if factor == 1:
        return img
    return np.repeat(np.repeat(img, factor, axis=0), factor, axis=1)


def for_display(img: np.ndarray, min_side: int = 168) -> np.ndarray:
    """pad_to_square, then enlarge: every step shows as a same-shaped tile."""
    return enlarge(pad_to_square(img), min_side)
