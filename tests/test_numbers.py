"""Reading whole numbers: segmentation on synthetic numbers, and the CLI contracts on tiny folders."""

import argparse
import json

import cv2
import numpy as np
import pytest
from conftest import ROOT, draw_digit

from model.number import read_number
from model.predict import load_predictor
from preprocessing import EmptyDrawingError
from preprocessing.canvas_strokes import scale_json, strip_pen, strokes_from_json, strokes_to_json
from preprocessing.centre_line import ink_pieces
from preprocessing.segment import segment, segment_strokes
from sources.pen import PenDigit


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


def test_a_one_touching_the_digit_after_it_is_two_digits(cnn):
    img = number("17", -8)  # the 1's foot runs into the 7's stem: one piece of ink
    mask = (img > 64).astype(np.uint8)
    assert cv2.connectedComponents(mask)[0] - 1 == 1
    ys, xs = np.nonzero(mask)
    assert (xs.max() - xs.min()) / (ys.max() - ys.min()) < 0.9  # no wider than a wide 0, yet tried as two
    assert read_number(img, cnn).best_guess == "17"


def five_with_its_flag_lifted() -> np.ndarray:
    """A 5 whose flag, written apart from its body, reaches well to the right of it, and a 1 after it."""
    img = np.zeros((280, 560), np.uint8)
    body = [(70, 50), (62, 130), (110, 115), (150, 140), (160, 195), (130, 240), (60, 235)]
    cv2.polylines(img, [np.array(body)], False, 255, 14, cv2.LINE_AA)
    cv2.line(img, (105, 45), (260, 38), 255, 14, cv2.LINE_AA)  # the flag: shares under 0.7 of the body's columns
    cv2.line(img, (400, 40), (395, 245), 255, 14, cv2.LINE_AA)
    return img


def test_a_flag_written_apart_joins_the_digit_it_lies_over(cnn):
    img = five_with_its_flag_lifted()
    assert cv2.connectedComponents((img > 0).astype(np.uint8))[0] - 1 == 3
    five, one = segment(img)
    assert five.x0 < 70 and five.x1 > 260 and one.x0 > 380  # the flag is part of the 5, not a digit
    assert read_number(img, cnn).best_guess == "51"
    lone_dash = img.copy()
    lone_dash[:, 40:300] = 0
    cv2.line(lone_dash, (180, 140), (300, 140), 255, 14, cv2.LINE_AA)  # a flat piece over nothing is no digit
    assert len(segment(lone_dash)) == 1


@pytest.mark.parametrize("desk, pen", [("right", 14), ("below", 14), ("corner", 14), ("corner", 24)])
def test_a_photo_that_takes_in_the_desk_reads_the_number_on_the_paper(cnn, desk, pen):
    # (With a fat pen, a blob where strokes meet is nearly as thick as the corner: but no stroke fills its box.)
    paper = (235 - 0.8 * number("170", 30, stroke=pen)).astype(np.uint8)  # dark ink on light paper
    h, w = paper.shape
    if desk == "right":  # the desk beside the paper: dark, much wider than a stroke
        photo = np.hstack([paper, np.full((h, 90), 50, np.uint8)])
    elif desk == "below":  # the paper's edge: a thin dark band right across
        photo = np.vstack([paper, np.full((12, w), 50, np.uint8)])
    else:  # a dark corner beyond the paper
        photo = np.hstack([np.full((h, 60), 235, np.uint8), paper])
        photo[:100, :60] = 50
    assert read_number(photo, cnn).number == "170"


def test_writing_against_the_edge_is_not_taken_for_the_desk(cnn):
    from preprocessing.steps import surroundings

    img = number("17", 30)
    ys, xs = np.nonzero(img)
    tight = img[ys.min() : ys.max() + 1, xs.min() : xs.max() + 1]  # the 1 runs all along the left edge
    assert not surroundings((tight > 64).astype(np.uint8)).any()
    assert read_number(255 - tight, cnn).number == "17"
    dusty = tight.copy()
    dusty[5:7, 100:102] = 255  # a speck of dust is thinner than any stroke: it says nothing of the writing
    assert not surroundings((dusty > 64).astype(np.uint8)).any()
    lone = np.zeros((200, 40), np.uint8)
    lone[:, :12] = 1  # a 1 cropped tight, along the whole left edge, and dust beside it
    lone[100:102, 30:32] = 1
    assert not surroundings(lone).any()
    straight = np.zeros((200, 300), np.uint8)
    straight[:, :14] = 1  # a straight 1 along the edge fills its box, but is no thicker than the 7 beside it
    cv2.polylines(straight, [np.array([(100, 20), (250, 20), (160, 190)])], False, 1, 14)
    assert not surroundings(straight).any()
    one = np.zeros((100, 20), np.uint8)
    one[:, 5:15] = 1  # a lone stroke along the whole image is the writing
    assert not surroundings(one).any()


