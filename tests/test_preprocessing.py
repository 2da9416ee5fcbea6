import cv2
import numpy as np
import pytest
from conftest import draw_digit, to_canvas_rgba

from preprocessing import EmptyDrawingError, Options, preprocess
from preprocessing import steps as S


def step(result, name):
    return next(s for s in result.steps if s.name == name)


def ink_extent(img, level=64):
    ys, xs = np.nonzero(img > level)
    return ys.max() - ys.min() + 1, xs.max() - xs.min() + 1


def test_result_shape_dtype_and_standardization():
    result = preprocess(to_canvas_rgba(draw_digit("7")))
    assert result.tensor.shape == (1, 28, 28) and result.tensor.dtype == np.float32
    # Background pixels standardize to -mean/std, full ink to (1 - mean)/std.
    assert result.tensor.min() == pytest.approx(-0.1307 / 0.3081, abs=1e-5)
    assert result.tensor.max() == pytest.approx((1 - 0.1307) / 0.3081, abs=0.05)


def test_every_step_is_recorded_in_order_as_a_displayable_image():
    result = preprocess(to_canvas_rgba(draw_digit("4")))
    names = [s.name for s in result.steps]
    assert names == [
        "Input", "Grayscale", "Polarity", "Noise removed", "Bounding box", "Cropped",
        "Stroke width", "Fitted 20×20", "Centred 28×28", "Scaled to [0, 1]", "Standardized tensor",
    ]
    for s in result.steps:
        assert s.image.dtype == np.uint8 and s.image.ndim in (2, 3), s.name
        assert s.caption and "\n" not in s.caption
        assert s.seconds >= 0
    assert step(result, "Fitted 20×20").image.shape == (20, 20)
    assert result.image.shape == (28, 28)
    assert step(result, "Bounding box").image.shape[2] == 3  # drawn in colour


def test_thin_one_stays_tall_and_thin():
    result = preprocess(draw_digit("1", stroke=10))
    height, width = ink_extent(step(result, "Fitted 20×20").image)
    assert height >= 19
    assert width <= 8


def test_stretching_instead_would_make_a_block():
    result = preprocess(draw_digit("1", stroke=10), Options(keep_aspect=False))
    height, width = ink_extent(step(result, "Fitted 20×20").image)
    assert width >= 18  # what a 22x22-stretching app feeds its model


@pytest.mark.parametrize("box", [(0.0, 0.0, 0.3, 0.35), (0.6, 0.55, 0.95, 0.98), (0.05, 0.5, 0.4, 0.9)])
@pytest.mark.parametrize("digit", ["7", "4", "0"])
def test_off_centre_digit_ends_with_centre_of_mass_at_14_14(digit, box):
    result = preprocess(draw_digit(digit, box=box, stroke=8))
    cy, cx = S.centre_of_mass(result.image)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5


def test_box_centering_leaves_centre_of_mass_where_it_falls():
    result = preprocess(draw_digit("7"), Options(centering="box"))
    ys, xs = np.nonzero(result.image)
    assert (ys.min() + ys.max()) / 2 == pytest.approx(13.5, abs=1)
    assert abs(S.centre_of_mass(result.image)[0] - 14) > 0.5  # a 7's mass sits high


@pytest.mark.parametrize("digit", ["7", "4", "0", "1"])
def test_thin_and_fat_strokes_give_nearly_the_same_image(digit):
    images = [preprocess(draw_digit(digit, stroke=w)).image.astype(float) / 255 for w in (2, 12, 30)]
    for other in images[1:]:
        assert np.abs(images[0] - other).mean() < 0.06
        assert np.corrcoef(images[0].ravel(), other.ravel())[0, 1] > 0.85
    # ... whereas without stroke normalisation they differ a lot
    raw = [preprocess(draw_digit(digit, stroke=w), Options(normalize_stroke=False)).image / 255 for w in (2, 30)]
    assert np.abs(raw[0] - raw[1]).mean() > 2 * np.abs(images[0] - images[2]).mean()


