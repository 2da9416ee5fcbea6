"""Cut a written number into its digits, left to right: from the image, or from the pen's strokes.

    digits = segment(image, score)                            # the image alone (an upload, a photo)
    digits = segment_strokes(image, strokes, width, score)    # the canvas: its strokes say more
    # [Digit(x0, x1, y0, y1, image), ...]; each image goes through preprocess()
    digits, marks = segment(image, score, return_marks=True)  # and the points and commas left out

`score(digit) -> (label, probability)` is the network's top answer for one
candidate Digit: its ink, and its strokes when cut from them (model.number
passes the predictor's); without it the fewest digits the geometry allows are
taken.

From the image: ink is found as preprocess() finds it (grayscale, polarity,
levels), less what a photo takes in beyond the paper (a desk, the paper's
edge: solid or long pieces along the image's edge, see steps.surroundings()) and
the points and commas written between digits (preprocessing.marks, read
after). Its 8-connected pieces are grouped by horizontal overlap, so a 4 or a
7 drawn in two strokes, or a 5's flag, stays one digit, and specks are
dropped, as are groups of dots alone (a colon); a flat group (a 5's flag lifted
off its body) joins the digit it lies over, and one over no digit (a dash) is
dropped. A group wider than three quarters of its
height (TOUCHING_ASPECT) is tried as touching digits and cut at columns near
where boundaries are likely, keeping the cut whose pieces the network is
surest of (the geometric mean of `score`), at most SCORE_BUDGET questions to
it per number. A cut that leaves a digit less tall than CUT_TALL of the
number's height is not taken, straight or along the centre line: a number's
digits are about as tall as each other, and a 1's flag or a 4's bar cut off
its stem reads as a sure digit of its own. No straight cut parts digits
whose columns overlap (a 1 leaning under a 7's bar), so the group is also
cut where its centre line branches (centre_line.ink_pieces(): where two
digits touch, their centre lines meet) and the pieces, left to right in
place of the order of writing, go through the strokes' search below; the
network's surer cut of the two is kept (PIECES_BUDGET more questions). Each
digit's image holds only its own pieces' ink, so a neighbour reaching over
it does not leak in. Each group is cut within its own box, so the Digits
`score` is asked about then are placed in that box.

From the canvas's strokes: people write a number digit after digit, so a
digit is a run of consecutive strokes, and digits that overlap or touch are
told apart by when they were written, which the image cannot know. Every
way of cutting the strokes into runs (of up to MAX_STROKES_PER_DIGIT) is
weighed at once by dynamic programming: the sum over the runs of the log of
`score` on the run's ink, with priors:
- a run wider or narrower than the digit it is read as usually is
  (DIGIT_ASPECT, measured on training writers' pen digits) costs ASPECT_LOG
  per unit of width over height outside that range: two overlapping digits
  read as one wide one;
- cutting off a stroke whose middle lies well inside the digit before it (a
  7's crossbar, a 4's stem, the slash of a zero) costs INSIDE_SPLIT_LOG;
- strokes apart by a clear gap (STROKE_GAP of the number's height) are
  never one digit: two 1s;
- strokes that read as a sure, tall digit of their own, added to a digit
  that reads just as it did without them, cost VANISH_LOG as part of it: a
  1 or a 6 drawn into an 8 still reads "8", so the network alone would
  merge them; so does a sure digit written before another that swallows it
  (an 8 written over the 1 before it), unless the two read as the same digit
  (a 1's flag reads as a 1 on its own); and two such digits that together
  read as a third (a 6 and a 9 written over its loop, as a "0") cost the
  same, unless the later one is a 1 (a 4's stem reads as one);
- a dot (DOT) is never a digit alone: it joins one only where that digit
  reads surer with it, and is otherwise left out.
A stroke added later inside an earlier digit (a crossbar put in at the end)
joins that digit; a run less tall than FLAT of the tallest stroke (a 5's flag
written apart, which the network may read as a 7 of its own) is no digit
either: it joins the digit written just before it where their columns meet,
else the one whose columns it shares most, and over no digit (a dash) it is
dropped; specks are dropped as from the image, and the strokes of a point or
a comma between digits (preprocessing.marks) are set aside before all this.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import cv2
import numpy as np

from . import centre_line
from . import steps as S
from .canvas_strokes import strokes_to_json
from .marks import mark_pieces, mark_strokes, number_pen

#: Pieces overlapping horizontally by this share of the narrower one belong to one digit.
MERGE_OVERLAP = 0.7
#: A group wider than this times its height is tried as touching digits (a narrow digit touching
#: another, "18", is no wider than one 0; the network decides whether the cut is better)...
TOUCHING_ASPECT = 0.75
#: ...and one wider than this is cut whatever the network thinks of it whole (a wide blob reads as a 0).
FORCE_SPLIT_ASPECT = 1.1
#: Of the cuts of a group, the BEAM whose two pieces the network is surest of are cut further;
BEAM = 3
#: at most this many candidate digits are scored per image (about 1.5 ms each).
SCORE_BUDGET = 600
#: A touching group whose centre line breaks into more pieces than this is only cut straight.
MAX_PIECES = 40
#: Cutting a group along its pieces, a run of them wider than this times their height is no digit,
PIECES_WIDEST = 1.3
#: and at most this many candidate digits are scored per image for those cuts, besides SCORE_BUDGET.
PIECES_BUDGET = 300
#: A cut leaving a digit less tall than this share of the number's height (its tallest group of ink) is
#: not taken: a 1's long flag or a 4's bar cut off its stem reads as a sure digit of its own.
CUT_TALL = 0.7
#: Pieces smaller than this share of the largest are specks.
SPECK = 0.03
#: A group of pieces less tall than this share of the number's height (from the strokes: of the
#: tallest stroke) is no digit alone (a 5's flag lifted off its body, a 7's crossbar): it joins the
#: group it lies over, if any.
FLAT = 0.5
MAX_DIGITS = 12
#: Black pixels round each digit's image: preprocess() judges polarity by the border, and a fat 1
#: cropped tight is ink all along it (read as dark on light, inverted, and not read as a 1).
MARGIN = 4
#: A stroke whose middle lies further than this share of a digit's width from both its sides is part of it.
INSIDE = 0.25
#: Strokes further apart than this share of the number's height are never one digit.
STROKE_GAP = 0.12
MAX_STROKES_PER_DIGIT = 6
#: More strokes than this are not searched (the search grows with them): the image alone decides.
MAX_STROKES = 120
#: A stroke whose ink, less the pen's width, is shorter than this share of the number's height both
#: ways is a dot (a full stop, a thousands comma, a pen put down by mistake): it may join a digit
#: but is never one alone: left out, it costs nothing, so it joins a digit only where the
#: network reads that digit surer with it (a 0 whose recording left a dot below it).
DOT = 0.1
#: Strokes that read as a sure digit (SURE) of their own, tall (TALL of the number's height) and not
#: inside it, added to a digit that reads as it did without them (or written before one that reads
#: as it would alone), are another digit: the network reads an 8 with a 1 or a 6 drawn into it as an
#: 8. So are two such digits that read as a third together, unless the later is a 1. Taking them into one
#: digit costs VANISH_LOG.
SURE = 0.9
TALL = 0.8
VANISH_LOG = float(np.log(0.05))
#: Splitting a stroke off the digit it lies inside costs this (log) share of belief.
INSIDE_SPLIT_LOG = float(np.log(0.05))
#: Width over height that 96% of each digit's drawings fall within (2nd and 98th percentiles of
#: the 4,449 DigiLeTs digits by training writers), but for the 1's narrowest: a 1 drawn as one
#: straight line is as narrow as the pen, however tall (these writers' 1s mostly have flags)...
DIGIT_ASPECT = {0: (0.44, 1.10), 1: (0.0, 0.87), 2: (0.45, 1.07), 3: (0.38, 0.94), 4: (0.36, 0.87),
                5: (0.40, 1.08), 6: (0.33, 0.75), 7: (0.44, 0.97), 8: (0.34, 0.79), 9: (0.36, 0.84)}
#: ...and what a run read as a digit costs (log) per unit of aspect outside its digit's range.
ASPECT_LOG = -10.0


@dataclass(frozen=True)
class Digit:
    x0: int  # columns of the digit in the (working-size) image, x1 exclusive
    x1: int
    y0: int
    y1: int
    image: np.ndarray  # white-on-black uint8: only this digit's ink, its box with a black MARGIN round it
    # From the canvas: the digit's strokes ((n, 2) x, y in the working-size image) and the pen's width
    # there, for preprocess() to draw a fat pen again thinner. Empty when cut from the image.
    strokes: tuple = field(default=(), compare=False)
    pen: float = 0.0

    def json_data(self) -> dict | None:
        """The digit's strokes as the canvas's json_data would hold them, in its image's pixels (None
        when it was cut from the image alone): saved with the digit, it is read as it was read here."""
        if not self.strokes:
            return None
        shift = np.array([MARGIN - self.x0, MARGIN - self.y0], np.float64)
        return strokes_to_json([np.asarray(s, np.float64).reshape(-1, 2) + shift for s in self.strokes], self.pen)


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


def number_ink(image: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(ink, mask): ink_image() less what a photo takes in beyond the paper (steps.surroundings()),
    and the uint8 mask of its ink (over half the ink level): the writing segment() cuts."""
    img = ink_image(image)
    mask = (img > S.ink_threshold(img) / 2).astype(np.uint8)
    edges = S.surroundings(mask)
    if edges.any():  # what is left is re-levelled: the edge no longer sets what counts as ink
        img = np.where(edges, 0, img).astype(np.uint8)
        mask = (img > S.ink_threshold(img) / 2).astype(np.uint8)
    return img, mask


