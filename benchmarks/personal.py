"""Personal fine-tune benchmark: each held-out writer teaches the model with 2 drawings per digit.

    python benchmarks/personal.py [--arch cnn mlp] [--per-digit 2] [--writers N] [--seed 0] [--json]
                                  [--skip-latency]

For each of the 22 writers training never sees (DigiLeTs, --pen-data, default
$DIGILETS), `per-digit` of the writer's drawings of each digit are drawn once
on the canvas (random width, size, place and polarity, as a person would) and
the shipped model is fine-tuned on them with model.finetune.fine_tune(), the
function the app and `python -m model.finetune` use, replaying MNIST. The
writer's other digits are drawn as the real-pen benchmark draws them (3 widths
x 2 sizes, polarities in turn) and scored before and after. Every drawing is
read with its strokes, as the app reads the canvas and the drawings it saved. Reported: mean and
worst accuracy over writers before and after, writers that got worse, MNIST
test accuracy after each writer's fine-tune (worst), and seconds per
fine-tune; the means also less the drawings of the digits a person would not
read as their label (sources.pen.UNREADABLE; with seed 0, 6 of the writers'
other digits, and 5 of those learned from). Each is also scored with the
memory of the writer's drawings learned from (model/memory.py: the saved drawings' votes beside the network),
before and after the fine-tune; with one digit's drawings alone in the memory
(as after a few corrections; the mean over the ten digits); and MNIST test
with that memory. Then the time of the app's whole job (model.finetune.personalise:
the held-out check plus the final fine-tune) on 20 and 50 drawings, and how
long a drawing takes to be answered (preprocess + predict) while such a job
runs in another process at the app's priority, against idle. The pen network
(weights/pen.pt) is not fine-tuned; the means are also given with it reading
how each test digit was written, as the app answers a canvas drawing.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
from model.finetune import MAX_FORGETTING, accuracy, fine_tune, load_replay, personalise  # noqa: E402
from model.memory import Memory, embed, network_view, within_forgetting  # noqa: E402
from model.predict import Predictor, combine, load_pen_reader, load_predictor  # noqa: E402
from model.weights import WeightsError, default_weights_dir, load_weights  # noqa: E402
from preprocessing.trajectory import pen_sequence  # noqa: E402
from preprocessing import preprocess  # noqa: E402
from sources import DataError  # noqa: E402
from sources.mnist import default_data_dir, load_held_out  # noqa: E402
from sources.pen import benchmark_drawings, benchmark_set, default_pen_path, load_pen_digits, pen_set, split_by_writer, writer_sets  # noqa: E402


def memory_scores(net, metadata: dict, x, y, tx, ty, replay, held, floor: float, pen_probs=None) -> dict:
    """Accuracy on the writer's other drawings with the memory of the drawings learned from
    (model/memory.py; set aside as the app does: `floor` is the shipped network's accuracy on
    training's `held`-out MNIST digits less the fine-tune's forgetting limit), with only one
    digit's of them at a time (mean over digits: a memory of a few corrections), and MNIST test's
    with that memory."""
    predictor = Predictor(net, metadata)
    memory = Memory(embed(predictor, x), np.asarray(y, np.int64))
    memory, dropped = within_forgetting(memory, *network_view(predictor, held[0]), held[1], floor)
    probs, features = network_view(predictor, tx)
    score = lambda m: float((m.blend(probs, features).argmax(1) == ty).mean())  # noqa: E731
    one_digit = [score(Memory(memory.features[memory.labels == k], memory.labels[memory.labels == k])) for k in range(10)]
    out = {"with_memory": score(memory), "one_digit_memory": statistics.mean(one_digit), "memory_dropped": len(dropped)}
    if pen_probs is not None:  # as the app answers a canvas drawing: the pen network's reading, then the memory's votes
        out["with_memory_pen"] = float((memory.blend(combine(probs, pen_probs), features).argmax(1) == ty).mean())
    if replay.mnist_test is not None:
        images, labels = replay.mnist_test
        out["mnist_with_memory"] = float((memory.blend(*network_view(predictor, images)).argmax(1) == labels).mean())
    return out


def with_pen(net, metadata: dict, images: np.ndarray, labels: np.ndarray, pen_probs: np.ndarray | None, memory=None) -> float | None:
    """Accuracy as the app answers a canvas drawing: the network's probabilities times the pen network's
    (model.predict.combine()), then the memory's votes when given; None without a pen network."""
    if pen_probs is None:
        return None
    probs, features = network_view(Predictor(net, metadata), images)
    both = combine(probs, pen_probs)
    if memory is not None:
        both = memory.blend(both, features)
    return float((both.argmax(1) == labels).mean())