def test_touching_digits_are_cut_where_the_network_is_surest(cnn):
    img = number("00", gap=-14)  # the two rings touch
    assert cv2.connectedComponents((img > 0).astype(np.uint8))[0] - 1 == 1
    assert read_number(img, cnn).number == "00"


def test_ink_is_split_where_its_centre_line_branches_and_thinning_spurs_are_pruned():
    plus = np.zeros((200, 200), bool)
    plus[95:106, 20:180] = plus[20:180, 95:106] = True
    pieces = ink_pieces(plus)
    assert len(pieces) == 4  # four arms from the crossing
    assert (np.sum(pieces, axis=0) == plus).all()  # every ink pixel in exactly one piece
    middles = [np.flatnonzero(p.any(0)).mean() for p in pieces]
    assert middles == sorted(middles)  # left to right
    assert pieces[0][100, 25] and pieces[0][:, 110:].sum() == 0  # each pixel with its nearest arm
    assert pieces[-1][100, 175] and pieces[-1][:, :90].sum() == 0
    bar = np.zeros((100, 300), bool)
    bar[35:65, 20:280] = True  # a fat stroke: thinning forks at its square ends
    assert len(ink_pieces(bar)) == 1
    assert ink_pieces(np.zeros((10, 10), bool)) == []


def sized_like(truths: dict[int, np.ndarray]):
    """A stand-in network that reads a candidate digit as the one of `truths` (digit: its ink) whose box
    and amount of ink it matches best, as surely as it matches: it knows each digit only whole."""
    def measure(ink: np.ndarray) -> np.ndarray:
        ys, xs = np.nonzero(ink)
        return np.log([np.ptp(xs) + 1, np.ptp(ys) + 1, len(xs)])

    known = {label: measure(ink) for label, ink in truths.items()}

    def score(digit) -> tuple[int, float]:
        got = measure(digit.image > 64)
        label = min(known, key=lambda k: np.abs(known[k] - got).sum())
        return label, float(np.exp(-np.abs(known[label] - got).sum()))
    return score


def test_touching_digits_that_no_straight_cut_parts_are_cut_along_their_centre_lines():
    # A 7, and a 1 leaning right from under its bar: the 1 lies within the 7's columns, so every
    # straight cut leaves part of one digit with the other; their centre lines meet where they touch.
    seven = [np.concatenate([line((60, 40), (260, 40)), line((260, 40), (130, 245))])]
    one = [line((245, 47), (290, 245))]
    img = canvas(seven + one, 14)
    assert cv2.connectedComponents((img > 64).astype(np.uint8))[0] - 1 == 1
    score = sized_like({7: canvas(seven, 14) > 64, 1: canvas(one, 14) > 64})
    found = segment(img, score)
    assert [score(d)[0] for d in found] == [7, 1]
    assert min(score(d)[1] for d in found) > 0.5  # the 1 less the bit of its top that went with the corner


def test_a_cut_leaving_a_short_piece_is_not_taken_but_two_tall_pieces_are_still_cut():
    def score(digit):  # a stand-in network that reads every piece as a sure 1, and a whole group less surely
        return 1, (0.6 if digit.x1 - digit.x0 > 150 else 0.99)

    # A 1 whose long flag reaches far left: one piece of ink, wide enough to be tried as touching
    # digits, and every straight cut leaves part of the flag alone, under two thirds of the 1's height.
    flagged_one = canvas([np.concatenate([line((40, 170), (200, 40)), line((200, 40), (200, 250))])], 14)
    assert [(d.x0 < 60, d.x1 > 190) for d in segment(flagged_one, score)] == [(True, True)]
    # Two full-height lines joined at the top, as wide: each piece as tall as the number, still cut.
    arch = canvas([np.concatenate([line((40, 250), (40, 40)), line((40, 40), (200, 40)), line((200, 40), (200, 250))])], 14)
    assert len(segment(arch, score)) == 2


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


# --- From the canvas's strokes -------------------------------------------------------------

def fabric_path(points) -> list:
    """A freedraw path as fabric.js' PencilBrush saves it: M, a Q per point to the next midpoint, L."""
    p = [tuple(map(float, q)) for q in points]
    commands = [["M", p[0][0] - 0.02, p[0][1]]]
    for a, b in zip(p, p[1:]):
        commands.append(["Q", a[0], a[1], (a[0] + b[0]) / 2, (a[1] + b[1]) / 2])
    commands.append(["L", p[-1][0] + 0.02, p[-1][1]])
    return commands


def ellipse(cx, cy, rx, ry, start=-90, turn=360, n=40) -> np.ndarray:
    t = np.radians(np.linspace(start, start + turn, n))
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def line(a, b, n=12) -> np.ndarray:
    return np.linspace(a, b, n)


def canvas(strokes, width=14, shape=(280, 840)) -> np.ndarray:
    from sources.canvas import draw_strokes

    return draw_strokes(strokes, width, shape=shape)