def _one_digits_columns(a: tuple[int, int], b: tuple[int, int]) -> bool:
    """Whether two pieces spanning columns `a` and `b` (first, one past last) overlap by more than
    MERGE_OVERLAP of the narrower one: one digit's pieces, not two digits."""
    return min(a[1], b[1]) - max(a[0], b[0]) > MERGE_OVERLAP * min(a[1] - a[0], b[1] - b[0])


def _tall(cut: list[Digit], height: int) -> bool:
    """Whether every digit of a cut is at least CUT_TALL of the number's `height` tall."""
    return min(d.y1 - d.y0 for d in cut) >= CUT_TALL * height


def _touching(whole: Digit, height: int) -> bool:
    """Whether a group of ink is wide enough to be tried as touching digits (TOUCHING_ASPECT)."""
    return whole.x1 - whole.x0 > TOUCHING_ASPECT * max(height, whole.y1 - whole.y0)


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
            if _one_digits_columns((gx0, gx1), (x0, x0 + w)):
                g.append(i)
                break
        else:
            groups.append([i])
    return groups, labels, stats


def _join_flat_groups(groups: list[list[int]], stats: np.ndarray, height: int) -> list[list[int]]:
    """`groups` with each flat one (under FLAT of `height` tall) joined to the tall group whose columns
    it shares most: a 5's flag written off its body overlaps it too little to be grouped with it.
    A flat group sharing no tall group's columns is no digit and is dropped: a dash, or what is
    left of a ruling line where a tilted page's line runs out through a corner."""
    def extent(g, start, size):  # first and one-past-last pixel of the group along one axis
        return min(stats[j, start] for j in g), max(stats[j, start] + stats[j, size] for j in g)

    spans = [extent(g, cv2.CC_STAT_LEFT, cv2.CC_STAT_WIDTH) for g in groups]
    tops_bottoms = [extent(g, cv2.CC_STAT_TOP, cv2.CC_STAT_HEIGHT) for g in groups]
    flat = [bottom - top < FLAT * height for top, bottom in tops_bottoms]
    joined = [list(g) for g in groups]
    for i, (x0, x1) in enumerate(spans):
        if not flat[i]:
            continue
        shared = [(min(x1, b1) - max(x0, b0), k) for k, (b0, b1) in enumerate(spans) if not flat[k]]
        overlap, k = max(shared, default=(0, -1))
        if overlap > 0:
            joined[k] += joined[i]
        joined[i] = []
    return [g for g in joined if g]


