"""The centre line of ink, and the ink split into the pieces of that line between its branchings.

    line = thin(mask)              # one pixel wide, 8-connected (Zhang-Suen)
    pieces = ink_pieces(mask)      # boolean masks, left to right: each ink pixel with its nearest piece

Where two digits' inks touch, their centre lines meet at a junction, so the
pieces of the line between junctions each belong to one digit: the image
path of preprocessing.segment cuts touching digits along them where no
straight cut can (a 1 leaning into the 3 beside it). The short spurs that
thinning leaves at a stroke's corners and ends are pruned first, so a digit
is a few pieces, not dozens.
"""

from __future__ import annotations

import cv2
import numpy as np

#: A spur (a piece from a junction to a free end) shorter than this share of the ink's height, or
#: than SPUR_WIDTHS pen widths, is thinning's noise at a corner or a stroke's end, not a stroke.
SPUR = 0.15
SPUR_WIDTHS = 1.5

#: The 8 neighbours of a pixel, in order round it (for the crossing number).
_RING = ((-1, 0), (-1, 1), (0, 1), (1, 1), (1, 0), (1, -1), (0, -1), (-1, -1))


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


def _ring(line: np.ndarray) -> list[np.ndarray]:
    p = np.pad(line.astype(np.uint8), 1)
    h, w = line.shape
    return [p[1 + dr : h + 1 + dr, 1 + dc : w + 1 + dc] for dr, dc in _RING]


def line_pieces(line: np.ndarray) -> tuple[int, np.ndarray, np.ndarray]:
    """(count + 1, labels, junctions with the line pixels touching them) of a one-pixel line cut
    at its junctions.

    A junction is a pixel where three or more branches meet (the crossing
    number: changes from background to line going round its 8 neighbours;
    counting neighbours instead would take every stair-step corner of a
    diagonal for one). Junctions and the line pixels touching them belong to
    no piece; labels are 1.. for the pieces, 0 elsewhere."""
    ring = _ring(line)
    crossings = sum((ring[i] == 0) & (ring[(i + 1) % 8] == 1) for i in range(8)) * line
    junctions = line & (crossings >= 3)
    near = cv2.dilate(junctions.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool) & line
    n, labels = cv2.connectedComponents((line & ~near).astype(np.uint8), connectivity=8)
    return n, labels, near


def pruned(line: np.ndarray, spur: float) -> np.ndarray:
    """`line` less its spurs: pieces running from a junction to a free end, shorter than `spur` pixels."""
    line = line.copy()
    for _ in range(4):  # a spur pruned can leave another behind it
        n, labels, junctions = line_pieces(line)
        ends = line & (sum(_ring(line)) == 1)
        touching = cv2.dilate(junctions.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
        counts = np.bincount(labels.ravel(), minlength=n)
        end_counts = np.bincount(labels[ends], minlength=n)
        touches = np.bincount(labels[touching & (labels > 0)], minlength=n) > 0
        spurs = [k for k in range(1, n) if end_counts[k] == 1 and touches[k] and counts[k] < spur]
        if not spurs:
            break
        line &= ~np.isin(labels, spurs)
    return line


def ink_pieces(ink: np.ndarray) -> list[np.ndarray]:
    """Boolean masks splitting `ink` (a boolean image) by the pieces of its centre line between
    junctions, spurs pruned: each ink pixel goes with the piece nearest to it. Ordered left to right
    by their mean column. A line with no junction is one piece; no ink is no piece."""
    if not ink.any():
        return []
    line = thin(ink)
    depth = cv2.distanceTransform(ink.astype(np.uint8), cv2.DIST_L2, 5)
    pen = 2 * float(np.median(depth[line])) if line.any() else 1.0
    rows = np.flatnonzero(ink.any(1))
    line = pruned(line, max(SPUR_WIDTHS * pen, SPUR * (rows[-1] + 1 - rows[0])))
    n, labels, _ = line_pieces(line)
    if n <= 2:
        return [ink]
    # Each ink pixel to its nearest piece pixel: OpenCV labels each zero pixel of `away` 1, 2, ... in
    # the order it scans them (row by row), and every other pixel with the label of the nearest.
    away = np.where(labels > 0, 0, 255).astype(np.uint8)
    _, nearest = cv2.distanceTransformWithLabels(away, cv2.DIST_L2, 5, labelType=cv2.DIST_LABEL_PIXEL)
    piece_of = np.concatenate([[0], labels[labels > 0]])
    owner = np.where(ink, piece_of[nearest], 0)
    masks = [owner == k for k in range(1, n)]
    masks = [m for m in masks if m.any()]
    return sorted(masks, key=lambda m: float(np.flatnonzero(m.any(0)).mean()))
