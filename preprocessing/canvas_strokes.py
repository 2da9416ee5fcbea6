"""The strokes a person drew on the canvas: read from its json_data, and drawn as its pen draws them.

    strokes, width = strokes_from_json(canvas.json_data)   # [(n, 2) float arrays of x, y], pen width
    json_data = strokes_to_json(strokes, width)             # and back, as the canvas would save them
    ink = draw_strokes(strokes, width, shape)               # white-on-black uint8, as the canvas shows them
    redrawn = redraw_thinner(strokes, width)                # a fat pen's strokes at MNIST's width, or None

The freedraw tool saves each pen-down as a fabric.js Path in canvas pixels:
`M` at the first point, one `Q` per later point whose control point is the
point the pen passed through (the curve's end is the midpoint to the next),
and an `L` to the last point. The points the pen passed through are those
control points and the ends, in the order they were drawn. Anything that is
not such a path (another tool's shape, a damaged object) is skipped.

The freedraw tool is fabric.js' PencilBrush: it drops points closer than
0.4 px to the last one kept, then strokes one path per pen-down: a line from
the first point to the midpoint of the first two, a quadratic curve from each
midpoint to the next with the point between as its control point, and a line
to the last point; round caps and joins, at the chosen width, anti-aliased.
draw_strokes() does the same, drawing 4x finer and averaging down for the
anti-aliasing.

A fat pen on a small digit fills its loops in (an 8 becomes a blob), and no
thinning of the image can open them again; the strokes still hold the centre
lines, so redraw_thinner() draws them again at MNIST's stroke width for the
digit's size. preprocess() does so when it is given the strokes.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from . import steps as S

#: The app's canvas side, in its CSS pixels.
CANVAS = 280
SHIFT = 4  # sub-pixel precision of cv2 drawing: coordinates in 1/16 px


def strip_scale(height: int) -> float:
    """How much smaller than on the CANVAS px digit canvas a canvas `height` px high draws (never larger)."""
    return min(1.0, height / CANVAS)


def strip_pen(width: float, height: int) -> int:
    """The pen width a canvas `height` px high draws with, for the app's pen `width` (chosen on the
    CANVAS px digit canvas): scaled with the height (strip_scale()), at least 2 px, so a number written on a lower
    strip looks as a digit does on the square (a 20 px pen on a phone's 128 px strip is 9 px)."""
    return max(2, round(width * strip_scale(height)))


def _path_points(commands) -> np.ndarray | None:
    """The (n, 2) points a freedraw path passed through, or None if `commands` is not one."""
    points = []
    for command in commands if isinstance(commands, list) else []:
        if not isinstance(command, list) or not command or not isinstance(command[0], str):
            return None
        op, args = command[0].upper(), command[1:]
        if not all(isinstance(a, (int, float)) and not isinstance(a, bool) and math.isfinite(a) for a in args):
            return None
        if op in ("M", "L") and len(args) == 2:
            points.append(args)
        elif op == "Q" and len(args) == 4:
            points.append(args[:2])  # the control point is where the pen was
        else:
            return None
    if not points:
        return None
    points = np.array(points, dtype=np.float64)
    # M's point is the first Q's control point too (nudged by a hair): drop such repeats.
    keep = np.concatenate([[True], np.any(np.abs(np.diff(points, axis=0)) > 0.1, axis=1)])
    return points[keep]


def strokes_from_json(json_data) -> tuple[list[np.ndarray], float]:
    """The canvas's freedraw strokes in drawing order, and the widest pen width used (0 if none)."""
    objects = json_data.get("objects") if isinstance(json_data, dict) else None
    strokes, width = [], 0.0
    for obj in objects if isinstance(objects, list) else []:
        if not isinstance(obj, dict) or str(obj.get("type", "")).lower() != "path":
            continue
        points = _path_points(obj.get("path"))
        if points is None:
            continue
        strokes.append(points)
        w = obj.get("strokeWidth", 0)
        if isinstance(w, (int, float)) and math.isfinite(w):
            width = max(width, float(w))
    return strokes, width


def strokes_to_json(strokes, width: float) -> dict:
    """Strokes ((n, 2) x, y points each) as the canvas's json_data holds them: one freedraw path
    each, as PencilBrush saves it (strokes_from_json() reads them back)."""
    objects = []
    for stroke in strokes:
        p = [[float(x), float(y)] for x, y in np.asarray(stroke, dtype=np.float64).reshape(-1, 2)]
        path = [["M", *p[0]]] + [["Q", *a, (a[0] + b[0]) / 2, (a[1] + b[1]) / 2] for a, b in zip(p, p[1:])]
        objects.append({"type": "path", "strokeWidth": float(width), "path": path + [["L", *p[-1]]]})
    return {"objects": objects}


def scale_json(json_data, factor: float) -> dict:
    """The canvas's freedraw paths (json_data) drawn `factor` times as large about the canvas's top left
    corner, every other property kept: a drawing carried to a canvas of another size (the
    component does no rescaling of its own). Objects that are not freedraw paths are left out."""
    objects = json_data.get("objects") if isinstance(json_data, dict) else None
    scaled = []
    for obj in objects if isinstance(objects, list) else []:
        if not isinstance(obj, dict) or str(obj.get("type", "")).lower() != "path" or _path_points(obj.get("path")) is None:
            continue
        obj = dict(obj)
        obj["path"] = [[c[0], *(float(v) * factor for v in c[1:])] for c in obj["path"]]
        for name in ("left", "top", "width", "height", "strokeWidth"):
            if isinstance(obj.get(name), (int, float)):
                obj[name] = float(obj[name]) * factor
        if isinstance(obj.get("pathOffset"), dict):
            obj["pathOffset"] = {k: float(v) * factor for k, v in obj["pathOffset"].items() if isinstance(v, (int, float))}
        scaled.append(obj)
    return {**(json_data if isinstance(json_data, dict) else {}), "objects": scaled}


DECIMATE_PX = 0.4  # fabric.js PencilBrush.decimate
_SUPERSAMPLE = 4


def decimate(points: np.ndarray, distance: float = DECIMATE_PX) -> np.ndarray:
    """Points closer than `distance` to the last kept one dropped; the first and last always kept (as fabric.js does)."""
    if len(points) <= 2:
        return points
    if (np.sum(np.diff(points[:-1], axis=0) ** 2, axis=1) >= distance**2).all():
        return points  # each inner point is far enough from the one before it, so from the last kept: all kept
    kept = [points[0]]
    for p in points[1:-1]:
        if np.sum((p - kept[-1]) ** 2) >= distance**2:
            kept.append(p)
    kept.append(points[-1])
    return np.array(kept)


def pencil_path(points: np.ndarray, step_px: float = 1.0) -> np.ndarray:
    """The (m, 2) polyline that PencilBrush strokes through (n, 2) points, sampled about every `step_px`.

    It starts at the first point, passes through the midpoint of every two
    consecutive points (bending towards the point between, a quadratic
    Bézier's control point) and ends at the last point. One point is a dot:
    fabric.js widens it by a hair so the round cap shows, and so does this.
    """
    points = np.asarray(points, dtype=np.float64)
    if len(points) == 1 or np.all(points == points[0]):
        return points[[0, 0]] + np.array([[-1e-3, 0], [1e-3, 0]])
    keep = np.concatenate([[True], np.any(np.diff(points, axis=0) != 0, axis=1)])
    points = points[keep]  # fabric skips a point equal to the previous one
    mids = (points[:-1] + points[1:]) / 2
    # One quadratic curve per inner point, from the midpoint before it to the one after, each sampled
    # at n points (t = 1/n .. 1) by its length: all at once, as a drawing has hundreds of them.
    a, c, b = mids[:-1], points[1:-1], mids[1:]
    lengths = np.linalg.norm(c - a, axis=1) + np.linalg.norm(b - c, axis=1)
    n = np.maximum(2, np.ceil(lengths / step_px)).astype(np.int64)
    curve = np.repeat(np.arange(len(n)), n)
    t = ((np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n) + 1) / np.repeat(n, n))[:, None]
    curves = (1 - t) ** 2 * a[curve] + 2 * (1 - t) * t * c[curve] + t**2 * b[curve]
    # Straight to the first midpoint (its control point is the start itself), then the curves, then the end.
    return np.concatenate([points[:1], mids[:1], curves, points[-1:]])