def test_strokes_are_read_back_from_the_canvas_json_in_the_order_drawn():
    first, second = line((100, 40), (100, 240)), ellipse(300, 140, 60, 100)
    data = {"version": "4.4.0", "objects": [
        {"type": "path", "strokeWidth": 14, "path": fabric_path(first)},
        {"type": "rect", "left": 3},  # another tool's shape
        {"type": "path", "strokeWidth": 20, "path": fabric_path(second)},
        {"type": "path", "path": [["M", 1, float("nan")], ["L", 2, 3]]},  # damaged
        {"type": "path", "path": [["M", True, 2]]}, {"type": "path", "path": "M 1 2"}, "junk",
    ]}
    strokes, width = strokes_from_json(data)
    assert width == 20 and len(strokes) == 2
    np.testing.assert_allclose(strokes[0], first, atol=0.05)
    np.testing.assert_allclose(strokes[1], second, atol=0.05)
    again, width = strokes_from_json(json.loads(json.dumps(strokes_to_json(strokes, 20))))  # and back
    assert width == 20 and all(np.array_equal(a, b) for a, b in zip(again, strokes)) and len(again) == 2
    dot, width = strokes_from_json(strokes_to_json([np.array([[5.0, 6.0]])], 3))  # a tap: one point
    assert width == 3 and len(dot) == 1 and dot[0].tolist() == [[5.0, 6.0]]
    assert strokes_from_json(None) == ([], 0.0) and strokes_from_json({"objects": "x"}) == ([], 0.0)


def test_overlapping_digits_are_told_apart_by_the_order_they_were_written(cnn):
    one, zero = line((110, 40), (110, 240)), ellipse(160, 140, 60, 100)  # the 1 runs through the 0's side
    img = canvas([one, zero])
    assert len(segment(img)) == 1  # the image alone sees one blob
    reading = read_number(img, cnn, [one, zero], 14)
    assert reading.number == "10"
    assert reading.digits[0].box.x1 < 130 < reading.digits[1].box.x1


def test_a_digit_of_several_strokes_stays_whole_even_when_finished_later(cnn):
    four = [np.array([(140, 40), (70, 170), (200, 170)]), line((160, 80), (160, 250))]
    seven = [np.array([(330, 50), (450, 50), (380, 250)])]
    one = [line((560, 45), (555, 250))]
    crossbar = [line((360, 150), (440, 150))]  # the 7's crossbar, put in after the 1
    strokes = four + seven + one + crossbar
    found = segment_strokes(canvas(strokes), strokes, 14, None)
    assert len(found) == 3 and found[1].x0 < 340 and found[1].x1 > 440
    assert read_number(canvas(strokes), cnn, strokes, 14).number == "471"


def test_a_slashed_zero_is_one_digit(cnn):
    strokes = [ellipse(200, 140, 55, 100), line((150, 230), (250, 50))]
    assert read_number(canvas(strokes), cnn, strokes, 14).number == "0"


def test_strokes_apart_are_never_one_digit_and_specks_are_dropped():
    ones = [line((100, 40), (100, 240)), line((160, 40), (160, 240)), np.array([(400.0, 140.0)])]  # two 1s and a dot
    assert len(segment_strokes(canvas(ones, width=20), ones, 3, None)) == 2


def test_a_one_drawn_as_a_thin_line_costs_nothing_for_its_width():
    from preprocessing.segment import Digit, _log_belief

    thin_one = Digit(100, 110, 20, 220, np.zeros((208, 18), np.uint8))  # 10 px wide, 200 tall: a pen's line
    assert _log_belief(thin_one, 1, 1.0, 200.0) == 0.0
    assert _log_belief(thin_one, 0, 1.0, 200.0) < -3  # as a 0 it is far too narrow


def test_strokes_off_the_ink_leave_it_to_the_image_and_a_tall_image_keeps_its_strokes(cnn):
    img = number("17", 40)
    assert len(segment_strokes(img, [line((5000, 5), (5100, 5))], 14, None)) == 2
    big = cv2.resize(canvas([line((110, 40), (110, 240)), ellipse(160, 140, 60, 100)]), (1680, 560))
    strokes = [line((220, 80), (220, 480)), ellipse(320, 280, 120, 200)]  # the same, in the big image's pixels
    assert read_number(big, cnn, strokes, 28).number == "10"


def figure_eight(cx, cy, r, n=60) -> np.ndarray:
    t = np.radians(np.linspace(0, 360, n))
    return np.stack([cx + 0.55 * r * np.sin(2 * t), cy - r * np.cos(t)], 1)


@pytest.mark.parametrize("dx", [40, 50, 60])
def test_a_one_drawn_into_an_eight_is_a_second_digit(cnn, dx):
    strokes = [figure_eight(200, 140, 100), line((200 + dx, 40), (200 + dx, 240))]  # the 1 crosses the 8's right side
    assert read_number(canvas(strokes), cnn, strokes, 14).number == "81"


@pytest.mark.parametrize("dx", [40, 50, 60])
def test_a_one_written_before_an_eight_that_crosses_it_is_a_digit_of_its_own(cnn, dx):
    strokes = [line((200 - dx, 40), (200 - dx, 240)), figure_eight(200, 140, 100)]  # "18", the 8 over the 1
    assert read_number(canvas(strokes), cnn, strokes, 14).number == "18"


