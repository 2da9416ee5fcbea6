"""Real pen-written digits as stroke trajectories (DigiLeTs), and their writer-independent split.

The file is a gzip'd JSON list of {"id", "writer", "set", "label", "strokes"}:
`strokes` is a list of strokes, each a list of [x, y] points in about a [0, 1]
box (x right, y down), in the order they were written; a stroke lying wholly
beyond that box by more than STRAY is dropped as the pen touching the tablet
elsewhere (4 strokes in the file). Source: the DigiLeTs
data set (CognitiveModeling/DigiLeTs, University of Tübingen), 111 writers,
about 5 of each digit per writer. Its repository has no licence file, so the
data is read from where it lies and never committed.

The split is by writer: a writer is held out (never trained on) when the
first 8 hex digits of the SHA-256 of "digilets-held-out" + their id, as a number, is a multiple of 5.
The rule looks at nothing but the writer's own id, so adding or removing
other writers never moves one across; on the DigiLeTs file it holds out the
22 writers of HELD_OUT_WRITERS (a test checks the two agree).

UNREADABLE lists the 26 digits a person would not read as their label (damaged
recordings: a 6 that is a C and a dash); PenDigit.readable says whether a digit
is one of them, and `python -m sources.pen` draws them (docs/pen_unreadable.png).
"""

from __future__ import annotations

import gzip
import hashlib
import itertools
import json
import os
import pathlib
from dataclasses import dataclass

import numpy as np

from . import DataError, Digits, cached, in_chunks

ENV_VAR = "DIGILETS"
_SALT = "digilets-held-out"

#: What the rule holds out of the DigiLeTs file: 22 of 111 writers (5 left-handed, 14 men).
HELD_OUT_WRITERS = (
    "001-f-19-right", "003-f-20-left", "010-f-24-right", "016-m-25-right", "020-f-21-right",
    "031-f-22-right", "041-f-20-right", "046-f-19-right", "063-m-24-right", "064-m-25-right",
    "066-m-24-left", "069-m-24-right", "072-m-23-right", "078-m-25-right", "079-m-30-right",
    "086-m-26-right", "091-m-30-right", "094-m-23-left", "100-m-30-left", "101-f-20-right",
    "109-m-23-left", "111-m-28-right",
)


#: A stroke whose every point lies this far (a share of the box) or farther outside the [0, 1] box
#: is no part of the digit: a stray touch of the pen elsewhere on the tablet (a lone point 2.4 boxes
#: below a 0). Drawn with it, the digit shrank to a fraction of its size beside a far dot. Strokes
#: that only run over the box's edge (a 0's top above it) are kept.
STRAY = 0.25


#: Digits a person would not read as their label, found by looking at every digit of DigiLeTs'
#: 34 "corrupted" writers (1,699, drawn large in black ink with only the label beside them, never a
#: model's answer) and of the 15 complete held-out writers (750, all readable): a stretch of the
#: pen's path lost (a 6 that is a C and a dash, an 8 that is an S), a scribble, another digit under
#: the label. Odd but whole handwriting stays (a 1 drawn like an "A", a 9 like a "g"). 15 are by
#: training writers and 11 by held-out ones (016, 063, 109); the benchmarks keep them and also report
#: the rest apart (docs/pen_unreadable.png shows them: python -m sources.pen --unreadable-sheet).
UNREADABLE = {
    "006-m-21-right_0_4": "a flat U, no 0",
    "015-m-27-right_4_20": "a 3",
    "016-m-25-right_2_10": "a question mark and a dot: the 2's base missing",
    "016-m-25-right_2_11": "a 7 and a dot: the 2's base missing",
    "023-m-23-right_0_0": "a C and a dash: the 0 left open",
    "023-m-23-right_0_3": "a C and a dot: the 0 left open",
    "023-m-23-right_6_30": "a 5 (the writer's digits shifted by one)",
    "023-m-23-right_7_35": "a 6 (shifted)",
    "023-m-23-right_8_40": "a 7 (shifted)",
    "037-f-29-right_7_39": "a bar alone: the 7's stem missing",
    "047-m-18-right_0_0": "a C and a dash: the 0 left open",
    "047-m-18-right_0_3": "a C and a dash: the 0 left open",
    "047-m-18-right_2_14": "a small arc and a dot",
    "047-m-18-right_5_29": "a scribble",
    "047-m-18-right_6_34": "a zigzag",
    "047-m-18-right_7_39": "a scribble and dots",
    "047-m-18-right_9_49": "a 1",
    "063-m-24-right_0_2": "the 0's left side missing: a 3",
    "109-m-23-left_1_5": "a pile of attempts (drawn over each other)",
    "109-m-23-left_3_17": "a 2 and a dash: the 3's lower half missing",
    "109-m-23-left_6_31": "a C and a dash: the 6's loop missing",
    "109-m-23-left_6_32": "a C and a dash: the 6's loop missing",
    "109-m-23-left_6_33": "an E: the 6's loop missing",
    "109-m-23-left_8_42": "an S and a dash: the 8's closing stroke missing",
    "109-m-23-left_8_43": "an S and a dash: the 8's closing stroke missing",
    "109-m-23-left_8_44": "an S and a dash: the 8's closing stroke missing",
}


