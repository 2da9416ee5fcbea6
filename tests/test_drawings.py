import numpy as np
import pytest

from model.drawings import CANVAS, SCRIBBLE_KINDS, centre_line, conditions, random_scribble, render_digit, thin
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
