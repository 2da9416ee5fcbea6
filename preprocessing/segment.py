"""Cut a written number into its digits, left to right, from the image alone.

    digits = segment(image, score)   # [Digit(x0, x1, image), ...]; each image goes through preprocess()

Ink is found as preprocess() finds it (grayscale, polarity, levels). Its
8-connected pieces are grouped by horizontal overlap, so a 4 or a 7 drawn in
two strokes, or a 5's flag, stays one digit, and specks are dropped. A group
much wider than a digit is tall is taken for touching digits and cut at a
column near where a boundary is likely; `score(image) -> confidence` (the
network's top probability, say) picks the cut the networks are most sure of. Each digit's
image holds only its own pieces' ink, so a neighbour reaching over it does
not leak in.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from . import steps as S

#: Pieces overlapping horizontally by this share of the narrower one belong to one digit.
MERGE_OVERLAP = 0.7
#: A group wider than this times its height is tried as touching digits...
TOUCHING_ASPECT = 0.9
#: ...and one wider than this is cut whatever the network thinks of it whole (a wide blob reads as a 0).
FORCE_SPLIT_ASPECT = 1.1
#: Pieces smaller than this share of the largest are specks.
SPECK = 0.03
MAX_DIGITS = 12


@dataclass(frozen=True)
class Digit:
    x0: int  # columns of the digit in the (working-size) image, x1 exclusive
    x1: int
    y0: int
    y1: int
    image: np.ndarray  # white-on-black uint8: only this digit's ink


def ink_image(image: np.ndarray) -> np.ndarray:
    """White-on-black uint8 ink of any input, as preprocess() sees it (at most 3x its working side wide)."""
    image = S.validate_image(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    h, w = image.shape[:2]
    if h > 2 * S.WORKING_SIDE:  # shrink by a whole factor keyed to the height: a number is wide
        factor = h // S.WORKING_SIDE
        image = cv2.resize(image, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)
    gray, _ = S.flatten_paper(S.to_grayscale(image))
    img, _ = S.normalize_polarity(gray)
    return img


def _groups(mask: np.ndarray) -> list[list[int]]:
    """Labels of the pieces of `mask` grouped into digits by horizontal overlap, left to right."""
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    areas = stats[1:, cv2.CC_STAT_AREA]
    if not len(areas):
        return [], labels, stats
    keep = [i + 1 for i in range(len(areas)) if areas[i] >= SPECK * areas.max()]
    keep.sort(key=lambda i: stats[i, cv2.CC_STAT_LEFT])
    groups: list[list[int]] = []
    for i in keep:
        x0, w = stats[i, cv2.CC_STAT_LEFT], stats[i, cv2.CC_STAT_WIDTH]
        for g in groups:
            gx0 = min(stats[j, cv2.CC_STAT_LEFT] for j in g)
            gx1 = max(stats[j, cv2.CC_STAT_LEFT] + stats[j, cv2.CC_STAT_WIDTH] for j in g)
            overlap = min(gx1, x0 + w) - max(gx0, x0)
            if overlap > MERGE_OVERLAP * min(w, gx1 - gx0):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups, labels, stats


def _crop(img: np.ndarray, region: np.ndarray) -> Digit | None:
    """The Digit of the ink of `img` inside the boolean `region`, or None if there is none."""
    ink = np.where(region, img, 0).astype(np.uint8)
    ys, xs = np.nonzero(ink > S.ink_threshold(img) / 2)
    if not len(xs):
        return None
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    return Digit(int(x0), int(x1), int(y0), int(y1), ink[y0:y1, x0:x1].copy())


def _split(img: np.ndarray, region: np.ndarray, height: int, score, depth: int = 0) -> list[Digit]:
    """`region` as one digit, or cut where the ink is thinnest into the pieces `score` likes best."""
    whole = _crop(img, region)
    if whole is None:
        return []
    width = whole.x1 - whole.x0
    if width <= TOUCHING_ASPECT * max(height, whole.y1 - whole.y0) or depth >= 3 or score is None:
        return [whole]
    # Cut candidates: the thinnest columns near each place a digit boundary would be.
    # The thinnest column is no guide where round digits touch (there the ink runs down both
    # rings' sides), so every few columns near each likely boundary are tried.
    guesses = max(2, round(width / (0.7 * height)))  # how many digits this width holds, roughly
    step = max(1, width // 60)
    candidates = []
    for k in range(1, guesses):
        centre = k * width / guesses
        lo, hi = max(1, int(centre - 0.3 * width / guesses)), min(width - 1, int(centre + 0.3 * width / guesses) + 1)
        candidates += list(range(lo, hi, step))
    aspect = width / max(height, whole.y1 - whole.y0)
    best, best_score = [whole], (score(whole.image) if aspect <= FORCE_SPLIT_ASPECT else -1.0)
    for cut in sorted(set(int(c) for c in candidates)):
        left = region.copy()
        left[:, whole.x0 + cut :] = False
        right = region.copy()
        right[:, : whole.x0 + cut] = False
        parts = _split(img, left, height, score, depth + 1) + _split(img, right, height, score, depth + 1)
        if len(parts) < 2:
            continue
        confidence = float(np.prod([score(p.image) for p in parts])) ** (1 / len(parts))
        if confidence > best_score:
            best, best_score = parts, confidence
    return best


def segment(image: np.ndarray, score=None) -> list[Digit]:
    """The digits of a written number, left to right (see the module docstring).

    Raises EmptyDrawingError for a blank image and ValueError with a sentence
    when there are more than MAX_DIGITS pieces.
    """
    img = ink_image(image)
    mask = (img > S.ink_threshold(img) / 2).astype(np.uint8)
    groups, labels, stats = _groups(mask)
    if not groups:
        raise S.EmptyDrawingError("The image is blank: write a number.")
    height = max(stats[j, cv2.CC_STAT_HEIGHT] for g in groups for j in g)
    digits = []
    for g in groups:
        region = np.isin(labels, g)
        region = cv2.dilate(region.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)  # keep anti-aliased edges
        digits += _split(img, region, height, score)
    if len(digits) > MAX_DIGITS:
        raise ValueError(f"This looks like {len(digits)} pieces; write a number of at most {MAX_DIGITS} digits.")
    return digits


def draw_boxes(image: np.ndarray, digits: list[Digit]) -> np.ndarray:
    """The ink (as segment() saw it) in gray, with each digit's box in green and its number above: RGB uint8."""
    ink = ink_image(image)
    rgb = cv2.cvtColor((ink * 0.8).astype(np.uint8), cv2.COLOR_GRAY2RGB)
    for k, d in enumerate(digits, 1):
        cv2.rectangle(rgb, (d.x0, d.y0), (d.x1 - 1, d.y1 - 1), (0, 220, 0), 1)
        cv2.putText(rgb, str(k), (d.x0 + 2, max(10, d.y0 - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 220, 0), 1, cv2.LINE_AA)
    return rgb