class PenDataError(DataError):
    """The pen data could not be read; the message says what to do."""


@dataclass(frozen=True)
class PenDigit:
    """One written digit: its strokes, each an (n, 2) float array of (x, y) points in writing order.

    `recording` is DigiLeTs' "set": "complete", or "corrupted" for the 34
    writers some of whose recordings went wrong (a pen lifted too early, a
    wrong symbol), so that a few of their digits miss strokes.
    """

    id: str
    writer: str
    label: int
    strokes: tuple[np.ndarray, ...]
    recording: str = "complete"

    @property
    def readable(self) -> bool:
        """False for the digits a person would not read as their label (UNREADABLE)."""
        return self.id not in UNREADABLE


def default_pen_path() -> str:
    """$DIGILETS if set, else data/digilets/digits.json.gz."""
    return os.environ.get(ENV_VAR) or "data/digilets/digits.json.gz"


def _strokes(raw, where: str) -> tuple[np.ndarray, ...]:
    if not isinstance(raw, list) or not raw:
        raise PenDataError(f"{where}: 'strokes' must be a non-empty list of strokes.")
    out = []
    for stroke in raw:
        points = np.asarray(stroke, dtype=np.float64) if isinstance(stroke, list) and stroke else None
        if points is None or points.ndim != 2 or points.shape[1] != 2 or not np.isfinite(points).all():
            raise PenDataError(f"{where}: each stroke must be a non-empty list of [x, y] number pairs.")
        out.append(points)
    kept = tuple(p for p in out if not _stray(p))
    return kept or tuple(out)


def _stray(points: np.ndarray) -> bool:
    """Whether every point of a stroke lies STRAY or farther outside the [0, 1] box."""
    return bool(((points < -STRAY) | (points > 1 + STRAY)).any(axis=1).all())


def parse_pen_digits(records, source: str = "pen data") -> list[PenDigit]:
    """PenDigits from the decoded JSON list; PenDataError names the first bad record."""
    if not isinstance(records, list):
        raise PenDataError(f"{source} must hold a JSON list of digits, not {type(records).__name__}.")
    digits = []
    for i, r in enumerate(records):
        where = f"{source}, record {i}"
        if not isinstance(r, dict) or not {"id", "writer", "label", "strokes"} <= r.keys():
            raise PenDataError(f"{where}: expected an object with id, writer, label and strokes.")
        label = r["label"]
        if isinstance(label, bool) or not isinstance(label, int) or not 0 <= label <= 9:
            raise PenDataError(f"{where}: label must be a digit 0-9, not {label!r}.")
        digits.append(PenDigit(str(r["id"]), str(r["writer"]), label, _strokes(r["strokes"], where), str(r.get("set", "complete"))))
    return digits


