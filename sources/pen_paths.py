"""Pen paths to train the pen network on: each source's strokes as preprocessing.trajectory sequences.

    x, y = pen_digit_paths(training_writers, copies=20, seed=0)   # real handwriting, styled
    x, y = mnist_paths(mnist_images, labels, seed=0)              # MNIST's centre lines, traced
    x, y = scribble_paths(5000, seed=0)                           # not digits (labels -1)

The image sources hand out `Digits` (28x28 images); the pen network reads how a
digit was written instead, so these hand out float32 (N, LENGTH, FEATURES)
sequences and int64 labels. The real pen digits teach it the order and
direction people write in; MNIST's centre lines, traced in no one's order,
teach it the shapes of many more writers and that a path can come in pieces
(a person who draws in short strokes); the scribbles that a letter or a shape
is no digit.
"""

from __future__ import annotations

import math

import numpy as np

from preprocessing.trajectory import FEATURES, LENGTH, pen_sequence

from .canvas import grid_line_strokes
from .scribbles import scribble_with_strokes
from .styles import style_variant


def _empty() -> tuple[np.ndarray, np.ndarray]:
    return np.zeros((0, LENGTH, FEATURES), np.float32), np.zeros(0, np.int64)


def _pool(worker, jobs: list[tuple], processes: int) -> tuple[np.ndarray, np.ndarray]:
    if not jobs:
        return _empty()
    if processes <= 1 or len(jobs) == 1:
        parts = [worker(job) for job in jobs]
    else:
        import multiprocessing

        with multiprocessing.get_context("spawn").Pool(processes) as pool:
            parts = pool.map(worker, jobs)
    return np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def tilt(strokes, rng: np.random.Generator, degrees: float = 8.0) -> list[np.ndarray]:
    """The strokes turned by up to `degrees` and stretched across by 0.8-1.2 and down by 0.9-1.1."""
    a = math.radians(rng.uniform(-degrees, degrees))
    m = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]]) @ np.diag([rng.uniform(0.8, 1.2), rng.uniform(0.9, 1.1)])
    return [np.asarray(s, np.float64) @ m.T for s in strokes]


def _pen_worker(args: tuple) -> tuple[np.ndarray, np.ndarray]:
    items, seed, styled = args
    rng = np.random.default_rng(seed)
    x = [pen_sequence(tilt(style_variant(s, label, rng), rng) if styled else s) for s, label in items]
    return np.stack(x), np.array([label for _, label in items], np.int64)


def pen_digit_paths(digits, copies: int, seed: int, processes: int = 2, chunk: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """Every pen digit (sources.pen.PenDigit) `copies` times: the first as written, the others each in a
    style of sources.styles.style_variant() (slanted, maybe shaky, re-timed), turned and stretched a little."""
    items = [(d.strokes, d.label) for d in digits]
    jobs = [(items[i : i + chunk], seed * 100_003 + c * 1_009 + i, c > 0) for c in range(copies) for i in range(0, len(items), chunk)]
    return _pool(_pen_worker, jobs, processes)


def _mnist_worker(args: tuple) -> tuple[np.ndarray, np.ndarray]:
    from .redrawn import centre_line

    images, labels, seed = args
    rng = np.random.default_rng(seed)
    x, y = [], []
    for image, label in zip(images, labels):
        line = centre_line(image)
        if len(line) < 2:
            continue
        x.append(pen_sequence(tilt(grid_line_strokes(line, line[:, ::-1].astype(np.float64)), rng)))
        y.append(label)
    return (np.stack(x), np.array(y, np.int64)) if x else _empty()


def mnist_paths(images: np.ndarray, labels: np.ndarray, seed: int, processes: int = 2, chunk: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """MNIST digits (uint8 (N, 28, 28)) as their centre lines traced as a pen would (sources.canvas.grid_line_paths());
    a digit with no ink to trace is left out."""
    jobs = [(images[i : i + chunk], labels[i : i + chunk], seed * 100_003 + i) for i in range(0, len(images), chunk)]
    return _pool(_mnist_worker, jobs, processes)


def _scribble_worker(args: tuple) -> tuple[np.ndarray, np.ndarray]:
    from .canvas import conditions

    n, seed = args
    rng = np.random.default_rng(seed)
    x = [pen_sequence(scribble_with_strokes(rng, *c)[1]) for c in conditions(n, rng)]
    return np.stack(x), np.full(n, -1, np.int64)


def scribble_paths(n: int, seed: int, processes: int = 2, chunk: int = 2000) -> tuple[np.ndarray, np.ndarray]:
    """n things that are not digits (sources.scribbles: letters, shapes, random strokes) as pen paths, labelled -1."""
    jobs = [(min(chunk, n - i), seed * 100_003 + i) for i in range(0, n, chunk)]
    return _pool(_scribble_worker, jobs, processes)
