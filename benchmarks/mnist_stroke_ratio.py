"""Measure MNIST's stroke width / digit extent ratio and centre of mass.

These two numbers are constants in preprocessing/steps.py (MNIST_STROKE_RATIO,
MNIST_CENTRE); this script is how they were found. Each digit is enlarged 10x
(bicubic) so the stroke width can be measured to a fraction of an MNIST pixel.

    python benchmarks/mnist_stroke_ratio.py [--data-dir DIR] [--n 3000]
"""

import argparse
import pathlib
import sys

import cv2
import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
from sources.mnist import default_data_dir, load_mnist  # noqa: E402
from preprocessing.steps import centre_of_mass, estimate_stroke_width  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data-dir", default=default_data_dir())
    parser.add_argument("--n", type=int, default=3000, help="training digits to sample")
    args = parser.parse_args()

    images, _ = load_mnist(args.data_dir, "train")
    rng = np.random.default_rng(0)
    ratios, centres = [], []
    for i in rng.choice(len(images), args.n, replace=False):
        centres.append(centre_of_mass(images[i]))
        big = cv2.resize(images[i], (280, 280), interpolation=cv2.INTER_CUBIC)
        ys, xs = np.nonzero(big > 127)
        extent = max(np.ptp(ys), np.ptp(xs)) + 1
        ratios.append(estimate_stroke_width(big) / extent)
    ratios = np.array(ratios)
    print(f"stroke width / extent: median {np.median(ratios):.3f}, "
          f"10th-90th percentile {np.percentile(ratios, 10):.3f}-{np.percentile(ratios, 90):.3f}")
    print("centre of mass (row, col): mean %.2f, %.2f" % tuple(np.mean(centres, axis=0)))


if __name__ == "__main__":
    from sources import DataError

    try:
        main()
    except DataError as e:  # MNIST or the pen data is not there: say so, no traceback
        sys.exit(f"error: {e}")
