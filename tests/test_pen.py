"""Pen digits: the canvas-faithful stroke renderer, the data loader, the writer split and the style augmentations."""

import gzip
import json
import os

import numpy as np
import pytest

from sources import styles
from sources.pen import (
    HELD_OUT_WRITERS,
    UNREADABLE,
    PenDataError,
    PenDigit,
    is_held_out,
    load_pen_digits,
    parse_pen_digits,
    pen_set,
    split_by_writer,
    unreadable_sheet,
)
from preprocessing.canvas_strokes import decimate, draw_strokes, pencil_path
from sources.canvas import render_strokes

# --- the renderer -----------------------------------------------------------------


@pytest.mark.parametrize("width", [3, 8, 21])
def test_a_straight_stroke_has_the_pen_width_and_round_caps(width):
    ink = draw_strokes([np.array([[40.0, 50.0], [120.0, 50.0]])], width, shape=(100, 160)).astype(float) / 255
    across = ink[:, 80].sum()  # ink across the middle of the stroke
    assert across == pytest.approx(width, abs=0.35)
    along = ink[50].sum()  # the caps add half a width at each end
    assert along == pytest.approx(80 + width, abs=0.6)
    # Round, not square: most of the way out along the cap, the ink is much narrower than the stroke.
    if width >= 8:  # a thinner cap is too few pixels to see its shape
        beyond = ink[:, int(round(120 + 0.8 * width / 2))].sum()
        assert beyond < 0.75 * width


def test_a_curve_runs_through_the_midpoints_and_ends_at_the_end_points():
    points = np.array([[10.0, 10.0], [50.0, 80.0], [90.0, 20.0], [130.0, 70.0]])
    path = pencil_path(points)
    for mid in (points[:-1] + points[1:]) / 2:
        assert np.min(np.linalg.norm(path - mid, axis=1)) < 1e-9
    assert np.allclose(path[0], points[0]) and np.allclose(path[-1], points[-1])
    # The corners are cut: the path never reaches the middle points themselves.
    assert np.min(np.linalg.norm(path - points[1], axis=1)) > 5
    ink = draw_strokes([points], 3, shape=(100, 150))
    for x, y in np.round((points[:-1] + points[1:]) / 2).astype(int):
        assert ink[y, x] > 200


def test_a_single_point_is_a_round_dot_of_the_pen_width():
    ink = draw_strokes([np.array([[50.0, 50.0]])], 20, shape=(100, 100)).astype(float) / 255
    assert ink.sum() == pytest.approx(np.pi * 10**2, rel=0.06)


def test_decimate_drops_points_closer_than_the_threshold_but_keeps_the_ends():
    points = np.array([[0, 0], [0.1, 0], [0.2, 0], [1, 0], [1.1, 0]], float)
    assert decimate(points, 0.4).tolist() == [[0, 0], [1, 0], [1.1, 0]]
    # Measured from the last point kept, not the one before: 0.3 is dropped, so 0.6 is 0.6 from 0 and kept.
    assert decimate(np.array([[0, 0], [0.3, 0], [0.6, 0], [0.9, 0]], float), 0.4).tolist() == [[0, 0], [0.6, 0], [0.9, 0]]
    spaced = np.array([[0, 0], [1, 0], [2, 0], [2.1, 0]], float)  # every inner point far enough: all kept
    assert decimate(spaced, 0.4).tolist() == spaced.tolist()


def test_rendering_is_deterministic_with_a_seed_and_varies_without():
    strokes = [np.array([[0.2, 0.1], [0.8, 0.1], [0.4, 0.9]])]
    first = render_strokes(strokes, np.random.default_rng(5), "normal", "large", "white-on-black")
    again = render_strokes(strokes, np.random.default_rng(5), "normal", "large", "white-on-black")
    other = render_strokes(strokes, np.random.default_rng(6), "normal", "large", "white-on-black")
    assert first.shape == (280, 280) and first.dtype == np.uint8
    assert np.array_equal(first, again)
    assert not np.array_equal(first, other)


