"""Canvas-style drawings made from MNIST digits, and non-digit scribbles.

A person's canvas drawing differs from an MNIST digit in stroke width, size,
place and polarity. render_digit() re-draws an MNIST digit that way: thinned
to its centre line, then drawn as anti-aliased strokes of a chosen width on a
280x280 canvas. It keeps what the person would have kept: faint strokes stay
whole, loops the writer's pen filled in are traced round, and a loop the new
pen would fill in is drawn again thinner or bigger. random_scribble() draws
things that are not digits (letters, shapes, random strokes) under the same
conditions. Both serve the canvas-style benchmark and training for drawings.
"""

from __future__ import annotations

import cv2
import numpy as np

CANVAS = 280
STROKES = {"thin": (1, 3), "normal": (4, 20), "fat": (21, 30)}
SIZES = {"small": (0.30, 0.60), "large": (0.60, 0.95)}
POLARITIES = ("white-on-black", "black-on-white", "rgba-transparent")


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


#: Bumped whenever render_digit() draws differently, so cached drawing sets are re-made.
RENDERER_VERSION = 2


def preprocess_tag() -> str:
    """The part of a cached set's file name that names preprocess()'s version: sets of preprocessed
    drawings made by another version are made again."""
    from preprocessing.steps import PREPROCESS_VERSION

    return f"-pp{PREPROCESS_VERSION}"


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


def _height_and_width(rng: np.random.Generator, stroke: str, size: str) -> tuple[float, int]:
    """Digit height and stroke width in canvas pixels; a stroke is at most a fifth of the height."""
    height = rng.uniform(*SIZES[size]) * CANVAS
    width_px = int(rng.integers(STROKES[stroke][0], STROKES[stroke][1] + 1))
    return height, max(1, min(width_px, int(height / 5)))


def _place(points: np.ndarray, rng: np.random.Generator, height: float, width_px: int, cell: float = 1) -> np.ndarray:
    """Scale (row, col) points so the drawing is `height` tall with strokes on, and put it somewhere on the canvas.

    `cell` is the size of a point's own cell (1 for grid pixels, 0 for pen points).
    """
    span = np.maximum(points.max(axis=0) - points.min(axis=0) + cell, 1e-9)
    scale = (height - width_px) / span[0]
    scale = min(scale, (CANVAS - 4 - width_px) / span[1])  # a wide drawing must still fit
    extent = span * scale + width_px
    origin = np.array([rng.uniform(0, CANVAS - extent[0]), rng.uniform(0, CANVAS - extent[1])])
    return (points - points.min(axis=0)) * scale + origin + width_px / 2


def _finish(ink: np.ndarray, rng: np.random.Generator, polarity: str) -> np.ndarray:
    """The ink (white on black, uint8) delivered in the given polarity."""
    if polarity == "white-on-black":
        return ink
    if polarity == "black-on-white":
        return 255 - ink
    rgba = np.zeros((CANVAS, CANVAS, 4), np.uint8)
    rgba[..., :3] = 255 if rng.random() < 0.5 else 0  # white or black ink, transparent elsewhere
    rgba[..., 3] = ink
    return rgba


def _place_xy(grid: np.ndarray, rng: np.random.Generator, height: float, width_px: int) -> np.ndarray:
    """(x, y) canvas places of (row, col) grid points, as _place() puts them, for drawing."""
    return _place(grid.astype(np.float64), rng, height, width_px)[:, ::-1]


_SHIFT = 4  # sub-pixel precision of cv2 drawing: coordinates in 1/16 px


def _fixed(xy: np.ndarray) -> tuple[int, int]:
    return int(round(xy[0] * (1 << _SHIFT))), int(round(xy[1] * (1 << _SHIFT)))