def load_pen_digits(path: str | os.PathLike | None = None) -> list[PenDigit]:
    """Every digit in the pen-data file (gzip'd or plain JSON), in file order."""
    path = pathlib.Path(path or default_pen_path())
    if not path.is_file():
        raise PenDataError(
            f"The pen data {path} is not there. Point --pen-data (or ${ENV_VAR}) at DigiLeTs' "
            f"digits.json.gz (on our machines: ../shared/data/digilets/digits.json.gz)."
        )
    try:
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rt", encoding="utf-8") as f:
            records = json.load(f)
    except (OSError, EOFError, UnicodeDecodeError, json.JSONDecodeError) as e:
        raise PenDataError(f"{path} is not readable gzip'd JSON ({e}); fetch the file again.") from e
    return parse_pen_digits(records, str(path))


def is_held_out(writer: str) -> bool:
    """True for the writers kept out of training (about one in five), by a hash of the id alone."""
    return int(hashlib.sha256((_SALT + writer).encode()).hexdigest()[:8], 16) % 5 == 0


def split_by_writer(digits: list[PenDigit]) -> tuple[list[PenDigit], list[PenDigit]]:
    """(training digits, held-out digits): no writer is in both."""
    train = [d for d in digits if not is_held_out(d.writer)]
    held = [d for d in digits if is_held_out(d.writer)]
    return train, held


#: Bumped whenever pen digits are drawn or styled differently, so cached sets are re-made.
PEN_RENDER_VERSION = 3


def writer_sets(digits: list[PenDigit], per_digit: int, seed: int) -> tuple[list[PenDigit], list[PenDigit]]:
    """One writer's `digits` as (saved, other): `per_digit` of each label chosen at random, and the rest:
    what a person taught the app, and what they write next (benchmarks/personal.py, whole_numbers.py)."""
    rng = np.random.default_rng(seed)
    saved, other = [], []
    for label in range(10):
        mine = [d for d in digits if d.label == label]
        order = rng.permutation(len(mine))
        saved += [mine[i] for i in order[:per_digit]]
        other += [mine[i] for i in order[per_digit:]]
    return saved, other


def _pen_worker(args: tuple) -> np.ndarray:
    """Worker: each (strokes, label) drawn canvas-style (styled first if asked) and preprocessed; uint8 (n, 28, 28)."""
    from preprocessing import preprocess

    from .canvas import conditions, render_with_strokes
    from .styles import style_variant

    items, seed, styled, with_strokes = args
    rng = np.random.default_rng(seed)
    out = []
    for (strokes, label), (stroke, size, polarity) in zip(items, conditions(len(items), rng)):
        if styled:
            strokes = style_variant(strokes, label, rng)
        canvas, placed, width = render_with_strokes(strokes, rng, stroke, size, polarity)
        out.append((preprocess(canvas, strokes=placed, pen_width=width) if with_strokes else preprocess(canvas)).image)
    return np.stack(out)


def pen_set(digits: list[PenDigit], seed: int, copies: int = 1, styled: bool = False,
            cache: str | os.PathLike | None = None, processes: int = 2, chunk: int = 500,
            with_strokes: bool = False) -> Digits:
    """Every digit drawn `copies` times on the canvas and preprocessed, copy after copy (kept in `cache` when given).

    Each copy has fresh random conditions (size, place, width, polarity);
    with styled=True each also gets a style from sources.styles.style_variant(). With
    with_strokes=True each is read with its strokes, as the app reads a canvas drawing (a person's
    saved drawings); training reads the images alone, as it always has.
    """
    items = [(d.strokes, d.label) for _ in range(copies) for d in digits]

    def make():
        jobs = [(items[i : i + chunk], seed * 100_003 + i, styled, with_strokes) for i in range(0, len(items), chunk)]
        return in_chunks(_pen_worker, jobs, processes)

    return Digits(cached(cache, make), np.tile(np.array([d.label for d in digits], np.int64), copies))


