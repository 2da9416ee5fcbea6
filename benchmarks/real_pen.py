"""Real-pen benchmark: the held-out writers' digits drawn as canvas drawings, scored per class, width, size and writer.

    python benchmarks/real_pen.py [--arch cnn mlp] [--weights-dir D] [--pen-data P] [--seed 0]
                                  [--input canvas|image] [--no-pen] [--save DIR] [--errors-sheet PREFIX]
                                  [--redraw-sheet PATH] [--json]

The digits are DigiLeTs pen trajectories (--pen-data, default $DIGILETS) of
the 22 writers that training never sees (sources/pen.py). Each digit is
drawn six times, once for each stroke width (thin 1-3 px, normal 4-20, fat
21-30) and size (small 30-60% of the canvas, large 60-95%), by the app
canvas's own pen (sources/canvas.py), in the three polarities in turn, then
put through the app's preprocess() and the model: by default with the strokes
as the canvas's json_data holds them, as the app reads a drawing (a fat pen is
drawn again thinner from them, and the pen network weighs how the digit was
written: model.predict.combine()), or with --input image from the image alone,
as the app reads an upload of the same drawing. --no-pen reads the drawings
with their strokes but the image networks alone, as the app did before the
pen network. Fixed seed: the same
images every run. Reported: accuracy overall, with the interval it would lie in
with other writers held out (the writers resampled: 95%), and per class, width, size and
polarity; per writer (worst, median, and those under 97%); the commonest
confusions; how many answers are "not sure", how many of the wrong ones that
warns of, and how often the answers not flagged are right; read with the pen network, also the
share that either network alone reads right (what a referee choosing one of their two answers could reach)
and how many answers the pen network changed, to right and to wrong.
Accuracy is also given for
the writers DigiLeTs lists as "complete": some recordings of the others
miss strokes (a 6 that is only its top arc, an 8 that is only an S), and for
the drawings less those 11 digits (66 drawings) that a person would not read as their label
(sources.pen.UNREADABLE, found by eye without the models' answers). --save writes the images as
DIR/<digit>/<writer>-<n>.png, the layout model.evaluate --images reads;
--errors-sheet writes PREFIX-<arch>.png, a picture of the errors;
--redraw-sheet writes PATH, the drawings on which redrawing a fat pen from the
strokes changes the first model's answer: each canvas beside the 28x28 from the
image alone and the one redrawn, captioned with the answers.
"""

from __future__ import annotations

import argparse
import collections
import json
import pathlib
import sys

import cv2
import numpy as np
import torch

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from model.report import writer_interval  # noqa: E402
from sources.canvas import POLARITIES, SIZES, STROKES  # noqa: E402
from sources.pen import PenDataError, benchmark_drawings, default_pen_path, load_pen_digits, split_by_writer  # noqa: E402

MIN_WRITER_ACCURACY = 0.97


def _ink(canvas: np.ndarray) -> np.ndarray:
    """The canvas as white ink on black, for pictures."""
    if canvas.ndim == 3:
        return canvas[..., 3]
    return canvas if canvas[0].mean() < 128 else 255 - canvas


