"""Read a whole written number: segment it, then each digit through preprocess() and the network.

    reading = read_number(image, predictor)                  # an image alone: an upload
    reading = read_number(image, predictor, strokes, width)  # the canvas: its strokes group the digits
    reading.number            # "2026", with "?" for a digit the network is not sure of; "12.50" with its point
    reading.digits            # [(Digit, Result, ranked top-10, unsure), ...] left to right
    reading.marks             # the decimal points and commas between them (preprocessing.marks)
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

from preprocessing import EmptyDrawingError, Options, Result, preprocess
from preprocessing.marks import Mark, find_marks, with_marks
from preprocessing.segment import Digit, segment, segment_strokes


#: How a candidate piece is preprocessed while the number is being cut: with its small far
#: marks kept, since a cut through a digit leaves such bits, and they should count against it.
WEIGHING = Options(remove_strays=False)


@dataclass(frozen=True)
class ReadDigit:
    box: Digit
    result: Result
    ranked: list[tuple[int, float]]
    unsure: bool


@dataclass(frozen=True)
class Reading:
    digits: list[ReadDigit]
    marks: list[Mark] = field(default_factory=list)

    @property
    def number(self) -> str:
        """The digits read, left to right, with the points and commas between them; "?" where the
        network is not sure."""
        return self._with_marks("".join("?" if d.unsure else str(d.ranked[0][0]) for d in self.digits))

    @property
    def best_guess(self) -> str:
        """The top answer for every digit, sure or not, with the points and commas."""
        return self._with_marks("".join(str(d.ranked[0][0]) for d in self.digits))

    def _with_marks(self, text: str) -> str:
        return with_marks(text, [d.box for d in self.digits], self.marks)


#: A drawing in Digit mode is tried as a number only when its ink is wider than this times its height:
#: 96% of one digit's drawings are narrower than 1.1 (segment.DIGIT_ASPECT), two side by side wider.
SEVERAL_ASPECT = 1.1
#: ...and its digits' boxes lie over no more than this share of the narrower neighbour's columns.
SEVERAL_OVERLAP = 0.5


def several_digits(image: np.ndarray, predictor, strokes=None, width: float = 0.0) -> Reading | None:
    """The drawing read as a whole number when it is plainly several digits written side by side (for
    Digit mode, where "42" would be read as one digit): wider than SEVERAL_ASPECT times its height,
    cut into two or more digits, each read surely, none lying over another's columns; else None."""
    from preprocessing.segment import number_ink

    if strokes:  # the ink's extent from the pen's path: a fifth of the time of finding the ink
        points = np.concatenate([np.asarray(s, np.float64).reshape(-1, 2) for s in strokes])
        extent = points.max(0) - points.min(0) + width
    else:
        try:
            ys, xs = np.nonzero(number_ink(image)[1])
        except ValueError:
            return None
        extent = np.array([xs.max() - xs.min() + 1, ys.max() - ys.min() + 1]) if len(xs) else np.zeros(2)
    if extent[0] <= SEVERAL_ASPECT * extent[1]:
        return None
    try:
        reading = read_number(image, predictor, strokes, width)
    except ValueError:
        return None
    boxes = [d.box for d in reading.digits]
    over = [(a.x1 - b.x0) / min(a.x1 - a.x0, b.x1 - b.x0) for a, b in zip(boxes, boxes[1:])]
    if len(boxes) < 2 or any(d.unsure for d in reading.digits) or max(over, default=0.0) > SEVERAL_OVERLAP:
        return None
    if strokes is None and _cut_through_ink(image, boxes):
        return None
    return reading


def _cut_through_ink(image: np.ndarray, boxes) -> bool:
    """Whether two of the Digits `boxes` (segment()'s, of `image`) share a piece of ink: from an image
    alone, a wide 0 cut in two reads as a sure "6" and "7"; digits written apart are pieces of their own."""
    from preprocessing.segment import MARGIN, number_ink

    _, pieces = cv2.connectedComponents(number_ink(image)[1], connectivity=8)
    owner: dict[int, int] = {}
    for k, d in enumerate(boxes):
        ys, xs = np.nonzero(d.image)
        ys, xs = ys + d.y0 - MARGIN, xs + d.x0 - MARGIN
        inside = (ys >= 0) & (ys < pieces.shape[0]) & (xs >= 0) & (xs < pieces.shape[1])
        for piece in np.unique(pieces[ys[inside], xs[inside]]):
            if piece and owner.setdefault(int(piece), k) != k:
                return True
    return False


def read_number(image: np.ndarray, predictor, strokes=None, width: float = 0.0, reader=None) -> Reading:
    """Segment `image` into digits (by its `strokes` when given, see preprocessing.segment; where
    that is ambiguous, as `predictor` is surest) and read each with `reader` (default `predictor`).

    A person's memory (model.memory.RememberingPredictor) is a `reader`, not the `predictor`: the
    segmentation's priors were set on the network's own probabilities of candidate pieces, and
    votes for a piece that looks like a saved digit can cut a number into too many digits."""

    def confidence(digit: Digit) -> tuple[int, float]:
        try:
            return predictor.predict(preprocess(digit.image, WEIGHING, digit.strokes or None, digit.pen).tensor)[0]
        except ValueError:
            return -1, 0.0

    digits = []
    reader = reader or predictor
    def cut(leave_out=None):
        return (segment_strokes(image, strokes, width, confidence, True, leave_out) if strokes
                else segment(image, confidence, True, leave_out))

    boxes, candidates = cut()
    marks = find_marks(candidates, boxes)
    if len(marks) < len(candidates):  # a piece that is no point or comma (within a digit) is that digit's ink
        boxes, _ = cut(marks)
    for box in boxes:
        try:
            result = preprocess(box.image, strokes=box.strokes or None, pen_width=box.pen)
        except EmptyDrawingError:
            continue  # a piece too faint to stand out on its own (what is left of a ruling line): no digit
        ranked = reader.predict(result.tensor, pen=result.pen)  # how the digit was written counts once it is cut
        digits.append(ReadDigit(box, result, ranked, reader.is_unsure(ranked)))
    if not digits:
        raise EmptyDrawingError("Nothing in the image stands out enough to be read: write a number darker.")
    return Reading(digits, find_marks(marks, [d.box for d in digits]))
