"""Whole-number benchmark: numbers of 2-8 digits written by the held-out writers, read back.

    python benchmarks/whole_numbers.py [--arch cnn] [--weights-dir D] [--per-length 100] [--input both] [--seed 0 [1 ...]]
                                       [--canvas 840x280 [--unscaled-pen]] [--photo [--ruled]] [--marks] [--save DIR]
                                       [--memory K [--fine-tune]] [--show-errors] [--json]

Each number is one held-out writer's real pen digits (DigiLeTs, --pen-data,
default $DIGILETS; writers training never saw) placed left to right on an
840x280 canvas: a random digit height, random gaps from overlapping (-12% of
the height) to wide (35%), one random slant for the whole number (up to 12
degrees), and a random stroke width (3-24 px), drawn by the canvas's own pen
(sources/canvas.py), white on black as the app's canvas is. model.number's
read_number() segments and reads it twice: from the strokes in the order
they were written, as the app's canvas gives them, and from the image alone,
as an upload of the same drawing. Reported per input, per length and overall:
numbers read exactly (with the interval that share would lie in with other
writers held out: the writers resampled, 95%), digits right (where the digit count was right),
segmentation errors (wrong count of digits), and milliseconds per number;
and the same over the numbers by writers whose DigiLeTs recordings are all
complete (the others' include damaged digits: a 6 that is only its top arc), over the numbers
with no digit that a person would not read as its label (sources.pen.UNREADABLE), and over the
numbers in which no digit covers more than CROWDED of its neighbour's width (the gaps go down to
-12% of the height, so a narrow digit can lie almost wholly over its neighbour), and over the
numbers in which no two digits' inks share a column (as a number written with spaces).
--canvas WxH writes on a canvas of that size instead (the app's phone strip is
320x128), with the pen scaled with its height as the app's number strip scales
the chosen width (strip_pen(): 3-24 px become 2-11 px on the phone's strip);
--unscaled-pen keeps the 3-24 px pens there (what the app drew before).
--photo reads each number (from the image alone) as a photo of paper that
takes in what lies beyond it: dark ink on light paper, and a dark band (the
desk) 5-15% of the width or height wide on one side, or a dark corner, set
beside the paper, never over the writing. --ruled writes it on ruled paper:
pale lines 2 px thick every 11-16% of the height, under the ink (a school
notebook's), the number written across them, the page turned up to 4 degrees
(photographed a little askew), and in half of the photos a margin line down
it (darker: a red one in gray) 3-8% of the width from one side, beside the writing.
--marks writes one number in two as a price or a count is written: a decimal
point (a dab of the pen on the line) or a comma (a short tail down to the
left) after one of its digits, in a gap at least MARK_GAP of the height wide;
a number is read exactly only with its point or comma where it was written,
and "points and commas right" counts, over the numbers whose digits were
counted right, those with every mark where it was written and no other.
--seed takes several seeds: each writes its own numbers (--per-length of each
length, the same as that seed alone writes), and the figures are over them all
(`--seed 0 1 2 3 4`: 500 numbers of each length).
--save writes the drawings as DIR/<number>/<k>.png, the layout
`python -m model.evaluate --numbers` reads; --show-errors lists each number
read wrong, with its writer and any digit of it a person cannot read.
--memory K: each writer has taught the app K drawings of each digit (as
"Right?" saves them), and writes the numbers with their other drawings; each
number is read by the network alone and with the memory of those saved
drawings beside it (model/memory.py, as the app's "Learn from my saved
drawings" does: MNIST present, saved drawings that would make other people's
digits read worse are set aside; as in the app, the memory reads each digit
and the network alone decides where the number is cut). With --fine-tune, also by the network
fine-tuned on those drawings (replaying MNIST, calibrated again, as the app's
"Fine-tune on my drawings" ends), alone and with the memory.
"""

from __future__ import annotations

import argparse
import collections
import json
import math
import pathlib
import re
import sys
import time