def draw_strokes(strokes: list[np.ndarray], width: float, shape: tuple[int, int] = (CANVAS, CANVAS)) -> np.ndarray:
    """White-on-black uint8 ink of strokes given in canvas pixels (x, y; pixel centres at integers)."""
    s = _SUPERSAMPLE
    big = np.zeros((shape[0] * s, shape[1] * s), np.uint8)
    thickness = max(1, int(round(width * s)))
    for stroke in strokes:
        path = pencil_path(decimate(np.asarray(stroke, dtype=np.float64)))
        fine = np.round((path * s + (s - 1) / 2) * (1 << SHIFT)).astype(np.int32)
        cv2.polylines(big, [fine], False, 255, thickness, cv2.LINE_8, SHIFT)
    return cv2.resize(big, (shape[1], shape[0]), interpolation=cv2.INTER_AREA)


#: Black border round a redrawn digit, in pixels (preprocess() reads polarity from the border).
REDRAW_MARGIN = 4


def redraw_thinner(strokes, width: float, ratio: float = S.MNIST_STROKE_RATIO,
                   side: int = S.WORKING_SIDE) -> tuple[np.ndarray, float] | None:
    """The strokes drawn again by the canvas's pen at MNIST's stroke width for their size, when the pen was fatter.

    `strokes` are (n, 2) x, y points and `width` the pen's width, in the same
    pixels. The new width w solves w = ratio * (extent + w), the extent being
    the centre lines' longest side (taps of the pen left out), so the ink's
    stroke-to-size ratio is MNIST's (ratio, see preprocessing.steps.MNIST_STROKE_RATIO). The drawing
    is white on black, scaled down to fit `side` pixels (as preprocess()
    shrinks its input), with a black REDRAW_MARGIN round it. Returns the
    image and the new width in the strokes' pixels, or None when there is
    nothing to gain: the pen is within a pixel of that width or thinner
    (preprocess() thickens without loss), every stroke spans less than the pen
    is wide (dots: their discs are all there is), or there are no usable points.
    """
    try:
        points = [np.asarray(s, dtype=np.float64).reshape(-1, 2) for s in strokes]
        width = float(width)
    except (TypeError, ValueError):
        return None
    points = [p for p in points if len(p)]
    if not points or not np.isfinite(width) or width <= 0:
        return None
    every = np.concatenate(points)
    if not np.isfinite(every).all():
        return None
    # The digit's size leaves out taps of the pen (a stroke no longer than the pen is wide): a tap
    # beside a small digit would make it look big enough for its pen. They are drawn all the same,
    # for the noise step to judge.
    strokes_proper = [p for p in points if np.ptp(p, axis=0).max() >= width]
    if not strokes_proper:
        return None  # a dot, or dots: their discs are all there is
    body = np.concatenate(strokes_proper)
    longest = float(np.ptp(body, axis=0).max())
    target = max(1.0, ratio * longest / (1.0 - ratio))
    if width - target < 1.0:
        return None
    low, extent = every.min(axis=0), np.ptp(every, axis=0)
    scale = min(1.0, (side - 2 * REDRAW_MARGIN) / (float(extent.max()) + target))  # taps and all
    offset = REDRAW_MARGIN + target * scale / 2
    shape = tuple(int(np.ceil(e * scale + target * scale)) + 2 * REDRAW_MARGIN for e in extent[::-1])
    ink = draw_strokes([(p - low) * scale + offset for p in points], target * scale, shape)
    return ink, target
