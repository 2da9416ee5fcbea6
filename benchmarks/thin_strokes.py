"""Thin pens: what the stroke-width step keeps of a faint, thin stroke, before and after THICKEN_FROM.

    python benchmarks/thin_strokes.py [--arch cnn mlp] [--weights-dir D] [--n 10000] [--sheet docs/thin_strokes.png]

A stroke 1-2 px wide that lies between pixel centres is drawn as two rows lit
less than half, and a thin pen on paper, photographed and shrunk to the
pipeline's working size, is fainter still. The stroke-width step used to
thicken only the ink above half of the image's maximum, so it left such parts
of a digit out (a 0 became a C, a 1 a colon). It now thickens all the ink
above THICKEN_FROM (preprocessing/steps.py) of the maximum. Each drawing goes
through preprocess() both ways, and the model reads both:

- the canvas-style benchmark's thin-pen drawings (1-3 px; the first --n MNIST
  test digits, seed 0, as benchmarks/canvas_style.py draws them);
- the held-out writers' pen digits as a scan of paper: 1000x1000 px, dark on
  white, 300-800 px tall, a pen 3-8 px wide (seed 0), which the pipeline
  shrinks to 160 px.

Reported per set: accuracy before and after, and how many 28x28 images the old
level left a piece out of (25 or more pixels that the new one lights).
--sheet writes a contact sheet of such canvas drawings: the drawing, the
28x28 before, the 28x28 after.
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
import preprocessing.steps as S  # noqa: E402
from preprocessing import preprocess  # noqa: E402

BEFORE = 0.5  # the ink level thickening started from before THICKEN_FROM
LOST_PX = 25  # a 28x28 that misses this many lit pixels has lost a piece of the digit


def both_ways(image: np.ndarray) -> tuple:
    """preprocess(image) with thickening from BEFORE and from THICKEN_FROM."""
    after = S.THICKEN_FROM
    try:
        S.THICKEN_FROM = BEFORE
        old = preprocess(image)
    finally:
        S.THICKEN_FROM = after
    return old, preprocess(image)


def canvas_thin(n: int):
    """(label, canvas) of the canvas-style benchmark's thin-pen drawings among its first n."""
    from sources.canvas import conditions
    from sources.mnist import default_data_dir, load_mnist
    from sources.redrawn import render_digit

    images, labels = load_mnist(default_data_dir(), "test")
    rng = np.random.default_rng(0)
    for i, (stroke, size, polarity) in enumerate(conditions(min(n, len(images)), rng)):
        canvas = render_digit(images[i], rng, stroke, size, polarity)  # every draw, to keep the benchmark's images
        if stroke == "thin":
            yield int(labels[i]), canvas


def scanned_pen():
    """(label, image) of the held-out writers' pen digits as scans of a thin pen on paper."""
    from sources.canvas import draw_strokes
    from sources.pen import default_pen_path, load_pen_digits, split_by_writer

    _, held = split_by_writer(load_pen_digits(default_pen_path()))
    rng = np.random.default_rng(0)
    for d in held:
        points = np.concatenate(d.strokes)
        low, high = points.min(0), points.max(0)
        scale = rng.uniform(300, 800) / max(high - low)
        pen = rng.uniform(3, 8)
        offset = rng.uniform(50, 950 - (high - low) * scale)
        yield d.label, 255 - draw_strokes([(np.asarray(s) - low) * scale + offset for s in d.strokes], pen, (1000, 1000))


def sheet(examples: list[tuple[np.ndarray, np.ndarray, np.ndarray]], tile: int = 112) -> np.ndarray:
    """Rows of (drawing cropped, 28x28 before, 28x28 after), two to a line, with a header."""
    rows = []
    for crop, old, new in examples:
        crop = (crop.astype(np.float32) / max(1, crop.max()) * 255).astype(np.uint8)
        f = tile / max(crop.shape)
        c = cv2.resize(crop, (max(1, round(crop.shape[1] * f)), max(1, round(crop.shape[0] * f))), interpolation=cv2.INTER_AREA)
        t0 = np.zeros((tile, tile), np.uint8)
        y, x = (tile - c.shape[0]) // 2, (tile - c.shape[1]) // 2
        t0[y : y + c.shape[0], x : x + c.shape[1]] = c
        big = [cv2.resize(im, (tile, tile), interpolation=cv2.INTER_NEAREST) for im in (old, new)]
        sep = np.full((tile, 2), 90, np.uint8)
        rows.append(np.hstack([t0, sep, big[0], sep, big[1]]))
    rows += [np.zeros_like(rows[0])] * (len(rows) % 2)
    lines = [np.hstack([rows[k], np.full((tile, 10), 40, np.uint8), rows[k + 1]]) for k in range(0, len(rows), 2)]
    body = np.vstack([np.pad(line, ((0, 6), (0, 0)), constant_values=40) for line in lines])
    head = np.full((22, body.shape[1]), 40, np.uint8)
    for off in (0, body.shape[1] // 2 + 5):
        for x, text in [(4, "drawn (1-3 px pen)"), (tile + 12, "28x28 before"), (2 * tile + 14, "28x28 after")]:
            cv2.putText(head, text, (x + off, 16), cv2.FONT_HERSHEY_SIMPLEX, 0.36, 230, 1, cv2.LINE_AA)
    return np.vstack([head, body])


def main(argv: list[str] | None = None) -> int:
    from model import WeightsError, load_predictor

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", nargs="+", choices=["cnn", "mlp"], default=["cnn", "mlp"])
    parser.add_argument("--weights-dir", help="default: the shipped weights/")
    parser.add_argument("--n", type=int, default=10000, help="canvas-style test digits to draw (about a third are thin)")
    parser.add_argument("--sheet", metavar="PNG", help="write a contact sheet of canvas drawings the old level cut into")
    args = parser.parse_args(argv)
    try:
        predictors = {arch: load_predictor(arch, args.weights_dir) for arch in args.arch}
    except WeightsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for name, drawings in [("canvas-style, thin pen", canvas_thin(args.n)), ("pen digits scanned, thin pen", scanned_pen())]:
        hits = {arch: ([], []) for arch in predictors}
        lost, examples = 0, []
        for label, image in drawings:
            old, new = both_ways(image)
            cut = int((new.image.astype(int) - old.image.astype(int) > 100).sum()) >= LOST_PX
            lost += cut
            if cut and args.sheet and name.startswith("canvas") and len(examples) < 8:
                examples.append((next(s.image for s in new.steps if s.name == "Cropped"), old.image, new.image))
            for arch, predictor in predictors.items():
                hits[arch][0].append(predictor.predict(old.tensor)[0][0] == label)
                hits[arch][1].append(predictor.predict(new.tensor)[0][0] == label)
        n = len(next(iter(hits.values()))[0])
        print(f"{name}: {n} drawings, {lost} ({lost / n:.1%}) lost a piece of the digit before")
        for arch, (before, after) in hits.items():
            print(f"  {arch.upper()}: {np.mean(before):.2%} -> {np.mean(after):.2%}")
        if examples:
            cv2.imwrite(args.sheet, sheet(examples))
            print(f"  wrote {args.sheet}")
    return 0


if __name__ == "__main__":
    from sources import DataError

    try:
        sys.exit(main())
    except DataError as e:  # MNIST or the pen data is not there: say so, no traceback
        sys.exit(f"error: {e}")
