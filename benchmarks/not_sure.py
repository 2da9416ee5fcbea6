"""How often the "not sure" rule fires: on MNIST test digits (should be rare) and on scribbles (should be most).

    python benchmarks/not_sure.py [--arch cnn mlp] [--n-scribbles 3000] [--seed 1000] [--input canvas|image] [--no-pen]

Scribbles are letters, shapes and random strokes drawn on a canvas
(sources/scribbles.py), under the canvas-style benchmark's conditions, with a
seed that training never uses. By default each is read as the app reads the
canvas, with its strokes (a fat pen is drawn again thinner: preprocess(); the pen
network reads how they were drawn); --input image reads the images alone, as
uploads; --no-pen leaves the pen network out. MNIST test digits are images alone. For canvas-style digits, see
canvas_style.py. Goals: at most 1% of MNIST test digits flagged, at least 80% of scribbles.
"""

import argparse
import json
import pathlib
import sys

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from model import load_predictor  # noqa: E402
from model.evaluate import logits_of  # noqa: E402
from preprocessing import preprocess  # noqa: E402
from sources.canvas import conditions  # noqa: E402
from sources.mnist import default_data_dir, load_mnist  # noqa: E402
from sources.scribbles import SCRIBBLE_KINDS, scribble_with_strokes  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", nargs="+", choices=["cnn", "mlp"], default=["cnn", "mlp"])
    parser.add_argument("--n-scribbles", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1000)
    parser.add_argument("--data-dir", default=default_data_dir())
    parser.add_argument("--weights-dir", help="default: the shipped weights/")
    parser.add_argument("--input", choices=["canvas", "image"], default="canvas",
                        help="read each scribble with its strokes, as the app's canvas (default), or from the image alone")
    parser.add_argument("--no-pen", action="store_true", help="read the scribbles' strokes without the pen network")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    images, _ = load_mnist(args.data_dir, "test")
    rng = np.random.default_rng(args.seed)
    scribbles = []
    for i, condition in enumerate(conditions(args.n_scribbles, rng)):
        kind = SCRIBBLE_KINDS[i % len(SCRIBBLE_KINDS)]
        image, strokes, pen = scribble_with_strokes(rng, *condition, kind=kind)
        scribbles.append((kind, preprocess(image, strokes=strokes if args.input == "canvas" else None, pen_width=pen)))
    results = {}
    for arch in args.arch:
        predictor = load_predictor(arch, args.weights_dir, pen=not args.no_pen)
        logits = logits_of(predictor.model, torch.from_numpy(images.copy()).float().div(255).unsqueeze(1))
        top = torch.softmax(logits / predictor.temperature, 1).max(1).values
        mnist_rate = float((top < predictor.unsure_below).float().mean())
        by_kind = {kind: [] for kind in SCRIBBLE_KINDS}
        for kind, result in scribbles:
            by_kind[kind].append(predictor.is_unsure(predictor.predict(result.tensor, pen=result.pen)))
        scribble_rate = float(np.mean([f for flags in by_kind.values() for f in flags]))
        results[arch] = {"threshold": predictor.unsure_below, "input": args.input, "pen": predictor.pen is not None, "mnist_test_flagged": mnist_rate,
                         "scribbles_flagged": scribble_rate,
                         "by_kind": {k: float(np.mean(v)) for k, v in by_kind.items()}}
        print(f"{arch.upper()} (not sure below {predictor.unsure_below:.3f}): "
              f"MNIST test flagged {mnist_rate:.2%}, scribbles flagged {scribble_rate:.2%} "
              + "(" + ", ".join(f"{k} {v:.0%}" for k, v in results[arch]["by_kind"].items()) + ")")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    from sources import DataError

    try:
        main()
    except DataError as e:  # MNIST or the pen data is not there: say so, no traceback
        sys.exit(f"error: {e}")