def _crop(img: np.ndarray, region: np.ndarray, level: float | None = None) -> Digit | None:
    """The Digit of the ink of `img` inside the boolean `region`, or None if there is none; ink is
    over half of `level` (default: S.ink_threshold(img), which a caller cutting many pieces passes once)."""
    ink = np.where(region, img, 0).astype(np.uint8)
    ys, xs = np.nonzero(ink > (S.ink_threshold(img) if level is None else level) / 2)
    if not len(xs):
        return None
    x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
    return Digit(int(x0), int(x1), int(y0), int(y1), np.pad(ink[y0:y1, x0:x1], MARGIN))


def _log_belief(digit: Digit, label: int, p: float, height: float) -> float:
    """log of the network's belief `p` that `digit` is `label`, less what its width says against that digit."""
    lo, hi = DIGIT_ASPECT.get(label, (0.0, np.inf))
    aspect = (digit.x1 - digit.x0) / height
    return float(np.log(max(p, 1e-12))) + ASPECT_LOG * (max(0.0, lo - aspect) + max(0.0, aspect - hi))


def _split(img: np.ndarray, region: np.ndarray, height: int, score, budget: list[int], level: float,
           depth: int = 0) -> list[Digit]:
    """`region` as one digit, or cut into the pieces `score` likes best (geometric mean of its belief).

    Every candidate cut is scored on its two pieces whole; only the BEAM best
    are searched further (their pieces cut again, up to 3 deep), so the work
    grows with the width, not exponentially. `budget` holds how many more
    times `score` may be asked.
    """
    whole = _crop(img, region, level)
    if whole is None:
        return []
    width = whole.x1 - whole.x0
    if not _touching(whole, height) or depth >= 3 or score is None or budget[0] <= 0:
        return [whole]

    def belief(digit: Digit) -> float:
        budget[0] -= 1
        return score(digit)[1]

    # Cut candidates: every few columns near each place a digit boundary would be. The thinnest
    # column is no guide where round digits touch (there the ink runs down both rings' sides).
    guesses = max(2, round(width / (0.7 * height)))  # how many digits this width holds, roughly
    step = max(1, width // 60)
    candidates = []
    for k in range(1, guesses):
        centre = k * width / guesses
        lo, hi = max(1, int(centre - 0.3 * width / guesses)), min(width - 1, int(centre + 0.3 * width / guesses) + 1)
        candidates += list(range(lo, hi, step))
    aspect = width / max(height, whole.y1 - whole.y0)
    best, best_score = [whole], (belief(whole) if aspect <= FORCE_SPLIT_ASPECT else -1.0)
    cuts = []
    for cut in sorted(set(int(c) for c in candidates)):
        if budget[0] <= 0:
            break
        left, right = region.copy(), region.copy()
        left[:, whole.x0 + cut :] = False
        right[:, : whole.x0 + cut] = False
        pieces = [_crop(img, left, level), _crop(img, right, level)]
        if None not in pieces and _tall(pieces, height):
            cuts.append(((belief(pieces[0]) * belief(pieces[1])) ** 0.5, cut, left, right))
    for confidence, cut, left, right in sorted(cuts, key=lambda c: -c[0])[:BEAM]:
        parts = (_split(img, left, height, score, budget, level, depth + 1)
                 + _split(img, right, height, score, budget, level, depth + 1))
        if len(parts) > 2:  # a piece was cut again: weigh all of them
            confidence = float(np.prod([belief(p) for p in parts])) ** (1 / len(parts))
        if confidence > best_score:
            best, best_score = parts, confidence
    return best


def _stroke_masks(img: np.ndarray, strokes, width: float) -> list[np.ndarray]:
    """For each stroke, the pixels of `img`'s ink it drew (a boolean image each; empty for a stroke off the ink)."""
    threshold = S.ink_threshold(img) / 2
    pen = int(round(max(1.0, width) + 3))  # a little wider than the pen: its anti-aliased edge is its ink too
    ink = img > threshold
    masks = []
    for points in strokes:
        points = np.asarray(points, dtype=np.float64).reshape(-1, 2)
        if len(points) == 1:
            points = points[[0, 0]]
        m = np.zeros(img.shape, np.uint8)
        cv2.polylines(m, [np.round(points * 16).astype(np.int32)], False, 1, pen, cv2.LINE_8, 4)
        masks.append(m.astype(bool) & ink)
    return masks


def _inside(span: tuple[int, int], outer: tuple[int, int]) -> bool:
    """Whether a stroke spanning columns `span` lies within the digit spanning `outer` (see INSIDE)."""
    (a0, a1), (b0, b1) = span, outer
    middle, w = (a0 + a1) / 2, b1 - b0
    overlap = min(a1, b1) - max(a0, b0)
    return b0 + INSIDE * w < middle < b1 - INSIDE * w and overlap >= 0.8 * max(1, a1 - a0)


def _joined(spans: list[tuple[int, int]], gap: float) -> bool:
    """Whether strokes spanning these columns make one horizontal run, no gap wider than `gap`."""
    spans = sorted(spans)
    reach = spans[0][1]
    for a0, a1 in spans[1:]:
        if a0 - reach > gap:
            return False
        reach = max(reach, a1)
    return True


def _span(spans: list[tuple[int, int]]) -> tuple[int, int]:
    return min(a for a, _ in spans), max(b for _, b in spans)


def _digits_of_strokes(img: np.ndarray, masks: list[np.ndarray], score, pen: float = 0.0, strokes=None,
                       widest: float = np.inf, level: float | None = None, written: bool = True) -> list[Digit]:
    """The digits made of runs of consecutive strokes (boolean masks of their ink, in drawing order,
    drawn by a pen `pen` pixels wide; `strokes`, their points, go with the digits they make). A run
    of several strokes wider than `widest` times the strokes' height is no digit (and the network
    is not asked). A flat run over no digit's columns is dropped (a dash), when the masks are pen
    strokes as `written`, not the pieces of one touching group of ink (all of which is digits).
    Ink is what is over half of `level` (default: S.ink_threshold(img))."""
    level = S.ink_threshold(img) if level is None else level
    areas = [int(m.sum()) for m in masks]
    strokes = [()] * len(masks) if strokes is None else strokes
    keep = [a >= SPECK * max(areas) for a in areas]
    masks = [m for m, k in zip(masks, keep) if k]
    strokes = [s for s, k in zip(strokes, keep) if k]
    spans, extents, tops_bottoms = [], [], []
    for m in masks:
        cols, lines = np.flatnonzero(m.any(0)), np.flatnonzero(m.any(1))
        spans.append((int(cols[0]), int(cols[-1]) + 1))
        tops_bottoms.append((int(lines[0]), int(lines[-1]) + 1))
        extents.append(max(cols[-1] - cols[0], lines[-1] - lines[0]) + 1 - pen)
    rows = np.flatnonzero(np.logical_or.reduce(masks).any(1))
    height = float(rows[-1] + 1 - rows[0])
    dot = [e < DOT * height for e in extents]
    if all(dot):  # nothing but dots: they are the drawing
        dot = [False] * len(dot)
    tallest = max(b - t for t, b in tops_bottoms)  # a stroke as tall as a digit: not the number's height,
    # which a baseline rising along the number makes taller than any digit

    def flat(strokes_: list[int]) -> bool:
        """Whether these strokes are less tall than FLAT of the tallest stroke: no digit alone (a 5's
        flag written apart, a 7's crossbar), they go with a digit they lie over (below)."""
        return (max(tops_bottoms[u][1] for u in strokes_) - min(tops_bottoms[u][0] for u in strokes_)
                < FLAT * tallest)
    n, k = len(masks), MAX_STROKES_PER_DIGIT

    readings: dict[tuple[int, int], tuple[int, float, Digit]] = {}

    def reading(i: int, j: int) -> tuple[int, float, Digit]:
        """What `score` reads strokes i..j-1 as: (digit, probability, their Digit) (cached)."""
        if (i, j) not in readings:
            digit = replace(_crop(img, np.logical_or.reduce(masks[i:j]), level),
                            strokes=tuple(s for s in strokes[i:j] if len(s)), pen=pen)
            readings[i, j] = (*score(digit), digit)
        return readings[i, j]

    def vanishes(i: int, m: int, j: int) -> bool:
        """Whether strokes i..m-1 and m..j-1, each a sure digit, read together as one of them alone
        does (the other, written before or after it, vanished into it), or as a third digit
        (both vanished; unless the later one is a 1)."""
        if run(i, m) == -np.inf or run(m, j) == -np.inf or all(dot[i:m]) or all(dot[m:j]):
            return False  # not two possible digits (and no more questions to the network)
        a, b, union = reading(i, m), reading(m, j), reading(i, j)
        if min(a[1], b[1]) < SURE:
            return False
        first, last = _span(spans[i:m]), _span(spans[m:j])
        if b[0] != 1 and a[0] != b[0] and union[0] not in (a[0], b[0]):
            # Two sure digits that read as a third together (a 6 and a 9 over it as a "0", a 1 and a 3
            # as an "8"): both vanished. A line added later that reads as a 1 is exempt: a 4's stem.
            return (min(a[2].y1 - a[2].y0, b[2].y1 - b[2].y0) >= TALL * height
                    and not _inside(last, first) and not _inside(first, last))
        if a[0] == union[0]:
            return (b[2].y1 - b[2].y0) >= TALL * height and not _inside(last, first)
        # A digit's first strokes may read as the whole digit (a 1's flag, as a 1): only another digit vanishes.
        return b[0] == union[0] and (a[2].y1 - a[2].y0) >= TALL * height and not _inside(first, last)

    runs: dict[tuple[int, int], float] = {}

    def run(i: int, j: int) -> float:
        """The log belief in strokes i..j-1 as one digit; -inf if they cannot be one (cached)."""
        if (i, j) not in runs:
            left, right = _span(spans[i:j])
            too_wide = j - i > 1 and right - left > widest * height
            if too_wide or not _joined(spans[i:j], STROKE_GAP * height if score else 0):
                runs[i, j] = -np.inf
            elif all(dot[i:j]):
                runs[i, j] = 0.0
            elif score is None:
                runs[i, j] = -1e-3  # no network: the fewest digits
            else:
                label, p, digit = reading(i, j)
                runs[i, j] = _log_belief(digit, label, p, height)
                if any(vanishes(i, m, j) for m in range(i + 1, j)):
                    runs[i, j] += VANISH_LOG
        return runs[i, j]

    # best[i, j]: the best value of strokes 0..j-1 whose last run is strokes i..j-1; back[i, j] the run before.
    best: dict[tuple[int, int], float] = {}
    back: dict[tuple[int, int], int | None] = {}
    for j in range(1, n + 1):
        for i in range(max(0, j - k), j):
            here = run(i, j)
            if here == -np.inf:
                continue
            if i == 0:
                best[i, j], back[i, j] = here, None
                continue
            span = _span(spans[i:j])
            options = [(best[h, i] + (INSIDE_SPLIT_LOG if _inside(spans[i], _span(spans[h:i])) or _inside(spans[i - 1], span) else 0.0), h)
                       for h in range(max(0, i - k), i) if (h, i) in best]
            total, h = max(options)  # never empty: every stroke alone is a possible digit
            best[i, j], back[i, j] = total + here, h
    chosen, j, i = [], n, max((best[i, n], i) for i in range(max(0, n - k), n) if (i, n) in best)[1]
    while i is not None:
        chosen.append(list(range(i, j)))
        j, i = i, back[i, j]
    # A run put in later, inside an earlier digit (a crossbar, a slash), joins that digit; a flat run
    # (a 5's flag written apart, read as a "7" of its own) joins the digit written just before it,
    # if their columns meet, else the one whose columns it shares most, if any.
    groups: list[list[int]] = []
    for run_ in sorted(r for r in chosen if not all(dot[u] for u in r)):
        span = _span([spans[u] for u in run_])
        home = next((g for g in groups if _inside(span, _span([spans[u] for u in g]))), None)
        if home is None and flat(run_):
            shared = [(min(span[1], b1) - max(span[0], b0), run_[0] - 1 in g, k)
                      for k, g in enumerate(groups) for b0, b1 in [_span([spans[u] for u in g])]]
            before = [(o, k) for o, just_before, k in shared if just_before and o > 0]
            overlap, k = before[0] if before else max(((o, k) for o, _, k in shared), default=(0, -1))
            home = groups[k] if overlap > 0 else None
        if home is not None:
            home.extend(run_)
        else:
            groups.append(list(run_))
    # A flat group over no tall one's columns is no digit, as from the image: a dash, a comma.
    tall = [_span([spans[u] for u in g]) for g in groups if not flat(g)]
    groups = [g for g in groups if not written or not tall or not flat(g)
              or any(min(a1, b1) > max(a0, b0) for a0, a1 in [_span([spans[u] for u in g])] for b0, b1 in tall)]
    digits = sorted((replace(_crop(img, np.logical_or.reduce([masks[u] for u in g]), level),
                             strokes=tuple(strokes[u] for u in sorted(g) if len(strokes[u])), pen=pen)
                     for g in groups), key=lambda d: d.x0 + d.x1)
    if len(digits) > MAX_DIGITS:
        raise ValueError(f"This looks like {len(digits)} pieces; write a number of at most {MAX_DIGITS} digits.")
    return digits


class _OutOfBudget(Exception):
    pass


def _surest(box: np.ndarray, straight: list[Digit], score, budget: list[int], level: float, height: int) -> list[Digit]:
    """`straight` (a group's ink `box` cut by _split()), or the group cut along the pieces of its centre
    line (centre_line.ink_pieces(), left to right standing in for the order of writing) by the
    strokes' search, whichever the network is surer of (geometric mean), within the `budget` left;
    `height` is the number's (see _tall())."""
    def counted(digit: Digit) -> tuple[int, float]:
        if budget[0] <= 0:
            raise _OutOfBudget
        budget[0] -= 1
        return score(digit)

    def surety(digits: list[Digit]) -> float:
        return float(np.mean([np.log(max(counted(d)[1], 1e-12)) for d in digits]))

    masks = centre_line.ink_pieces(box > level / 2)
    if not 1 < len(masks) <= MAX_PIECES:
        return straight
    try:
        cut = _digits_of_strokes(box, masks, counted, widest=PIECES_WIDEST, level=level, written=False)
        # Two digits sharing most of their columns are one digit's pieces (a 1's flag and its stem
        # each read as a 1), as pieces of ink are grouped (MERGE_OVERLAP): not a cut to take.
        if any(_one_digits_columns((a.x0, a.x1), (b.x0, b.x1)) for a, b in zip(cut, cut[1:])):
            return straight
        if len(cut) > 1 and not _tall(cut, height):
            return straight
        return cut if surety(cut) > surety(straight) else straight
    except _OutOfBudget:
        return straight


def segment(image: np.ndarray, score=None, return_marks: bool = False, leave_out=None):
    """The digits of a written number, left to right (see the module docstring); with `return_marks`,
    (digits, the points and commas left out of them: marks.mark_pieces()). `leave_out`, when given,
    names which of those pieces to leave out (the others stay ink of the digits).

    Raises EmptyDrawingError for a blank image and ValueError with a sentence
    when there are more than MAX_DIGITS pieces.
    """
    img, mask = number_ink(image)
    pen = number_pen(img, mask)
    marks = [m for m in mark_pieces(mask, pen) if leave_out is None or m in leave_out]
    if marks:  # a point or a comma is no part of a digit: its own piece goes, not a neighbour's ink in its box
        _, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
        boxes = {(m.x0, m.y0, m.x1 - m.x0, m.y1 - m.y0) for m in marks}
        gone = np.isin(labels, [j for j in range(1, len(stats)) if tuple(int(v) for v in stats[j, :4]) in boxes])
        mask[gone] = 0
        img[cv2.dilate(gone.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0] = 0
    groups, labels, stats = _groups(mask)
    if not groups:
        raise S.EmptyDrawingError("The image is blank: write a number.")
    height = max(stats[j, cv2.CC_STAT_HEIGHT] for g in groups for j in g)
    # As from the strokes, a dot is never a digit alone, nor are dots over each other (a colon); a blob
    # within half a pen of the pen's own width is a dot however small the rest (a dab alone).
    dots = [all(max(stats[j, cv2.CC_STAT_WIDTH], stats[j, cv2.CC_STAT_HEIGHT]) - pen < max(DOT * height, pen / 2)
                for j in g) for g in groups]
    only_dots = all(dots)  # then the dots are the drawing (as from the strokes), each one piece: never cut
    groups = [g for g, d in zip(groups, dots) if not d] or groups
    groups = _join_flat_groups(groups, stats, height)
    digits, budget, pieces_budget, level = [], [SCORE_BUDGET], [PIECES_BUDGET], S.ink_threshold(img)
    for g in groups:
        region = np.isin(labels, g)
        region = cv2.dilate(region.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)  # keep anti-aliased edges
        # Each group is cut within its own box: cropping a piece is then as cheap as the group is small.
        x, y, w, h = cv2.boundingRect(region.view(np.uint8))
        box, region = np.where(region, img, 0)[y : y + h, x : x + w].astype(np.uint8), region[y : y + h, x : x + w]
        cut = [d for d in [_crop(box, region, level)] if d] if only_dots else _split(box, region, height, score, budget, level)
        whole = cut[0] if len(cut) == 1 else _crop(box, region, level)
        if score is not None and whole is not None and not only_dots and _touching(whole, height):
            cut = _surest(box, cut, score, pieces_budget, level, height)
        digits += [replace(d, x0=d.x0 + x, x1=d.x1 + x, y0=d.y0 + y, y1=d.y1 + y) for d in cut]
    if len(digits) > MAX_DIGITS:
        raise ValueError(f"This looks like {len(digits)} pieces; write a number of at most {MAX_DIGITS} digits.")
    return (digits, marks) if return_marks else digits


def segment_strokes(image: np.ndarray, strokes, width: float, score=None, return_marks: bool = False, leave_out=None):
    """The digits of a number drawn on the canvas, from its strokes in drawing order (see the module docstring).

    `strokes` are (n, 2) arrays of x, y in `image`'s pixels, as
    canvas_strokes.strokes_from_json() reads them; `width` is the pen's.
    Without strokes that hit the ink the image alone decides, as segment()
    does. Returns and raises as segment() does; its points and commas are strokes
    (marks.mark_strokes()).
    """
    img = ink_image(image)
    scale = img.shape[0] / np.asarray(image).shape[0]  # ink_image() shrinks a tall image
    strokes = [np.asarray(s, dtype=np.float64).reshape(-1, 2) * scale for s in strokes]
    masks = _stroke_masks(img, strokes, width * scale)
    found = [(k, m) for k, m in mark_strokes(masks, width * scale, strokes) if leave_out is None or m in leave_out]
    for k, _ in found:  # a point or a comma is no part of a digit
        masks[k] = np.zeros_like(masks[k])
    marks = [m for _, m in found]
    hit = [m.any() for m in masks]
    masks, strokes = [m for m, h in zip(masks, hit) if h], [s for s, h in zip(strokes, hit) if h]
    if not masks or len(masks) > MAX_STROKES:
        return segment(image, score, return_marks, leave_out)
    digits = _digits_of_strokes(img, masks, score, width * scale, strokes)
    return (digits, marks) if return_marks else digits


def draw_boxes(image: np.ndarray, digits: list[Digit], marks=()) -> np.ndarray:
    """The ink (as segment() saw it) in gray, with each digit's box in green and its number above, and
    each point or comma (preprocessing.marks) boxed in orange: RGB uint8."""
    ink = ink_image(image)
    rgb = cv2.cvtColor((ink * 0.8).astype(np.uint8), cv2.COLOR_GRAY2RGB)
    for k, d in enumerate(digits, 1):
        cv2.rectangle(rgb, (d.x0, d.y0), (d.x1 - 1, d.y1 - 1), (0, 220, 0), 1)
        cv2.putText(rgb, str(k), (d.x0 + 2, max(10, d.y0 - 3)), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 220, 0), 1, cv2.LINE_AA)
    for m in marks:
        cv2.rectangle(rgb, (m.x0 - 1, m.y0 - 1), (m.x1, m.y1), (255, 150, 0), 1)
    return rgb