@pytest.mark.parametrize("left, right, digits", [(6, 9, 2), (1, 3, 2), (6, 1, 1), (1, 1, 1)])
def test_two_sure_digits_that_read_as_a_third_together_are_two_unless_the_later_is_a_one(left, right, digits):
    strokes = [ellipse(150, 140, 50, 100), ellipse(230, 140, 35, 100)]  # a wide and a narrow ring, just touching

    def score(digit):  # a stand-in network: each ring alone a sure digit, the two together a surer third
        width = np.ptp(np.flatnonzero(digit.image.max(0)))
        return (0, 0.999) if width > 150 else (left, 0.99) if width > 100 else (right, 0.99)

    assert len(segment_strokes(canvas(strokes), strokes, 14, score)) == digits


@pytest.mark.parametrize("flag", [
    line((100, 58), (230, 62)),  # written after the body, reaching well right of it
    np.concatenate([line((100, 58), (230, 62)), line((230, 62), (226, 135))]),  # hooked down, under half as tall as the 1
])
def test_a_flag_written_apart_that_reads_as_a_digit_of_its_own_joins_the_digit_before_it(flag):
    body = np.concatenate([line((100, 60), (95, 140), 8), ellipse(120, 185, 45, 45, start=-150, turn=270)])
    one, dash = line((330, 50), (330, 240)), line((410, 150), (450, 150))  # a dash over no digit
    strokes = [body, flag, one, dash]

    def score(digit):  # a stand-in network that reads the flag alone as a sure 7, the 5 with it less surely
        h, w = digit.image.shape[0] - 2 * 4, digit.image.shape[1] - 2 * 4
        return (7, 0.999) if h < 100 else (1, 0.99) if w < 40 else (5, 0.99) if w < 120 else (5, 0.3)

    found = segment_strokes(canvas(strokes), strokes, 14, score)
    assert len(found) == 2  # the 5 with its flag and the 1; the dash lies over no digit: none (as from the image)
    assert found[0].x0 < 90 and found[0].x1 > 225 and len(found[0].strokes) == 2


def test_a_dot_is_never_a_digit_and_a_fat_one_cropped_tight_is_still_a_one(cnn):
    one, seven = line((100, 40), (100, 240)), np.array([(220.0, 50.0), (320.0, 50.0), (250.0, 240.0)])
    full_stop = np.array([(170.0, 236.0)])  # a pen's width wide: too big for a speck
    for strokes, read in (([one, full_stop, seven], "1.7"), ([one, seven], "17")):
        reading = read_number(canvas(strokes, width=24), cnn, strokes, 24)
        assert reading.number == read  # the dot on the line between them is the decimal point
        assert len(reading.digits) == 2 and reading.digits[1].box.x0 > 190  # the 7 did not take the dot in
    found = segment_strokes(canvas([one], width=24), [one], 24)[0]
    assert found.image[0].max() == 0 and found.image[:, 0].max() == 0  # black all round: read as white on black


def test_each_digit_of_a_number_keeps_its_strokes_and_a_fat_pen_is_redrawn_thinner(cnn):
    from sources.redrawn import open_loops

    def holes(img):
        return open_loops(img >= 128)

    zero, eight = ellipse(200, 140, 11, 20, n=60), figure_eight(300, 140, 20)  # small, under a 24 px pen
    reading = read_number(canvas([zero, eight], width=24), cnn, [zero, eight], 24)
    assert reading.number == "08"
    for d, own in zip(reading.digits, ([zero], [eight])):
        assert len(d.box.strokes) == 1 and np.array_equal(d.box.strokes[0], own[0]) and d.box.pen == 24
        assert "Redrawn thinner" in [s.name for s in d.result.steps]
    assert holes(reading.digits[0].result.image) == 1 and holes(reading.digits[1].result.image) == 2
    # Saved with its strokes (as "Right?" under each digit saves it), a digit is read again as it was read here.
    from preprocessing import preprocess_canvas

    for d in reading.digits:
        again = preprocess_canvas(d.box.image, json.loads(json.dumps(d.box.json_data())))
        np.testing.assert_array_equal(again.image, d.result.image)
    # From the image alone there are no strokes to redraw.
    assert all(d.strokes == () for d in segment(canvas([zero, eight], width=24)))


