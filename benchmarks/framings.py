"""Framings benchmark: MNIST test digits saved the ways other people's digit images come.

    python benchmarks/framings.py [--arch cnn mlp] [--n 2000] [--data-dir D] [--json]

Digits from other corpora and other apps do not come as our canvas gives them:
scans cropped tight to the ink (a stroke then runs along the whole edge),
dark ink on light paper, 16x16 crops stretched to fill the square (as USPS's),
a transparent PNG, gray paper with noise saved as JPEG, a digit off in a corner
of a page. Each of the first n MNIST test digits is saved in each framing as a
file (PNG, or JPEG where said), read back with the app's decoder and sent
through preprocess() and the model, exactly as `model.evaluate --images` does.
The first row, MNIST as it is, is the reference: a framing that reads much
worse is a step of the pipeline that mistakes it for something else. The
digits themselves are MNIST's, so this measures framing, not handwriting
(benchmarks/real_pen.py does that). Fixed seeds: the same images every run.
"""

from __future__ import annotations

import argparse
import io
import json
import pathlib
import sys

import cv2
import numpy as np
from PIL import Image

ROOT = pathlib.Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def tight(digit: np.ndarray) -> np.ndarray:
    """The digit cropped to its ink's bounding box."""
    ys, xs = np.nonzero(digit > 30)
    return digit[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]


def tall(digit: np.ndarray, height: int) -> np.ndarray:
    """Scaled to `height` pixels tall, keeping its aspect."""
    f = height / digit.shape[0]
    return cv2.resize(digit, (max(1, round(digit.shape[1] * f)), height), interpolation=cv2.INTER_AREA if f < 1 else cv2.INTER_CUBIC)


def on_paper(digit: np.ndarray, rng: np.random.Generator, paper: float = 235, contrast: float = 0.75, noise: float = 4) -> np.ndarray:
    """White-on-black `digit` as dark ink on gray paper with sensor noise."""
    return np.clip(paper - digit.astype(float) * contrast + rng.normal(0, noise, digit.shape), 0, 255).astype(np.uint8)


#: name -> (how the white-on-black 28x28 MNIST digit becomes an image, file format)
FRAMINGS = {
    "MNIST 28x28, as it is": (lambda d, rng: d, "PNG"),
    "dark on light 28x28": (lambda d, rng: 255 - d, "PNG"),
    "scaled x10, 280x280": (lambda d, rng: tall(d, 280), "PNG"),
    "transparent PNG, ink in alpha": (lambda d, rng: np.dstack([np.zeros_like(tall(d, 280))] * 3 + [tall(d, 280)]), "PNG"),
    "cropped tight, 64 px tall": (lambda d, rng: tall(tight(d), 64), "PNG"),
    "cropped tight, 32 px, dark on light": (lambda d, rng: 255 - tall(tight(d), 32), "PNG"),
    "cropped tight, 64 px, dark on light": (lambda d, rng: 255 - tall(tight(d), 64), "PNG"),
    "cropped tight, 128 px, dark on light": (lambda d, rng: 255 - tall(tight(d), 128), "PNG"),
    "16x16 stretched to fill (USPS-like)": (lambda d, rng: cv2.resize(tight(d), (16, 16), interpolation=cv2.INTER_AREA), "PNG"),
    "16x16 stretched, dark on light": (lambda d, rng: 255 - cv2.resize(tight(d), (16, 16), interpolation=cv2.INTER_AREA), "PNG"),
    "scan: gray paper, noise, 4 px margin": (lambda d, rng: on_paper(np.pad(tall(tight(d), 80), 4), rng), "PNG"),
    "photo: dim paper, faint ink, JPEG q60": (lambda d, rng: on_paper(tall(d, 168), rng, paper=200, contrast=0.6, noise=6), "JPEG"),
    "low contrast, 112x112": (lambda d, rng: (150 - tall(d, 112).astype(float) * 0.25).astype(np.uint8), "PNG"),
    "corner of a 400x330 page": (lambda d, rng: 255 - np.pad(tall(d, 112), ((10, 208), (270, 18))), "PNG"),
    "blue ink, RGB": (lambda d, rng: np.dstack([255 - tall(d, 224) // 2] * 2 + [np.full((224, 224), 255, np.uint8)]), "PNG"),
}


def as_file(image: np.ndarray, fmt: str) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, fmt, **({"quality": 60} if fmt == "JPEG" else {}))
    return buffer.getvalue()


def main() -> None:
    from model import load_predictor
    from preprocessing import preprocess
    from preprocessing.decode import decode_image
    from sources.mnist import default_data_dir, load_mnist

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", nargs="+", choices=["cnn", "mlp"], default=["cnn", "mlp"])
    parser.add_argument("--weights-dir", help="default: the shipped weights/")
    parser.add_argument("--n", type=int, default=2000, help="test digits (the first n)")
    parser.add_argument("--data-dir", default=default_data_dir())
    parser.add_argument("--json", action="store_true", help="end with one JSON line of the results")
    args = parser.parse_args()

    images, labels = load_mnist(args.data_dir, "test")
    images, labels = images[: args.n], labels[: args.n]
    predictors = {arch: load_predictor(arch, args.weights_dir) for arch in args.arch}
    results = {arch: {} for arch in args.arch}
    print(f"{len(images)} MNIST test digits in each framing; accuracy per network")
    print(f"  {'framing':<40}" + "".join(f"{arch.upper():>9}" for arch in args.arch))
    for k, (name, (frame, fmt)) in enumerate(FRAMINGS.items()):
        rng = np.random.default_rng(k)
        hits = {arch: 0 for arch in args.arch}
        unreadable = 0
        for digit, label in zip(images, labels):
            try:
                tensor = preprocess(decode_image(as_file(frame(digit, rng), fmt))).tensor
            except ValueError:  # blank after decoding: counted wrong
                unreadable += 1
                continue
            for arch, predictor in predictors.items():
                hits[arch] += predictor.predict(tensor)[0][0] == int(label)
        for arch in args.arch:
            results[arch][name] = {"accuracy": hits[arch] / len(images), "n": len(images), "unreadable": unreadable}
        print(f"  {name:<40}" + "".join(f"{hits[arch] / len(images):>9.2%}" for arch in args.arch), flush=True)
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    from sources import DataError

    try:
        main()
    except DataError as e:  # MNIST is not there: say so, no traceback
        sys.exit(f"error: {e}")