import cv2
import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from model.evaluate import digits_of  # noqa: E402
from model.number import read_number  # noqa: E402
from model.report import writer_interval  # noqa: E402
from sources import DataError  # noqa: E402
from preprocessing.canvas_strokes import strip_pen  # noqa: E402
from sources.canvas import draw_strokes  # noqa: E402
from sources.pen import default_pen_path, load_pen_digits, pen_set, split_by_writer, writer_sets  # noqa: E402

WIDTH, HEIGHT = 840, 280
#: With --marks, the gap holding a decimal point or comma is at least this share of the digits' height.
MARK_GAP = 0.35
#: A number is "crowded" when a digit covers more than this share of its narrower neighbour's width.
CROWDED = 0.5


def crowding(spans: list[tuple[float, float]]) -> float:
    """The largest share of the narrower digit's width that a neighbour covers, over consecutive
    digits' column spans (0: no two touch)."""
    shares = [max(0.0, min(a1, b1) - max(a0, b0)) / max(min(a1 - a0, b1 - b0), 1e-6)
              for (a0, a1), (b0, b1) in zip(spans, spans[1:])]
    return max(shares, default=0.0)


def apart(spans: list[tuple[float, float]], pen: float) -> bool:
    """Whether every two consecutive digits' inks lie in separate columns: their centre lines' column
    spans (pen at width `pen`) are more than a pen's width apart, as digits written with a space between them."""
    return all(b0 - a1 > pen for (_, a1), (b0, _) in zip(spans, spans[1:]))


def pattern(number: str) -> str:
    """Where a number's points and commas lie: "12.50" as "dd.dd"."""
    return re.sub(r"\d", "d", number)


def mark_stroke(kind: str, x: float, baseline: float, height: float, rng: np.random.Generator) -> np.ndarray:
    """A decimal point (".": a dab of the pen) or a comma (",": a tail from the line down to the
    left) written at column `x` on the `baseline` of digits `height` tall, in canvas pixels."""
    if kind == ".":
        return np.array([x, baseline - 0.02 * height]) + rng.normal(0, 0.01 * height, (int(rng.integers(1, 4)), 2))
    length, lean = rng.uniform(0.12, 0.22) * height, rng.uniform(0.2, 0.6)
    t = np.linspace(0, 1, 6)[:, None]
    return np.array([x, baseline - 0.03 * height]) + t * np.array([-lean * length, length])


def compose(digits, rng: np.random.Generator, size: tuple[int, int] = (WIDTH, HEIGHT), marks: dict | None = None,
            mark_rng: np.random.Generator | None = None, scale_pen: bool = True
            ) -> tuple[np.ndarray, list[np.ndarray], int, list[tuple[float, float]]]:
    """One canvas (white on black, `size` = (width, height), 840x280 unless asked) of the pen digits side by side, its strokes in
    the order written (canvas pixels), the pen width, and each digit's column span (of its centre line).
    `marks` {k: "." or ","} writes a decimal point or comma after digit k, in a gap at least
    MARK_GAP of the height wide (its shape from `mark_rng`). With `scale_pen`, a canvas lower than the
    app's 280 px draws the pen thinner in step, as the app's number strip does (strip_pen())."""
    canvas_w, canvas_h = size
    height = rng.uniform(0.45, 0.8) * canvas_h
    slant = math.tan(math.radians(rng.uniform(-12, 12)))
    stroke = int(rng.integers(3, 25))
    if scale_pen:
        stroke = strip_pen(stroke, canvas_h)
    shapes = []
    for d in digits:
        points = np.concatenate(d.strokes)
        lo, hi = points.min(0), points.max(0)
        scale = 1 / max(hi[1] - lo[1], 1e-6)
        shapes.append([(s - lo) * scale for s in d.strokes])  # unit height, x from 0
    widths = [max(np.concatenate(s)[:, 0].max(), 0.15) for s in shapes]
    gaps = rng.uniform(-0.12, 0.35, len(digits) - 1)
    for k in marks or {}:
        gaps[k] = max(gaps[k], MARK_GAP)
    total = sum(widths) + gaps.sum() + abs(slant)
    below = 0.25 if marks else 0.0  # room under the line for a comma's tail
    height = min(height, (canvas_w - 2 * stroke - 10) / total, (canvas_h - 2 * stroke - 10) / (1 + below))
    x = rng.uniform(stroke, canvas_w - total * height - stroke)
    top = rng.uniform(stroke, canvas_h - (1 + below) * height - stroke)
    each, spans = [], []
    for shape, w, gap in zip(shapes, widths, list(gaps) + [0.0]):
        mine = []
        for s in shape:
            pts = s * height
            pts[:, 0] += x + slant * (height - pts[:, 1]) + (abs(slant) * height if slant < 0 else 0)
            pts[:, 1] += top
            mine.append(pts)
        each.append(mine)
        columns = np.concatenate(mine)[:, 0]
        spans.append((float(columns.min()), float(columns.max())))
        x += (w + gap) * height
    placed = []
    for k, mine in enumerate(each):
        placed += mine
        if k in (marks or {}):  # written next, on the line in the middle of the gap there (the digits lean)
            low = [np.concatenate(d) for d in each[k : k + 2]]
            low = [p[p[:, 1] > top + 0.7 * height, 0] for p in low]
            left = low[0].max() if len(low[0]) else spans[k][1]
            right = low[1].min() if len(low[1]) else spans[k + 1][0]
            placed.append(mark_stroke(marks[k], (left + right) / 2, top + height, height, mark_rng))
    return draw_strokes(placed, stroke, shape=(canvas_h, canvas_w)), placed, stroke, spans


