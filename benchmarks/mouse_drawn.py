"""Mouse-drawn benchmark: the held-out writers' digits drawn as a mouse draws them, not as a tablet pen does.

    python benchmarks/mouse_drawn.py [--arch cnn mlp] [--weights-dir D] [--pen-data P] [--seed 0] [--json]
    python benchmarks/mouse_drawn.py --sheet docs/mouse_drawn.png   # a picture of each way, then stop

DigiLeTs was written with a tablet pen: smooth curves, its points a median
4.7% of the digit's size apart, unevenly. The app's canvas gets mouse and
finger drawings. This benchmark takes the real-pen benchmark's digits (the 22
held-out writers, each digit drawn six times at each width and size, as
benchmarks/real_pen.py draws them) and changes their paths first, each way
in turn (sources/styles.py):

- as written: the real-pen benchmark itself;
- mouse events: the same path with its points evenly spaced, as a mouse moved at an even pace sends
  them (one every 4-8% of the digit's size);
- straight moves: each stroke cut down to its corners within 1.5-5% of the digit's size, as a mouse
  pushed in straight lines draws (curves become corners, a 0 a polygon);
- few straight lines: the same within 6-10% of its size, a digit dashed off in a few straight lines
  (a European 1's curved flag becomes a straight one, which many people would read as a 7's bar);
- trembling: a slow wave along each stroke, up to 1.5% of the digit's size (a hand pushing a mouse);
- trembling hard: the same, up to 3%.

Each drawing is read as the app reads a canvas drawing, with its strokes, and
reported three ways: the image network alone (as an upload of the drawing
is), the pen network alone, and the two together (the app's answer), with
the image network's commonest confusions. Fixed seeds: the same drawings
every run. Training never draws digits these ways (sources.styles.style_variant
has a shaky hand's point-to-point jitter and re-timing, not these).
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
import sys
from dataclasses import replace

import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from sources import styles  # noqa: E402
from sources.pen import PenDataError, benchmark_drawings, default_pen_path, load_pen_digits, split_by_writer  # noqa: E402

#: How each condition changes a digit's strokes: (name, function of (strokes, rng)), None: as written.
CONDITIONS = (
    ("as written", None),
    ("mouse events", styles.mouse_events),
    ("straight moves", styles.straighten),
    ("few straight lines", lambda s, rng: styles.straighten(s, rng, 0.06, 0.10)),
    ("trembling", styles.wobble),
    ("trembling hard", lambda s, rng: styles.wobble(s, rng, 0.03)),
)


def as_drawn(digits, function, seed: int) -> list:
    """The pen digits with their strokes changed by `function` (with a generator seeded `seed`), or as they are."""
    if function is None:
        return list(digits)
    rng = np.random.default_rng(seed)
    return [replace(d, strokes=tuple(function(list(d.strokes), rng))) for d in digits]


def sheet(digits, seed: int, per_row: int = 10, tile: int = 84) -> np.ndarray:
    """A uint8 picture: a row for each way of drawing, the same digits (one of each label, at most `per_row`) in each."""
    import cv2

    from sources.canvas import render_strokes

    picks = [next(d for d in digits if d.label == label) for label in sorted({d.label for d in digits})[:per_row]]
    rows = []
    for k, (condition, function) in enumerate(CONDITIONS):
        rng = np.random.default_rng(seed)
        tiles = [cv2.resize(render_strokes(d.strokes, rng, "normal", "large", "white-on-black"), (tile, tile),
                            interpolation=cv2.INTER_AREA) for d in as_drawn(picks, function, seed + 1 + k)]
        row = np.hstack([np.zeros((tile, 190), np.uint8)] + [np.pad(t, ((0, 0), (2, 0)), constant_values=60) for t in tiles])
        cv2.putText(row, condition, (6, tile // 2 + 6), cv2.FONT_HERSHEY_SIMPLEX, 0.55, 255, 1, cv2.LINE_AA)
        rows.append(np.pad(row, ((1, 1), (0, 0)), constant_values=60))
    return np.vstack(rows)


def score(labels: np.ndarray, image: np.ndarray, pen: np.ndarray | None, both: np.ndarray) -> dict:
    """Accuracy of the image network's, the pen network's and the combined probabilities (N, 10) on `labels`,
    and the image network's five commonest confusions."""
    answers = image.argmax(1)
    confusions = collections.Counter((int(t), int(p)) for t, p in zip(labels, answers) if t != p)
    return {"n": int(len(labels)), "image": float((answers == labels).mean()),
            "pen": None if pen is None else float((pen.argmax(1) == labels).mean()),
            "both": float((both.argmax(1) == labels).mean()),
            "image_confusions": [{"true": t, "predicted": p, "count": c} for (t, p), c in confusions.most_common(5)]}


def main(argv: list[str] | None = None) -> int:
    from model import WeightsError, load_predictor
    from model.predict import combine
    from preprocessing import preprocess

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", nargs="+", choices=["cnn", "mlp"], default=["cnn", "mlp"])
    parser.add_argument("--weights-dir", help="default: the shipped weights/")
    parser.add_argument("--pen-data", default=default_pen_path(), help="DigiLeTs digits.json.gz (default: $DIGILETS)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the results")
    parser.add_argument("--sheet", metavar="PATH", help="write a picture of ten held-out digits drawn each way, and stop")
    args = parser.parse_args(argv)
    try:
        _, held_out = split_by_writer(load_pen_digits(args.pen_data))
        if args.sheet:
            import cv2

            cv2.imwrite(args.sheet, sheet(held_out, args.seed))
            print(f"wrote {args.sheet}")
            return 0
        predictors = {arch: load_predictor(arch, args.weights_dir) for arch in args.arch}
    except (PenDataError, WeightsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if not held_out:
        print("error: the pen data has no held-out writers to score on", file=sys.stderr)
        return 1

    results = collections.defaultdict(dict)
    for k, (condition, function) in enumerate(CONDITIONS):
        tensors, paths, labels = [], [], []
        for digit, *_, canvas, strokes, pen in benchmark_drawings(as_drawn(held_out, function, args.seed + 1 + k), args.seed):
            result = preprocess(canvas, strokes=strokes, pen_width=pen)
            tensors.append(result.tensor)
            paths.append(result.pen)
            labels.append(digit.label)
        x, labels = torch.from_numpy(np.stack(tensors)), np.array(labels)
        for arch, predictor in predictors.items():
            with torch.inference_mode():
                image = torch.softmax(predictor.model(x) / predictor.temperature, 1).numpy()
            pen = predictor.pen.probabilities_of(np.stack(paths)) if predictor.pen is not None else None
            r = results[arch][condition] = score(labels, image, pen, image if pen is None else combine(image, pen))
            pen_text = "no pen network" if r["pen"] is None else f"pen network alone {r['pen']:.2%}"
            print(f"{arch.upper()} {condition:>18}: {r['both']:.2%} of {r['n']} (image alone {r['image']:.2%}, {pen_text}); "
                  "image alone reads " + ", ".join(f"{c['true']}>{c['predicted']} x{c['count']}" for c in r["image_confusions"]),
                  flush=True)
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