@pytest.mark.parametrize("size,low,high", [("small", 0.30, 0.60), ("large", 0.60, 0.95)])
def test_rendered_digit_height_follows_its_size_condition(size, low, high):
    strokes = [np.array([[0.5, 0.0], [0.5, 1.0]])]  # a plain 1: its height is the drawing's height
    for seed in range(10):
        ink = render_strokes(strokes, np.random.default_rng(seed), "thin", size, "white-on-black")
        rows = np.nonzero(ink.max(axis=1) > 0)[0]
        assert low * 280 - 2 <= rows[-1] - rows[0] + 1 <= high * 280 + 2


def test_rendering_refuses_a_digit_without_strokes():
    with pytest.raises(ValueError):
        render_strokes([], np.random.default_rng(0), "normal", "large", "white-on-black")


# --- the loader -----------------------------------------------------------------


def write_pen_file(path, records):
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump(records, f)
    return path


def tiny_records():
    one = [[[0.5, 0.1], [0.5, 0.9]]]
    seven = [[[0.2, 0.1], [0.8, 0.1], [0.4, 0.9]]]
    return [
        {"id": "a_1", "writer": "writer-a", "set": "complete", "label": 1, "strokes": one},
        {"id": "a_7", "writer": "writer-a", "set": "complete", "label": 7, "strokes": seven},
        {"id": "b_7", "writer": "writer-b", "set": "corrupted", "label": 7, "strokes": seven + one},
    ]


def test_the_loader_reads_a_small_file(tmp_path):
    digits = load_pen_digits(write_pen_file(tmp_path / "digits.json.gz", tiny_records()))
    assert [(d.id, d.writer, d.label) for d in digits] == [("a_1", "writer-a", 1), ("a_7", "writer-a", 7), ("b_7", "writer-b", 7)]
    assert len(digits[2].strokes) == 2 and digits[2].strokes[0].shape == (3, 2)
    plain = tmp_path / "digits.json"
    plain.write_text(json.dumps(tiny_records()))
    assert len(load_pen_digits(plain)) == 3


def test_a_stroke_far_outside_the_box_is_dropped_but_one_running_over_its_edge_is_kept():
    zero = [[0.3, 0.2], [0.7, 0.5], [0.3, 0.8], [0.3, 0.2]]
    records = [
        {"id": "z", "writer": "w", "label": 0, "strokes": [zero, [[0.92, 2.39]]]},  # a lone touch far below
        {"id": "y", "writer": "w", "label": 0, "strokes": [zero, [[0.3, -0.15], [0.35, -0.15]]]},  # just over the top
        {"id": "x", "writer": "w", "label": 1, "strokes": [[[1.5, 2.3], [1.6, 2.8]]]},  # nothing else: kept
    ]
    digits = parse_pen_digits(records)
    assert [len(d.strokes) for d in digits] == [1, 2, 1]
    assert digits[0].strokes[0].shape == (4, 2)


def test_a_missing_file_is_a_clear_sentence(tmp_path):
    with pytest.raises(PenDataError, match="DIGILETS"):
        load_pen_digits(tmp_path / "nowhere.json.gz")


@pytest.mark.parametrize(
    "content,match",
    [
        (b"not gzip at all", "not readable"),
        (gzip.compress(b"{ broken json"), "not readable"),
        (gzip.compress(b'{"id": 1}'), "JSON list"),
        (gzip.compress(json.dumps([{"id": "x", "writer": "w", "label": 12, "strokes": [[[0, 0]]]}]).encode()), "label"),
        (gzip.compress(json.dumps([{"id": "x", "writer": "w", "label": 3, "strokes": [[[0, 0, 1]]]}]).encode()), "stroke"),
        (gzip.compress(json.dumps([{"id": "x", "writer": "w", "label": 3, "strokes": []}]).encode()), "strokes"),
        (gzip.compress(json.dumps([{"id": "x", "label": 3}]).encode()), "record 0"),
    ],
)
def test_a_malformed_file_is_a_clear_sentence(tmp_path, content, match):
    path = tmp_path / "digits.json.gz"
    path.write_bytes(content)
    with pytest.raises(PenDataError, match=match):
        load_pen_digits(path)


