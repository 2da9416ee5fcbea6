"""Where digits come from: one module per source, every one handing out the same `Digits`.

    mnist      MNIST's four IDX files: training, held-out and test digits
    redrawn    MNIST digits re-drawn as canvas drawings (thinned, then drawn by a pen)
    pen        real pen-written digits (DigiLeTs trajectories) drawn by the canvas's pen, split by writer
    scribbles  things that are not digits: letters, shapes, random strokes
    user       a person's own drawings: a folder of images, or their drawings saved in the store

and two that the drawn sources share:

    canvas     the app's canvas and its pen, and the conditions (size, place, width, polarity) a drawing is made under
    styles     handwriting styles added to pen strokes before they are drawn

Training (model/train.py), fine-tuning's replay (model/finetune.py) and the
benchmarks take their digits from here as `Digits`: images as the app's
preprocess() makes them, uint8 (N, 28, 28) white on black, with their labels
(0-9, or -1 for "not a digit"). Sets that take minutes to draw are kept on
disk by `cached()`.
"""

from __future__ import annotations

import os
import pathlib
import sys
import tempfile
from dataclasses import dataclass

import numpy as np


class DataError(RuntimeError):
    """A source's data could not be read or fetched; the message says what to do."""


@dataclass(frozen=True)
class Digits:
    """Preprocessed digits and their labels: images uint8 (N, 28, 28), labels int64 (N,), -1 for "not a digit"."""

    images: np.ndarray
    labels: np.ndarray

    def __post_init__(self):
        if self.images.ndim != 3 or self.images.shape[1:] != (28, 28) or len(self.images) != len(self.labels):
            raise ValueError(f"Digits needs images (N, 28, 28) and N labels, not {self.images.shape} and {self.labels.shape}.")

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, index) -> Digits:
        """The digits at `index` (a slice, or an array of positions or a mask), as Digits."""
        return Digits(self.images[index], self.labels[index])

    def arrays(self) -> tuple[np.ndarray, np.ndarray]:
        """(images, labels), for code that takes them apart."""
        return self.images, self.labels

    @staticmethod
    def empty() -> Digits:
        return Digits(np.zeros((0, 28, 28), np.uint8), np.zeros(0, np.int64))

    @staticmethod
    def concat(sets) -> Digits:
        """One set of every digit in `sets`, in order."""
        sets = list(sets)
        if not sets:
            return Digits.empty()
        return Digits(np.concatenate([s.images for s in sets]), np.concatenate([s.labels for s in sets]).astype(np.int64))


def cached(path: str | os.PathLike | None, make) -> np.ndarray:
    """np.load(path) if it is there and readable, else make() saved there (atomically); make() alone if path is None.

    Re-drawing thousands of digits takes minutes; a damaged cache file is made again.
    """
    if path is None:
        return make()
    path = pathlib.Path(path)
    if path.exists():
        try:
            return np.load(path, allow_pickle=False)
        except (OSError, ValueError):
            pass
    print(f"making {path} ...", file=sys.stderr, flush=True)
    array = make()
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=path.parent, suffix=".npy", delete=False) as f:
        np.save(f, array)
    os.replace(f.name, path)
    return array


def in_chunks(worker, jobs: list[tuple], processes: int) -> np.ndarray:
    """worker(job) for every job, concatenated in order; in a pool of processes when there is more than one job."""
    if not jobs:
        return np.zeros((0, 28, 28), np.uint8)
    if processes <= 1 or len(jobs) == 1:  # a pool costs seconds to start: not worth it for one chunk
        return np.concatenate([worker(job) for job in jobs])
    import multiprocessing

    with multiprocessing.get_context("spawn").Pool(processes) as pool:
        return np.concatenate(pool.map(worker, jobs))


def preprocess_tag() -> str:
    """The part of a cached set's file name that names preprocess()'s version: sets of preprocessed
    drawings made by another version are made again."""
    from preprocessing.steps import PREPROCESS_VERSION

    return f"-pp{PREPROCESS_VERSION}"


__all__ = ["DataError", "Digits", "cached", "in_chunks", "preprocess_tag"]