def test_the_number_benchmark_measures_how_far_digits_lie_over_each_other():
    from conftest import benchmark

    module = benchmark("whole_numbers")
    assert module.crowding([(0, 10), (20, 30)]) == 0.0 and module.crowding([(0, 10)]) == 0.0
    assert module.crowding([(0, 10), (8, 40)]) == pytest.approx(0.2)  # touching: a fifth of the narrower
    assert module.crowding([(0, 40), (30, 34), (50, 60)]) == 1.0  # a narrow 1 drawn wholly over its neighbour
    assert module.canvas_size("320x128") == (320, 128)  # the phone strip
    rows = [{"input": "strokes", "truth": "2026", "read": "2026", "writer": "a", "unreadable": []},
            {"input": "strokes", "truth": "53", "read": "63", "writer": "b", "unreadable": []},
            {"input": "image", "truth": "698", "read": "", "writer": "c", "unreadable": ["c_6_31"]}]
    assert module.error_lines(rows) == ["strokes: wrote 53, read 63, writer b",
                                        "image: wrote 698, read (nothing), writer c (unreadable: c_6_31)"]
    for bad in ("320", "axb", "50x20"):
        with pytest.raises(argparse.ArgumentTypeError):
            module.canvas_size(bad)
    ones = [PenDigit(f"w_{k}", "w", 1, (np.array([[0.5, 0.0], [0.5, 1.0]]),)) for k in range(8)]
    canvas, strokes, width, spans = module.compose(ones, np.random.default_rng(0), (320, 128))
    assert canvas.shape == (128, 320) and len(strokes) == 8 and len(spans) == 8
    assert all(0 <= s[:, 0].min() and s[:, 0].max() < 320 and 0 <= s[:, 1].min() and s[:, 1].max() < 128 for s in strokes)
    for seed in range(5):  # the phone strip's pen is the app's there: the chosen 3-24 px scaled by 128/280
        pens = [module.compose(ones, np.random.default_rng(seed), size, scale_pen=scaled)[2]
                for size, scaled in [((840, 280), True), ((320, 128), True), ((320, 128), False)]]
        assert pens[1] == strip_pen(pens[0], 128) < pens[0] == pens[2]
    assert module.apart([(0, 10), (20, 30)], pen=8) and module.apart([(0, 10)], pen=50)
    assert not module.apart([(0, 10), (20, 30)], pen=12)  # the centre lines are apart, the inks not
    assert not module.apart([(0, 10), (8, 40)], pen=1)
    canvas = number("17", 30)
    for seed in range(6):  # the photo keeps the whole paper and adds the desk beside it, never over the writing
        photo = module.photo_of_paper(canvas, np.random.default_rng(seed))
        assert photo.shape[0] >= canvas.shape[0] and photo.shape[1] >= canvas.shape[1] and photo.shape != canvas.shape
        assert photo.min() == 50 and photo.max() == 225
        assert (photo < 100).sum() > (canvas > 128).sum()  # the ink, and the desk
        ruled = module.photo_of_paper(canvas, np.random.default_rng(seed), ruled=True)
        assert ruled.max() == 225 and (ruled == 185).sum() > 2 * canvas.shape[1]  # two lines' worth at least


def test_the_number_benchmark_pools_several_seeds_each_writing_its_own_numbers(tmp_path, capsys):
    from conftest import benchmark
    from test_model import write_pen_file

    module = benchmark("whole_numbers")

    def draws(seeds):
        return [(seed, length, k, rng.integers(10**9), photo.integers(10**9), mark.integers(10**9))
                for seed, length, k, rng, photo, mark in module.numbers_to_write(seeds, 2)]

    both = draws([0, 1])
    assert len(both) == 2 * 7 * 2 and [d[1] for d in both[:14]] == [2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8]
    assert both == draws([0]) + draws([1])  # each seed writes what it writes alone
    assert draws([0]) != draws([1])

    pen = write_pen_file(tmp_path / "pen.json.gz", per_writer=6)  # one held-out writer's 1s and 7s
    common = ["--pen-data", str(pen), "--per-length", "1", "--input", "strokes", "--json"]
    counts = {}
    for seeds in (["0"], ["1"], ["0", "1"]):
        assert module.main(common + ["--seed", *seeds]) == 0
        out = capsys.readouterr().out
        counts[" ".join(seeds)] = json.loads(out.strip().splitlines()[-1])["summary"]["strokes"]["all"]
        assert ("seeds 0, 1" in out) == (len(seeds) == 2)
    assert counts["0"]["n"] == counts["1"]["n"] == 7 and counts["0 1"]["n"] == 14
    assert counts["0 1"]["exact"] == pytest.approx((counts["0"]["exact"] + counts["1"]["exact"]) / 2)
    # One writer wrote them all: other writers drawn again are him again, so the interval is the figure.
    assert counts["0 1"]["exact_writer_interval_95"] == [pytest.approx(counts["0 1"]["exact"])] * 2
    with pytest.raises(SystemExit):
        module.main(common + ["--seed", "0", "1", "--memory", "1"])


@pytest.mark.parametrize("paper, rule", [(250, 200), (200, 160)])
@pytest.mark.parametrize("pen", [2, 4])
def test_a_number_photographed_on_ruled_paper_reads_as_on_the_canvas(cnn, paper, rule, pen):
    """Evenly lit gray paper (a photo's) with ruling lines every 40 px; the 7's bar and the 0's top
    and bottom lie right along lines. The lines were found only on paper near white, and the ink
    on them was painted over with them: the bar went ("110"), the 0 broke into pieces."""
    strokes = [line((160, 41), (160, 240)), np.array([(330, 41), (450, 41), (370, 240)]), ellipse(600, 140, 60, 99)]
    drawing = canvas(strokes, width=pen)
    sheet = np.full(drawing.shape, float(paper))
    for y in range(0, 280, 40):
        sheet[y : y + 2] = rule
    photo = (sheet - 0.75 * drawing * sheet / 255).astype(np.uint8)
    assert read_number(drawing, cnn).best_guess == "170"
    assert read_number(photo, cnn).best_guess == "170"


