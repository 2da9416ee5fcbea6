"""How faithfully the canvas-style benchmark re-draws its digits.

    python benchmarks/renderer_fidelity.py [--n 10000] [--seed 0] [--data-dir D]

For the same test digits and conditions as benchmarks/canvas_style.py, counts
the re-drawings that lost something a person drawing that digit would have
kept:

- broken: the centre line falls into more pieces than the digit's own ink
  has (ink above level 40; one-pixel specks, and centre-line pieces under
  two MNIST pixels long, ignored), so a faint stroke is re-drawn as dots;
- loops closed: the drawn strokes show fewer holes than the centre line
  has loops (a hole counts when it is at least one pixel of MNIST's 20x20
  box), so the pen filled a loop in.

It measures with its own code, importing only the renderer, so it also runs
on older versions of the renderer (copy it into an old checkout).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import cv2
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from sources.canvas import conditions  # noqa: E402
from sources.redrawn import centre_line, render_digit  # noqa: E402


def pieces(mask: np.ndarray, min_area: int) -> int:
    """8-connected pieces of `mask` with at least min_area pixels."""
    _, _, stats, _ = cv2.connectedComponentsWithStats(mask.astype(np.uint8), connectivity=8)
    return int((stats[1:, cv2.CC_STAT_AREA] >= min_area).sum())


def holes(mask: np.ndarray) -> int:
    """Holes in `mask` of at least one pixel of MNIST's 20x20 box."""
    ys, xs = np.nonzero(mask)
    pixel = max(np.ptp(ys) + 1, np.ptp(xs) + 1) / 20
    _, _, stats, _ = cv2.connectedComponentsWithStats((~mask).astype(np.uint8), connectivity=4)
    x, y, w, h, area = stats[1:].T
    inside = (x > 0) & (y > 0) & (x + w < mask.shape[1]) & (y + h < mask.shape[0])
    return int((inside & (area >= pixel**2)).sum())


def main() -> None:
    from sources.mnist import default_data_dir, load_mnist

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=10000, help="test digits to render (the first n)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=default_data_dir())
    args = parser.parse_args()

    images, _ = load_mnist(args.data_dir, "test")
    rng = np.random.default_rng(args.seed)  # drawn from exactly as canvas_style.py does
    chosen = conditions(min(args.n, len(images)), rng)
    broken = closed = 0
    for digit, (stroke, size, polarity) in zip(images, chosen):
        line = centre_line(digit)
        grid = np.zeros((line.max(axis=0) + 3), bool)  # a margin, so no loop touches the edge
        grid[tuple(line.T + 1)] = True
        canvas = render_digit(digit, rng, stroke, size, polarity)
        ink = {"white-on-black": canvas, "black-on-white": 255 - canvas}.get(polarity, canvas[..., -1])
        broken += pieces(grid, 8) > pieces(digit > 40, 2)
        closed += holes(ink > 127) < holes(grid)
    n = len(chosen)
    print(f"{n} canvas-style digits: centre line broken {broken} ({broken / n:.2%}), "
          f"loops closed by the pen {closed} ({closed / n:.2%})")


if __name__ == "__main__":
    from sources import DataError

    try:
        main()
    except DataError as e:  # MNIST or the pen data is not there: say so, no traceback
        sys.exit(f"error: {e}")
