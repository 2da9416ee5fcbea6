"""Handwriting styles that MNIST and the pen writers hardly have, made at the stroke level.

Each function takes a digit's strokes (a list of (n, 2) float arrays of
(x, y) points, y down, any scale) and a numpy Generator, and returns new
strokes; none changes its input. They are applied before rendering, so the
canvas renderer draws them like any other pen digit:

- slash_zero: a 0 with a diagonal stroke through it (Ø), either way, either direction, sometimes overshooting;
- flag_one: a 1 with a long up-stroke flag, with or without a foot;
- cross_seven: a 7 with a crossbar, or with its crossbar taken off;
- hook_seven: a 7 whose foot hooks to one side;
- curl_nine: a 9 whose tail curls to the left;
- template_four: a 4 with an open or a closed top, built from its parts;
- slant, jitter, change_speed: for any digit, a writer's slant, a shaky hand, a slower or faster pen;
- mouse_events, straighten, wobble: as a mouse draws: points evenly along the path, straight moves, a hand
  that trembles slowly. These are for benchmarks/mouse_drawn.py, not training: the networks read such
  drawings as well as a tablet pen's (docs/measurements.md, "Drawn with a mouse").

style_variant() picks among them for a label. They are kept plausible (a
person reads each result as its label): the contact sheet in
docs/styles.png shows what they make (python -m sources.styles --sheet docs/styles.png).
"""

from __future__ import annotations

import argparse

import numpy as np

Strokes = list[np.ndarray]


def _copy(strokes) -> Strokes:
    return [np.array(s, dtype=np.float64, copy=True).reshape(-1, 2) for s in strokes]


def _box(strokes) -> tuple[np.ndarray, np.ndarray]:
    """(low corner, size) of the bounding box of all points; the size is at least a hair."""
    points = np.concatenate(strokes)
    low, high = points.min(axis=0), points.max(axis=0)
    return low, np.maximum(high - low, 1e-6)


def _segment(a, b, n: int = 12) -> np.ndarray:
    t = np.linspace(0, 1, n)[:, None]
    return (1 - t) * np.asarray(a, float) + t * np.asarray(b, float)


def _arc(start: np.ndarray, heading: float, turn: float, length: float, n: int = 10) -> np.ndarray:
    """Points of a circular arc from `start`, leaving at angle `heading` (radians, y down) and turning by `turn`."""
    angles = heading + np.linspace(0, turn, n + 1)[1:]
    step = length / n
    return start + np.cumsum(np.stack([np.cos(angles), np.sin(angles)], 1) * step, axis=0)


def slant(strokes, rng: np.random.Generator, max_deg: float = 15.0) -> Strokes:
    """Shear about the box's centre so upright strokes lean by up to ±max_deg degrees."""
    out = _copy(strokes)
    low, size = _box(out)
    centre_y = low[1] + size[1] / 2
    shear = np.tan(np.radians(rng.uniform(-max_deg, max_deg)))
    for s in out:
        s[:, 0] -= shear * (s[:, 1] - centre_y)
    return out


def jitter(strokes, rng: np.random.Generator, amount: float = 0.012) -> Strokes:
    """A shaky hand: each point moved by smooth noise of about `amount` times the digit's size."""
    out = _copy(strokes)
    _, size = _box(out)
    sigma = amount * size.max()
    for s in out:
        noise = rng.normal(0, sigma, s.shape)
        if len(s) >= 3:  # smooth along the stroke, so it wobbles rather than zigzags
            noise[1:-1] = (noise[:-2] + 2 * noise[1:-1] + noise[2:]) / 4
        s += noise
    return out