def per_writer(arch: str, held, replay, per_digit: int, seed: int, limit: int | None) -> dict:
    base_path = default_weights_dir() / f"{arch}.pt"
    base, metadata = load_weights(base_path, arch)
    try:  # the pen network is not fine-tuned: it reads how each test digit was written, as the app does
        pen = load_pen_reader()
    except WeightsError as e:
        print(f"note: {e} Scoring the image network alone.", file=sys.stderr)
        pen = None
    by_writer = {}
    for d in held:
        by_writer.setdefault(d.writer, []).append(d)
    held_mnist = load_held_out(default_data_dir()).arrays()
    floor = float((network_view(Predictor(base, metadata), held_mnist[0])[0].argmax(1) == held_mnist[1]).mean()) - MAX_FORGETTING[arch]
    rows = []
    for k, (writer, digits) in enumerate(sorted(by_writer.items())):
        if limit is not None and k >= limit:
            break
        train, test = writer_sets(digits, per_digit, seed + k)
        x, y = pen_set(train, seed=seed + 1000 + k, processes=1, with_strokes=True).arrays()
        tx, ty = benchmark_set(test, seed + 2000 + k).arrays()  # a drawing preprocess() refuses is blank: counted wrong
        # each test digit's drawings in turn; the pen path does not depend on where or how big it is drawn
        pen_probs = None if pen is None else np.repeat(pen.probabilities_of(np.stack([pen_sequence(d.strokes) for d in test])),
                                                      len(tx) // len(test), axis=0)
        started = time.time()
        tuned = fine_tune(base, arch, x, y, replay, seed=seed + k)
        seconds = time.time() - started
        readable = np.repeat([d.readable for d in test], len(tx) // len(test))  # each digit's drawings in turn
        row = {"writer": writer, "recording": digits[0].recording, "train": len(x), "test": len(tx),
               "before": accuracy(base, tx, ty), "after": accuracy(tuned, tx, ty), "seconds": seconds,
               "mnist_after": accuracy(tuned, *replay.mnist_test) if replay.mnist_test is not None else None,
               # less the drawings of digits a person would not read as their label (sources.pen.UNREADABLE)
               "test_readable": int(readable.sum()), "before_readable": accuracy(base, tx[readable], ty[readable]),
               "after_readable": accuracy(tuned, tx[readable], ty[readable]),
               "before_pen": with_pen(base, metadata, tx, ty, pen_probs), "after_pen": with_pen(tuned, metadata, tx, ty, pen_probs)}
        # The fine-tuned network keeps the base's temperature here (the app's job calibrates it again).
        for name, net in (("before", base), ("after", tuned)):
            row.update({f"{name}_{k}": v for k, v in memory_scores(net, metadata, x, y, tx, ty, replay, held_mnist, floor, pen_probs).items()})
        rows.append(row)
        print(f"  {arch} writer {writer} ({row['recording']}): {row['before']:.2%} -> {row['after']:.2%} "
              f"on {row['test']} drawings, MNIST after {row['mnist_after']:.2%}, {seconds:.1f} s; with the memory "
              f"{row['before_with_memory']:.2%} -> {row['after_with_memory']:.2%} ({row['before_memory_dropped']} / "
              f"{row['after_memory_dropped']} drawings set aside)", flush=True)
    before = [r["before"] for r in rows]
    after = [r["after"] for r in rows]
    pen_rows = [r for r in rows if r["before_pen"] is not None]
    pen_summary = {} if not pen_rows else {
        "mean_before_pen": statistics.mean(r["before_pen"] for r in pen_rows),
        "mean_after_pen": statistics.mean(r["after_pen"] for r in pen_rows),
        "worst_after_pen": min(r["after_pen"] for r in pen_rows),
        "worse_after_pen": [r["writer"] for r in pen_rows if r["after_pen"] < r["before_pen"]],
        "mean_after_pen_with_memory": statistics.mean(r["after_with_memory_pen"] for r in pen_rows),
        "worse_after_pen_with_memory": [r["writer"] for r in pen_rows if r["after_with_memory_pen"] < r["before_pen"]],
    }
    return {
        **pen_summary,
        "writers": len(rows),
        "mean_before": statistics.mean(before), "mean_after": statistics.mean(after),
        "worst_before": min(before), "worst_after": min(after),
        "worse_after": [r["writer"] for r in rows if r["after"] < r["before"]],
        "complete_mean_after": statistics.mean([r["after"] for r in rows if r["recording"] == "complete"] or [float("nan")]),
        "mean_before_readable": statistics.mean(r["before_readable"] for r in rows),
        "mean_after_readable": statistics.mean(r["after_readable"] for r in rows),
        "worse_after_readable": [r["writer"] for r in rows if r["after_readable"] < r["before_readable"]],
        "mnist_after_worst": min(r["mnist_after"] for r in rows),
        **{f"mean_{when}_{k}": statistics.mean(r[f"{when}_{k}"] for r in rows)
           for when in ("before", "after") for k in ("with_memory", "one_digit_memory")},
        **{f"worse_{when}_{k}": [r["writer"] for r in rows if r[f"{when}_{k}"] < r[when]]
           for when in ("before", "after") for k in ("with_memory", "one_digit_memory")},
        "worse_with_memory_than_before": [r["writer"] for r in rows if r["after_with_memory"] < r["before"]],
        "complete_mean_after_with_memory": statistics.mean(
            [r["after_with_memory"] for r in rows if r["recording"] == "complete"] or [float("nan")]),
        "memory_dropped_before": sum(r["before_memory_dropped"] for r in rows),
        "memory_dropped_after": sum(r["after_memory_dropped"] for r in rows),
        "mnist_with_memory_worst": min((r[f"{w}_mnist_with_memory"] for r in rows for w in ("before", "after")
                                        if f"{w}_mnist_with_memory" in r), default=None),
        "seconds_mean": statistics.mean(r["seconds"] for r in rows),
        "seconds_max": max(r["seconds"] for r in rows),
        "rows": rows,
    }


def job_seconds(arch: str, held, replay, n: int, seed: int) -> float:
    """Seconds of personalise() (held-out check + final fine-tune) on n of one writer's drawings."""
    writer = sorted({d.writer for d in held})[0]
    digits = [d for d in held if d.writer == writer][:n]
    x, y = pen_set(digits, seed=seed, processes=1, with_strokes=True).arrays()
    started = time.time()
    personalise(arch, x, y, default_weights_dir() / f"{arch}.pt", replay, seed=seed)
    return time.time() - started


def answer_times(predictor, image: np.ndarray, seconds: float) -> list[float]:
    times, until = [], time.time() + seconds
    while time.time() < until:
        started = time.perf_counter()
        predictor.predict(preprocess(image).tensor)
        times.append(time.perf_counter() - started)
        time.sleep(0.02)  # a person's drawings arrive one at a time
    return times


def latency_under_fine_tune(arch: str, held, seed: int) -> dict:
    """p50/p90 of answering one drawing, idle and while `python -m model.finetune` runs as the app starts it."""
    from model.jobs import fine_tune_command

    predictor = load_predictor(arch)
    digits = [d for d in held if d.writer == sorted({d.writer for d in held})[0]]
    canvas = next(benchmark_drawings(digits[:1], seed))[4]
    answer_times(predictor, canvas, 1.0)  # warm up
    idle = answer_times(predictor, canvas, 8.0)
    with tempfile.TemporaryDirectory() as tmp:
        folder = pathlib.Path(tmp) / "drawings"
        x, y = pen_set(digits[:40], seed=seed, processes=1, with_strokes=True).arrays()
        for i, (img, label) in enumerate(zip(x, y)):
            (folder / str(label)).mkdir(parents=True, exist_ok=True)
            import cv2
            cv2.imwrite(str(folder / str(label) / f"{i}.png"), img)
        command = fine_tune_command(arch, ["--images", str(folder)], pathlib.Path(tmp) / "out.pt")
        proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(4.0)  # past start-up, into the training steps
        busy = answer_times(predictor, canvas, 8.0)
        still_running = proc.poll() is None
        proc.wait()
    p50 = lambda t: float(np.percentile(t, 50)) * 1000  # noqa: E731
    p90 = lambda t: float(np.percentile(t, 90)) * 1000  # noqa: E731
    return {"idle_p50_ms": p50(idle), "idle_p90_ms": p90(idle), "busy_p50_ms": p50(busy), "busy_p90_ms": p90(busy),
            "ratio_p50": p50(busy) / p50(idle), "fine_tune_still_running_at_end": still_running}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", nargs="+", choices=["cnn", "mlp"], default=["cnn", "mlp"])
    parser.add_argument("--pen-data", default=default_pen_path())
    parser.add_argument("--per-digit", type=int, default=2)
    parser.add_argument("--writers", type=int, help="only the first N held-out writers")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skip-latency", action="store_true")
    parser.add_argument("--timing-only", action="store_true", help="only the job times and the answer latency")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    try:
        _, held = split_by_writer(load_pen_digits(args.pen_data))
        replay = load_replay()
    except DataError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    results = {}
    for arch in args.arch:
        r = {} if args.timing_only else per_writer(arch, held, replay, args.per_digit, args.seed, args.writers)
        if r:
            print(f"{arch.upper()}: {r['writers']} writers, mean {r['mean_before']:.2%} -> {r['mean_after']:.2%}, "
                  f"worst {r['worst_before']:.2%} -> {r['worst_after']:.2%}, complete writers' mean after "
                  f"{r['complete_mean_after']:.2%}; worse after: {r['worse_after'] or 'none'}; "
                  f"MNIST test after, worst writer: {r['mnist_after_worst']:.2%}; "
                  f"fine-tune {r['seconds_mean']:.1f} s mean, {r['seconds_max']:.1f} s max", flush=True)
            print(f"  less the drawings of digits a person cannot read as their label: mean {r['mean_before_readable']:.2%} -> "
                  f"{r['mean_after_readable']:.2%}; worse after: {r['worse_after_readable'] or 'none'}", flush=True)
            if "mean_before_pen" in r:
                print(f"  with the pen network reading how each digit was written (as the app reads the canvas): mean "
                      f"{r['mean_before_pen']:.2%} -> {r['mean_after_pen']:.2%} (worst after {r['worst_after_pen']:.2%}); "
                      f"worse after: {r['worse_after_pen'] or 'none'}; with the memory too, after "
                      f"{r['mean_after_pen_with_memory']:.2%}, worse than before: {r['worse_after_pen_with_memory'] or 'none'}", flush=True)
            print(f"  with the memory of the drawings learned from: before {r['mean_before_with_memory']:.2%}, "
                  f"after {r['mean_after_with_memory']:.2%} (complete writers {r['complete_mean_after_with_memory']:.2%}); "
                  f"worse than without it: {r['worse_before_with_memory'] or 'none'} / {r['worse_after_with_memory'] or 'none'}; "
                  f"worse than before the fine-tune: {r['worse_with_memory_than_before'] or 'none'}; "
                  f"one digit's drawings alone: {r['mean_before_one_digit_memory']:.2%} / {r['mean_after_one_digit_memory']:.2%}, "
                  f"writers worse {r['worse_before_one_digit_memory'] or 'none'} / {r['worse_after_one_digit_memory'] or 'none'}; "
                  f"MNIST test with a writer's memory, worst: {r['mnist_with_memory_worst']:.2%}; drawings set aside: "
                  f"{r['memory_dropped_before']} / {r['memory_dropped_after']} of {sum(row['train'] for row in r['rows'])}", flush=True)
        for n in (20, 50):
            r[f"job_seconds_{n}"] = job_seconds(arch, held, replay, n, args.seed)
            print(f"  {arch.upper()} whole job (check + fine-tune) on {n} drawings: {r[f'job_seconds_{n}']:.1f} s", flush=True)
        if not args.skip_latency:
            r["latency"] = latency_under_fine_tune(arch, held, args.seed)
            lat = r["latency"]
            print(f"  {arch.upper()} answering a drawing: idle p50 {lat['idle_p50_ms']:.1f} ms, during a fine-tune "
                  f"p50 {lat['busy_p50_ms']:.1f} ms ({lat['ratio_p50']:.2f}x), p90 {lat['idle_p90_ms']:.1f} -> "
                  f"{lat['busy_p90_ms']:.1f} ms", flush=True)
        results[arch] = r
    if args.json:
        print(json.dumps(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
