"""Shared helpers: synthetic drawings made with OpenCV, as a canvas would deliver them."""

import pathlib
import sys

import cv2
import numpy as np
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))



def benchmark(name: str):
    """The script benchmarks/<name>.py as a module, to test its helpers (the scripts are not a package)."""
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, ROOT / "benchmarks" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Stroke paths of a few digits in a unit square (x right, y down), drawn as polylines.
SHAPES = {
    "1": [[(0.55, 0.1), (0.5, 0.9)]],
    "7": [[(0.2, 0.12), (0.8, 0.12), (0.45, 0.9)]],
    "0": "ellipse",
    "4": [[(0.6, 0.1), (0.2, 0.6), (0.8, 0.6)], [(0.6, 0.1), (0.6, 0.9)]],
}


def draw_digit(
    digit: str = "7",
    size: int = 280,
    stroke: int = 18,
    box: tuple[float, float, float, float] = (0.15, 0.1, 0.85, 0.9),
    ink: int = 255,
    background: int = 0,
) -> np.ndarray:
    """A uint8 gray image of `digit` drawn with anti-aliased strokes inside `box` (x0, y0, x1, y1 as fractions)."""
    img = np.full((size, size), background, np.uint8)
    x0, y0, x1, y1 = (v * size for v in box)

    def at(p):
        return int(round(x0 + p[0] * (x1 - x0))), int(round(y0 + p[1] * (y1 - y0)))

    if SHAPES[digit] == "ellipse":
        centre = at((0.5, 0.5))
        axes = (int((x1 - x0) * 0.3), int((y1 - y0) * 0.4))
        cv2.ellipse(img, centre, axes, 0, 0, 360, int(ink), stroke, cv2.LINE_AA)
    else:
        for path in SHAPES[digit]:
            pts = np.array([at(p) for p in path], np.int32)
            cv2.polylines(img, [pts], False, int(ink), stroke, cv2.LINE_AA)
    return img


def to_canvas_rgba(gray: np.ndarray) -> np.ndarray:
    """What streamlit-drawable-canvas returns: white strokes, alpha = ink, transparent background."""
    rgba = np.zeros(gray.shape + (4,), np.uint8)
    rgba[..., :3] = 255
    rgba[..., 3] = gray
    return rgba


@pytest.fixture(autouse=True)
def _own_drawings_file(tmp_path, monkeypatch):
    """Every test saves into its own drawings file, never the person's data/drawings.db."""
    monkeypatch.setenv("DIGITS_DB", str(tmp_path / "drawings.db"))


@pytest.fixture
def draw():
    return draw_digit