def change_speed(strokes, rng: np.random.Generator, low: float = 0.4, high: float = 2.5) -> Strokes:
    """Re-sample each stroke along its length, as a faster (fewer points) or slower (more) pen would send it.

    The spacing varies smoothly along the stroke between `low` and `high`
    times the stroke's own median spacing; the ends stay where they are.
    """
    out = []
    for s in _copy(strokes):
        if len(s) < 3:
            out.append(s)
            continue
        steps = np.linalg.norm(np.diff(s, axis=0), axis=1)
        arc = np.concatenate([[0], np.cumsum(steps)])
        if arc[-1] <= 0:
            out.append(s)
            continue
        base = float(np.median(steps[steps > 0])) if (steps > 0).any() else arc[-1] / len(s)
        speed = np.exp(rng.uniform(np.log(low), np.log(high), 2))  # spacing factor at the start and the end
        places, at = [0.0], 0.0
        while True:
            f = speed[0] + (speed[1] - speed[0]) * at / arc[-1]
            at += base * f
            if at >= arc[-1] or len(places) > 2000:
                break
            places.append(at)
        places.append(arc[-1])
        out.append(np.stack([np.interp(places, arc, s[:, 0]), np.interp(places, arc, s[:, 1])], 1))
    return out


def _corners(points: np.ndarray, tolerance: float) -> list[int]:
    """Indices of the points that Douglas-Peucker keeps: every other point lies within `tolerance` of
    the polyline through them (the ends are always kept)."""
    keep, todo = {0, len(points) - 1}, [(0, len(points) - 1)]
    while todo:
        a, b = todo.pop()
        if b - a < 2:
            continue
        chord = points[b] - points[a]
        rel = points[a + 1 : b] - points[a]
        length = float(np.hypot(*chord))
        dist = (np.abs(chord[0] * rel[:, 1] - chord[1] * rel[:, 0]) / length if length > 0
                else np.hypot(rel[:, 0], rel[:, 1]))
        k = int(np.argmax(dist))
        if dist[k] > tolerance:
            keep.add(a + 1 + k)
            todo += [(a, a + 1 + k), (a + 1 + k, b)]
    return sorted(keep)


def straighten(strokes, rng: np.random.Generator, low: float = 0.015, high: float = 0.05) -> Strokes:
    """The digit drawn in straight moves, as a mouse often draws it: each stroke cut down to the corners
    that keep it within `low`-`high` times the digit's size (Douglas-Peucker), then sampled along its
    straight pieces as densely as it was (a mouse sends points all along a move), so its curves become
    corners and a 0 a polygon."""
    out = _copy(strokes)
    _, size = _box(out)
    tolerance = rng.uniform(low, high) * size.max()
    result = []
    for s in out:
        if len(s) < 3:
            result.append(s)
            continue
        corners = s[_corners(s, tolerance)]
        steps = np.linalg.norm(np.diff(corners, axis=0), axis=1)
        arc = np.concatenate([[0], np.cumsum(steps)])
        places = np.linspace(0, arc[-1], len(s))
        result.append(np.stack([np.interp(places, arc, corners[:, 0]), np.interp(places, arc, corners[:, 1])], 1))
    return result


def wobble(strokes, rng: np.random.Generator, amount: float = 0.015) -> Strokes:
    """A hand that trembles slowly (a mouse pushed across a desk): each point moved by a smooth wave along
    the stroke, up to about `amount` times the digit's size each way, a few waves per digit's height
    (unlike jitter(), whose noise changes from point to point)."""
    out = _copy(strokes)
    _, size = _box(out)
    scale = size.max()
    for s in out:
        if len(s) < 2:
            continue
        arc = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(s, axis=0), axis=1))]) / scale
        for axis in range(2):
            waves = rng.uniform(2.5, 5.0, 2) * 2 * np.pi  # cycles per digit's size along the path
            phase = rng.uniform(0, 2 * np.pi, 2)
            s[:, axis] += amount * scale * rng.uniform(0.5, 1.0) * (
                0.7 * np.sin(waves[0] * arc + phase[0]) + 0.3 * np.sin(waves[1] * arc + phase[1]))
    return out


def mouse_events(strokes, rng: np.random.Generator, low: float = 0.04, high: float = 0.08) -> Strokes:
    """The same path as a mouse moved at an even pace sends it: a point every `low`-`high` times the
    digit's size along each stroke, its ends kept (DigiLeTs' recordings have theirs a median 4.7% of
    the digit's size apart, unevenly: a tenth of the gaps over 15%)."""
    out = _copy(strokes)
    _, size = _box(out)
    step = rng.uniform(low, high) * size.max()
    result = []
    for s in out:
        arc = np.concatenate([[0], np.cumsum(np.linalg.norm(np.diff(s, axis=0), axis=1))])
        if len(s) < 2 or arc[-1] <= step:
            result.append(s[[0, -1]] if len(s) >= 2 else s)
            continue
        places = np.append(np.arange(0, arc[-1], step), arc[-1])
        result.append(np.stack([np.interp(places, arc, s[:, 0]), np.interp(places, arc, s[:, 1])], 1))
    return result