def ruled_photo(drawing: np.ndarray, tilt: float = 0.0, margin: int | None = None, shade: float = 0.0) -> np.ndarray:
    """`drawing` (white on black) as dark ink on ruled paper: gray 235 with lines at 190 every 36 px
    at `tilt` degrees, a margin line (at 160, as a red one is in gray) down the page at column
    `margin`, and the light falling off by `shade` of it from right to left."""
    h, w = drawing.shape
    sheet = np.full((h, w), 235.0)
    slope = np.tan(np.radians(tilt))
    for y in range(-200, h + 200, 36):
        cv2.line(sheet, (0, y), (w - 1, int(round(y + slope * w))), 190, 2)
    if margin is not None:
        cv2.line(sheet, (margin, 0), (int(round(margin - slope * h)), h - 1), 160, 2)
    sheet *= np.linspace(1 - shade, 1, w)[None, :]
    return (sheet - 0.75 * drawing * sheet / 255).astype(np.uint8)


@pytest.mark.parametrize("tilt, margin, shade", [(3.0, None, 0.3), (-4.5, None, 0.3), (0.0, 30, 0.0), (2.0, 810, 0.3)])
def test_a_number_on_a_notebook_page_photographed_at_a_slant_or_beside_its_margin_reads(cnn, tilt, margin, shade):
    """A page photographed a little turned: its lines were not found off the image's axes (read
    "187131"), and where one runs out through a corner, what is left of it was a digit ("1702");
    the margin line down ruled paper was read as a 1 ("1170")."""
    strokes = [line((160, 60), (160, 230)), np.array([(330, 60), (450, 60), (370, 230)]), ellipse(600, 145, 60, 85)]
    drawing = canvas(strokes, width=3)
    assert read_number(ruled_photo(drawing), cnn).best_guess == "170"
    assert read_number(ruled_photo(drawing, tilt, margin, shade), cnn).best_guess == "170"


def test_a_piece_too_faint_to_stand_out_alone_is_no_digit(cnn, monkeypatch):
    """The cutting may keep a faint piece (what is left of a ruling line) that, cropped alone, has
    nothing standing out from its background: it was read, and the whole number failed as blank."""
    import model.number as number_module
    from preprocessing.segment import Digit

    strokes = [line((160, 60), (160, 230)), np.array([(330, 60), (450, 60), (370, 230)])]
    drawing = canvas(strokes)
    found = segment(drawing)
    faint = Digit(600, 620, 60, 230, np.pad(np.full((170, 20), 30, np.uint8), 4))
    monkeypatch.setattr(number_module, "segment", lambda image, score=None, return_marks=False, leave_out=None: (found + [faint], []))
    assert read_number(drawing, cnn).best_guess == "17"
    monkeypatch.setattr(number_module, "segment", lambda image, score=None, return_marks=False, leave_out=None: ([faint], []))
    with pytest.raises(EmptyDrawingError, match="stands out"):
        read_number(drawing, cnn)


class AlwaysSeven:
    """A reader that answers 7 for every digit, and fails the test if asked to help cut."""

    def __init__(self):
        self.read = 0

    def predict(self, tensor, pen=None):
        self.read += 1
        return [(7, 0.99)] + [(d, 0.001) for d in range(10) if d != 7]

    def is_unsure(self, ranked):
        return False


def test_a_reader_reads_each_digit_the_network_cut_out(cnn):
    # A person's memory reads the digits; the cutting stays the network's (its priors were set on it).
    four = [np.array([(140, 40), (70, 170), (200, 170)]), line((160, 80), (160, 250))]
    strokes = four + [np.array([(330, 50), (450, 50), (380, 250)]), line((560, 45), (555, 250))]
    reader = AlwaysSeven()
    reading = read_number(canvas(strokes), cnn, strokes, 14, reader)
    assert reading.best_guess == "777" and reader.read == 3
    assert [d.box.x0 for d in reading.digits] == [d.box.x0 for d in read_number(canvas(strokes), cnn, strokes, 14).digits]


# --- Points and commas ---------------------------------------------------------------------

def one_at(x) -> np.ndarray:
    return line((x, 30), (x, 220))


def zero_at(cx) -> np.ndarray:
    return ellipse(cx, 125, 48, 95)


def seven_at(x) -> np.ndarray:
    return np.array([(x, 35.0), (x + 100, 35.0), (x + 30, 220.0)])


def dab(x, y=214.0) -> np.ndarray:
    return np.array([(x, y)])


def comma_at(x) -> np.ndarray:
    return line((x, 208), (x - 14, 248), 6)