def test_inverted_input_gives_the_same_tensor():
    digit = draw_digit("7")
    a = preprocess(digit).tensor
    b = preprocess(255 - digit).tensor
    np.testing.assert_allclose(a, b, atol=1e-6)
    assert step(preprocess(255 - digit), "Polarity").caption.startswith("Inverted")


def test_gray_rgb_rgba_and_float_inputs_agree():
    gray = draw_digit("4")
    reference = preprocess(gray).tensor
    variants = [
        np.stack([gray] * 3, axis=2),
        to_canvas_rgba(gray),
        gray[:, :, None],
        gray.astype(np.float32) / 255,
    ]
    for image in variants:
        np.testing.assert_allclose(preprocess(image).tensor, reference, atol=0.02)


def test_rgba_dark_ink_on_transparent_background_is_read():
    gray = draw_digit("7")
    rgba = np.zeros(gray.shape + (4,), np.uint8)  # black ink, alpha = ink, transparent elsewhere
    rgba[..., 3] = gray
    np.testing.assert_allclose(preprocess(rgba).tensor, preprocess(gray).tensor, atol=0.02)


def test_specks_are_removed_and_do_not_move_the_digit():
    clean = draw_digit("7", stroke=14)
    noisy = clean.copy()
    for x, y in [(10, 10), (270, 15), (12, 265), (260, 260)]:
        cv2.circle(noisy, (x, y), 3, 255, -1)
    result = preprocess(noisy)
    assert "4 specks" in step(result, "Noise removed").caption
    np.testing.assert_allclose(result.tensor, preprocess(clean).tensor, atol=1e-6)


