"""The strokes a person drew, read from the canvas's json_data (fabric.js objects).

    strokes, width = strokes_from_json(canvas.json_data)   # [(n, 2) float arrays of x, y], pen width

The freedraw tool saves each pen-down as a fabric.js Path in canvas pixels:
`M` at the first point, one `Q` per later point whose control point is the
point the pen passed through (the curve's end is the midpoint to the next),
and an `L` to the last point. The points the pen passed through are those
control points and the ends, in the order they were drawn. Anything that is
not such a path (another tool's shape, a damaged object) is skipped.
"""

from __future__ import annotations

import math

import numpy as np


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