def slash_zero(strokes, rng: np.random.Generator) -> Strokes:
    """A 0 with a straight stroke through its middle: "/" or "\\", drawn either way, sometimes past the ring."""
    out = _copy(strokes)
    low, size = _box(out)
    centre = low + size / 2
    angle = np.radians(rng.uniform(50, 75)) * rng.choice([-1, 1])  # steeper than 45: a zero is taller than wide
    half = 0.5 * np.hypot(*size) * rng.uniform(0.75, 1.2)  # > 1 overshoots the ring
    direction = np.array([np.cos(angle), -np.sin(angle)])  # angle > 0 leans "/" (y is down)
    a, b = centre - half * direction, centre + half * direction
    if rng.random() < 0.5:
        a, b = b, a
    out.append(_segment(a, b, 14))
    return out


def _tallest(strokes: Strokes) -> int:
    return int(np.argmax([np.ptp(s[:, 1]) for s in strokes]))


def flag_one(strokes, rng: np.random.Generator, foot: bool | None = None) -> Strokes:
    """A 1 rebuilt as a stem with a long flag up to its top, and a foot if `foot` (random when None).

    The stem is the tallest stroke from its topmost point on; any other
    strokes (an old flag or foot) are dropped. The flag rises to the top of
    the stem from below-left, at 30-60 degrees, a fifth to three fifths of
    the height long; the foot is a short horizontal stroke across the stem's end.
    """
    out = _copy(strokes)
    stem = out[_tallest(out)]
    top = int(np.argmin(stem[:, 1]))
    stem = stem[top:] if len(stem) - top >= 2 else stem[::-1][int(np.argmin(stem[::-1, 1])):]
    apex, height = stem[0], np.ptp(stem[:, 1])
    angle = np.radians(rng.uniform(30, 60))
    length = height * rng.uniform(0.2, 0.6)
    start = apex + length * np.array([-np.cos(angle), np.sin(angle)])
    flagged = [np.concatenate([_segment(start, apex, 10)[:-1], stem])]
    if foot if foot is not None else rng.random() < 0.35:
        bottom = stem[int(np.argmax(stem[:, 1]))]
        half = height * rng.uniform(0.12, 0.25)
        tilt = height * rng.uniform(-0.03, 0.03)
        shift = half * rng.uniform(-0.2, 0.2)
        flagged.append(_segment(bottom + [-half + shift, tilt], bottom + [half + shift, -tilt], 10))
    return flagged


def _stem_of_seven(strokes: Strokes) -> tuple[int, np.ndarray]:
    """(stroke index, points) of a 7's stem: from the top-right corner of the stroke that has it, down to its end."""
    low, size = _box(strokes)
    i = _tallest(strokes)
    s = strokes[i]
    rel = (s - low) / size
    corner = int(np.argmax(rel[:, 0] - rel[:, 1]))  # the most top-right point
    return i, s[corner:] if len(s) - corner >= 2 else s


def _crossbars(strokes: Strokes, stem_index: int) -> list[int]:
    """Indexes of strokes that look like a 7's crossbar: short, flat, in the middle band of the digit."""
    low, size = _box(strokes)
    found = []
    for i, s in enumerate(strokes):
        if i == stem_index:
            continue
        rel = (s - low) / size
        flat = np.ptp(rel[:, 1]) < 0.3
        middle = 0.2 < rel[:, 1].mean() < 0.85
        if flat and middle:
            found.append(i)
    return found


