"""Canvas-style benchmark: MNIST test digits re-drawn the way a canvas would deliver them.

    python benchmarks/canvas_style.py [--arch cnn mlp] [--n 10000] [--seed 0] [--data-dir D] [--input canvas|image] [--no-pen] [--json]

Each test digit is thinned to its centre line, then re-drawn as anti-aliased
strokes on a 280x280 image: at a random height (30-95% of the canvas) and
place, with a random stroke width from hair-thin (1 px) to fat (30 px, at
most a fifth of the digit's height, as a person with a fat brush draws
bigger), white on black, black on white, or RGBA on a transparent
background. As a person would, the re-drawing keeps the digit's loops: a
loop the writer's pen filled in is traced round, not through, and where the
new pen fills a loop the digit is drawn again thinner, then bigger. Faint
strokes are traced without gaps (sources/redrawn.py, renderer version 2;
benchmarks/renderer_fidelity.py counts what each version loses). Every
image goes through the app's preprocess() and the model: by default with
its strokes (its centre line, traced as a pen would), as the app reads a canvas
drawing (a fat pen is drawn again thinner, and the pen network reads the
strokes: here traced in no person's order, often in many short pieces), or
with --input image from the image alone, as an upload; --no-pen reads the
strokes without the pen network, as the app did before it. Accuracy is printed overall and per condition. Fixed seed: the same images
every run.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import sys
from collections import defaultdict

import cv2
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from sources.canvas import POLARITIES, SIZES, STROKES, conditions  # noqa: E402
from sources.redrawn import render_digit_with_strokes  # noqa: E402


def main() -> None:
    from model import load_predictor
    from sources.mnist import default_data_dir, load_mnist
    from preprocessing import preprocess

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", nargs="+", choices=["cnn", "mlp"], default=["cnn", "mlp"])
    parser.add_argument("--weights-dir", help="default: the shipped weights/")
    parser.add_argument("--n", type=int, default=10000, help="test digits to render (the first n)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=default_data_dir())
    parser.add_argument("--save", metavar="DIR", help="also write the rendered images as DIR/<digit>/<i>.png")
    parser.add_argument("--input", choices=["canvas", "image"], default="canvas",
                        help="read each drawing with its strokes, as the app's canvas (default), or from the image alone")
    parser.add_argument("--no-pen", action="store_true",
                        help="read with the image networks alone, without the pen network's reading of the strokes")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the results")
    args = parser.parse_args()

    images, labels = load_mnist(args.data_dir, "test")
    rng = np.random.default_rng(args.seed)
    chosen = conditions(min(args.n, len(images)), rng)
    predictors = {arch: load_predictor(arch, args.weights_dir, pen=not args.no_pen) for arch in args.arch}
    correct = {arch: defaultdict(list) for arch in args.arch}
    unsure = {arch: [] for arch in args.arch}
    for i, (stroke, size, polarity) in enumerate(chosen):
        canvas, strokes, pen = render_digit_with_strokes(images[i], rng, stroke, size, polarity)
        if args.save:
            folder = pathlib.Path(args.save) / str(labels[i])
            folder.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / f"{i}.png"), canvas if canvas.ndim == 2 else cv2.cvtColor(canvas, cv2.COLOR_RGBA2BGRA))
        result = preprocess(canvas, strokes=strokes if args.input == "canvas" else None, pen_width=pen)
        for arch, predictor in predictors.items():
            ranked = predictor.predict(result.tensor, pen=result.pen)
            unsure[arch].append(predictor.is_unsure(ranked))
            hit = ranked[0][0] == labels[i]
            for key in ("overall", stroke, size, polarity):
                correct[arch][key].append(hit)
    results = {}
    for arch in args.arch:
        results[arch] = {key: {"accuracy": float(np.mean(v)), "n": len(v)} for key, v in correct[arch].items()}
        results[arch]["worst_gap"] = min(results[arch][k]["accuracy"] for k in [*STROKES, *SIZES, *POLARITIES]) - results[arch]["overall"]["accuracy"]
        results[arch]["flagged_unsure"] = float(np.mean(unsure[arch]))
        overall = results[arch]["overall"]["accuracy"]
        print(f"{arch.upper()}: {overall:.2%} of {len(chosen)} canvas-style digits ({'with their strokes' if args.input == 'canvas' else 'images alone'}); "
              f"{results[arch]['flagged_unsure']:.2%} flagged 'not sure'")
        for key in [*STROKES, *SIZES, *POLARITIES]:
            r = results[arch][key]
            print(f"  {key:<17} {r['accuracy']:.2%}  ({(r['accuracy'] - overall) * 100:+.2f} points, n={r['n']})")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    from sources import DataError

    try:
        main()
    except DataError as e:  # MNIST or the pen data is not there: say so, no traceback
        sys.exit(f"error: {e}")
