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

from .networks import fold_batch_norms, single_image_forward
from .weights import WeightsError, default_weights_dir, load_weights

#: The "not sure" threshold for weights that do not carry their own (unsure_below in the metadata).
DEFAULT_UNSURE_BELOW = 0.6


class Predictor:
    """A trained network with its metadata; call predict() on preprocess()'s tensor."""

    def __init__(self, model: torch.nn.Module, metadata: dict):
        self.model = fold_batch_norms(model)  # for batches
        self._forward = single_image_forward(model)  # for one drawing at a time
        self.metadata = metadata
        self.arch = metadata.get("arch", type(model).__name__.lower())
        self.temperature = float(metadata.get("temperature", 1.0))
        self.unsure_below = float(metadata.get("unsure_below", DEFAULT_UNSURE_BELOW))

    @torch.inference_mode()
    def probabilities(self, tensor: np.ndarray | torch.Tensor) -> np.ndarray:
        """Calibrated class probabilities (10,) for one (1, 28, 28) or (28, 28) standardized image."""
        x = torch.as_tensor(tensor, dtype=torch.float32)
        if x.shape[-2:] != (28, 28) or x.numel() != 784:
            raise ValueError(f"Expected a (1, 28, 28) tensor, got shape {tuple(x.shape)}.")
        logits = self._forward(x.reshape(1, 1, 28, 28))[0]
        return torch.softmax(logits / self.temperature, dim=0).numpy()

    def predict(self, tensor: np.ndarray | torch.Tensor) -> list[tuple[int, float]]:
        """All ten (digit, probability) pairs, most probable first."""
        probs = self.probabilities(tensor)
        return [(int(d), float(probs[d])) for d in np.argsort(-probs, kind="stable")]

    def is_unsure(self, ranked: list[tuple[int, float]]) -> bool:
        """True when the top calibrated probability is under the threshold chosen at training time.

        The threshold was set on held-out data so that few real digits fall under
        it while most scribbles, letters and shapes do.
        """
        return ranked[0][1] < self.unsure_below


def load_predictor(arch: str = "cnn", weights_dir: str | os.PathLike | None = None, weights: str | os.PathLike | None = None) -> Predictor:
    """`arch` weights as a Predictor: the file `weights`, else weights_dir/<arch>.pt, else
    default_weights_dir()/<arch>.pt. WeightsError says what is wrong."""
    path = pathlib.Path(weights) if weights else pathlib.Path(weights_dir or default_weights_dir()) / f"{arch}.pt"
    model, metadata = load_weights(path, arch)
    return Predictor(model, metadata)


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