def cross_seven(strokes, rng: np.random.Generator, crossed: bool = True) -> Strokes:
    """A 7 with any crossbar taken off, then (if `crossed`) a new one across the middle of its stem."""
    out = _copy(strokes)
    stem_index, stem = _stem_of_seven(out)
    out = [s for i, s in enumerate(out) if i not in _crossbars(out, stem_index)]
    if not crossed:
        return out
    low, size = _box(out)
    level = low[1] + size[1] * rng.uniform(0.45, 0.62)
    # where the stem crosses that level: the point of the stem nearest to it
    at = stem[int(np.argmin(np.abs(stem[:, 1] - level)))]
    half = size[0] * rng.uniform(0.18, 0.32)
    tilt = size[1] * rng.uniform(-0.04, 0.02)
    centre = at + [half * rng.uniform(-0.25, 0.25), 0]
    out.append(_segment(centre + [-half, -tilt], centre + [half, tilt], 10))
    return out


def _end_heading(points: np.ndarray) -> float:
    tail = points[-min(len(points), 4):]
    d = tail[-1] - tail[0]
    return float(np.arctan2(d[1], d[0])) if np.any(d) else np.pi / 2


def hook_seven(strokes, rng: np.random.Generator) -> Strokes:
    """A 7 whose stem ends in a short hook, mostly to the right, sometimes to the left (about a tenth of its height)."""
    out = _copy(strokes)
    i, _ = _stem_of_seven(out)
    stem = out[i] if out[i][-1, 1] >= out[i][0, 1] else out[i][::-1]  # drawn downwards, the foot last
    _, size = _box(out)
    right = rng.random() < 0.7
    turn = np.radians(rng.uniform(60, 110)) * (-1 if right else 1)  # y is down: a negative turn bends right
    hook = _arc(stem[-1], _end_heading(stem), turn, size[1] * rng.uniform(0.08, 0.16))
    out[i] = np.concatenate([stem, hook])
    return out


def curl_nine(strokes, rng: np.random.Generator) -> Strokes:
    """A 9 whose tail ends curling back to the left, by 80-160 degrees, over an eighth to a quarter of its height."""
    out = _copy(strokes)
    i = int(np.argmax([s[:, 1].max() for s in out]))  # the stroke that reaches lowest: the tail
    tail = out[i] if np.argmax(out[i][:, 1]) >= len(out[i]) // 2 else out[i][::-1]
    tail = tail[: int(np.argmax(tail[:, 1])) + 1]  # end at the lowest point, then curl from there
    _, size = _box(out)
    heading = _end_heading(tail)
    turn = np.radians(rng.uniform(80, 160))  # y is down: positive turns from downwards towards the left
    out[i] = np.concatenate([tail, _arc(tail[-1], heading, turn, size[1] * rng.uniform(0.12, 0.25))])
    return out


def template_four(rng: np.random.Generator, open_top: bool | None = None) -> Strokes:
    """A 4 built from its parts, in a unit-high box: an open top (the arm and the stem do not meet) or a closed one.

    Open: the arm comes down on the left, turns and runs right as the bar;
    the stem is a separate stroke. Closed: the arm runs from the stem's top
    down-left to the bar, so the top is a triangle. jitter() and slant() make
    each one a little different.
    """
    open_top = rng.random() < 0.5 if open_top is None else open_top
    width = rng.uniform(0.55, 0.8)
    stem_x = width * rng.uniform(0.6, 0.75)
    bar_y = rng.uniform(0.55, 0.72)
    bar_end = width * rng.uniform(0.9, 1.05)
    stem_top = rng.uniform(0.0, 0.12) if open_top else 0.0
    if open_top:
        arm_top = np.array([width * rng.uniform(0.05, 0.3), rng.uniform(0.0, 0.1)])
        corner = np.array([width * rng.uniform(0.0, 0.12), bar_y])
        arm = np.concatenate([_segment(arm_top, corner, 12)[:-1], _segment(corner, [bar_end, bar_y], 12)])
    else:
        corner = np.array([width * rng.uniform(0.0, 0.08), bar_y])
        arm = np.concatenate([_segment([stem_x, 0.0], corner, 12)[:-1], _segment(corner, [bar_end, bar_y], 12)])
    stem = _segment([stem_x, stem_top], [stem_x + width * rng.uniform(-0.06, 0.04), 1.0], 14)
    return [arm, stem]