@pytest.mark.parametrize("pen", [6, 14, 24])
@pytest.mark.parametrize("written, strokes", [
    ("1,000", lambda: [one_at(80), comma_at(145), zero_at(240), zero_at(380), zero_at(520)]),
    ("10.7", lambda: [one_at(80), zero_at(200), dab(290), seven_at(330)]),
])
def test_a_point_or_a_comma_between_digits_is_read_where_it_was_written(cnn, pen, written, strokes):
    strokes = strokes()
    drawing = canvas(strokes, pen)
    from_strokes, from_image = read_number(drawing, cnn, strokes, pen), read_number(drawing, cnn)
    assert from_strokes.number == from_strokes.best_guess == written
    assert from_image.number == written
    assert len(from_strokes.digits) == len(from_image.digits) == len(written) - 1  # the mark is no digit
    assert [m.kind for m in from_strokes.marks] == [written[len(written.rstrip("0123456789")) - 1]]


def three_with_its_foot_apart(x) -> list[np.ndarray]:
    """A 3 whose foot, a short stroke ending on the line to the left of its body, is written apart
    (as one held-out writer writes them): comma-shaped, but no comma hangs no lower than the digits."""
    return [np.array([(x + 25, 50.0), (x + 55, 32), (x + 95, 50), (x + 88, 100), (x + 50, 122), (x + 100, 150),
                      (x + 95, 195), (x + 75, 212)]), line((x + 45, 221), (x - 5, 207), 6)]


@pytest.mark.parametrize("case, strokes, read", [
    ("a 3's foot written apart", [one_at(80), *three_with_its_foot_apart(170), seven_at(320)], "137"),
    ("a colon", [one_at(80), dab(150, 100), dab(150), seven_at(220)], "17"),
    ("a dot halfway up", [one_at(80), dab(150, 125), seven_at(220)], "17"),
    ("a dot under a digit", [zero_at(120), dab(120, 250), seven_at(240)], "07"),
    ("a full stop after the number", [one_at(80), seven_at(160), dab(300)], "17"),
])
def test_what_is_no_decimal_point_is_not_read_as_one(cnn, case, strokes, read):
    drawing = canvas(strokes, 14)
    assert read_number(drawing, cnn, strokes, 14).number == read
    assert read_number(drawing, cnn).number == read


def test_a_speck_in_the_gap_of_a_photo_is_no_point(cnn):
    strokes = [one_at(80), seven_at(220)]
    drawing = canvas(strokes, 14)
    drawing[212:214, 150:152] = 255  # far less than a dab of the pen
    assert read_number(drawing, cnn).number == "17"


