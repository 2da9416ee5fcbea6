"""Score a trained network on MNIST's test split or on a folder of drawings.

    python -m model.evaluate --arch cnn --mnist DIR [--weights PATH] [--json]
    python -m model.evaluate --arch cnn --images DIR [--weights PATH] [--json]
    python -m model.evaluate --arch cnn --numbers DIR [--weights PATH] [--json]

--images reads DIR/<digit>/*.png|jpg|jpeg|bmp|webp|gif|tif|tiff|pgm|ppm|pnm and sends every image
through the same preprocess() as the app, whatever its size or polarity.
With --json the last line printed is one JSON object: accuracy, n,
per_class, confusion (rows: true digit, columns: predicted), and failures.
--numbers reads DIR/<the number>/*.png (DIR/2026/a.png is a drawing of 2026;
DIR/12.50/ and DIR/1,000/ hold numbers written with a decimal point or comma),
each segmented into digits (model/number.py); its JSON has exact (share of
whole numbers read right, points and commas too), digit_accuracy (digits
right, where the count of digits was right), segmentation_errors (share with
the wrong count of digits), n and failures.
"""

from __future__ import annotations

import argparse
import json
import pathlib
import re
import sys

import numpy as np
import torch

from preprocessing import MNIST_MEAN, MNIST_STD, preprocess_canvas
from preprocessing.decode import load_image
from sources.user import folder_strokes, image_files, image_folder


@torch.inference_mode()
def logits_of(model: torch.nn.Module, x: torch.Tensor, batch_size: int = 1000) -> torch.Tensor:
    """Logits for a batch of unit-range images (N, 1, 28, 28), standardized here, in eval mode."""
    model.eval()
    x = (x - MNIST_MEAN) / MNIST_STD
    return torch.cat([model(x[i : i + batch_size]) for i in range(0, len(x), batch_size)])


def score(true: np.ndarray, predicted: np.ndarray) -> dict:
    """accuracy, n, per-class accuracy and the 10x10 confusion matrix (rows: true digit)."""
    confusion = np.zeros((10, 10), dtype=int)
    np.add.at(confusion, (true, predicted), 1)
    per_class = {
        str(d): (float(confusion[d, d] / confusion[d].sum()) if confusion[d].sum() else None) for d in range(10)
    }
    n = int(len(true))
    return {
        "accuracy": float((true == predicted).mean()) if n else 0.0,
        "n": n,
        "per_class": per_class,
        "confusion": confusion.tolist(),
    }


def evaluate_images(predictor, root: pathlib.Path) -> dict:
    """Score `predictor` on root/<digit>/ images, each through preprocess() (with its canvas strokes
    when a drawings.json beside them, as the app's export writes, has them; the pen network, where
    `predictor` has one, then reads how each was written, as the app does)."""
    true, predicted, failures, unreadable = [], [], [], []
    strokes = folder_strokes(root)
    for path, digit in image_folder(root):
        try:
            result = preprocess_canvas(load_image(path), strokes.get(path))
        except ValueError as e:  # blank or unreadable: counted wrong, and listed
            unreadable.append({"path": str(path), "error": str(e)})
            true.append(digit)
            predicted.append(-1)
            continue
        guess = predictor.predict(result.tensor, pen=result.pen)[0][0]  # as the app reads it
        true.append(digit)
        predicted.append(guess)
        if guess != digit:
            failures.append({"path": str(path), "true": digit, "predicted": guess})
    true_a, pred_a = np.array(true, dtype=int), np.array(predicted, dtype=int)
    ok = pred_a >= 0
    result = score(true_a[ok], pred_a[ok])
    result["n"] = len(true)
    result["accuracy"] = float((true_a == pred_a).mean()) if len(true) else 0.0
    result["failures"] = failures
    result["unreadable"] = unreadable
    return result


def number_folder(root: pathlib.Path) -> list[tuple[pathlib.Path, str]]:
    """(path, number) for every image under root/<number>/ (digits, maybe with points and commas between them), sorted."""
    return [(p, folder.name) for folder in sorted(root.iterdir())
            if folder.is_dir() and re.fullmatch(r"\d+([.,]\d+)*", folder.name) for p in image_files(folder)]


def digits_of(number: str) -> str:
    """A number as read or written, less its points and commas."""
    return number.replace(".", "").replace(",", "")


def evaluate_numbers(predictor, root: pathlib.Path) -> dict:
    """Score `predictor` on root/<number>/ images of written numbers."""
    from .number import read_number

    exact = counted_right = digits_right = digits_counted = 0
    failures = []
    found = number_folder(root)
    for path, truth in found:
        try:
            read = read_number(load_image(path), predictor).best_guess
        except ValueError as e:
            read = ""
            failures.append({"path": str(path), "true": truth, "read": None, "error": str(e)})
        exact += read == truth
        if len(digits_of(read)) == len(digits_of(truth)):
            counted_right += 1
            digits_counted += len(digits_of(truth))
            digits_right += sum(a == b for a, b in zip(digits_of(read), digits_of(truth)))
        if read != truth and read:
            failures.append({"path": str(path), "true": truth, "read": read})
    n = len(found)
    return {"exact": exact / n if n else 0.0, "digit_accuracy": digits_right / digits_counted if digits_counted else 0.0,
            "segmentation_errors": (n - counted_right) / n if n else 0.0, "n": n, "failures": failures}


def main(argv: list[str] | None = None) -> int:
    from sources import DataError
    from sources.mnist import download, load_mnist
    from .predict import load_predictor
    from .weights import WeightsError

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["cnn", "mlp"], required=True)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--mnist", metavar="DIR", help="folder with the MNIST IDX files: score the test split")
    source.add_argument("--images", metavar="DIR", help="folder laid out DIR/<digit>/*.png|jpg")
    source.add_argument("--numbers", metavar="DIR", help="folder laid out DIR/<the number>/*.png|jpg")
    parser.add_argument("--weights", help="default: weights/<arch>.pt")
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the results")
    parser.add_argument("--download", action="store_true", help="with --mnist: first fetch MNIST into DIR (needs internet)")
    parser.add_argument("--no-verify", action="store_true", help="skip the MNIST checksum check")
    args = parser.parse_args(argv)

    try:
        predictor = load_predictor(args.arch, weights=args.weights)
        if args.mnist:
            if args.download:
                download(args.mnist)
            images, labels = load_mnist(args.mnist, "test", verify=not args.no_verify)
            logits = logits_of(predictor.model, torch.from_numpy(images).float().div(255).unsqueeze(1))
            result = score(labels, logits.argmax(1).numpy())
        elif args.numbers:
            root = pathlib.Path(args.numbers)
            if not root.is_dir() or not number_folder(root):
                parser.error(f"no images found under {root}/<number>/ (expected e.g. {root}/2026/my_year.png)")
            result = evaluate_numbers(predictor, root)
            print(f"{args.arch.upper()}: {result['exact']:.2%} of {result['n']} numbers read exactly; digits "
                  f"{result['digit_accuracy']:.2%}; wrong digit count {result['segmentation_errors']:.2%}")
            if args.json:
                print(json.dumps(result))
            return 0
        else:
            root = pathlib.Path(args.images)
            if not image_folder(root):
                parser.error(f"no images found under {root}/<digit>/ (expected e.g. {root}/7/my_seven.png)")
            result = evaluate_images(predictor, root)
    except (WeightsError, DataError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(f"{args.arch.upper()}: {result['accuracy']:.2%} of {result['n']} correct")
    for digit, acc in result["per_class"].items():
        print(f"  {digit}: " + ("-" if acc is None else f"{acc:.2%}"))
    if args.json:
        print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