# --- the writer split -------------------------------------------------------------


def fake_digits(writers):
    stroke = (np.array([[0.5, 0.1], [0.5, 0.9]]),)
    return [PenDigit(f"{w}_{k}", w, k % 10, stroke) for w in writers for k in range(3)]


def test_the_writer_split_is_disjoint_about_a_fifth_and_stable():
    writers = [f"{i:03d}-x-20-right" for i in range(1000)]
    train, held = split_by_writer(fake_digits(writers))
    train_w, held_w = {d.writer for d in train}, {d.writer for d in held}
    assert not train_w & held_w and train_w | held_w == set(writers)
    assert 0.16 < len(held_w) / len(writers) < 0.24
    # Stable: order and the other writers do not matter.
    shuffled = fake_digits(writers[::-1][:300])
    assert {d.writer for d in split_by_writer(shuffled)[1]} == held_w & set(writers[::-1][:300])
    assert all(is_held_out(w) for w in held_w)


def test_the_documented_held_out_writers_are_the_rules_choice():
    assert all(is_held_out(w) for w in HELD_OUT_WRITERS)
    assert len(HELD_OUT_WRITERS) == len(set(HELD_OUT_WRITERS)) == 22
    path = os.environ.get("DIGILETS")
    if path and os.path.exists(path):
        writers = {d.writer for d in load_pen_digits(path)}
        assert len(writers) == 111
        assert {w for w in writers if is_held_out(w)} == set(HELD_OUT_WRITERS)


def test_the_unreadable_digits_are_corrupted_recordings_named_by_their_ids():
    # The id names the digit: writer, label, instance; each one says what it looks like instead.
    for digit_id, looks_like in UNREADABLE.items():
        writer, label, _ = digit_id.rsplit("_", 2)
        assert len(writer.split("-")) == 4 and label.isdigit() and looks_like
    path = os.environ.get("DIGILETS")
    if path and os.path.exists(path):
        by_id = {d.id: d for d in load_pen_digits(path)}
        for digit_id in UNREADABLE:
            digit = by_id[digit_id]
            assert digit.recording == "corrupted" and str(digit.label) == digit_id.rsplit("_", 2)[1]
            assert not digit.readable
        assert sum(d.readable for d in by_id.values()) == len(by_id) - len(UNREADABLE)


def test_readable_is_false_only_for_the_listed_ids_and_the_sheet_shows_them():
    stroke = (np.array([[0.5, 0.1], [0.5, 0.9]]),)
    listed = sorted(UNREADABLE)[:3]
    digits = [PenDigit(i, i.rsplit("_", 2)[0], int(i.rsplit("_", 2)[1]), stroke) for i in listed]
    digits += [PenDigit("someone_1_5", "someone", 1, stroke), PenDigit("someone_1_6", "someone", 1, (np.array([[0.5, 0.5]]),))]
    assert [d.readable for d in digits] == [False, False, False, True, True]
    sheet = unreadable_sheet(digits, per_row=2, tile=100)
    assert sheet.shape == (2 * 134, 200) and sheet.dtype == np.uint8  # three tiles: two rows of two
    assert (sheet[:100, :100] < 128).any() and (sheet[134:234, 100:200] > 250).all()  # ink in the first, the fourth empty


def test_pen_set_draws_every_copy_through_preprocess():
    digits = fake_digits(["writer-a", "writer-b"])
    images, labels = pen_set(digits, seed=0, copies=2, styled=True, processes=1).arrays()
    assert images.shape == (12, 28, 28) and images.dtype == np.uint8
    assert labels.tolist() == [d.label for d in digits] * 2
    assert (images.reshape(12, -1).max(axis=1) > 200).all()  # ink everywhere, nothing blank
    again, _ = pen_set(digits, seed=0, copies=2, styled=True, processes=1).arrays()
    assert np.array_equal(images, again)


