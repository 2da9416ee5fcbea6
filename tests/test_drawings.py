import numpy as np
import pytest

from sources.canvas import CANVAS, conditions, draw_grid_line, height_and_width, place_xy
from preprocessing.centre_line import thin
from sources.redrawn import centre_line, open_loops, render_digit
from sources.scribbles import SCRIBBLE_KINDS, random_scribble
from preprocessing import preprocess
from preprocessing.steps import estimate_stroke_width


def mnist_like_seven() -> np.ndarray:
    import cv2

    img = np.zeros((28, 28), np.uint8)
    cv2.polylines(img, [np.array([(7, 6), (20, 6), (12, 23)], np.int32)], False, 255, 2, cv2.LINE_AA)
    return img


def test_thinning_leaves_a_one_pixel_line():
    mask = np.zeros((40, 40), bool)
    mask[5:35, 15:24] = True  # a 9 px wide bar
    line = thin(mask)
    assert line.any()
    rows = line.sum(axis=1)
    assert set(rows[rows > 0]) == {1} and (rows > 0).sum() >= 18  # one pixel across, most of its length
    assert not (line & ~mask).any()


def nine(head_radius: int, filled: bool) -> np.ndarray:
    import cv2

    img = np.zeros((28, 28), np.uint8)
    cv2.circle(img, (14, 10), head_radius, 255, -1 if filled else 2, cv2.LINE_AA)
    cv2.line(img, (14 + head_radius, 10), (16, 24), 255, 2, cv2.LINE_AA)
    return img


def as_grid(points: np.ndarray) -> np.ndarray:
    grid = np.zeros(points.max(axis=0) + 1, bool)
    grid[tuple(points.T)] = True
    return grid


def pieces(mask: np.ndarray) -> int:
    import cv2

    return cv2.connectedComponents(mask.astype(np.uint8), connectivity=8)[0] - 1


def test_open_loops_counts_holes_big_enough_for_mnist():
    ring = np.zeros((100, 100), bool)
    ring[10:90, 10:90] = True
    assert open_loops(ring) == 0  # a solid square
    ring[30:70, 30:70] = False
    assert open_loops(ring) == 1
    pinhole = np.zeros((100, 100), bool)
    pinhole[10:90, 10:90] = True
    pinhole[50:52, 50:52] = False  # 4 px; one pixel of the 20x20 box is 4x4 px here
    assert open_loops(pinhole) == 0


def test_centre_line_goes_round_a_loop_the_pen_filled_in():
    # The head of this 9 is a solid disc: plain thinning shrinks it to a stub, which makes a 7.
    import cv2

    big = cv2.resize(nine(5, filled=True), None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
    assert open_loops(thin(big > 110)) == 0
    assert open_loops(as_grid(centre_line(nine(5, filled=True)))) == 1
    assert open_loops(as_grid(centre_line(nine(5, filled=False)))) == 1


def test_centre_line_bridges_a_faint_stretch_of_stroke():
    import cv2

    digit = np.zeros((28, 28), np.uint8)
    cv2.line(digit, (14, 4), (14, 24), 255, 2, cv2.LINE_AA)
    digit[13:16] = (digit[13:16] * 0.35).astype(np.uint8)  # the pen barely touched here
    big = cv2.resize(digit, None, fx=4, fy=4, interpolation=cv2.INTER_CUBIC)
    assert pieces(thin(big > 110)) == 2
    assert pieces(as_grid(centre_line(digit))) == 1


def test_centre_line_drops_specks_of_noise():
    digit = nine(5, filled=False)
    digit[25, 3] = 255  # one stray pixel
    assert pieces(as_grid(centre_line(digit))) == 1


def test_a_fat_pen_that_fills_a_loop_draws_again_with_the_loop_open():
    digit = nine(3, filled=False)
    line = centre_line(digit)
    filled_first = 0
    for seed in range(6):
        rng = np.random.default_rng(seed)
        height, width_px = height_and_width(rng, "fat", "small")
        first = draw_grid_line(line, place_xy(line, rng, height, width_px), width_px)
        filled_first += open_loops(first > 127) == 0
        ink = render_digit(digit, np.random.default_rng(seed), "fat", "small", "white-on-black")
        assert open_loops(ink > 127) >= 1, seed
    assert filled_first >= 3  # the redraw mattered


def test_centre_line_lies_on_the_digit():
    digit = mnist_like_seven()
    points = centre_line(digit)
    assert len(points) > 40
    assert (digit[points[:, 0] // 4, points[:, 1] // 4] > 0).all()


@pytest.mark.parametrize("stroke, size, polarity", [("thin", "small", "white-on-black"), ("fat", "large", "black-on-white"),
                                                    ("normal", "large", "rgba-transparent")])
def test_rendered_digit_meets_its_conditions(stroke, size, polarity):
    rng = np.random.default_rng(0)
    image = render_digit(mnist_like_seven(), rng, stroke, size, polarity)
    assert image.shape[:2] == (CANVAS, CANVAS) and image.dtype == np.uint8
    ink = {"white-on-black": image, "black-on-white": 255 - image, "rgba-transparent": image[..., -1]}[polarity]
    ys, xs = np.nonzero(ink > 127)
    height = ys.max() - ys.min() + 1
    low, high = {"small": (0.3, 0.6), "large": (0.6, 0.95)}[size]
    assert low * CANVAS - 3 <= height <= high * CANVAS + 3
    width = estimate_stroke_width(ink)
    assert {"thin": width <= 4, "normal": 3 <= width <= 21, "fat": width >= 15}[stroke], width


def test_rendering_is_repeatable_with_a_seed():
    a = render_digit(mnist_like_seven(), np.random.default_rng(5), "normal", "small", "white-on-black")
    b = render_digit(mnist_like_seven(), np.random.default_rng(5), "normal", "small", "white-on-black")
    np.testing.assert_array_equal(a, b)


def test_rendered_digit_survives_preprocessing_as_the_same_digit_shape():
    rng = np.random.default_rng(1)
    reference = preprocess(render_digit(mnist_like_seven(), rng, "normal", "large", "white-on-black")).image / 255
    for stroke in ("thin", "fat"):
        other = preprocess(render_digit(mnist_like_seven(), rng, stroke, "small", "black-on-white")).image / 255
        assert np.corrcoef(reference.ravel(), other.ravel())[0, 1] > 0.8


def test_conditions_cover_every_combination_equally():
    chosen = conditions(18 * 3, np.random.default_rng(0))
    assert len(set(chosen)) == 18
    assert all(chosen.count(c) == 3 for c in set(chosen))


@pytest.mark.parametrize("kind", SCRIBBLE_KINDS)
def test_scribbles_are_drawn(kind):
    rng = np.random.default_rng(2)
    image = random_scribble(rng, "normal", "large", "white-on-black", kind=kind)
    assert image.shape == (CANVAS, CANVAS) and (image > 127).sum() > 200
