"""Digit mode's note "this looks like N digits": how often it speaks for one digit, and for a number.

    python benchmarks/number_in_digit_mode.py [--seed 0] [--per-length 50] [--mnist 10000] [--pen-data P] [--json]

model.number.several_digits() decides whether a drawing on the 280x280 digit
canvas is plainly several digits side by side, for the app to point the
person to Number mode. Both ways it can be wrong are counted, on the
held-out writers' pen digits (DigiLeTs, --pen-data, default $DIGILETS):
- single digits it speaks for: the real-pen benchmark's 6,600 drawings
  (sources.pen.benchmark_drawings(), its fixed seed 0), and the canvas-style
  benchmark's re-drawn MNIST test digits (the first --mnist, default 10,000,
  as benchmarks/canvas_style.py draws them; 0: none), each read from its
  strokes, as the canvas gives them, and from the image alone, as an upload;
- numbers it stays silent on: --per-length numbers each of 2, 3 and 4
  digits, one writer's each, composed as benchmarks/whole_numbers.py
  composes them (random gaps from overlapping to wide, slant and pen) on the
  280x280 square, read both ways; a number it speaks for is "read right"
  when the number it names is the one written.
With --json the last line is one JSON object of the counts.
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
import sys

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from sources import DataError  # noqa: E402
from sources.canvas import conditions  # noqa: E402
from sources.mnist import default_data_dir, load_mnist  # noqa: E402
from sources.pen import benchmark_drawings, default_pen_path, load_pen_digits, split_by_writer  # noqa: E402
from sources.redrawn import render_digit_with_strokes  # noqa: E402

SQUARE = (280, 280)


def main(argv: list[str] | None = None) -> int:
    from whole_numbers import compose

    from model import WeightsError, load_predictor
    from model.number import several_digits

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", type=int, default=0, help="of the numbers (the single digits are fixed)")
    parser.add_argument("--per-length", type=int, default=50)
    parser.add_argument("--pen-data", default=default_pen_path())
    parser.add_argument("--mnist", type=int, default=10000, help="canvas-style MNIST test digits to try (0: none)")
    parser.add_argument("--data-dir", default=None, help="MNIST IDX files (default: $MNIST_DIR or data/mnist)")
    parser.add_argument("--weights-dir", help="default: the shipped weights/")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        _, held = split_by_writer(load_pen_digits(args.pen_data))
        predictor = load_predictor("cnn", args.weights_dir)
        mnist = load_mnist(args.data_dir or default_data_dir(), "test")[0][: args.mnist] if args.mnist else []
    except (DataError, WeightsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1

    singles = collections.Counter()
    for digit, _, _, _, canvas, strokes, width in benchmark_drawings(held, seed=0):
        singles["n"] += 1
        for source, given in (("strokes", (strokes, width)), ("image", (None, 0.0))):
            reading = several_digits(canvas, predictor, *given)
            if reading is not None:
                singles[source] += 1
                print(f"  one digit spoken for ({source}): {digit.id}, a {digit.label}, read {reading.number}", flush=True)

    rng = np.random.default_rng(0)  # as benchmarks/canvas_style.py draws them
    for image, (stroke, size, polarity) in zip(mnist, conditions(len(mnist), rng)):
        canvas, strokes, width = render_digit_with_strokes(image, rng, stroke, size, polarity)
        singles["mnist"] += 1
        for source, given in (("strokes", (strokes, width)), ("image", (None, 0.0))):
            reading = several_digits(canvas, predictor, *given)
            if reading is not None:
                singles[f"mnist {source}"] += 1

    by_writer = collections.defaultdict(lambda: collections.defaultdict(list))
    for d in held:
        by_writer[d.writer][d.label].append(d)
    writers = sorted(by_writer)
    rng = np.random.default_rng(args.seed)
    numbers = collections.Counter()
    for length in (2, 3, 4):
        for _ in range(args.per_length):
            mine = by_writer[writers[rng.integers(len(writers))]]
            labels = [int(rng.choice(sorted(mine))) for _ in range(length)]
            digits = [mine[label][rng.integers(len(mine[label]))] for label in labels]
            canvas, strokes, width, _ = compose(digits, rng, SQUARE)
            truth = "".join(map(str, labels))
            numbers[f"{length}:n"] += 1
            for source, given in (("strokes", (strokes, width)), ("image", (None, 0.0))):
                reading = several_digits(canvas, predictor, *given)
                numbers[f"{length}:{source}:spoken"] += reading is not None
                numbers[f"{length}:{source}:right"] += reading is not None and reading.number == truth

    print(f"single digits ({singles['n']} drawings): spoken for from the strokes {singles['strokes']}, "
          f"from the image alone {singles['image']}")
    print(f"canvas-style MNIST digits ({singles['mnist']}): spoken for from the strokes {singles['mnist strokes']}, "
          f"from the image alone {singles['mnist image']}")
    result = {"single_digits": singles["n"], "single_spoken_strokes": singles["strokes"],
              "single_spoken_image": singles["image"], "mnist_digits": singles["mnist"],
              "mnist_spoken_strokes": singles["mnist strokes"], "mnist_spoken_image": singles["mnist image"]}
    for source in ("strokes", "image"):
        spoken = sum(numbers[f"{k}:{source}:spoken"] for k in (2, 3, 4))
        right = sum(numbers[f"{k}:{source}:right"] for k in (2, 3, 4))
        total = sum(numbers[f"{k}:n"] for k in (2, 3, 4))
        per = ", ".join(f"{k} digits {numbers[f'{k}:{source}:spoken']}/{numbers[f'{k}:n']}" for k in (2, 3, 4))
        print(f"numbers on the square, from the {source}: spoken for {spoken} of {total} ({per}), the number read right {right}")
        result |= {f"numbers_{source}_spoken": spoken, f"numbers_{source}_right": right, "numbers": total}
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