def test_pen_set_reads_the_drawings_with_their_strokes_when_asked_as_the_app_reads_saved_ones():
    from preprocessing import preprocess
    from sources.canvas import conditions, draw_strokes, finish, place_strokes

    digits = fake_digits(["writer-a"]) * 6  # 18: every condition once, fat pens on small digits among them
    alone = pen_set(digits, seed=3, processes=1).images
    drawn = pen_set(digits, seed=3, processes=1, with_strokes=True).images
    rng = np.random.default_rng(3 * 100_003)  # pen_set's first chunk draws exactly so
    expected_alone, expected_drawn = [], []
    for d, (stroke, size, polarity) in zip(digits, conditions(len(digits), rng)):
        placed, width = place_strokes(d.strokes, rng, stroke, size)
        canvas = finish(draw_strokes(placed, width), rng, polarity)
        expected_alone.append(preprocess(canvas).image)
        expected_drawn.append(preprocess(canvas, strokes=placed, pen_width=width).image)
    np.testing.assert_array_equal(alone, np.stack(expected_alone))
    np.testing.assert_array_equal(drawn, np.stack(expected_drawn))
    assert not np.array_equal(alone, drawn)  # some were redrawn thinner


# --- the style augmentations --------------------------------------------------------

ZERO = [np.stack([0.5 + 0.3 * np.cos(t), 0.5 + 0.45 * np.sin(t)], 1) for t in [np.linspace(-np.pi / 2, 1.5 * np.pi, 30)]]
ONE = [np.array([[0.35, 0.3], [0.55, 0.05], [0.55, 0.5], [0.55, 0.95]])]
FOUR = [np.array([[0.3, 0.05], [0.15, 0.6], [0.85, 0.6]]), np.array([[0.65, 0.1], [0.65, 0.95]])]
SEVEN = [np.array([[0.2, 0.1], [0.5, 0.1], [0.8, 0.1], [0.6, 0.5], [0.45, 0.95]])]
CROSSED_SEVEN = SEVEN + [np.array([[0.45, 0.5], [0.8, 0.5]])]
NINE = [np.concatenate([np.stack([0.5 + 0.25 * np.cos(t), 0.3 + 0.22 * np.sin(t)], 1) for t in [np.linspace(0, 2 * np.pi, 25)]]
                       + [np.array([[0.75, 0.3], [0.73, 0.6], [0.7, 0.95]])])]

AUGMENTATIONS = [
    ("slash_zero", ZERO, styles.slash_zero),
    ("flag_one", ONE, styles.flag_one),
    ("flag_one foot", ONE, lambda s, r: styles.flag_one(s, r, foot=True)),
    ("cross_seven", SEVEN, styles.cross_seven),
    ("uncross_seven", CROSSED_SEVEN, lambda s, r: styles.cross_seven(s, r, crossed=False)),
    ("hook_seven", SEVEN, styles.hook_seven),
    ("curl_nine", NINE, styles.curl_nine),
    ("template_four", FOUR, lambda s, r: styles.template_four(r)),
    ("slant", FOUR, styles.slant),
    ("jitter", FOUR, styles.jitter),
    ("change_speed", NINE, styles.change_speed),
    ("straighten", ZERO, styles.straighten),
    ("wobble", NINE, styles.wobble),
    ("style_variant", SEVEN, lambda s, r: styles.style_variant(s, 7, r)),
]


@pytest.mark.parametrize("name,strokes,function", AUGMENTATIONS, ids=[a[0] for a in AUGMENTATIONS])
def test_each_style_returns_valid_strokes_inside_the_box_and_leaves_its_input_alone(name, strokes, function):
    before = [s.copy() for s in strokes]
    for seed in range(20):
        out = function(strokes, np.random.default_rng(seed))
        assert isinstance(out, list) and out
        for s in out:
            assert isinstance(s, np.ndarray) and s.ndim == 2 and s.shape[1] == 2 and len(s) >= 1
            assert np.isfinite(s).all()
            # Inside the digit's box, give or take what a slant, flag, hook or overshooting slash adds.
            assert (s > -0.35).all() and (s < 1.35).all(), (name, seed)
        # Drawable by the canvas renderer.
        assert render_strokes(out, np.random.default_rng(seed), "normal", "large", "white-on-black").max() == 255
    assert all(np.array_equal(a, b) for a, b in zip(strokes, before))


