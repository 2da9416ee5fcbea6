"""Reading whole numbers: segmentation on synthetic numbers, and the CLI contracts on tiny folders."""

import json

import cv2
import numpy as np
import pytest
from conftest import ROOT, draw_digit

from model.number import read_number
from model.predict import load_predictor
from preprocessing import EmptyDrawingError
from preprocessing.segment import segment


def number(digits: str, gap: int = 30, stroke: int = 14) -> np.ndarray:
    """White-on-black digits side by side, each cropped to its ink, `gap` px apart (negative: overlapping)."""
    parts = []
    for d in digits:
        img = draw_digit(d, stroke=stroke)
        xs = np.flatnonzero(img.max(0))
        parts.append(img[:, xs[0] : xs[-1] + 1])
    width = sum(p.shape[1] for p in parts) + gap * (len(parts) - 1) + 80
    out = np.zeros((280, width), np.uint8)
    x = 40
    for p in parts:
        out[:, x : x + p.shape[1]] = np.maximum(out[:, x : x + p.shape[1]], p)
        x += p.shape[1] + gap
    return out


@pytest.fixture(scope="module")
def cnn():
    return load_predictor("cnn", weights=ROOT / "weights" / "cnn.pt")


@pytest.mark.parametrize("digits, gap", [("17", 40), ("7014", 25), ("1111", 15), ("40", 30)])
def test_digits_with_gaps_are_found_left_to_right(cnn, digits, gap):
    found = segment(number(digits, gap))
    assert len(found) == len(digits)
    assert [d.x0 for d in found] == sorted(d.x0 for d in found)
    assert read_number(number(digits, gap), cnn).number == digits


def test_a_four_in_two_strokes_stays_one_digit(cnn):
    img = np.zeros((280, 500), np.uint8)
    cv2.polylines(img, [np.array([(120, 40), (60, 170), (190, 170)])], False, 255, 14, cv2.LINE_AA)  # first stroke
    cv2.line(img, (150, 70), (150, 150), 255, 14, cv2.LINE_AA)  # the second, stopping short of the bar
    cv2.line(img, (150, 185), (150, 250), 255, 14, cv2.LINE_AA)  # and below it, also apart
    cv2.line(img, (340, 40), (335, 250), 255, 14, cv2.LINE_AA)  # then a 1
    assert cv2.connectedComponents((img > 0).astype(np.uint8))[0] - 1 >= 3  # the 4 alone is in pieces
    four, one = segment(img)
    assert four.x0 < 60 and four.x1 > 190 and four.y1 > 250  # all three pieces of the 4 in one digit
    assert read_number(img, cnn).best_guess == "41"


def test_touching_digits_are_cut_where_the_network_is_surest(cnn):
    img = number("00", gap=-14)  # the two rings touch
    assert cv2.connectedComponents((img > 0).astype(np.uint8))[0] - 1 == 1
    assert read_number(img, cnn).number == "00"


def test_blank_and_too_many_pieces_are_refused_with_a_sentence():
    with pytest.raises(EmptyDrawingError):
        segment(np.zeros((100, 300), np.uint8))
    dots = np.zeros((100, 1400), np.uint8)
    for x in range(20, 1400, 100):
        cv2.circle(dots, (x, 50), 20, 255, -1)
    with pytest.raises(ValueError, match="at most 12 digits"):
        segment(dots)


def test_cli_predict_number_prints_the_number_and_each_digits_top3(tmp_path, capsys):
    from model import predict

    path = tmp_path / "year.png"
    cv2.imwrite(str(path), 255 - number("2017"[1:], 30))  # dark on light, like a scan: "017"
    assert predict.main(["--number", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{path}: 017"
    assert len(lines) == 4 and lines[1].startswith("  digit 1: 0 (")


def test_cli_evaluate_numbers_reports_exact_digits_and_segmentation(tmp_path, capsys):
    from model import evaluate

    for truth, gap in [("17", 40), ("70", 30), ("11", 25)]:
        (tmp_path / truth).mkdir()
        cv2.imwrite(str(tmp_path / truth / "a.png"), number(truth, gap))
    cv2.imwrite(str(tmp_path / "17" / "b.png"), number("1", 0))  # one digit where two were written
    assert evaluate.main(["--arch", "cnn", "--numbers", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["n"] == 4 and result["exact"] == 0.75 and result["segmentation_errors"] == 0.25
    assert result["digit_accuracy"] == 1.0
    assert result["failures"] == [{"path": str(tmp_path / "17" / "b.png"), "true": "17", "read": "1"}]