def benchmark_drawings(digits: list[PenDigit], seed: int = 0):
    """Yield (digit, stroke, size, polarity, canvas image, strokes, pen width): every digit in each stroke
    width and size, the polarities in turn; the strokes as the canvas's json_data holds them (placed, in
    canvas pixels).

    The real-pen benchmark's drawings (benchmarks/real_pen.py); fixed by the seed.
    """
    from .canvas import POLARITIES, SIZES, STROKES, render_with_strokes

    rng = np.random.default_rng(seed)
    polarity = itertools.cycle(POLARITIES)
    for digit in digits:
        for stroke, size in itertools.product(STROKES, SIZES):
            p = next(polarity)
            yield digit, stroke, size, p, *render_with_strokes(digit.strokes, rng, stroke, size, p)


def benchmark_set(digits: list[PenDigit], seed: int = 0) -> Digits:
    """benchmark_drawings() preprocessed with their strokes, as the app reads a canvas drawing, in order;
    a drawing preprocess() refuses is a blank image."""
    from preprocessing import preprocess

    images, labels = [], []
    for digit, _, _, _, canvas, strokes, pen in benchmark_drawings(digits, seed):
        try:
            images.append(preprocess(canvas, strokes=strokes, pen_width=pen).image)
        except ValueError:
            images.append(np.zeros((28, 28), np.uint8))
        labels.append(digit.label)
    return Digits(np.stack(images), np.array(labels, np.int64))


def unreadable_sheet(digits: list[PenDigit], per_row: int = 6, tile: int = 176) -> np.ndarray:
    """A uint8 picture of the UNREADABLE digits among `digits`: each drawn large in black ink, as it was
    reviewed, captioned with its id and label."""
    import cv2

    shown = [d for d in digits if not d.readable]
    rows = max(1, -(-len(shown) // per_row))
    sheet = np.full((rows * (tile + 34), per_row * tile), 255, np.uint8)
    for k, digit in enumerate(shown):
        points = np.concatenate(digit.strokes)
        low, span = points.min(0), max(float((points.max(0) - points.min(0)).max()), 1e-6)
        scale = (tile - 30) / span
        offset = (tile - (points.max(0) - low) * scale) / 2
        y, x = divmod(k, per_row)
        cell = sheet[y * (tile + 34): y * (tile + 34) + tile, x * tile: (x + 1) * tile]
        for stroke in digit.strokes:
            p = ((stroke - low) * scale + offset).round().astype(np.int32)
            cv2.polylines(cell, [p], False, 0, 5, cv2.LINE_AA) if len(p) > 1 else cv2.circle(cell, tuple(p[0]), 3, 0, -1)
        cv2.rectangle(cell, (0, 0), (tile - 1, tile - 1), 180, 1)
        words = f"{digit.writer[:3]} #{digit.id.rsplit('_', 1)[1]} labelled {digit.label}"
        cv2.putText(sheet, words, (x * tile + 4, y * (tile + 34) + tile + 14), cv2.FONT_HERSHEY_SIMPLEX, 0.42, 0, 1, cv2.LINE_AA)
        cv2.putText(sheet, UNREADABLE[digit.id].split(":")[0].split(" (")[0], (x * tile + 4, y * (tile + 34) + tile + 29),
                    cv2.FONT_HERSHEY_SIMPLEX, 0.38, 90, 1, cv2.LINE_AA)
    return sheet


def main(argv: list[str] | None = None) -> None:
    import argparse

    import cv2

    parser = argparse.ArgumentParser(description="Draw the pen digits left out as unreadable (UNREADABLE).")
    parser.add_argument("--unreadable-sheet", default="docs/pen_unreadable.png", help="where to write the PNG")
    parser.add_argument("--pen-data", default=default_pen_path(), help="DigiLeTs digits.json.gz (default: $DIGILETS)")
    args = parser.parse_args(argv)
    try:
        digits = load_pen_digits(args.pen_data)
    except PenDataError as e:
        raise SystemExit(f"error: {e}")
    cv2.imwrite(args.unreadable_sheet, unreadable_sheet(digits))
    print(f"wrote {args.unreadable_sheet}: {sum(not d.readable for d in digits)} digits")


if __name__ == "__main__":
    main()
