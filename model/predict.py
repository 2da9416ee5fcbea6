"""Top-k predictions for a preprocessed tensor, and a CLI for image files.

    python -m model.predict IMAGE... [--arch cnn] [--weights PATH]
    python -m model.predict --number IMAGE...     # a written number: the digits and each one's top-3
"""

from __future__ import annotations

import argparse
import os
import pathlib
import sys

import numpy as np
import torch

from preprocessing.trajectory import FEATURES, LENGTH, STROKE_STARTS

from .networks import fold_batch_norms, fold_pen_norms, one_path_forward, pen_forward, single_image_forward
from .weights import WeightsError, default_weights_dir, load_weights

#: The most strokes the pen network reads a digit in, for weights that do not say (max_strokes in the
#: metadata: the most any training writer used for one digit, 6).
DEFAULT_MAX_STROKES = 6

#: The "not sure" threshold for weights that do not carry their own (unsure_below in the metadata).
DEFAULT_UNSURE_BELOW = 0.6


class PenReader:
    """The pen network (model.networks.PenNet) with its temperature: calibrated probabilities for a pen path."""

    def __init__(self, model: torch.nn.Module, metadata: dict):
        self.model = fold_pen_norms(model)
        self._forward = pen_forward(model)  # for batches
        self._one = one_path_forward(model)  # for one drawing at a time
        self.metadata = metadata
        self.temperature = float(metadata.get("temperature", 1.0))
        self.length, self.features = int(metadata.get("length", LENGTH)), int(metadata.get("features", FEATURES))
        self.max_strokes = int(metadata.get("max_strokes", DEFAULT_MAX_STROKES))

    @torch.inference_mode()
    def probabilities_of(self, sequences: np.ndarray | torch.Tensor) -> np.ndarray:
        """Calibrated probabilities (N, 10) for pen paths (N, LENGTH, FEATURES) (preprocessing.trajectory).

        A path of more strokes than any training writer wrote a digit with (`max_strokes`) is a
        sketch, or a picture traced in pieces: its order says little, so the answer there is flat
        (0.1 each), which leaves the image network's answer as it is (combine()).
        """
        x = torch.as_tensor(sequences, dtype=torch.float32)
        if x.ndim != 3 or x.shape[1:] != (self.length, self.features):
            raise ValueError(f"Expected pen paths of shape (N, {self.length}, {self.features}), got {tuple(x.shape)}.")
        probs = torch.softmax(self._forward(x) / self.temperature, dim=1).numpy()
        sketched = x[:, :, STROKE_STARTS].sum(dim=1).numpy() > self.max_strokes
        probs[sketched] = 0.1
        return probs

    def probabilities(self, sequence: np.ndarray | torch.Tensor) -> np.ndarray:
        """Calibrated probabilities (10,) for one pen path (LENGTH, FEATURES), as probabilities_of() gives them."""
        x = np.asarray(sequence, dtype=np.float32)
        if x.shape != (self.length, self.features):
            raise ValueError(f"Expected a pen path of shape ({self.length}, {self.features}), got {x.shape}.")
        if x[:, STROKE_STARTS].sum() > self.max_strokes:  # a sketch: see probabilities_of()
            return np.full(10, 0.1, np.float32)
        logits = self._one(x) / self.temperature
        e = np.exp(logits - logits.max())
        return e / e.sum()


#: Where the image network is at least this sure, its answer stands and the pen network is not asked: to
#: turn it, the pen network would have to put odds of 999 to 1 against it. Most drawings (about 80% of
#: the real-pen benchmark's) are that clear, and skipping them saves the pen network's time.
IMAGE_SURE_ENOUGH = 0.999


def image_is_sure(image: np.ndarray) -> np.ndarray | bool:
    """True where the image network's top probability (of (..., 10)) needs no second witness."""
    return image.max(axis=-1) >= IMAGE_SURE_ENOUGH


def combine(image: np.ndarray, pen: np.ndarray) -> np.ndarray:
    """The image network's and the pen network's probabilities (..., 10) together: their product, renormalised,
    except where the image network is sure enough alone (image_is_sure()), which keeps its own.

    Each is calibrated on its own; multiplying treats them as two witnesses of
    the same digit, so where one is flat (a path it cannot read: a scribble, a
    digit drawn in pieces) the other decides, and where both lean the same way
    the answer is surer.
    """
    product = image * pen
    product = product / np.clip(product.sum(axis=-1, keepdims=True), 1e-30, None)
    return np.where(np.expand_dims(image_is_sure(image), -1), image, product)


