"""A memory of one person's saved drawings, consulted beside the network: a correction counts at once.

    memory = Memory.of(predictor, images, labels)    # the person's 28x28 drawings and what each is
    mine = RememberingPredictor(predictor, memory)
    mine.predict(result.tensor)                     # as Predictor.predict, the memory's votes added
    mine.nearest(result.tensor)                     # (index into the memory, similarity) or None

The network answers from other people's handwriting. The memory keeps the
person's own drawings as the network sees them: the activations of its last
hidden layer, scaled to unit length. Each of the NEIGHBOURS saved drawings
most like a new one, at cosine similarity s, votes WEIGHT * exp((s - 1) /
WIDTH) for its label; the votes are added to the network's calibrated
probabilities and the sum is scaled back to 1. A saved drawing the new one
matches closely moves the answer towards what the person said it was (the
same drawing again: from a sure 7 to a 1 at two thirds, after "that was a
1"); a drawing unlike every saved one is answered by the network as before
(s of 0.6 gives a vote under 2% of WEIGHT; on the held-out writers, two
drawings of one digit by one writer are 0.95 alike at the median, of two
digits under 0.52 in 99 cases of 100), and counting the nearest few only
keeps many saved drawings' small votes from adding up. A saved drawing
that is another digit in everyone else's hand (an "A"-shaped 1 is a
closed-top 4) is set aside by within_forgetting() when other people's
held-out digits would read worse than a fine-tune (model/finetune.py) may
make them. It needs no training: a fine-tune then teaches the network itself.
WEIGHT and WIDTH were chosen on the held-out writers with seeds 1 and 2 of
benchmarks/personal.py, and measured once on seed 0 (README).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from .networks import single_image_forward
from .predict import Predictor
from preprocessing.steps import MNIST_MEAN, MNIST_STD

#: A saved drawing that the new one matches exactly adds this much to its label's probability
#: (before the sum is scaled back to 1).
WEIGHT = 2.0
#: How fast a vote falls off as the drawings differ: exp((s - 1) / WIDTH) for cosine similarity s.
WIDTH = 0.1
#: Only this many saved drawings, the most alike, vote.
NEIGHBOURS = 5


def embed(predictor: Predictor, images: np.ndarray) -> np.ndarray:
    """The unit-length last-hidden-layer activations (N, D) of uint8 28x28 images (N, 28, 28),
    white on black as preprocess() makes them."""
    return network_view(predictor, images)[1]


@dataclass(frozen=True)
class Memory:
    """Saved drawings as unit feature vectors (N, D) with their labels (N,), 0-9."""

    features: np.ndarray
    labels: np.ndarray

    @classmethod
    def of(cls, predictor: Predictor, images: np.ndarray, labels) -> Memory:
        """The memory of `images` (N, 28, 28 uint8) labelled `labels` (digits 0-9), seen by `predictor`."""
        labels = np.asarray(labels, np.int64).reshape(-1)
        if len(labels) != len(images):
            raise ValueError(f"{len(images)} images but {len(labels)} labels.")
        if ((labels < 0) | (labels > 9)).any():
            raise ValueError("A memory holds drawings of digits 0-9 only.")
        return cls(embed(predictor, images), labels)

    def __len__(self) -> int:
        return len(self.labels)

    def votes(self, features: np.ndarray) -> np.ndarray:
        """Each digit's vote (10,) for a unit feature vector (D,), the kernel weights of its saved
        drawings; or (N, 10) for N of them (N, D)."""
        features = np.asarray(features)
        if not len(self):
            return np.zeros(features.shape[:-1] + (10,))
        similarity = features @ self.features.T
        if len(self) > NEIGHBOURS:  # the NEIGHBOURS most alike of each row, however many tie
            nearest = np.argpartition(-similarity, NEIGHBOURS - 1, axis=-1)[..., :NEIGHBOURS]
            kept = np.full_like(similarity, -np.inf)
            np.put_along_axis(kept, nearest, np.take_along_axis(similarity, nearest, axis=-1), axis=-1)
            similarity = kept
        return WEIGHT * np.exp((similarity - 1.0) / WIDTH) @ np.eye(10)[self.labels]

    def blend(self, probabilities: np.ndarray, features: np.ndarray) -> np.ndarray:
        """The network's probabilities (10,) or (N, 10) with the memory's votes added, each row scaled
        back to sum to 1."""
        votes = self.votes(features)
        return (probabilities + votes) / (1.0 + votes.sum(axis=-1, keepdims=True))


def network_view(predictor: Predictor, images: np.ndarray, batch: int = 512) -> tuple[np.ndarray, np.ndarray]:
    """The calibrated probabilities (N, 10) and unit features (N, D) of uint8 28x28 images, in one pass."""
    forward = single_image_forward(predictor.model, features=True)
    last = [m for m in predictor.model.modules() if isinstance(m, torch.nn.Linear)][-1]
    probabilities, features = [torch.zeros(0, 10)], [torch.zeros(0, last.in_features)]
    with torch.inference_mode():
        for i in range(0, len(images), batch):
            x = torch.as_tensor(images[i : i + batch], dtype=torch.float32)[:, None] / 255.0
            hidden = forward((x - MNIST_MEAN) / MNIST_STD).flatten(1)
            probabilities.append(torch.softmax(last(hidden) / predictor.temperature, 1))
            features.append(torch.nn.functional.normalize(hidden, dim=1))
    return torch.cat(probabilities).numpy(), torch.cat(features).numpy()


def within_forgetting(memory: Memory, probabilities: np.ndarray, features: np.ndarray, labels: np.ndarray,
                      floor: float) -> tuple[Memory, np.ndarray]:
    """`memory` without the saved drawings that make other people's digits read under `floor`; and the
    indices of those dropped.

    Some people's style is another digit in everyone else's hand: an "A"-shaped 1 is a closed-top 4,
    so remembered as a 1 it turns 4s like it into 1s. `probabilities` and `features` are the
    network's view (network_view) of held-out digits by other people with their `labels`. While
    the memory reads them under `floor` (the app: the shipped network's accuracy on them less
    model.finetune's MAX_FORGETTING, so that a fine-tune and the memory together cost other people
    no more than a fine-tune may alone), the saved drawing that cast the largest vote for the most
    wrong answers goes.
    """
    keep = np.ones(len(memory), bool)
    while keep.any():
        kept = Memory(memory.features[keep], memory.labels[keep])
        answers = kept.blend(probabilities, features).argmax(1)
        if (answers == labels).mean() >= floor:
            break
        turned = (answers != labels) & (probabilities.argmax(1) == labels)  # wrong because of the memory
        if not turned.any():  # the network alone reads them as badly: the memory costs nothing
            break
        similarity = features[turned] @ kept.features.T
        voted_wrong = np.where(kept.labels[None, :] == answers[turned, None], similarity, -np.inf)
        blame = np.bincount(voted_wrong.argmax(1), minlength=len(kept))
        keep[np.flatnonzero(keep)[blame.argmax()]] = False
    return Memory(memory.features[keep], memory.labels[keep]), np.flatnonzero(~keep)


class RememberingPredictor:
    """A Predictor whose answers also weigh a person's saved drawings (see the module's docstring).

    It answers like the Predictor it wraps (predict, probabilities, is_unsure;
    model and metadata are the network's) and, with an empty memory, exactly as it.
    """

    def __init__(self, predictor: Predictor, memory: Memory):
        self.predictor, self.memory = predictor, memory
        self.model, self.metadata, self.arch = predictor.model, predictor.metadata, predictor.arch
        self.temperature, self.unsure_below = predictor.temperature, predictor.unsure_below
        self.pen, self.pen_problem = predictor.pen, predictor.pen_problem
        self._features = single_image_forward(predictor.model, features=True)
        self._last = [m for m in predictor.model.modules() if isinstance(m, torch.nn.Linear)][-1]

    @torch.inference_mode()
    def _view(self, tensor: np.ndarray | torch.Tensor) -> tuple[np.ndarray, np.ndarray]:
        """The calibrated probabilities (10,) and unit feature vector of one standardized (1, 28, 28)
        image, in one forward pass (a number's segmentation asks hundreds of times)."""
        x = torch.as_tensor(tensor, dtype=torch.float32)
        if x.shape[-2:] != (28, 28) or x.numel() != 784:
            raise ValueError(f"Expected a (1, 28, 28) tensor, got shape {tuple(x.shape)}.")
        hidden = self._features(x.reshape(1, 1, 28, 28)).flatten(1)
        probabilities = torch.softmax(self._last(hidden) / self.temperature, dim=1)
        return probabilities[0].numpy(), torch.nn.functional.normalize(hidden, dim=1)[0].numpy()

    def feature(self, tensor: np.ndarray | torch.Tensor) -> np.ndarray:
        """The unit feature vector of one standardized (1, 28, 28) image."""
        return self._view(tensor)[1]

    def probabilities(self, tensor: np.ndarray | torch.Tensor, pen: np.ndarray | None = None) -> np.ndarray:
        """As Predictor.probabilities (the pen path weighed when given), then the memory's votes added."""
        if not len(self.memory):
            return self.predictor.probabilities(tensor, pen)
        probs, feature = self._view(tensor)
        return self.memory.blend(self.predictor.with_pen(probs, pen), feature)

    def predict(self, tensor: np.ndarray | torch.Tensor, pen: np.ndarray | None = None) -> list[tuple[int, float]]:
        """All ten (digit, probability) pairs, most probable first, the memory's votes counted."""
        probs = self.probabilities(tensor, pen)
        return [(int(d), float(probs[d])) for d in np.argsort(-probs, kind="stable")]

    def is_unsure(self, ranked: list[tuple[int, float]]) -> bool:
        return self.predictor.is_unsure(ranked)

    def nearest(self, tensor: np.ndarray | torch.Tensor) -> tuple[int, float] | None:
        """(index into the memory, cosine similarity) of the saved drawing most like this one; None if empty."""
        if not len(self.memory):
            return None
        similarities = self.memory.features @ self.feature(tensor)
        best = int(np.argmax(similarities))
        return best, float(similarities[best])
