"""Turn a drawing into the 28x28 tensor an MNIST network expects, keeping every step.

    from preprocessing import preprocess, EmptyDrawingError
    result = preprocess(image)   # HxW gray, HxWx3 RGB or HxWx4 RGBA; uint8 or float in [0, 1]
    result.tensor                # float32 (1, 28, 28), standardized with MNIST's mean and std
    result.steps                 # [Step(name, caption, image, seconds), ...] in order
    result = preprocess(image, strokes=strokes, pen_width=width)   # a canvas drawing: its strokes too
    result = preprocess_canvas(image, canvas.json_data)            # the same, strokes read from json_data
    result.pen                   # a drawing's pen path for the pen network (trajectory.py); None for an image alone
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np

from . import steps as S
from .canvas_strokes import redraw_thinner, strokes_from_json
from .trajectory import pen_sequence
from .steps import MNIST_MEAN, MNIST_STD, EmptyDrawingError

#: The name of the step that draws a fat pen's strokes again thinner.
REDRAWN = "Redrawn thinner"

__all__ = ["preprocess", "preprocess_canvas", "naive_preprocess", "Options", "Step", "Result", "EmptyDrawingError", "MNIST_MEAN", "MNIST_STD"]


@dataclass(frozen=True)
class Options:
    """Which steps run and how; the defaults are the best pipeline.

    invert: "auto" (decide from the border), "always" or "never".
    remove_noise: drop specks far smaller than the digit.
    remove_strays: with remove_noise, also drop small marks far from the digit (a tap of the pen).
    redraw_strokes: given the canvas's strokes, draw a fat pen's again at MNIST's width (loops stay open).
    normalize_stroke: thicken or thin strokes to MNIST's width for the digit's size.
    keep_aspect: fit into 20x20 keeping the aspect ratio (False stretches, to show why not).
    centering: "mass" (MNIST's centre of mass) or "box" (centre of the bounding box).
    """

    invert: str = "auto"
    remove_noise: bool = True
    remove_strays: bool = True
    redraw_strokes: bool = True
    normalize_stroke: bool = True
    keep_aspect: bool = True
    centering: str = "mass"


@dataclass(frozen=True)
class Step:
    """One intermediate image: a short name, a one-line caption, the image (uint8), time taken."""

    name: str
    caption: str
    image: np.ndarray
    seconds: float


@dataclass(frozen=True)
class Result:
    tensor: np.ndarray  # float32, (1, 28, 28)
    steps: list[Step] = field(default_factory=list)
    strokes: tuple | None = None  # a canvas drawing's strokes, as given; None for an image alone

    @cached_property
    def pen(self) -> np.ndarray | None:
        """How the drawing was written, for the pen network (trajectory.pen_sequence()); None without strokes.
        Made when first asked for (a number's cutting preprocesses hundreds of pieces it never needs)."""
        if not self.strokes:
            return None
        try:
            return pen_sequence(self.strokes)
        except ValueError:  # strokes with no usable point: read the image alone
            return None

    @property
    def image(self) -> np.ndarray:
        """The final 28x28 uint8 image, white digit on black."""
        return next(s.image for s in reversed(self.steps) if s.name in ("Centred 28×28", "Naive 28×28"))

    @property
    def redrawn(self) -> bool:
        """True when the strokes were drawn again thinner (the step "Redrawn thinner")."""
        return len(self.steps) > 1 and self.steps[1].name == REDRAWN


def preprocess(image: np.ndarray, options: Options = Options(), strokes=None, pen_width: float = 0.0) -> Result:
    """Run every step on `image` and record each intermediate image.

    `strokes` and `pen_width`, when the image is a canvas drawing, are its
    strokes ((n, 2) x, y points each) and the pen's width, in any one scale:
    a pen fatter than MNIST's width for the digit's size is drawn again
    thinner from them (canvas_strokes.redraw_thinner), and the rest of the
    steps start from that drawing.

    Raises EmptyDrawingError (a ValueError) for a blank image and ValueError for
    anything that is not an image.
    """
    recorded: list[Step] = []
    clock = time.perf_counter()

    def record(name: str, caption: str, img: np.ndarray) -> None:
        nonlocal clock
        now = time.perf_counter()
        recorded.append(Step(name, caption, img, now - clock))
        clock = now

    image = S.validate_image(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    h, w = image.shape[:2]
    kind = {2: "gray", 3: "RGB", 4: "RGBA"}[image.ndim if image.ndim == 2 else image.shape[2]]
    image = S.shrink_to_working_size(image)
    shrunk = f", shrunk to {image.shape[1]}×{image.shape[0]}" if image.shape[:2] != (h, w) else ""
    record("Input", f"{w}×{h} {kind} image{shrunk}", image)
    redrawn = redraw_thinner(strokes, pen_width) if strokes is not None and options.redraw_strokes else None
    if redrawn is not None:
        image, thinner = redrawn
        record(REDRAWN, f"Your strokes drawn again with a {thinner:.1f} px pen instead of {pen_width:.0f} px, "
                        "MNIST's width for their size: loops the fat pen filled stay open", image)

    gray = S.to_grayscale(image)
    record("Grayscale", "Luminance; a transparent background is filled to contrast with the ink", gray)

    gray, flattened = S.flatten_paper(gray)
    if flattened:  # photos and scans on paper only: a canvas never gets this step
        record("Paper flattened", f"Photo of paper: {flattened}", gray)

    img, inverted = S.normalize_polarity(gray, options.invert)
    polarity = "Inverted to white on black" if inverted else "Already white on black"
    record("Polarity", f"{polarity}; levels stretched so background is 0 and ink 255", img)

    if inverted:  # dark on light: a photo of paper may take in the desk beside it, or the paper's edge
        img, set_aside = S.set_aside_desk(img)
        if set_aside:
            record("Desk set aside", "Photo of paper: what lies beyond it along the edge (the desk, the "
                                     "paper's edge: far thicker than the writing, or solid) set aside", img)

    if options.remove_noise:
        img, removed = S.remove_specks(img, strays=options.remove_strays)
        record("Noise removed", f"{removed} speck{'s' if removed != 1 else ''} (under 5% of the digit, or small and far from it) erased", img)

    box = S.bounding_box(img)
    x0, y0, x1, y1 = box
    record("Bounding box", f"Digit spans {x1 - x0}×{y1 - y0} px at ({x0}, {y0})", S.draw_box(img, box))

    img = S.crop(img, box)
    record("Cropped", f"{img.shape[1]}×{img.shape[0]} px, full resolution", img)

    if options.normalize_stroke:
        img, before, after = S.normalize_stroke_width(img)
        if after == before:
            caption = f"Stroke {before:.1f} px is already MNIST-like for this size: unchanged"
        else:
            caption = f"Stroke {before:.1f} px → {after:.1f} px ({after * 20 / max(img.shape):.1f} px at 20×20, like MNIST)"
        record("Stroke width", caption, img)

    img = S.fit_in_box(img, 20, options.keep_aspect)
    how = "keeping aspect ratio" if options.keep_aspect else "stretched (aspect ratio lost)"
    record("Fitted 20×20", f"Longest side scaled to 20 px, {how}, anti-aliased", img)

    img, (dy, dx) = S.place_in_frame(img, 28, options.centering)
    if options.centering == "mass":
        caption = f"Centre of mass moved to the centre: shifted {dx:+.1f} px across, {dy:+.1f} px down"
    else:
        caption = "Bounding box centred (no centre-of-mass shift)"
    record("Centred 28×28", caption, img)

    unit = S.to_unit_range(img)
    record("Scaled to [0, 1]", f"float32, values {unit.min():.2f} to {unit.max():.2f}", img)

    tensor = S.standardize(unit)[None]
    record(
        "Standardized tensor",
        f"(x − {MNIST_MEAN}) / {MNIST_STD}: values {tensor.min():.2f} to {tensor.max():.2f}, shape (1, 28, 28)",
        S.heat_map(tensor[0]),
    )
    return Result(tensor=tensor, steps=recorded, strokes=tuple(strokes) if strokes is not None and len(strokes) else None)


def preprocess_canvas(image: np.ndarray, json_data, options: Options = Options()) -> Result:
    """preprocess() of a canvas drawing with the strokes its `json_data` holds (canvas_strokes.strokes_from_json);
    with no strokes there (an upload: None), of the image alone. The strokes may be in another scale than the image."""
    strokes, width = strokes_from_json(json_data)
    return preprocess(image, options, strokes or None, width)


def naive_preprocess(image: np.ndarray) -> Result:
    """The recipe many published digit apps use: crop to the bounding box, stretch to 22x22, pad to 28x28.

    No noise removal, no stroke-width change, the aspect ratio lost, no
    centre of mass. Shown beside preprocess() so each missing step's cost is
    visible on the same drawing.
    """
    image = S.validate_image(image)
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[:, :, 0]
    img, _ = S.normalize_polarity(S.to_grayscale(S.shrink_to_working_size(image)))
    cropped = S.crop(img, S.bounding_box(img))
    stretched = S.fit_in_box(cropped, 22, keep_aspect=False)
    framed = np.pad(stretched, 3)
    step = Step("Naive 28×28", "Bounding box stretched to 22×22, padded to 28×28", framed, 0.0)
    return Result(tensor=S.standardize(S.to_unit_range(framed))[None], steps=[step])