class Predictor:
    """A trained network with its metadata; call predict() on preprocess()'s tensor.

    With a pen network (`pen`, a PenReader) and a drawing's pen path (preprocess()'s
    `result.pen`), the answer weighs how the digit was written too (combine()).
    """

    def __init__(self, model: torch.nn.Module, metadata: dict, pen: PenReader | None = None, pen_problem: str | None = None):
        self.model = fold_batch_norms(model)  # for batches
        self._forward = single_image_forward(model)  # for one drawing at a time
        self.metadata = metadata
        self.arch = metadata.get("arch", type(model).__name__.lower())
        self.temperature = float(metadata.get("temperature", 1.0))
        self.unsure_below = float(metadata.get("unsure_below", DEFAULT_UNSURE_BELOW))
        self.pen, self.pen_problem = pen, pen_problem

    @torch.inference_mode()
    def image_probabilities(self, tensor: np.ndarray | torch.Tensor) -> np.ndarray:
        """The image network's calibrated class probabilities (10,) for one (1, 28, 28) or (28, 28) standardized image."""
        x = torch.as_tensor(tensor, dtype=torch.float32)
        if x.shape[-2:] != (28, 28) or x.numel() != 784:
            raise ValueError(f"Expected a (1, 28, 28) tensor, got shape {tuple(x.shape)}.")
        logits = self._forward(x.reshape(1, 1, 28, 28))[0]
        return torch.softmax(logits / self.temperature, dim=0).numpy()

    def asks_pen(self, tensor: np.ndarray | torch.Tensor, pen: np.ndarray | None) -> bool:
        """Whether predict(tensor, pen) weighs the pen path: there is one and a pen network, and the image
        network alone is not sure enough (image_is_sure())."""
        return pen is not None and self.pen is not None and not image_is_sure(self.image_probabilities(tensor))

    def turned_by_pen(self, tensor: np.ndarray | torch.Tensor, pen: np.ndarray | None) -> tuple[int, float, int] | None:
        """Where weighing the pen path `pen` changed the answer: the image network's own (digit, probability)
        and the digit with the pen, so a person can see what the picture alone says; else None."""
        if pen is None or self.pen is None:
            return None
        alone = self.image_probabilities(tensor)
        digit, written = int(alone.argmax()), int(self.with_pen(alone, pen).argmax())
        return None if written == digit else (digit, float(alone[digit]), written)

    def with_pen(self, probs: np.ndarray, pen: np.ndarray | None) -> np.ndarray:
        """`probs` combined with the pen network's reading of the pen path `pen`; as they are without either."""
        if pen is None or self.pen is None or image_is_sure(probs):
            return probs
        return combine(probs, self.pen.probabilities(pen))

    def probabilities(self, tensor: np.ndarray | torch.Tensor, pen: np.ndarray | None = None) -> np.ndarray:
        """Calibrated class probabilities (10,): of the image alone, or with its pen path when given."""
        return self.with_pen(self.image_probabilities(tensor), pen)

    def predict(self, tensor: np.ndarray | torch.Tensor, pen: np.ndarray | None = None) -> list[tuple[int, float]]:
        """All ten (digit, probability) pairs, most probable first (with the pen path `pen` weighed, when given)."""
        probs = self.probabilities(tensor, pen)
        return [(int(d), float(probs[d])) for d in np.argsort(-probs, kind="stable")]

    def is_unsure(self, ranked: list[tuple[int, float]]) -> bool:
        """True when the top calibrated probability is under the threshold chosen at training time.

        The threshold was set on held-out data so that few real digits fall under
        it while most scribbles, letters and shapes do.
        """
        return ranked[0][1] < self.unsure_below


def load_pen_reader(weights_dir: str | os.PathLike | None = None) -> PenReader:
    """The pen network in weights_dir/pen.pt (default: default_weights_dir()). WeightsError says what is wrong."""
    model, metadata = load_weights(pathlib.Path(weights_dir or default_weights_dir()) / "pen.pt", "pen")
    return PenReader(model, metadata)


def load_predictor(arch: str = "cnn", weights_dir: str | os.PathLike | None = None, weights: str | os.PathLike | None = None,
                   pen: bool = True) -> Predictor:
    """`arch` weights as a Predictor: the file `weights`, else weights_dir/<arch>.pt, else
    default_weights_dir()/<arch>.pt. WeightsError says what is wrong.

    With `pen`, the pen network beside them (weights_dir/pen.pt, or the default folder's for a file
    of `weights`) reads drawings' pen paths too; where it cannot be loaded, the predictor reads
    images alone and `pen_problem` says why.
    """
    path = pathlib.Path(weights) if weights else pathlib.Path(weights_dir or default_weights_dir()) / f"{arch}.pt"
    model, metadata = load_weights(path, arch)
    reader, problem = None, None
    if pen:
        try:
            reader = load_pen_reader(None if weights else weights_dir)
        except WeightsError as e:
            problem = str(e)
    return Predictor(model, metadata, reader, problem)


def main(argv: list[str] | None = None) -> int:
    from preprocessing import preprocess
    from preprocessing.decode import load_image

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("images", nargs="+", metavar="IMAGE")
    parser.add_argument("--arch", choices=["cnn", "mlp"], default="cnn")
    parser.add_argument("--weights", help="default: weights/<arch>.pt")
    parser.add_argument("--top", type=int, default=3)
    parser.add_argument("--number", action="store_true", help="each image is a written number of several digits")
    args = parser.parse_args(argv)
    try:
        predictor = load_predictor(args.arch, weights=args.weights)
    except WeightsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    status = 0
    if args.number:
        from .number import read_number

        for path in args.images:
            try:
                reading = read_number(load_image(pathlib.Path(path)), predictor)
            except ValueError as e:
                print(f"{path}: {e}")
                status = 1
                continue
            print(f"{path}: {reading.number}" + ("" if reading.number == reading.best_guess else f" (best guess {reading.best_guess})"))
            for i, d in enumerate(reading.digits, 1):
                verdict = "not sure: " if d.unsure else ""
                print(f"  digit {i}: {verdict}" + "  ".join(f"{g} ({p:.1%})" for g, p in d.ranked[: args.top]))
        return status
    for path in args.images:
        try:
            ranked = predictor.predict(preprocess(load_image(pathlib.Path(path))).tensor)
        except ValueError as e:
            print(f"{path}: {e}")
            status = 1
            continue
        verdict = "not sure: " if predictor.is_unsure(ranked) else ""
        print(f"{path}: {verdict}" + "  ".join(f"{d} ({p:.1%})" for d, p in ranked[: args.top]))
    return status


if __name__ == "__main__":
    sys.exit(main())
