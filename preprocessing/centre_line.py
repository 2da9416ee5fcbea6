"""The centre line of ink: Zhang-Suen thinning to one pixel wide.

    line = thin(mask)              # one pixel wide, 8-connected
"""

from __future__ import annotations

import numpy as np


def _thinning_tables() -> tuple[np.ndarray, np.ndarray]:
    """Zhang-Suen deletion rules for both sub-iterations, indexed by the 8-neighbour code."""
    first, second = np.zeros(256, bool), np.zeros(256, bool)
    for code in range(256):
        p2, p3, p4, p5, p6, p7, p8, p9 = ((code >> i) & 1 for i in range(8))
        ring = [p2, p3, p4, p5, p6, p7, p8, p9]
        neighbours = sum(ring)
        transitions = sum(ring[i] == 0 and ring[(i + 1) % 8] == 1 for i in range(8))
        deletable = 2 <= neighbours <= 6 and transitions == 1
        first[code] = deletable and p2 * p4 * p6 == 0 and p4 * p6 * p8 == 0
        second[code] = deletable and p2 * p4 * p8 == 0 and p2 * p6 * p8 == 0
    return first, second


_TABLES = _thinning_tables()


def thin(mask: np.ndarray) -> np.ndarray:
    """Zhang-Suen thinning of a boolean mask to a one-pixel-wide, 8-connected centre line."""
    img = mask.astype(np.uint8)
    while True:
        changed = False
        for table in _TABLES:
            p = np.pad(img, 1)
            code = (p[:-2, 1:-1] | p[:-2, 2:] << 1 | p[1:-1, 2:] << 2 | p[2:, 2:] << 3
                    | p[2:, 1:-1] << 4 | p[2:, :-2] << 5 | p[1:-1, :-2] << 6 | p[:-2, :-2] << 7)
            delete = (img == 1) & table[code]
            if delete.any():
                img[delete] = 0
                changed = True
        if not changed:
            return img.astype(bool)
