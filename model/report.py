"""Where a model goes wrong: accuracy, per-class accuracy, confusion and reliability, on one set of digits.

    python -m model.report --arch cnn [--mnist DIR] [--pen-data P] [--weights PATH] [--store]

report() scores calibrated probabilities against labels. With --store the
reports on MNIST's test split and on the real-pen benchmark (the held-out
writers' digits as benchmarks/real_pen.py draws them) are written into the
weights file's metadata (state dict untouched, written atomically), so the
app's Models page can show them on a machine that has neither data set.
"""

from __future__ import annotations

import argparse
import datetime
import sys

import numpy as np
import torch

RELIABILITY_BINS = 10


def report(probabilities: np.ndarray, labels: np.ndarray) -> dict:
    """accuracy, n, per_class, confusion (rows: true digit) and reliability bins of (N, 10) probabilities.

    reliability: for each of RELIABILITY_BINS equal-width bins of the top
    probability, how many answers fell in it, their mean confidence and their
    accuracy; ece is the count-weighted mean gap between the two.
    """
    probabilities = np.asarray(probabilities, dtype=np.float64)
    labels = np.asarray(labels, dtype=int)
    predicted = probabilities.argmax(1)
    confidence = probabilities.max(1)
    confusion = np.zeros((10, 10), int)
    np.add.at(confusion, (labels, predicted), 1)
    per_class = [float(confusion[d, d] / confusion[d].sum()) if confusion[d].sum() else None for d in range(10)]
    edges = np.linspace(0, 1, RELIABILITY_BINS + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, RELIABILITY_BINS - 1)
    bins, ece = [], 0.0
    for b in range(RELIABILITY_BINS):
        inside = which == b
        n = int(inside.sum())
        conf = float(confidence[inside].mean()) if n else None
        acc = float((predicted[inside] == labels[inside]).mean()) if n else None
        if n:
            ece += n / len(labels) * abs(acc - conf)
        bins.append({"low": float(edges[b]), "high": float(edges[b + 1]), "n": n, "confidence": conf, "accuracy": acc})
    return {"accuracy": float((predicted == labels).mean()) if len(labels) else 0.0, "n": int(len(labels)),
            "per_class": per_class, "confusion": confusion.tolist(), "reliability": bins, "ece": float(ece)}


def writer_interval(writers, hits, resamples: int = 2000, seed: int = 0) -> tuple[float, float]:
    """The 95% interval of the share of `hits` (one per drawing or number) with other writers: the
    writers (one per hit) drawn again with replacement, `resamples` times with a fixed `seed`, their
    hits pooled. One writer's drawings share his habits, so they are not independent: this says how
    far a figure could move with as many other writers, which a standard error over drawings understates."""
    totals: dict = {}
    for writer, hit in zip(writers, hits):
        right, n = totals.get(writer, (0, 0))
        totals[writer] = (right + bool(hit), n + 1)
    if not totals:
        raise ValueError("no drawings to count")
    right, n = (np.array(v, float) for v in zip(*totals.values()))
    picks = np.random.default_rng(seed).integers(len(right), size=(resamples, len(right)))
    shares = right[picks].sum(1) / n[picks].sum(1)
    return float(np.percentile(shares, 2.5)), float(np.percentile(shares, 97.5))


@torch.inference_mode()
def probabilities_of(predictor, tensors: np.ndarray, batch_size: int = 1000) -> np.ndarray:
    """Calibrated probabilities (N, 10) for standardized tensors (N, 1, 28, 28)."""
    x = torch.as_tensor(tensors, dtype=torch.float32).reshape(-1, 1, 28, 28)
    out = [torch.softmax(predictor.model(x[i : i + batch_size]) / predictor.temperature, 1) for i in range(0, len(x), batch_size)]
    return torch.cat(out).numpy() if out else np.zeros((0, 10), np.float32)


def standardized(images: np.ndarray) -> np.ndarray:
    """uint8 (N, 28, 28) to the networks' standardized float32 input (N, 1, 28, 28)."""
    from preprocessing import MNIST_MEAN, MNIST_STD

    return ((images.astype(np.float32) / 255 - MNIST_MEAN) / MNIST_STD)[:, None]


def main(argv: list[str] | None = None) -> int:
    from sources import DataError
    from sources.mnist import default_data_dir, load_test
    from sources.pen import benchmark_set, default_pen_path, load_pen_digits, split_by_writer

    from .predict import load_predictor
    from .weights import WeightsError, default_weights_dir, load_weights, save_weights

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["cnn", "mlp"], required=True)
    parser.add_argument("--weights", help="default: weights/<arch>.pt")
    parser.add_argument("--mnist", default=default_data_dir(), help="MNIST folder (default: $MNIST_DIR)")
    parser.add_argument("--pen-data", default=default_pen_path(), help="DigiLeTs digits.json.gz (default: $DIGILETS)")
    parser.add_argument("--store", action="store_true", help="write the reports into the weights file's metadata")
    args = parser.parse_args(argv)
    path = args.weights or str(default_weights_dir() / f"{args.arch}.pt")
    try:
        predictor = load_predictor(args.arch, weights=path)
        test = load_test(args.mnist)
        reports = {"mnist_test": report(probabilities_of(predictor, standardized(test.images)), test.labels)}
        pen = benchmark_set(split_by_writer(load_pen_digits(args.pen_data))[1])
        reports["real_pen"] = report(probabilities_of(predictor, standardized(pen.images)), pen.labels)
    except (WeightsError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    for name, r in reports.items():
        print(f"{args.arch.upper()} {name}: {r['accuracy']:.2%} of {r['n']}, ECE {r['ece']:.4f}")
    if args.store:
        model, metadata = load_weights(path, args.arch)
        metadata["reports"] = {**reports, "measured": datetime.date.today().isoformat(),
                               "command": f"python -m model.report --arch {args.arch} --store"}
        save_weights(path, model, args.arch, metadata)
        print(f"stored in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