def test_slash_zero_adds_one_stroke_through_the_middle():
    out = styles.slash_zero(ZERO, np.random.default_rng(0))
    assert len(out) == 2
    slash = out[1]
    assert np.min(np.linalg.norm(slash - [0.5, 0.5], axis=1)) < 0.05
    assert np.ptp(slash[:, 1]) > np.ptp(slash[:, 0])  # steep: taller than wide


def test_flag_one_rises_from_the_lower_left_to_the_top_of_the_stem():
    for seed in range(10):
        out = styles.flag_one(ONE, np.random.default_rng(seed), foot=False)
        assert len(out) == 1
        start, apex = out[0][0], out[0][np.argmin(out[0][:, 1])]
        assert start[0] < apex[0] - 0.05 and start[1] > apex[1] + 0.05
        height = np.ptp(ONE[0][:, 1][1:])
        assert 0.19 * height <= np.linalg.norm(start - apex) <= 0.61 * height


def test_cross_seven_adds_or_removes_a_crossbar():
    crossed = styles.cross_seven(SEVEN, np.random.default_rng(0))
    assert len(crossed) == 2 and np.ptp(crossed[1][:, 1]) < 0.1
    assert 0.4 < crossed[1][:, 1].mean() < 0.7
    assert len(styles.cross_seven(CROSSED_SEVEN, np.random.default_rng(0), crossed=False)) == 1
    assert len(styles.cross_seven(CROSSED_SEVEN, np.random.default_rng(0), crossed=True)) == 2


def test_curl_nine_ends_curling_back_to_the_left():
    for seed in range(10):
        tail = styles.curl_nine(NINE, np.random.default_rng(seed))[0]
        assert len(tail) > len(NINE[0])
        assert tail[-1][0] < NINE[0][-1][0] - 0.03  # ends left of where the straight tail ended


#: A 0 written by a tablet: a ring sampled every few hundredths of its size.
DENSE_ZERO = [np.stack([0.5 + 0.3 * np.cos(t), 0.5 + 0.45 * np.sin(t)], 1) for t in [np.linspace(-np.pi / 2, 1.5 * np.pi, 120)]]


def test_straighten_turns_a_round_zero_into_a_polygon_of_straight_moves_near_its_own_points():
    zero = DENSE_ZERO[0]
    for seed in range(10):
        out = styles.straighten(DENSE_ZERO, np.random.default_rng(seed))[0]
        assert len(out) == len(zero)  # as densely sampled as it was
        assert np.allclose(out[0], zero[0]) and np.allclose(out[-1], zero[-1])
        turns = np.abs(np.diff(np.unwrap(np.arctan2(*np.diff(out, axis=0).T[::-1]))))
        assert (turns > 0.1).sum() >= 4  # corners...
        assert (turns < 1e-6).sum() > 0.6 * len(turns)  # ...and straight between them, where the ring turned everywhere
        # Every point of the ring stays within the tolerance (at most 5% of its size) of the polygon.
        gaps = np.min(np.linalg.norm(zero[:, None] - out[None], axis=2), axis=1)
        assert gaps.max() < 0.05 * 0.9 + 0.01
    # A tolerance so small that every point is a corner: the same ring, its points only slid along it.
    same = styles.straighten(DENSE_ZERO, np.random.default_rng(0), 1e-9, 1e-9)[0]
    assert np.min(np.linalg.norm(same[:, None] - zero[None], axis=2), axis=1).max() < 0.02  # the ring's spacing
    steps = np.linalg.norm(np.diff(same, axis=0), axis=1)
    assert np.allclose(steps, steps.mean(), rtol=1e-3)  # evenly along its length