#: Each label's chance of getting a label style, and the styles to choose among (a function of strokes, rng).
_LABEL_STYLES = {
    0: (0.3, (slash_zero,)),
    1: (0.5, (flag_one,)),
    4: (0.3, (lambda s, r: template_four(r),)),
    7: (0.5, (cross_seven, lambda s, r: cross_seven(s, r, crossed=False), hook_seven)),
    9: (0.3, (curl_nine,)),
}


def style_variant(strokes, label: int, rng: np.random.Generator) -> Strokes:
    """The digit in a style picked at random for its label (often none), then slanted, maybe shaky, maybe re-timed."""
    out = _copy(strokes)
    chance, styles = _LABEL_STYLES.get(label, (0.0, ()))
    if styles and rng.random() < chance:
        out = styles[int(rng.integers(len(styles)))](out, rng)
    out = slant(out, rng)
    if rng.random() < 0.5:
        out = jitter(out, rng)
    if rng.random() < 0.5:
        out = change_speed(out, rng)
    return out


#: Rows of the contact sheet: (caption, label, function of (strokes, rng)).
SHEET_ROWS = (
    ("slashed 0", 0, slash_zero),
    ("1 flag, no foot", 1, lambda s, r: flag_one(s, r, foot=False)),
    ("1 flag and foot", 1, lambda s, r: flag_one(s, r, foot=True)),
    ("7 crossbar", 7, lambda s, r: cross_seven(s, r, crossed=True)),
    ("7 no crossbar", 7, lambda s, r: cross_seven(s, r, crossed=False)),
    ("7 hooked foot", 7, hook_seven),
    ("9 curled tail", 9, curl_nine),
    ("4 open top", 4, lambda s, r: template_four(r, open_top=True)),
    ("4 closed top", 4, lambda s, r: template_four(r, open_top=False)),
    ("slant", 2, slant),
    ("jitter", 3, jitter),
    ("speed", 5, change_speed),
    ("any (style_variant)", None, None),
)


def contact_sheet(digits, seed: int = 0, per_row: int = 10, tile: int = 84) -> np.ndarray:
    """A uint8 picture: one row per style, each tile a training-writer pen digit in that style, drawn on the canvas."""
    import cv2

    from .canvas import render_strokes

    rng = np.random.default_rng(seed)
    caption_w = 190
    rows = []
    for caption, label, function in SHEET_ROWS:
        pool = [d for d in digits if label is None or d.label == label]
        picks = rng.choice(len(pool), per_row, replace=False)
        tiles = []
        for k in picks:
            digit = pool[int(k)]
            strokes = style_variant(digit.strokes, digit.label, rng) if function is None else function(list(digit.strokes), rng)
            canvas = render_strokes(strokes, rng, "normal", "large", "white-on-black")
            tiles.append(cv2.resize(canvas, (tile, tile), interpolation=cv2.INTER_AREA))
        row = np.hstack([np.zeros((tile, caption_w), np.uint8)] + [np.pad(t, ((0, 0), (2, 0)), constant_values=60) for t in tiles])
        cv2.putText(row, caption, (6, tile // 2 + 6), cv2.FONT_HERSHEY_SIMPLEX, 0.55, 255, 1, cv2.LINE_AA)
        rows.append(np.pad(row, ((1, 1), (0, 0)), constant_values=60))
    return np.vstack(rows)


def main(argv: list[str] | None = None) -> None:
    import cv2

    from .pen import PenDataError, default_pen_path, load_pen_digits, split_by_writer

    parser = argparse.ArgumentParser(description="Draw the contact sheet of the style augmentations.")
    parser.add_argument("--sheet", default="docs/styles.png", help="where to write the PNG")
    parser.add_argument("--pen-data", default=default_pen_path(), help="DigiLeTs digits.json.gz (default: $DIGILETS)")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    try:
        train, _ = split_by_writer(load_pen_digits(args.pen_data))
    except PenDataError as e:
        raise SystemExit(f"error: {e}")
    cv2.imwrite(args.sheet, contact_sheet(train, args.seed))
    print(f"wrote {args.sheet}")


if __name__ == "__main__":
    main()