def canvas_size(text: str) -> tuple[int, int]:
    """"840x280" as (840, 280); a canvas at least 100x60."""
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTHxHEIGHT, e.g. 320x128") from None
    if w < 100 or h < 60:
        raise argparse.ArgumentTypeError(f"{text!r} is too small for a number: at least 100x60")
    return w, h


def photo_of_paper(canvas: np.ndarray, rng: np.random.Generator, ruled: bool = False) -> np.ndarray:
    """`canvas` (white on black) as dark ink on light paper, with a dark desk beside it (see --photo);
    `ruled`: on ruled paper (see --ruled)."""
    h, w = canvas.shape
    blank = np.full((h, w), 225.0)
    if ruled:
        spacing, slope = rng.uniform(0.11, 0.16) * h, math.tan(math.radians(rng.uniform(-4, 4)))
        for y in np.arange(rng.uniform(0, spacing) - w * abs(slope), h + w * abs(slope), spacing):
            cv2.line(blank, (0, round(y)), (w - 1, round(y + slope * (w - 1))), 185, 2)
        ink = np.flatnonzero(canvas.max(axis=0))
        x = round(rng.uniform(0.03, 0.08) * w)
        x = x if rng.random() < 0.5 else w - 1 - x
        if rng.random() < 0.5 and not ink[0] - 10 <= x <= ink[-1] + 10:  # a margin line, beside the writing
            cv2.line(blank, (x, 0), (round(x - slope * (h - 1)), h - 1), 160, 2)
    paper = (blank - 0.75 * canvas.astype(np.float64) * blank / 255).astype(np.uint8)
    desk, share = 50, rng.uniform(0.05, 0.15)
    side = ["right", "left", "below", "above", "corner"][rng.integers(5)]
    if side in ("right", "left"):
        band = np.full((h, round(share * w)), desk, np.uint8)
        return np.hstack([paper, band] if side == "right" else [band, paper])
    if side in ("below", "above"):
        band = np.full((round(share * h), w), desk, np.uint8)
        return np.vstack([paper, band] if side == "below" else [band, paper])
    d = round(share * w)
    corner = np.full((h, d), 225, np.uint8)
    corner[: h // 3] = desk
    return np.hstack([corner, paper])


def remembering(predictor, images: np.ndarray, labels: np.ndarray, mnist: tuple, floor: float):
    """`predictor` with the memory of one writer's saved drawings (`images`, preprocessed, and their
    `labels`), less those that would make other people's digits read worse than `floor`, as the app
    does: `mnist` is MNIST's held-out training digits and labels."""
    from model.memory import Memory, RememberingPredictor, network_view, within_forgetting

    memory = Memory.of(predictor, images, labels)
    return RememberingPredictor(predictor, within_forgetting(memory, *network_view(predictor, mnist[0]), mnist[1], floor)[0])


def fine_tuned(predictor, images: np.ndarray, labels: np.ndarray, replay, seed: int):
    """`predictor`'s network fine-tuned on one writer's saved drawings and calibrated again, as the
    app's job ends (model.finetune.personalise, less its check on held-out drawings)."""
    from model.finetune import calibrate, fine_tune
    from model.predict import Predictor

    model = fine_tune(predictor.model, predictor.arch, images, labels, replay, seed=seed)
    return Predictor(model, {**predictor.metadata, **calibrate(model, replay, predictor.metadata)})


def error_lines(rows: list[dict]) -> list[str]:
    """One line for each number read wrong: how it was read, what was written and read, by whom, and
    which of its digits a person cannot read as their label."""
    lines = []
    for r in rows:
        if r["read"] != r["truth"]:
            unreadable = f" (unreadable: {', '.join(r['unreadable'])})" if r["unreadable"] else ""
            lines.append(f"{r['input']}: wrote {r['truth']}, read {r['read'] or '(nothing)'}, writer {r['writer']}{unreadable}")
    return lines


def numbers_to_write(seeds: list[int], per_length: int):
    """(seed, length, k, rng, photo_rng, mark_rng) for each number to write: for each seed, `per_length`
    numbers of each length from 2 to 8 (k counts them), with that seed's random draws: the numbers'
    own, and apart from them the photos' and the marks', so the numbers are the same with or without."""
    for seed in seeds:
        rng, photo_rng, mark_rng = (np.random.default_rng(seed + offset) for offset in (0, 1000, 2000))
        for length in range(2, 9):
            for k in range(per_length):
                yield seed, length, k, rng, photo_rng, mark_rng


def main(argv: list[str] | None = None) -> int:
    from model import WeightsError, load_predictor

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", default="cnn", choices=["cnn", "mlp"])
    parser.add_argument("--weights-dir", help="default: the shipped weights/")
    parser.add_argument("--pen-data", default=default_pen_path())
    parser.add_argument("--per-length", type=int, default=100)
    parser.add_argument("--seed", type=int, nargs="+", default=[0],
                        help="one seed or several: each writes its own numbers, and the figures are over them all")
    parser.add_argument("--save", metavar="DIR")
    parser.add_argument("--input", choices=["strokes", "image", "both"], default="both",
                        help="read from the strokes (as the canvas gives them), the image alone, or both")
    parser.add_argument("--unscaled-pen", action="store_true", help="on a canvas lower than 280 px, draw with the "
                        "pen as chosen (3-24 px), not scaled with the height as the app's number strip draws it "
                        "(preprocessing.canvas_strokes.strip_pen; what the app did before)")
    parser.add_argument("--canvas", default=f"{WIDTH}x{HEIGHT}", type=canvas_size, metavar="WxH",
                        help="the canvas's size in pixels (default: %(default)s; the app's phone strip: 320x128)")
    parser.add_argument("--photo", action="store_true", help="read each number, from the image alone, as a photo of "
                        "paper with the desk beside it")
    parser.add_argument("--ruled", action="store_true", help="with --photo: the paper is ruled (a notebook's)")
    parser.add_argument("--memory", type=int, default=0, metavar="K",
                        help="each writer saved K drawings of each digit: read with and without their memory")
    parser.add_argument("--fine-tune", action="store_true",
                        help="with --memory: also read with the network fine-tuned on those drawings, and with both")
    parser.add_argument("--marks", action="store_true", help="one number in two written with a decimal point or a "
                        "comma between two of its digits (in a gap at least MARK_GAP wide)")
    parser.add_argument("--show-errors", action="store_true", help="list each number read wrong: what was written, "
                        "what was read, the writer, and the digits a person cannot read as their label")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    if args.fine_tune and not args.memory:
        parser.error("--fine-tune needs --memory K: the saved drawings it learns from")
    if args.ruled and not args.photo:
        parser.error("--ruled needs --photo: ruled paper is a photo's")
    if args.memory and len(args.seed) > 1:
        parser.error("--memory takes one seed: the drawings each writer saved are chosen with it")
    inputs = ["image"] if args.photo else ["strokes", "image"] if args.input == "both" else [args.input]
    try:
        _, held = split_by_writer(load_pen_digits(args.pen_data))
        predictor = load_predictor(args.arch, args.weights_dir)
        if args.memory:
            from model.finetune import MAX_FORGETTING, load_replay
            from model.memory import network_view
            from sources.mnist import default_data_dir, load_held_out

            mnist = load_held_out(default_data_dir()).arrays()  # other people's digits, which a writer's memory may not cost much
            floor = float((network_view(predictor, mnist[0])[0].argmax(1) == mnist[1]).mean()) - MAX_FORGETTING[args.arch]
            replay = load_replay() if args.fine_tune else None
    except (WeightsError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    of_writer = collections.defaultdict(list)
    for d in held:
        of_writer[d.writer].append(d)
    by_writer = collections.defaultdict(lambda: collections.defaultdict(list))
    readers = {}  # writer -> [(how, predictor)]: the network alone, and with the writer's memory
    for k, (writer, digits) in enumerate(sorted(of_writer.items())):
        readers[writer] = [("", predictor)]
        if args.memory:  # the saved drawings are chosen apart from the numbers' draws
            saved, digits = writer_sets(digits, args.memory, args.seed[0] + 3000 + k)
            images, labels = pen_set(saved, seed=args.seed[0] + 4000 + k, processes=1, with_strokes=True).arrays()  # each drawn once on the canvas
            readers[writer].append((" + memory", remembering(predictor, images, labels, mnist, floor)))
            if args.fine_tune:
                tuned = fine_tuned(predictor, images, labels, replay, args.seed[0] + 5000 + k)
                readers[writer] += [(" fine-tuned", tuned),
                                    (" fine-tuned + memory", remembering(tuned, images, labels, mnist, floor))]
        for d in digits:
            by_writer[writer][d.label].append(d)
    writers = sorted(by_writer)
    for how in [how for how, _ in readers[writers[0]] if how.endswith("memory")]:
        kept = sum(len(dict(r)[how].memory) for r in readers.values())
        print(f"{how.strip(' +')}: {args.memory} saved drawings of each digit per writer, {kept} counted "
              f"({10 * args.memory * len(writers) - kept} set aside)", flush=True)
    rows = []
    for seed, length, k, rng, photo_rng, mark_rng in numbers_to_write(args.seed, args.per_length):
        writer = writers[rng.integers(len(writers))]
        mine = by_writer[writer]
        labels = [int(rng.choice(sorted(mine))) for _ in range(length)]
        digits = [mine[label][rng.integers(len(mine[label]))] for label in labels]
        marks = {}
        if args.marks and mark_rng.random() < 0.5:  # one number in two has a point or a comma
            marks = {int(mark_rng.integers(length - 1)): ".,"[int(mark_rng.integers(2))]}
        truth = "".join(str(d) + marks.get(i, "") for i, d in enumerate(labels))
        canvas, strokes, width, spans = compose(digits, rng, args.canvas, marks, mark_rng, not args.unscaled_pen)
        if args.save:
            folder = pathlib.Path(args.save) / truth
            folder.mkdir(parents=True, exist_ok=True)
            cv2.imwrite(str(folder / (f"{length}-{k}.png" if len(args.seed) == 1 else f"{seed}-{length}-{k}.png")), canvas)
        for source in inputs:
            image = photo_of_paper(canvas, photo_rng, args.ruled) if args.photo else canvas
            for how, reader in readers[writer]:
                start = time.perf_counter()
                cutter = getattr(reader, "predictor", reader)  # as the app: the memory reads, never cuts
                try:
                    if source == "strokes":
                        read = read_number(canvas, cutter, strokes, width, reader).best_guess
                    else:
                        read = read_number(image, cutter, reader=reader).best_guess
                except ValueError:
                    read = ""
                rows.append({"input": source + how, "length": length, "truth": truth, "read": read,
                             "complete": digits[0].recording == "complete", "crowding": crowding(spans),
                             "readable": all(d.readable for d in digits), "writer": writer,
                             "unreadable": [d.id for d in digits if not d.readable],
                             "apart": apart(spans, width),
                             "ms": 1000 * (time.perf_counter() - start)})
    summary = {}
    for source in dict.fromkeys(r["input"] for r in rows):
        mine = [r for r in rows if r["input"] == source]
        summary[source] = {}
        how = {"strokes": "the canvas: strokes in the order drawn", "image": "the image alone, as an upload"}[source.split(" ")[0]]
        if "fine-tuned" in source:
            how += f"; the network fine-tuned on the writer's {args.memory} saved drawings of each digit"
        if source.endswith("memory"):
            how += f"; the writer's {args.memory} saved drawings of each digit counted"
        if len(args.seed) > 1:
            how += f"; seeds {', '.join(map(str, args.seed))}"
        paper = (", a photo of ruled paper with the desk beside it" if args.ruled
                 else ", a photo of paper with the desk beside it" if args.photo else "")
        print(f"{source} ({how}{paper}):")
        for name, group in ([("all", mine)] + [(str(n), [r for r in mine if r["length"] == n]) for n in range(2, 9)]
                            + [("complete", [r for r in mine if r["complete"]]),
                               ("uncrowded", [r for r in mine if r["crowding"] <= CROWDED]),
                               ("apart", [r for r in mine if r["apart"]]),
                               ("complete_uncrowded", [r for r in mine if r["complete"] and r["crowding"] <= CROWDED]),
                               ("readable", [r for r in mine if r["readable"]]),
                               ("readable_4", [r for r in mine if r["readable"] and r["length"] == 4])]
                            + ([("marked", [r for r in mine if digits_of(r["truth"]) != r["truth"]]),
                                ("unmarked", [r for r in mine if digits_of(r["truth"]) == r["truth"]])] if args.marks else [])):
            if not group:
                continue
            counted = [r for r in group if len(digits_of(r["read"])) == len(digits_of(r["truth"]))]
            digits = sum(len(digits_of(r["truth"])) for r in counted)
            ms = np.array([r["ms"] for r in group])
            summary[source][name] = s = {
                "n": len(group), "exact": sum(r["read"] == r["truth"] for r in group) / len(group),
                "segmentation_errors": 1 - len(counted) / len(group),
                "digit_accuracy": sum(a == b for r in counted for a, b in zip(digits_of(r["read"]), digits_of(r["truth"])))
                / max(1, digits),
                "ms_p50": float(np.median(ms)), "ms_max": float(ms.max()),
                # where the digit count is right: points and commas read where they were written, and none else
                "marks_right": sum(pattern(r["read"]) == pattern(r["truth"]) for r in counted) / max(1, len(counted)),
                # where `exact` could lie with other writers: the writers resampled (model.report.writer_interval)
                "exact_writer_interval_95": writer_interval([r["writer"] for r in group], [r["read"] == r["truth"] for r in group]),
            }
            label = {"complete": "writers whose recordings are all complete",
                     "uncrowded": "no digit over half of its neighbour",
                     "apart": "no two digits' inks share a column",
                     "complete_uncrowded": "both of these", "marked": "with a point or a comma",
                     "readable": "no digit a person cannot read as its label (sources.pen.UNREADABLE)",
                     "readable_4": "   4 digits, none unreadable",
                     "unmarked": "without"}.get(name, f"{name:>4} digits")
            low, high = s["exact_writer_interval_95"]
            print(f"  {label}: {s['n']:4d} numbers, exact {s['exact']:.2%} ({low:.1%}-{high:.1%} with other writers), "
                  f"digits {s['digit_accuracy']:.2%}, "
                  f"wrong digit count {s['segmentation_errors']:.2%}, points and commas right {s['marks_right']:.2%}, "
                  f"read in {s['ms_p50']:.0f} ms p50 ({s['ms_max']:.0f} max)")
    if args.show_errors:
        for line in error_lines(rows):
            print("  " + line)
    if args.json:
        wrong = [{k: r[k] for k in ("input", "truth", "read")} for r in rows if r["read"] != r["truth"]]
        print(json.dumps({"summary": summary, "examples_wrong": wrong[:50]}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