def test_mouse_events_space_the_points_evenly_along_the_same_path():
    zero = DENSE_ZERO[0]
    out = styles.mouse_events(DENSE_ZERO, np.random.default_rng(0), 0.05, 0.05)[0]
    steps = np.linalg.norm(np.diff(out, axis=0), axis=1)
    assert np.allclose(steps[:-1], 0.05 * 0.9, rtol=0.05)  # 5% of the ring's size (its height, 0.9) apart...
    assert steps[-1] <= 0.05 * 0.9 + 1e-9 and np.allclose(out[[0, -1]], zero[[0, -1]])  # ...and its ends kept
    assert np.min(np.linalg.norm(out[:, None] - zero[None], axis=2), axis=1).max() < 0.02  # on the ring
    # A stroke shorter than one step keeps only its ends; a dot stays a dot.
    short = [np.array([[0.0, 0.0], [0.01, 0.0], [0.02, 0.0]]), np.array([[0.5, 0.5]]), np.array([[0.0, 1.0], [0.0, 0.0]])]
    out = styles.mouse_events(short, np.random.default_rng(0), 0.05, 0.05)
    assert len(out[0]) == 2 and len(out[1]) == 1


def test_wobble_moves_points_smoothly_by_at_most_the_amount():
    zero = DENSE_ZERO[0]
    size = np.ptp(zero[:, 1])
    for seed in range(10):
        moved = styles.wobble(DENSE_ZERO, np.random.default_rng(seed), amount=0.02)[0] - zero
        assert 0.002 * size < np.abs(moved).max() <= 0.02 * size + 1e-12
        # Slow: neighbouring points move alike (unlike jitter's point-to-point noise).
        for axis in range(2):
            assert np.corrcoef(moved[:-1, axis], moved[1:, axis])[0, 1] > 0.7


def test_template_four_open_and_closed_tops():
    rng = np.random.default_rng(0)
    for _ in range(10):
        arm, stem = styles.template_four(rng, open_top=False)
        assert np.allclose(arm[0], stem[0])  # closed: the arm starts at the stem's top
        arm, stem = styles.template_four(rng, open_top=True)
        assert arm[0][0] < stem[0][0] - 0.05  # open: the arm starts left of the stem


def test_the_real_pen_benchmark_reports_the_readable_drawings_apart():
    from conftest import benchmark

    module = benchmark("real_pen")

    def record(writer, label, predicted, readable=True):
        return {"writer": writer, "label": label, "predicted": predicted, "hit": label == predicted, "unsure": False,
                "stroke": "thin", "size": "small", "polarity": "white-on-black", "recording": "corrupted", "readable": readable}

    # Writer a: 40 right. Writer b: 36 right, 2 wrong on a damaged 8 (an S) and 2 wrong on a readable 1.
    records = ([record("a", 3, 3)] * 40 + [record("b", 5, 5)] * 36 + [record("b", 8, 5, readable=False)] * 2
               + [record("b", 1, 4)] * 2)
    r = module.summarise(records)
    assert r["accuracy"] == pytest.approx(76 / 80)
    assert r["readable"]["n"] == 78 and r["readable"]["accuracy"] == pytest.approx(76 / 78)
    assert r["readable"]["worst_writer"] == ("b", pytest.approx(36 / 38)) and r["readable"]["writers_below_97"] == ["b"]


def test_the_real_pen_benchmark_counts_what_either_network_alone_reads_right():
    from conftest import benchmark

    module = benchmark("real_pen")
    labels = [1, 1, 4, 5]
    # image right, pen right, neither (the pen with no answer: -1), both
    assert module.either_right(labels, [1, 7, 9, 5], [4, 1, -1, 5]) == pytest.approx(3 / 4)
    assert module.either_right(labels, [0, 0, 0, 0], [-1, -1, -1, -1]) == 0.0
    # right and kept; two wrong turned right; a right one turned wrong; a wrong one turned to another wrong
    assert module.pen_changes([1, 1, 4, 5, 2], [1, 7, 9, 5, 3], [1, 1, 4, 3, 6]) == {"to_right": 2, "to_wrong": 1,
                                                                                    "wrong_to_wrong": 1}
