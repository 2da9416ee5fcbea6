"""Decimal points and commas written between a number's digits: "12.50" is not "1250".

    digits, candidates = segment(image, score, return_marks=True)  # or segment_strokes(...): each
    # candidate (mark_pieces() of the ink, mark_strokes() of the canvas's strokes) is left out of the digits
    marks = find_marks(candidates, digits)    # [Mark(x0, x1, y0, y1, "."), ...] left to right
    text = with_marks("1250", digits, marks)  # "12.50"

A mark is a piece of ink of its own (a stroke of its own, on the canvas),
small (no wider or taller than MARK_SIZE of the number's height, its tallest
piece or stroke; a stroke less the pen's width; at least a dab of the pen,
LEAST_INK), lying low (its middle below LOW of the way down the ink round it)
in a gap: no other ink in its columns from its bottom (a stroke: its top) up
to ABOVE of the height over it (a dot under a 0, the foot of a 4's stem
written apart, are parts of their digit), no other small piece over it up to
COLON of the height (a colon is not a point), and ink on both sides of it at
its height within one height (it lies between digits, not after the last
one). A point is a dab of the pen; a comma has a tail: longer than the pen is
wide by COMMA_TAIL of the height, it is ",", and it hangs below the line (COMMA_BELOW;
a tail ending on the line is a digit's foot written apart). The segmentation leaves marks
out of the digits (segment(), segment_strokes()); find_marks() then keeps
those lying between two digits, not within one (a piece under a 9's tail
lies between the ends of the 9's ink at its height), one to a gap.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import steps as S

#: A mark is no wider or taller than this share of the number's height (a fat pen's comma: about a quarter)...
MARK_SIZE = 0.35
#: ...and holds at least this many times the pen's width squared (a pen's dab: about 0.8); less is a speck.
LEAST_INK = 0.3
#: Its middle lies below this share of the way down the ink round it (a point sits on the line).
LOW = 0.6
#: No other ink in its columns up to this share of the height above it: it is no part of a digit there
#: (a 4's foot written apart from its bar), though a 4's bar may reach over a comma after it...
ABOVE = 0.15
#: ...and no other small piece up to this share above it: a colon's lower dot is no point.
COLON = 0.7
#: A stroke touching a digit's ink whose line comes within this share of the height of the digit's
#: line is that digit's (a thin pen's flick off a 3); a fat pen's point run into a digit lies further off.
APART = 0.02
#: Longer than the pen is wide by more than this share of the height: a comma's tail.
COMMA_TAIL = 0.06
#: A mark whose middle lies further than this share of a digit's width inside both its sides is in it.
INSIDE = 0.25
#: A comma hangs below the line: its bottom lies lower than the digits' (their median) by more than this
#: share of the height. A tail ending on the line is a digit's stroke written apart (a 3's foot).
COMMA_BELOW = 0.03


@dataclass(frozen=True)
class Mark:
    x0: int  # its box in the mask's (working-size) image, as the digits' boxes are; x1 and y1 exclusive
    x1: int
    y0: int
    y1: int
    kind: str  # "." or ","


def _mark(box: tuple[int, int, int, int], others: np.ndarray, small: list[tuple[int, int, int, int]], height: float,
          pen: float, size: float, reach: int) -> Mark | None:
    """The Mark of a piece of ink in `box` (x, y, w, h; its own ink `size` across) among `others` (the
    rest of the ink, boolean), or None if it is none (see the module docstring); `small` are the boxes
    of the other pieces small enough to be marks (a colon's dots), `reach` how far down from its top
    the rule "nothing just over it" looks."""
    x, y, w, h = box
    if size > MARK_SIZE * height:
        return None
    # Nothing else over its middle columns (less the pen's edges) just above it, nor a small piece a
    # little higher up (a colon).
    edge = min(round(pen / 2), (w - 1) // 2)
    if others[max(0, round(y - ABOVE * height)) : y + reach, x + edge : x + w - edge].any():
        return None
    if any(by + bh <= y and by + bh > y - COLON * height and min(x + w, bx + bw) > max(x, bx)
           for bx, by, bw, bh in small):
        return None
    # Ink on both sides at its height (within a height), and it sits low among the ink round it.
    around = others[:, max(0, round(x - height)) : round(x + w + height)]
    rows = np.flatnonzero(around.any(1))
    band = others[max(0, round(y - ABOVE * height)) : y + h]
    cols = np.flatnonzero(band.any(0))
    if not len(rows) or not ((cols < x) & (cols >= x - height)).any() \
            or not ((cols >= x + w) & (cols < x + w + height)).any():
        return None
    if y + h / 2 <= rows[0] + LOW * (rows[-1] + 1 - rows[0]):
        return None
    return Mark(x, x + w, y, y + h, "," if max(w, h) - pen > COMMA_TAIL * height else ".")


def mark_pieces(mask: np.ndarray, pen: float) -> list[Mark]:
    """The points and commas among the 8-connected pieces of `mask` (uint8 ink, a number written
    with a pen `pen` pixels wide), left to right (see the module docstring). A piece is as big as its
    ink: one that a fat pen made touch a digit is part of it."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if n < 3:  # a mark lies between other pieces
        return []
    height = float(stats[1:, cv2.CC_STAT_HEIGHT].max())
    boxes = {i: tuple(int(v) for v in stats[i, :4]) for i in range(1, n)}
    small = [i for i in boxes if max(boxes[i][2:]) <= MARK_SIZE * height]
    ink = mask > 0
    marks = []
    for i in small:
        if stats[i, cv2.CC_STAT_AREA] < LEAST_INK * pen**2:
            continue
        found = _mark(boxes[i], ink & (labels != i), [boxes[j] for j in small if j != i], height, pen,
                      max(boxes[i][2:]), boxes[i][3])
        if found:
            marks.append(found)
    return sorted(marks, key=lambda m: m.x0)


def mark_strokes(masks: list[np.ndarray], pen: float, points) -> list[tuple[int, Mark]]:
    """(index, Mark) of the strokes that are points and commas, left to right: `masks` are the ink
    each stroke of a number drew (boolean, in drawing order; a pen `pen` pixels wide), `points` the
    strokes themselves ((n, 2) arrays of x, y in the masks' pixels). The same rules
    as mark_pieces(), on the strokes: a point that a fat pen made touch a digit is still a stroke of
    its own, so it is as big as the pen drew it (less the pen), only other ink above its top, not
    beside it, makes it part of a digit, and only strokes that touch no other are a colon's dots.
    And a stroke touching another whose line comes within APART of the height of the other's line
    (its ink less half the pen) is part of it (a thin pen's flick off a 3)."""
    boxes = []
    for m in masks:
        ys, xs = np.nonzero(m)
        boxes.append((int(xs.min()), int(ys.min()), int(np.ptp(xs)) + 1, int(np.ptp(ys)) + 1) if len(xs) else None)
    drawn = [k for k, b in enumerate(boxes) if b]
    if len(drawn) < 3:  # a mark lies between other strokes
        return []
    height = float(max(boxes[k][3] for k in drawn))
    small = [k for k in drawn if max(boxes[k][2:]) - pen <= MARK_SIZE * height]
    others = {k: np.logical_or.reduce([masks[j] for j in drawn if j != k]) for k in small}
    dots = [k for k in small if not (masks[k] & others[k]).any()]  # a colon's dots touch no digit; a 7's bar does
    found = []
    for k in small:
        if masks[k].sum() < LEAST_INK * pen**2:
            continue
        if (masks[k] & others[k]).any():
            apart = cv2.distanceTransform((~others[k]).astype(np.uint8), cv2.DIST_L2, 3)
            xy = np.round(np.asarray(points[k], np.float64).reshape(-1, 2)).astype(int)
            xy = np.clip(xy, 0, [apart.shape[1] - 1, apart.shape[0] - 1])
            if apart[xy[:, 1], xy[:, 0]].min() + pen / 2 < APART * height:  # line to line
                continue
        mark = _mark(boxes[k], others[k], [boxes[j] for j in dots if j != k], height, pen,
                     max(boxes[k][2:]) - pen, 0)
        if mark:
            found.append((k, mark))
    return sorted(found, key=lambda km: km[1].x0)


def number_pen(img: np.ndarray, mask: np.ndarray) -> float:
    """The pen's width in a number's ink `img` (uint8) over its `mask`."""
    return S.estimate_stroke_width(np.where(mask > 0, img, 0).astype(np.uint8))


def _within_digit(mark: Mark, height: float, digits) -> bool:
    """Whether `mark` lies within a digit: its middle inside the middle of that digit's box (INSIDE), or
    between the digit's leftmost and rightmost ink in the rows from ABOVE of the `height` over the
    mark to its bottom (a piece under a 9's tail, not one beside a 7's foot)."""
    from .segment import MARGIN

    middle = (mark.x0 + mark.x1) / 2
    for d in digits:
        if d.x0 + INSIDE * (d.x1 - d.x0) < middle < d.x1 - INSIDE * (d.x1 - d.x0):
            return True
        rows = slice(max(0, round(mark.y0 - ABOVE * height) - d.y0) + MARGIN, max(0, mark.y1 - d.y0) + MARGIN)
        cols = np.flatnonzero(d.image[rows].any(0)) + d.x0 - MARGIN
        if len(cols) and cols[0] < middle < cols[-1]:
            return True
    return False


def find_marks(candidates: list[Mark], digits) -> list[Mark]:
    """Of a number's `candidates` (as segment() and segment_strokes() return them), the
    decimal points and commas that lie between two of its `digits` (their Digits), left to right; a
    gap with two is read as having none (it may be something else)."""
    if len(digits) < 2:
        return []
    centres = sorted((d.x0 + d.x1) / 2 for d in digits)
    height = max(d.y1 - d.y0 for d in digits)
    line = float(np.median([d.y1 for d in digits]))
    in_gap: dict[int, list[Mark]] = {}
    for m in candidates:
        if m.kind == "," and m.y1 <= line + COMMA_BELOW * height:
            continue
        gap = int(np.searchsorted(centres, (m.x0 + m.x1) / 2))
        if 0 < gap < len(centres) and not _within_digit(m, height, digits):
            in_gap.setdefault(gap, []).append(m)
    return [found[0] for _, found in sorted(in_gap.items()) if len(found) == 1]


def with_marks(text: str, digits, marks: list[Mark]) -> str:
    """`text`, one character per digit of `digits` (left to right), with each mark put in its gap."""
    centres = sorted((d.x0 + d.x1) / 2 for d in digits)
    out = []
    for k, ch in enumerate(text):
        out.append(ch)
        if k + 1 < len(centres):
            out += [m.kind for m in marks if centres[k] < (m.x0 + m.x1) / 2 < centres[k + 1]]
    return "".join(out)