def _draw_grid_line(grid: np.ndarray, placed: np.ndarray, width_px: int) -> np.ndarray:
    """Ink (uint8) of a one-pixel centre line, given as (row, col) grid points and their (x, y) places on the canvas."""
    index = {p: i for i, p in enumerate(map(tuple, grid.tolist()))}
    ink = np.zeros((CANVAS, CANVAS), np.uint8)
    for (r, c), i in index.items():
        neighbours = [index.get((r + dr, c + dc)) for dr, dc in ((0, 1), (1, -1), (1, 0), (1, 1))]
        for j in neighbours:
            if j is not None:
                cv2.line(ink, _fixed(placed[i]), _fixed(placed[j]), 255, width_px, cv2.LINE_AA, _SHIFT)
        lonely = not any((r + dr, c + dc) in index for dr in (-1, 0, 1) for dc in (-1, 0, 1) if dr or dc)
        if lonely:
            cv2.circle(ink, _fixed(placed[i]), max(1, width_px // 2) << _SHIFT, 255, -1, cv2.LINE_AA, _SHIFT)
    return ink


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
    """One canvas image of `digit` (28x28 uint8, white on black) under the given conditions.

    A person whose pen fills in a loop sees it and draws again: so while the
    ink shows fewer open loops than the centre line has, the pen is made
    thinner (down to its condition's thinnest), then the digit bigger (up to
    95% of the canvas). Raises ValueError for a digit with no ink to trace.
    """
    line = centre_line(digit)
    if len(line) == 0:
        raise ValueError("the digit has no ink to re-draw")
    height, width_px = _height_and_width(rng, stroke, size)
    placed = _place_xy(line, rng, height, width_px)
    ink = _draw_grid_line(line, placed, width_px)
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
        ink = _draw_grid_line(line, placed, width_px)
    return _finish(ink, rng, polarity)


def conditions(n: int, rng: np.random.Generator) -> list[tuple[str, str, str]]:
    """n (stroke, size, polarity) triples, every combination equally often, in random order."""
    combos = [(s, z, p) for s in STROKES for z in SIZES for p in POLARITIES]
    chosen = [combos[i % len(combos)] for i in range(n)]
    rng.shuffle(chosen)
    return chosen


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


def random_scribble(rng: np.random.Generator, stroke: str, size: str, polarity: str, kind: str | None = None) -> np.ndarray:
    """A canvas image of something that is not a digit: a letter, a shape or random strokes."""
    kind = kind or rng.choice(SCRIBBLE_KINDS)
    height, width_px = _height_and_width(rng, stroke, size)
    ink = np.zeros((CANVAS, CANVAS), np.uint8)
    if kind == "letter":
        letter = str(rng.choice(list(LETTERS)))
        font = int(rng.choice([cv2.FONT_HERSHEY_SIMPLEX, cv2.FONT_HERSHEY_DUPLEX, cv2.FONT_HERSHEY_COMPLEX]))
        scratch = np.zeros((200, 200), np.uint8)
        cv2.putText(scratch, letter, (30, 150), font, 4, 255, 2, cv2.LINE_AA)
        line = np.argwhere(thin(scratch > 127))
        return _finish(_draw_grid_line(line, _place_xy(line, rng, height, width_px), width_px), rng, polarity)
    lines = _shape(rng) if kind == "shape" else _random_strokes(rng)
    points = np.concatenate(lines)[:, ::-1]  # (row, col) for _place
    lo = points.min(axis=0)
    placed_all = _place(points, rng, height, width_px)
    scale = (placed_all - placed_all.min(axis=0)).max() / max((points - lo).max(), 1e-9)
    offset = placed_all.min(axis=0)
    for line in lines:
        rc = (line[:, ::-1] - lo) * scale + offset
        pts = np.array([_fixed(p) for p in rc[:, ::-1]], np.int32)
        cv2.polylines(ink, [pts], False, 255, width_px, cv2.LINE_AA, _SHIFT)
    return _finish(ink, rng, polarity)


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


def _preprocessed_scribbles(args: tuple) -> np.ndarray:
    """Worker: n scribbles, preprocessed; uint8 (n, 28, 28)."""
    from preprocessing import preprocess

    n, seed = args
    rng = np.random.default_rng(seed)
    return np.stack([preprocess(random_scribble(rng, *c)).image for c in conditions(n, rng)])


def _in_chunks(worker, jobs: list[tuple], processes: int) -> np.ndarray:
    if processes <= 1 or len(jobs) == 1:  # a pool costs seconds to start: not worth it for one chunk
        return np.concatenate([worker(job) for job in jobs])
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return np.concatenate(pool.map(worker, jobs))


def drawing_set(digits: np.ndarray, seed: int, processes: int = 2, chunk: int = 500) -> np.ndarray:
    """Every digit (N, 28, 28) re-drawn canvas-style and preprocessed as the app would: (N, 28, 28) uint8."""
    jobs = [(digits[i : i + chunk], seed * 100_003 + i) for i in range(0, len(digits), chunk)]
    return _in_chunks(_preprocessed_digits, jobs, processes)


def scribble_set(n: int, seed: int, processes: int = 2, chunk: int = 500) -> np.ndarray:
    """n non-digit scribbles, preprocessed as the app would: (n, 28, 28) uint8."""
    jobs = [(min(chunk, n - i), seed * 100_003 + i) for i in range(0, n, chunk)]
    return _in_chunks(_preprocessed_scribbles, jobs, processes)