def errors_sheet(errors: list[tuple[np.ndarray, int, int]], per_row: int = 12, tile: int = 80) -> np.ndarray:
    """Tiles of (canvas, true, predicted), each captioned "true > predicted"."""
    tiles = []
    for canvas, true, predicted in errors:
        t = cv2.resize(_ink(canvas), (tile, tile), interpolation=cv2.INTER_AREA)
        t = np.pad(t, ((0, 18), (0, 0)))
        cv2.putText(t, f"{true} > {predicted}", (4, tile + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, 200, 1, cv2.LINE_AA)
        tiles.append(np.pad(t, 1, constant_values=70))
    blank = np.zeros_like(tiles[0]) if tiles else np.zeros((tile + 20, tile + 2), np.uint8)
    tiles += [blank] * (-len(tiles) % per_row)
    return np.vstack([np.hstack(tiles[i : i + per_row]) for i in range(0, len(tiles), per_row)])


def either_right(labels, image_answers, pen_answers) -> float:
    """The share of drawings that the image network alone or the pen network alone reads right (an
    answer of -1: none): what the best referee choosing one of their two answers could reach."""
    labels = np.asarray(labels)
    return float(((np.asarray(image_answers) == labels) | (np.asarray(pen_answers) == labels)).mean())


def pen_changes(labels, image_answers, answers) -> dict:
    """How many of the image network's answers weighing the pen changed: wrong to right, right to wrong,
    and wrong to another wrong."""
    labels, image_answers, answers = np.asarray(labels), np.asarray(image_answers), np.asarray(answers)
    image_right, right = image_answers == labels, answers == labels
    return {"to_right": int((right & ~image_right).sum()), "to_wrong": int((image_right & ~right).sum()),
            "wrong_to_wrong": int((~right & ~image_right & (answers != image_answers)).sum())}


def summarise(records: list[dict]) -> dict:
    """Accuracy overall and by class, width, size, polarity and writer, from per-image records."""
    def acc(rows):
        return float(np.mean([r["hit"] for r in rows])) if rows else None

    by = collections.defaultdict(list)
    for r in records:
        for key in ("stroke", "size", "polarity", "writer", "label"):
            by[(key, r[key])].append(r)
    writers = {w: acc(by[("writer", w)]) for w in sorted({r["writer"] for r in records})}
    confusions = collections.Counter((r["label"], r["predicted"]) for r in records if not r["hit"])
    worst = min(writers, key=writers.get)
    confusion = np.zeros((10, 10), int)
    for r in records:
        confusion[r["label"], r["predicted"]] += 1
    complete = [r for r in records if r["recording"] == "complete"]
    readable = [r for r in records if r["readable"]]
    readable_writers = {w: acc([r for r in readable if r["writer"] == w]) for w in writers}
    return {
        "accuracy": acc(records),
        "n": len(records),
        "writer_interval_95": writer_interval([r["writer"] for r in records], [r["hit"] for r in records]),
        "complete_writers": {"accuracy": acc(complete), "n": len(complete), "writers": len({r["writer"] for r in complete})},
        # Less the digits a person would not read as their label (sources.pen.UNREADABLE: a 6 recorded as a C).
        "readable": {"accuracy": acc(readable), "n": len(readable),
                     "writers_below_97": sorted(w for w, a in readable_writers.items() if a < MIN_WRITER_ACCURACY),
                     "worst_writer": min(readable_writers.items(), key=lambda wa: wa[1])},
        "flagged_unsure": float(np.mean([r["unsure"] for r in records])),
        # What "not sure" does for a person: how many wrong answers it warns of, how right the rest are.
        "wrong_flagged_unsure": acc([dict(r, hit=r["unsure"]) for r in records if not r["hit"]]),
        "sure_accuracy": acc([r for r in records if not r["unsure"]]),
        "per_class": {str(d): acc(by[("label", d)]) for d in range(10)},
        "per_width": {s: acc(by[("stroke", s)]) for s in STROKES},
        "per_size": {s: acc(by[("size", s)]) for s in SIZES},
        "per_polarity": {p: acc(by[("polarity", p)]) for p in POLARITIES},
        "per_writer": writers,
        "worst_writer": {"writer": worst, "accuracy": writers[worst]},
        "median_writer_accuracy": float(np.median(list(writers.values()))),
        "writers_below_97": sorted(w for w, a in writers.items() if a < MIN_WRITER_ACCURACY),
        "top_confusions": [{"true": t, "predicted": p, "count": c} for (t, p), c in confusions.most_common(10)],
        "confusion": confusion.tolist(),  # rows: true digit, columns: predicted
    }


def main(argv: list[str] | None = None) -> int:
    from model import WeightsError, load_predictor
    from model.predict import combine
    from preprocessing import preprocess

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", nargs="+", choices=["cnn", "mlp"], default=["cnn", "mlp"])
    parser.add_argument("--weights-dir", help="default: the shipped weights/")
    parser.add_argument("--pen-data", default=default_pen_path(), help="DigiLeTs digits.json.gz (default: $DIGILETS)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--input", choices=["canvas", "image"], default="canvas",
                        help="read each drawing with its strokes, as the app's canvas (default), or from the image alone")
    parser.add_argument("--no-pen", action="store_true",
                        help="read with the image networks alone, without the pen network's reading of the strokes")
    parser.add_argument("--save", metavar="DIR", help="also write the images as DIR/<digit>/<writer>-<n>.png")
    parser.add_argument("--errors-sheet", metavar="PREFIX", help="write PREFIX-<arch>.png, the errors captioned true > predicted")
    parser.add_argument("--sheet-limit", type=int, default=144, help="most errors on the sheet, spread evenly")
    parser.add_argument("--redraw-sheet", metavar="PATH", help="write PATH, the drawings whose answer the redraw changes")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the results")
    args = parser.parse_args(argv)

    try:
        _, held_out = split_by_writer(load_pen_digits(args.pen_data))
        predictors = {arch: load_predictor(arch, args.weights_dir, pen=not args.no_pen) for arch in args.arch}
    except (PenDataError, WeightsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    if not held_out:
        print("error: the pen data has no held-out writers to score on", file=sys.stderr)
        return 1

    meta, canvases, tensors, redrawn, paths = [], [], [], [], []
    for n, (digit, stroke, size, polarity, canvas, strokes, pen) in enumerate(benchmark_drawings(held_out, args.seed)):
        meta.append({"writer": digit.writer, "label": digit.label, "stroke": stroke, "size": size, "polarity": polarity,
                     "recording": digit.recording, "readable": digit.readable})
        canvases.append(canvas if args.errors_sheet or args.redraw_sheet else None)
        result = preprocess(canvas, strokes=strokes if args.input == "canvas" else None, pen_width=pen)
        tensors.append(result.tensor)
        paths.append(result.pen)
        if args.redraw_sheet and result.redrawn:
            redrawn.append((n, preprocess(canvas), result))
        if args.save:
            folder = pathlib.Path(args.save) / str(digit.label)
            folder.mkdir(parents=True, exist_ok=True)
            image = canvas if canvas.ndim == 2 else cv2.cvtColor(canvas, cv2.COLOR_RGBA2BGRA)
            cv2.imwrite(str(folder / f"{digit.writer}-{n}.png"), image)
    x = torch.from_numpy(np.stack(tensors))

    results = {}
    for arch, predictor in predictors.items():
        with torch.inference_mode():
            probs = torch.softmax(predictor.model(x) / predictor.temperature, 1).numpy()
        witnesses = None
        if predictor.pen is not None and args.input == "canvas":
            pen_probs = predictor.pen.probabilities_of(np.stack(paths))
            flat = pen_probs.max(1) - pen_probs.min(1) < 1e-9  # a sketch: the pen network gives no answer
            witnesses = (probs.argmax(1), np.where(flat, -1, pen_probs.argmax(1)))
            probs = combine(probs, pen_probs)
        elif predictor.pen_problem and not args.no_pen:
            print(f"note: {predictor.pen_problem} Reading the images alone.", file=sys.stderr)
        predicted, top = probs.argmax(1), probs.max(1)
        records = [dict(m, predicted=int(p), hit=int(p) == m["label"], unsure=bool(t < predictor.unsure_below))
                   for m, p, t in zip(meta, predicted, top)]
        r = results[arch] = summarise(records)
        if witnesses is not None:
            labels = np.array([m["label"] for m in meta])
            r["either_right"] = either_right(labels, *witnesses)
            r["pen_turned"] = pen_changes(labels, witnesses[0], predicted)
        print(f"{arch.upper()}: {r['accuracy']:.2%} of {r['n']} real-pen {'canvas drawings' if args.input == 'canvas' else 'images'} by {len(r['per_writer'])} held-out writers; "
              f"{r['flagged_unsure']:.2%} flagged 'not sure'")
        low, high = r["writer_interval_95"]
        print(f"  95% interval with other writers (the held-out writers resampled): {low:.2%}-{high:.2%}")
        if r["wrong_flagged_unsure"] is not None:
            print(f"  of the wrong answers, {r['wrong_flagged_unsure']:.1%} were flagged 'not sure'; "
                  f"the answers not flagged are right {r['sure_accuracy']:.2%} of the time")
        print(f"  writers whose recordings are all complete: {r['complete_writers']['accuracy']:.2%} of {r['complete_writers']['n']}")
        print(f"  less the digits a person cannot read as their label: {r['readable']['accuracy']:.2%} of {r['readable']['n']}; "
              f"worst writer {r['readable']['worst_writer'][0]} {r['readable']['worst_writer'][1]:.2%}, "
              f"{len(r['readable']['writers_below_97'])} under 97%")
        if "either_right" in r:
            print(f"  read right by the image network alone or the pen network alone: {r['either_right']:.2%} "
                  "(the most that choosing one of their two answers could reach)")
            t = r["pen_turned"]
            print(f"  answers the pen network changed: {t['to_right']} wrong to right, {t['to_wrong']} right to wrong, "
                  f"{t['wrong_to_wrong']} wrong to another wrong")
        print("  per class: " + ", ".join(f"{d} {a:.1%}" for d, a in r["per_class"].items()))
        print("  per width: " + ", ".join(f"{k} {a:.2%}" for k, a in r["per_width"].items())
              + "; per size: " + ", ".join(f"{k} {a:.2%}" for k, a in r["per_size"].items()))
        print("  per polarity: " + ", ".join(f"{k} {a:.2%}" for k, a in r["per_polarity"].items()))
        print(f"  writers: worst {r['worst_writer']['writer']} {r['worst_writer']['accuracy']:.2%}, "
              f"median {r['median_writer_accuracy']:.2%}, {len(r['writers_below_97'])} under 97%")
        print("  top confusions (true > predicted): "
              + ", ".join(f"{c['true']}>{c['predicted']} x{c['count']}" for c in r["top_confusions"]))
        if args.errors_sheet:
            errors = sorted((m["label"], i) for i, m in enumerate(records) if not m["hit"])
            if len(errors) > args.sheet_limit:  # evenly spread over the classes' errors
                errors = [errors[int(k)] for k in np.linspace(0, len(errors) - 1, args.sheet_limit)]
            sheet = errors_sheet([(canvases[i], records[i]["label"], records[i]["predicted"]) for _, i in errors])
            path = f"{args.errors_sheet}-{arch}.png"
            cv2.imwrite(path, sheet)
            print(f"  wrote {path} ({len(errors)} of {sum(not m['hit'] for m in records)} errors)")
    if args.redraw_sheet:
        predictor = next(iter(predictors.values()))
        tiles = []
        for n, alone, drawn in redrawn:
            before, after = predictor.predict(alone.tensor)[0][0], predictor.predict(drawn.tensor)[0][0]
            if before != after:
                label = meta[n]["label"]
                tiles += [(canvases[n], label, before), (np.pad(alone.image, 6), label, before),
                          (np.pad(drawn.image, 6), label, after)]
        cv2.imwrite(args.redraw_sheet, errors_sheet(tiles, per_row=12))
        print(f"wrote {args.redraw_sheet}: {len(tiles) // 3} of {len(redrawn)} redrawn drawings answered otherwise "
              f"(each: the canvas, the image alone, redrawn; captioned true > answer)")
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