def test_cli_evaluate_numbers_reads_folders_with_a_point_or_a_comma(tmp_path, capsys):
    from model import evaluate

    for truth, strokes in [("10.7", [one_at(80), zero_at(200), dab(290), seven_at(330)]),
                           ("1,07", [one_at(80), comma_at(145), zero_at(240), seven_at(330)])]:
        (tmp_path / truth).mkdir()
        cv2.imwrite(str(tmp_path / truth / "a.png"), canvas(strokes, 14))
    (tmp_path / "1.7").mkdir()
    cv2.imwrite(str(tmp_path / "1.7" / "a.png"), canvas([one_at(80), seven_at(220)], 14))  # the point left out
    assert evaluate.main(["--arch", "cnn", "--numbers", str(tmp_path), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["n"] == 3 and result["exact"] == pytest.approx(2 / 3)
    assert result["segmentation_errors"] == 0.0 and result["digit_accuracy"] == 1.0  # its digits are right


@pytest.mark.parametrize("pen", [4, 6])
def test_a_small_low_piece_within_a_digit_stays_that_digits_ink(cnn, pen):
    # A 2 whose short base is written apart: small, low, nothing just over it, ink on both sides; it is
    # a mark's candidate, but lies within the 2, and without it the 2 reads as a 7.
    top = np.array([(40.0, 80), (70, 40), (120, 35), (150, 70), (140, 120), (60, 220)])
    strokes = [top, line((90, 235), (150, 235), 4), seven_at(240)]
    drawing = canvas(strokes, pen)
    _, candidates = segment_strokes(drawing, strokes, pen, return_marks=True)
    assert len(candidates) == 1
    for reading in (read_number(drawing, cnn, strokes, pen), read_number(drawing, cnn)):
        assert reading.number == "27" and not reading.marks
        assert reading.digits[0].box.y1 > 232  # the base is the 2's


@pytest.mark.parametrize("written, strokes, pen", [
    ("1.7", lambda: [one_at(80), dab(104), seven_at(200)], 24),  # the dab runs into the 1's foot
    ("2,0", lambda: [np.array([(40.0, 80), (70, 40), (120, 35), (150, 70), (140, 120), (60, 220), (150, 222)]),
                     line((168, 212), (158, 250), 6), zero_at(280)], 22),  # the comma into the 2's base
])
def test_a_mark_a_fat_pen_ran_into_a_digit_is_still_its_own_stroke(cnn, written, strokes, pen):
    strokes = strokes()
    drawing = canvas(strokes, pen)
    assert cv2.connectedComponents((drawing > 64).astype(np.uint8))[0] - 1 == 2  # one piece with the digit before it
    reading = read_number(drawing, cnn, strokes, pen)
    assert reading.number == written and len(reading.digits) == 2


@pytest.mark.parametrize("pen", [14, 24])
def test_a_dab_alone_is_one_piece_and_the_network_is_not_sure_of_it(cnn, pen):
    drawing = canvas([dab(150)], pen)
    for reading in (read_number(drawing, cnn, [dab(150)], pen), read_number(drawing, cnn)):
        assert len(reading.digits) == 1 and reading.number == "?"  # not cut in two as touching digits



def test_cli_predict_number_prints_a_price_with_its_point(tmp_path, capsys):
    from model import predict

    path = tmp_path / "price.png"
    cv2.imwrite(str(path), 255 - canvas([one_at(80), zero_at(200), dab(290), seven_at(330)], 14))
    assert predict.main(["--number", str(path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == f"{path}: 10.7" and len(lines) == 4  # the number, then its three digits' top-3


def test_a_lower_number_strip_draws_the_pen_thinner_in_step():
    """The sidebar's width is for the 280 px digit canvas; the phone's 128 px strip draws 20 px as 9."""
    assert strip_pen(20, 280) == 20 and strip_pen(20, 840) == 20  # never fatter than asked
    assert strip_pen(20, 128) == 9 and strip_pen(40, 160) == 23
    assert strip_pen(2, 128) == 2 and strip_pen(3, 128) == 2  # at least 2 px: still a line to see


def test_several_digits_side_by_side_on_the_digit_canvas_are_told_apart_from_one_digit(cnn):
    """Digit mode's "this looks like a number": two digits apart on the square, from the strokes and the image."""
    from model.number import several_digits

    def small(strokes, dx):  # the number helpers' 280 px tall strokes, at half size, moved right by dx
        return [s * 0.5 + np.array([dx, 70.0]) for s in strokes]

    seventeen = small([one_at(40)], 0) + small([seven_at(300)], 0)
    image = canvas(seventeen, 12, shape=(280, 280))
    for strokes in (seventeen, None):
        reading = several_digits(image, cnn, strokes, 12.0 if strokes else 0.0)
        assert reading is not None and reading.number == "17"
    four = [np.array([(110.0, 60), (5, 160), (275, 160)]), line((170, 80), (170, 230))]  # two strokes, one wide digit
    zero = [ellipse(140, 140, 120, 80)]  # wider than tall, but one digit
    for one in (four, zero):
        assert several_digits(canvas(one, 12, shape=(280, 280)), cnn, one, 12.0) is None
    assert several_digits(np.zeros((280, 280), np.uint8), cnn) is None  # blank: nothing to say


class SureOfEverything:
    """A stand-in network that reads any piece as a sure 7: what a cut through one digit may get."""

    def predict(self, tensor, pen=None):
        return [(7, 0.99)] + [(d, 0.001) for d in range(10) if d != 7]

    def is_unsure(self, ranked):
        return False


def test_from_an_image_a_digit_cut_in_two_is_no_number_in_digit_mode():
    """A wide 0 that a cut leaves as two sure digits (re-drawn MNIST 0s read "67") is one piece of ink."""
    from model.number import several_digits

    wide_zero = canvas([ellipse(140, 140, 125, 70)], 12, shape=(280, 280))
    assert len(read_number(wide_zero, SureOfEverything()).digits) >= 2  # the cut is there to be taken
    assert several_digits(wide_zero, SureOfEverything()) is None
    apart = canvas([ellipse(70, 140, 50, 70), ellipse(210, 140, 50, 70)], 12, shape=(280, 280))
    assert several_digits(apart, SureOfEverything()).number == "77"  # two pieces: two digits


def test_a_drawing_carried_to_a_smaller_strip_is_scaled_with_every_other_property_kept():
    drawn = strokes_to_json([np.array([[10.0, 20], [30, 40], [50, 80]])], 20)
    drawn["objects"][0] |= {"left": 10.0, "top": 20.0, "width": 40.0, "height": 60.0, "stroke": "#FFFFFF"}
    drawn["objects"].append({"type": "rect", "left": 1, "top": 1})  # not the pen's: left out
    half = scale_json(drawn, 0.5)
    points, width = strokes_from_json(half)
    assert len(points) == 1 and width == 10
    np.testing.assert_allclose(points[0], [[5, 10], [15, 20], [25, 40]])
    obj = half["objects"][0]
    assert (obj["left"], obj["top"], obj["width"], obj["height"], obj["stroke"]) == (5, 10, 20, 30, "#FFFFFF")
    assert drawn["objects"][0]["left"] == 10.0  # the drawing itself is untouched
    assert scale_json(None, 0.5) == {"objects": []} and scale_json({"objects": "junk"}, 2) == {"objects": []}