@pytest.mark.parametrize("pen", [20, 30])
def test_a_tap_of_a_fat_pen_away_from_the_digit_is_dropped(pen):
    """A small 7 and, far from it, a dot from a slip of a fat pen: the dot is over 5% of the 7's
    ink, but small and far from it, so it is erased and the 7 is framed alone."""
    clean = draw_digit("7", stroke=pen, box=(0.1, 0.1, 0.45, 0.45))
    tapped = clean.copy()
    cv2.circle(tapped, (240, 240), pen // 2, 255, -1, cv2.LINE_AA)
    result = preprocess(tapped)
    assert "1 speck" in step(result, "Noise removed").caption
    np.testing.assert_allclose(result.tensor, preprocess(clean).tensor, atol=1e-6)
    # Weighing the pieces of a number keeps them: a cut leaves such bits, and they count against it.
    assert "0 specks" in step(preprocess(tapped, Options(remove_strays=False)), "Noise removed").caption


def test_a_5_with_its_flag_written_apart_keeps_the_flag():
    """A part of the digit near it is not a stray mark, however small."""
    img = np.zeros((280, 280), np.uint8)
    cv2.polylines(img, [np.array([(100, 60), (95, 130), (150, 125), (175, 170), (150, 220), (95, 215)], np.int32)],
                  False, 255, 16, cv2.LINE_AA)
    cv2.line(img, (125, 55), (185, 55), 255, 16, cv2.LINE_AA)  # the flag, 15 px apart from the stem
    assert "0 specks" in step(preprocess(img), "Noise removed").caption


def test_low_contrast_photo_is_stretched():
    photo = (draw_digit("7").astype(np.float32) * (80 / 255) + 120).astype(np.uint8)  # gray ink on gray
    np.testing.assert_allclose(preprocess(photo).tensor, preprocess(draw_digit("7")).tensor, atol=0.1)


def test_large_upload_is_shrunk_first():
    big = cv2.resize(draw_digit("7"), (2800, 2800), interpolation=cv2.INTER_LINEAR)
    result = preprocess(big)
    assert "shrunk" in result.steps[0].caption
    assert max(step(result, "Grayscale").image.shape) <= S.WORKING_SIDE
    assert np.corrcoef(result.image.ravel(), preprocess(draw_digit("7")).image.ravel())[0, 1] > 0.9


@pytest.mark.parametrize(
    "image",
    [np.zeros((280, 280), np.uint8), np.full((280, 280, 4), 0, np.uint8), np.full((50, 60, 3), 200, np.uint8),
     np.random.default_rng(0).integers(100, 120, (64, 64)).astype(np.uint8)],
    ids=["black", "transparent", "flat-gray", "faint-noise"],
)
def test_blank_raises_empty_drawing_error(image):
    with pytest.raises(EmptyDrawingError, match="blank"):
        preprocess(image)


@pytest.mark.parametrize("shape", [(4, 1), (1, 4), (2, 1), (4, 2), (3, 3), (5, 1), (1, 3)])
def test_tiny_images_of_any_shape_give_a_tensor(shape):
    # A sliver of a number cut apart can be this small; OpenCV once took a 4-pixel image for a Scalar.
    image = np.zeros(shape, np.uint8)
    image[shape[0] // 2, shape[1] // 2] = 200
    assert preprocess(image).tensor.shape == (1, 28, 28)


def test_a_dot_is_not_blank():
    dot = np.zeros((280, 280), np.uint8)
    cv2.circle(dot, (140, 140), 8, 255, -1)
    assert preprocess(dot).tensor.shape == (1, 28, 28)


@pytest.mark.parametrize(
    "image, message",
    [
        (np.zeros(10, np.uint8), "shape"),
        (np.zeros((5, 5, 2), np.uint8), "shape"),
        (np.zeros((0, 10), np.uint8), "empty"),
        (np.zeros((8, 8), np.int32), "pixel type"),
        (np.full((8, 8), 2.0), r"\[0, 1\]"),
        (np.full((8, 8), np.nan), "NaN"),
        ([[0, 1], [1, 0]], "numpy array"),
        (np.zeros((7000, 7000), np.uint8), "too large"),
    ],
)
def test_bad_input_raises_value_error_with_a_sentence(image, message):
    with pytest.raises(ValueError, match=message):
        preprocess(image)


def test_options_are_validated():
    with pytest.raises(ValueError, match="centering"):
        preprocess(draw_digit("7"), Options(centering="middle"))
    with pytest.raises(ValueError, match="invert"):
        preprocess(draw_digit("7"), Options(invert="sometimes"))


@pytest.mark.parametrize("width", [1, 3, 6, 11, 20, 35])
def test_stroke_width_estimate_matches_drawn_width(width):
    img = np.zeros((300, 300), np.uint8)
    cv2.line(img, (150, 40), (150, 260), 255, width)  # OpenCV draws a width-t line about t+1 px wide
    row = img[150] > 127
    assert S.estimate_stroke_width(img) == pytest.approx(row.sum(), abs=1)


def test_stroke_normalisation_reaches_the_mnist_ratio():
    for width in (2, 30):
        crop = S.crop(draw_digit("7", stroke=width), S.bounding_box(draw_digit("7", stroke=width)))
        out, before, target = S.normalize_stroke_width(crop)
        ratio = S.estimate_stroke_width(out) / max(out.shape)
        assert ratio == pytest.approx(S.MNIST_STROKE_RATIO, abs=0.03), (width, before, target)


def test_thickening_keeps_the_faint_half_lit_part_of_a_thin_stroke():
    # A 1-px pen: the stem lies on a pixel column (fully lit), the foot between two pixel rows, so
    # each of its rows is lit less than half, as a canvas draws a line at whole-pixel coordinates.
    img = np.zeros((60, 50), np.uint8)
    img[0:60, 2] = 255
    img[57:59, 2:50] = 110
    out, before, target = S.normalize_stroke_width(img)
    assert target > before + 3  # thickened
    # The foot is thickened with the stem: the digit is still as wide as its foot, not a bare stem.
    assert out.shape[1] >= 48 + target - 2 and out[-1 - int(target / 2), -2] > 127


def test_steps_do_not_modify_their_input():
    img = draw_digit("7")
    before = img.copy()
    preprocess(img)
    np.testing.assert_array_equal(img, before)


def test_display_tiles_are_square_and_pixel_exact():
    from preprocessing.display import for_display

    tile = for_display(np.arange(6, dtype=np.uint8).reshape(2, 3))
    assert tile.shape == (168, 168)
    np.testing.assert_array_equal(tile[::56, ::56], [[0, 1, 2], [3, 4, 5], [0, 0, 0]])  # padded below
    assert (tile[:56, :56] == 0).all() and (tile[:56, 56:112] == 1).all()  # each pixel a 56x56 square
    big = np.zeros((300, 200, 3), np.uint8)
    assert for_display(big).shape == (300, 300, 3)


def test_fast_median_equals_numpys():
    rng = np.random.default_rng(0)
    for n in [1, 2, 3, 10, 11, 1680]:
        for values in (rng.integers(0, 256, n).astype(np.uint8), rng.random(n).astype(np.float32)):
            assert S._median(values) == float(np.median(values))


def test_heat_map_spans_viridis_from_minimum_to_maximum():
    x = np.linspace(-0.4242, 2.8215, 28 * 28, dtype=np.float32).reshape(28, 28)
    rgb = S.heat_map(x)
    assert rgb.shape == (28, 28, 3) and rgb.dtype == np.uint8
    assert tuple(rgb[0, 0]) == (68, 1, 84)  # viridis's dark purple
    assert tuple(rgb[-1, -1]) == (253, 231, 37)  # and its yellow
    assert (S.heat_map(np.zeros((28, 28), np.float32)) == rgb[0, 0]).all()  # flat: all the low end


def test_naive_pipeline_stretches_the_box_to_22_and_pads_to_28():
    from conftest import draw_digit

    from preprocessing import naive_preprocess

    result = naive_preprocess(draw_digit("1", box=(0.1, 0.05, 0.9, 0.95)))
    ink = np.argwhere(result.image > 0)
    assert result.image.shape == (28, 28) and result.tensor.shape == (1, 28, 28)
    assert ink.min(0).tolist() == [3, 3] and ink.max(0).tolist() == [24, 24]  # a 1 stretched into a block


def paper_photo(digit: str, ink: tuple[int, int, int], stroke: int, ruled: bool = True) -> np.ndarray:
    """A phone photo of a digit on ruled paper: light falling off to one side, a shadow, blue lines."""
    import cv2
    from conftest import draw_digit

    h, w = 300, 400
    light = np.linspace(175, 245, w)[None, :].repeat(h, 0)
    yy, xx = np.mgrid[:h, :w]
    light *= 1 - 0.3 / (1 + np.exp(-(0.05 * (xx - 0.75 * yy))))  # a soft-edged shadow across a corner
    paper = np.repeat(light[..., None], 3, axis=2)
    if ruled:
        # Blue ruling. The 7's bar falls between two lines: a pencil stroke lying right along a line,
        # as pale as the line, is erased with it (a known limit of flatten_paper).
        for y in range(8, h, 28):
            paper[y : y + 2] *= np.array([110, 140, 225]) / 255
    mask = draw_digit(digit, size=240, stroke=stroke).astype(float) / 255
    canvas = np.zeros((h, w))
    canvas[30:270, 80:320] = mask
    photo = paper * (1 - canvas[..., None]) + np.array(ink) * canvas[..., None] * (paper / 255)
    return cv2.GaussianBlur(photo.clip(0, 255).astype(np.uint8), (3, 3), 0)


@pytest.mark.parametrize("digit, ink, stroke", [
    ("7", (25, 25, 35), 16),     # dark marker
    ("7", (120, 120, 125), 7),   # light pencil
    ("0", (25, 25, 35), 14),
    ("1", (120, 120, 125), 7),
])
def test_a_digit_photographed_on_lined_paper_is_read(digit, ink, stroke):
    from conftest import ROOT

    from model.predict import load_predictor
    from preprocessing import preprocess

    result = preprocess(paper_photo(digit, ink, stroke))
    assert [s.name for s in result.steps][2] == "Paper flattened"
    assert "ruling lines erased" in result.steps[2].caption and "uneven light" in result.steps[2].caption
    assert load_predictor("cnn", weights=ROOT / "weights" / "cnn.pt").predict(result.tensor)[0][0] == int(digit)


@pytest.mark.parametrize("ink", [30, 90])
def test_a_thin_pen_crossing_ruling_lines_stays_whole_and_a_bar_along_a_line_is_kept(ink):
    """Ink on a ruling line is darker than the line: painted over with it, a thin pen's 0 came back
    broken at every line (dashes), and a 7's bar lying along a line was erased."""
    import cv2

    from preprocessing.steps import flatten_paper

    img = np.full((280, 420), 235, np.uint8)
    for y in range(10, 280, 30):
        img[y : y + 2] = 185  # pale ruling, 2 px
    cv2.ellipse(img, (120, 145), (45, 105), 0, 0, 360, ink, 2, cv2.LINE_AA)  # a thin pen's 0, its top along a line
    cv2.line(img, (250, 100), (380, 100), ink, 2, cv2.LINE_AA)  # a bar right along the line at y = 100
    flat, done = flatten_paper(img)
    assert "ruling lines erased" in done
    dark = (flat < (235 + ink) / 2).astype(np.uint8)
    assert not dark[:, 180:240].any() and not dark[:60, 400:].any()  # the lines themselves are gone
    n, _ = cv2.connectedComponents(dark[:, :200], connectivity=8)
    assert n == 2  # the 0 is one piece of ink
    assert (dark[99:102, 255:375].any(axis=0)).all()  # the bar is still there, end to end


@pytest.mark.parametrize("ink, kept", [(160, False), (60, True), (110, True)])
def test_a_lone_line_down_ruled_paper_goes_only_if_it_is_as_pale_as_a_margin(ink, kept):
    """Ruled paper's margin line (red: 160 in gray) is erased with the ruling; a pen's or a pencil's
    stroke down the whole image (a tall 1 cropped tight) is darker, and stays."""
    import cv2

    from preprocessing.steps import flatten_paper

    img = np.full((280, 300), 235, np.uint8)
    for y in range(10, 280, 36):
        img[y : y + 2] = 190
    cv2.line(img, (150, 0), (150, 279), ink, 2)
    flat, done = flatten_paper(img)
    assert "ruling lines erased" in done
    assert (flat[50:250, 148:153].min(axis=1) < 200).all() == kept


@pytest.mark.parametrize("digit, side", [("7", "right"), ("1", "below"), ("0", "left")])
def test_a_digit_photographed_with_the_desk_beside_the_paper_is_read(digit, side):
    """A phone photo of one digit takes in the desk beside the paper: a dark band along one side,
    far thicker than the writing. It was taken for part of the digit (a 7 read as 1)."""
    from conftest import ROOT, draw_digit

    from model.predict import load_predictor
    from preprocessing import preprocess

    ink = draw_digit(digit, size=200, stroke=10).astype(float)
    canvas = np.zeros((280, 280))
    canvas[40:240, 40:240] = ink
    paper = (225 - 0.75 * canvas * 225 / 255).astype(np.uint8)
    band = np.full((280, 45), 50, np.uint8)
    photo = {"right": np.hstack([paper, band]), "left": np.hstack([band, paper]),
             "below": np.vstack([paper, band.T[:, :280]])}[side]
    result = preprocess(photo)
    assert "Desk set aside" in [s.name for s in result.steps]
    assert load_predictor("cnn", weights=ROOT / "weights" / "cnn.pt").predict(result.tensor)[0][0] == int(digit)
    assert "Desk set aside" not in [s.name for s in preprocess(paper).steps]


def test_the_desk_is_set_aside_only_when_the_digit_lies_clear_of_the_edge():
    """A digit cropped tight touches the image's edge, and a thick piece of it is no desk."""
    from preprocessing.steps import set_aside_desk

    img = np.zeros((200, 240), np.uint8)
    img[:, 200:] = 255  # a solid band along the right side, 40 px thick
    img[40:160, 90:96] = 255  # a 1, 6 px thin, clear of the edge
    out, taken = set_aside_desk(img)
    assert taken and not out[:, 200:].any() and out[40:160, 90:96].all()
    img[0:40, 93:96] = 255  # the 1 now runs up to the top edge: a crop, not a photo
    out, taken = set_aside_desk(img)
    assert not taken and np.array_equal(out, img)


@pytest.mark.parametrize("stroke", [6, 10, 16])
def test_a_digit_cropped_tight_keeps_the_strokes_that_span_it(stroke):
    """A scan's crop of a "Z"-shaped 2: its bar and foot run across the whole image, like
    two ruling lines, but they are strokes, thicker than a hairline, and are kept."""
    import cv2

    from preprocessing.steps import flatten_paper

    img = np.full((240, 150), 255, np.uint8)
    s = stroke // 2
    cv2.polylines(img, [np.array([(s, s), (149 - s, s), (s, 239 - s), (149 - s, 239 - s)], np.int32)], False, 30, stroke, cv2.LINE_AA)
    flat, done = flatten_paper(img)
    assert done is None or "ruling lines" not in done
    assert (flat[s] < 128).mean() > 0.9 and (flat[239 - s] < 128).mean() > 0.9  # bar and foot still ink


@pytest.mark.parametrize("side", [16, 28])
def test_a_small_crop_is_not_taken_for_a_photo(side):
    """Datasets' digits (16 px, 28 px) cropped tight touch the border: never flattened as paper."""
    import cv2

    from preprocessing.steps import flatten_paper

    img = np.full((side, side), 255, np.uint8)
    cv2.rectangle(img, (0, 0), (side - 1, side - 1), 40, 2)  # a 0 drawn to the crop's edges
    cv2.line(img, (0, side // 2), (side - 1, side // 2), 40, 1)
    flat, done = flatten_paper(img)
    assert done is None and np.array_equal(flat, img)


def test_a_canvas_is_never_flattened():
    from conftest import draw_digit, to_canvas_rgba

    from preprocessing import preprocess

    for image in (draw_digit("7"), 255 - draw_digit("7"), to_canvas_rgba(draw_digit("7"))):
        assert "Paper flattened" not in [s.name for s in preprocess(image).steps]


# -- a fat pen's strokes drawn again thinner --------------------------------------------------------

def _loop(cx=140.0, cy=140.0, rx=11.0, ry=20.0, n=60) -> np.ndarray:
    t = np.linspace(0, 2 * np.pi, n)
    return np.stack([cx + rx * np.cos(t), cy + ry * np.sin(t)], 1)


def _holes(img: np.ndarray) -> int:
    """The loops left open in the ink."""
    from sources.redrawn import open_loops

    return open_loops(img >= 128)


def test_a_fat_pen_on_a_small_loop_is_redrawn_with_the_loop_open():
    from preprocessing.canvas_strokes import draw_strokes

    loop = _loop()
    fat = draw_strokes([loop], 24)  # a 0 about 40 px tall under a 24 px pen: the hole is gone
    assert _holes(fat) == 0 and _holes(preprocess(fat).image) == 0
    result = preprocess(fat, strokes=[loop], pen_width=24)
    assert [s.name for s in result.steps][:2] == ["Input", "Redrawn thinner"] and result.redrawn
    assert "24 px" in step(result, "Redrawn thinner").caption
    assert _holes(result.image) == 1
    # Switched off, or without the strokes, the image alone is all there is.
    off = preprocess(fat, Options(redraw_strokes=False), strokes=[loop], pen_width=24)
    assert "Redrawn thinner" not in [s.name for s in off.steps] and not off.redrawn
    np.testing.assert_array_equal(off.tensor, preprocess(fat).tensor)


def test_a_tap_of_the_pen_beside_the_digit_does_not_make_it_look_big_enough_for_its_pen():
    from preprocessing.canvas_strokes import draw_strokes, redraw_thinner

    loop, tap = _loop(), np.array([[260.0, 260.0]])  # a small 0, and the pen put down far off
    _, width = redraw_thinner([loop], 24)
    ink, with_tap = redraw_thinner([loop, tap], 24)
    assert with_tap == width and max(ink.shape) <= S.WORKING_SIDE
    result = preprocess(draw_strokes([loop, tap], 24), strokes=[loop, tap], pen_width=24)
    assert _holes(result.image) == 1  # the tap dropped as a stray mark, the 0's hole open


def test_the_redrawn_pen_has_mnists_width_for_the_digits_size():
    from preprocessing.canvas_strokes import REDRAW_MARGIN, redraw_thinner

    loop = _loop(rx=30, ry=60)
    ink, width = redraw_thinner([loop], 40)
    extent = 120.0  # the centre lines' longest side
    assert width == pytest.approx(S.MNIST_STROKE_RATIO * extent / (1 - S.MNIST_STROKE_RATIO), rel=1e-3)
    inner = ink[REDRAW_MARGIN:-REDRAW_MARGIN, REDRAW_MARGIN:-REDRAW_MARGIN]  # the ink's box
    assert S.estimate_stroke_width(ink) / max(inner.shape) == pytest.approx(S.MNIST_STROKE_RATIO, abs=0.02)
    # Larger drawings are drawn at the working size, as preprocess() shrinks its input.
    big, _ = redraw_thinner([loop * 4], 200)
    assert max(big.shape) <= S.WORKING_SIDE
    for drawn in (ink, big):  # a black border all round: preprocess() reads the polarity there
        assert max(drawn[0].max(), drawn[-1].max(), drawn[:, 0].max(), drawn[:, -1].max()) == 0


@pytest.mark.parametrize("strokes, width", [
    ([_loop()], 4),                                 # a pen no fatter than MNIST's: thickening loses nothing
    ([np.array([[50.0, 50.0]])], 20),               # a dot: its disc is all there is
    ([np.array([[50.0, 50.0], [60.0, 52.0]])], 20),  # strokes shorter than the pen is wide
    ([], 20), (None, 20), ("junk", 20), ([_loop()], float("nan")), ([_loop()], 0),
    ([np.array([[1.0, float("inf")], [5.0, 5.0]])], 20), ([np.zeros((3, 3))], 20),
])
def test_nothing_is_redrawn_where_nothing_is_gained_or_the_strokes_are_unusable(strokes, width):
    from preprocessing.canvas_strokes import redraw_thinner

    assert redraw_thinner(strokes, width) is None


def test_a_canvas_drawing_is_read_with_the_strokes_its_json_holds():
    from preprocessing import preprocess_canvas
    from preprocessing.canvas_strokes import draw_strokes, strokes_to_json

    loop = _loop()
    data = strokes_to_json([loop], 24)
    rgba = to_canvas_rgba(draw_strokes([loop], 24))
    redrawn = preprocess_canvas(rgba, data)
    assert "Redrawn thinner" in [s.name for s in redrawn.steps] and _holes(redrawn.image) == 1
    # The image may be finer than the canvas's CSS pixels the strokes are in: the redraw is the same.
    finer = preprocess_canvas(cv2.resize(rgba, (560, 560)), data)
    np.testing.assert_array_equal(finer.image, redrawn.image)
    np.testing.assert_array_equal(preprocess_canvas(rgba, None).tensor, preprocess(rgba).tensor)
