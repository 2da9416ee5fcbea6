"""The preprocessing steps: small pure functions on numpy arrays.

Each step takes an image (uint8, white digit on black unless it says otherwise)
and returns a new one; none of them modifies its input. Together they turn any
drawing, scan or photo of a digit into the image MNIST itself would have made of
it: the digit fitted into a 20x20 box keeping its aspect ratio, anti-aliased, and
placed in 28x28 so that its centre of mass is at the centre.
"""

from __future__ import annotations

import cv2
import numpy as np

MNIST_MEAN = 0.1307
MNIST_STD = 0.3081

#: Largest image accepted, in pixels (a 48-megapixel photo). Bigger is refused.
MAX_INPUT_PIXELS = 48_000_000
#: Longest side the pipeline works at; larger inputs are first shrunk to it.
WORKING_SIDE = 160
#: Least contrast (0..255) between background and ink that counts as a drawing.
MIN_CONTRAST = 40
#: Connected ink blobs smaller than this fraction of the largest one are specks.
SPECK_FRACTION = 0.05
#: A blob under this share of the largest blob's area, further from it than STRAY_GAP of the
#: largest's longer side, is a stray mark (a tap of the pen, a full stop), not part of the digit:
#: no digit has a part that small that far from the rest (a 5's flag written apart is near it).
STRAY_AREA = 0.25
STRAY_GAP = 0.5
#: Stroke width as a fraction of the digit's extent in MNIST: the median over
#: the MNIST training set, measured with estimate_stroke_width() on digits
#: upsampled 10x (see benchmarks/mnist_stroke_ratio.py).
MNIST_STROKE_RATIO = 0.115
#: Distances to the stroke edge come from OpenCV's 5x5 chamfer mask, within 2%
#: of Euclidean. The exact transform (DIST_MASK_PRECISE) is several times
#: slower on these small crops and, run on several threads, not repeatable to
#: the last bit; the canvas-style accuracy is the same with either.
DIST_MASK = cv2.DIST_MASK_5
#: Strokes are thickened from the pixels above this share of the image's maximum. A stroke 1-2 px
#: wide that lies between pixel centres (a canvas line at whole-pixel coordinates) is drawn as two
#: half-lit rows: half the maximum, where the usual ink level would drop it, so thickening left
#: pieces of a thin-pen digit out. Thickening moves the edge by pixels, so the lower level costs
#: nothing in width.
THICKEN_FROM = 0.25
#: Bumped whenever preprocess() turns the same input into a different image, so that sets of
#: preprocessed drawings cached for training are made again.
PREPROCESS_VERSION = 3
#: MNIST's centre of mass, in pixel-index coordinates of the 28x28 image.
MNIST_CENTRE = (14.0, 14.0)


class EmptyDrawingError(ValueError):
    """The image holds no drawing: blank, or too faint to tell from its background."""


def validate_image(image) -> np.ndarray:
    """Check that `image` is an image this pipeline can read; return it as an array.

    Accepted: HxW gray, HxWx1, HxWx3 RGB or HxWx4 RGBA; uint8, uint16, bool, or
    float with values in [0, 1]. Raises ValueError with a sentence otherwise.
    """
    if not isinstance(image, np.ndarray):
        raise ValueError(f"Expected the image as a numpy array, got {type(image).__name__}.")
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3, 4)):
        raise ValueError(
            f"Expected an image of shape HxW, HxWx3 (RGB) or HxWx4 (RGBA), got shape {image.shape}."
        )
    if image.shape[0] == 0 or image.shape[1] == 0:
        raise ValueError(f"The image is empty (shape {image.shape}).")
    if image.shape[0] * image.shape[1] > MAX_INPUT_PIXELS:
        raise ValueError(
            f"The image is too large ({image.shape[1]}x{image.shape[0]} pixels); "
            f"the limit is {MAX_INPUT_PIXELS // 1_000_000} megapixels."
        )
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255
    if image.dtype == np.uint16:
        return (image // 257).astype(np.uint8)
    if np.issubdtype(image.dtype, np.floating):
        if not np.isfinite(image).all():
            raise ValueError("The image holds NaN or infinite values.")
        if image.min() < 0.0 or image.max() > 1.0:
            raise ValueError(
                f"A float image must have values in [0, 1]; this one spans "
                f"[{image.min():.3g}, {image.max():.3g}]."
            )
        return np.round(image * 255.0).astype(np.uint8)
    raise ValueError(f"Unsupported pixel type {image.dtype}: use uint8, or float in [0, 1].")


def shrink_to_working_size(image: np.ndarray, side: int = WORKING_SIDE) -> np.ndarray:
    """Shrink an image by the least whole factor that brings its longest side to `side` or less.

    A whole factor lets area interpolation average exact k x k blocks, which is
    both the best anti-aliasing and OpenCV's fast path. Small images are returned as they are.
    """
    h, w = image.shape[:2]
    factor = -(-max(h, w) // side)  # ceiling division
    if factor <= 1:
        return image
    size = (max(1, w // factor), max(1, h // factor))
    return cv2.resize(image[: size[1] * factor, : size[0] * factor], size, interpolation=cv2.INTER_AREA)


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """Convert a uint8 gray, RGB or RGBA image to uint8 gray.

    RGBA is composited over a background that contrasts with what is painted:
    black under light strokes (a canvas with a transparent background), white
    under dark ones (a transparent PNG of a pen drawing). An opaque RGBA image is
    read as RGB.
    """
    if image.ndim == 2:
        return image.copy()
    if image.shape[2] == 1:
        return image[:, :, 0].copy()
    image = np.ascontiguousarray(image)
    code = cv2.COLOR_RGB2GRAY if image.shape[2] == 3 else cv2.COLOR_RGBA2GRAY
    gray = cv2.cvtColor(image, code)
    if image.shape[2] == 3:
        return gray
    alpha = cv2.extractChannel(image, 3)
    if cv2.minMaxLoc(alpha)[0] == 255:
        return gray
    painted = alpha > 127
    ink = cv2.mean(gray, mask=painted.view(np.uint8))[0] if painted.any() else 255.0
    if ink >= 128:  # light ink: composite over black, gray * alpha
        return cv2.multiply(gray, alpha, scale=1.0 / 255.0)
    # dark ink: composite over white, 255 - (255 - gray) * alpha
    return cv2.bitwise_not(cv2.multiply(cv2.bitwise_not(gray), alpha, scale=1.0 / 255.0))


def _median(values: np.ndarray) -> float:
    """np.median of a 1-D array, by partial sort: the same value without np.median's overhead
    (tens of microseconds, which count on a per-drawing budget of about a millisecond)."""
    k = len(values) // 2
    if len(values) % 2:
        return float(np.partition(values, k)[k])
    low, high = np.partition(values, [k - 1, k])[k - 1 : k + 1]
    if values.dtype.kind in "iub":  # np.median averages integers in float64
        return (int(low) + int(high)) / 2
    return float((low + high) / 2)  # and floats in their own precision


def border_level(gray: np.ndarray) -> float:
    """Median gray level of the image's outer ring (2% of the shorter side, at least 1 px)."""
    h, w = gray.shape
    ring = max(1, round(0.02 * min(h, w)))
    border = np.concatenate(
        [gray[:ring].ravel(), gray[-ring:].ravel(), gray[:, :ring].ravel(), gray[:, -ring:].ravel()]
    )
    return _median(border)


#: A light border whose middle half spans more than this many levels is uneven light (a photo) and is flattened.
UNEVEN_LEVELS = 16
#: A ruling line runs across at least this share of the image, and paper has at least two of them.
RULING_SPAN = 0.75
RULING_DARKNESS = 20
#: Ink lying on a ruling line is darker than the line by at least this share of the way from the line to black.
RULING_INK = 1 / 3
#: A photo of a page taken at a slant: its lines are looked for up to this many degrees off the
#: image's axes, in steps of RULING_TILT_STEP degrees (on the image shrunk; a quarter of it at full size).
RULING_TILT = 6.0
RULING_TILT_STEP = 0.25
#: On a tilted page, a hairline along the ruling at least this share of the image long is a line
#: too (one that runs out through a corner); the ink on it darker than the line is kept all the same.
RULING_CORNER = 0.15
#: A ruling line is a hairline: at most this share of the image's shorter side thick (and at least 2 px).
#: A stroke of a digit cropped tight can span the image too, but it is thicker.
RULING_THICKNESS = 0.02
#: A piece along more than this share of a side of the image, and more than EDGE_THICKNESS times as
#: thick as the writing, is the photo's surroundings (a desk, the paper's edge): see surroundings().
EDGE_SHARE = 0.25
EDGE_THICKNESS = 2.0
#: ...or one that fills EDGE_SOLID of its box (a band, a corner: no stroke does) and is more than
#: EDGE_SOLID_THICKNESS times as thick as the writing's pen (the thickest counts blobs where strokes meet)...
EDGE_SOLID = 0.9
EDGE_SOLID_THICKNESS = 1.5
#: ...and one along more than EDGE_ACROSS of a side and longer than EDGE_LONG times the writing's
#: height, however thin, runs across the photo: no digit does.
EDGE_ACROSS = 0.9
EDGE_LONG = 1.5
#: The writing beside such a piece is at least this share of the image's height tall (more than dust).
EDGE_WRITING = 0.1
#: Pieces under this share of the largest are dust: no writing to compare the surroundings with.
EDGE_DUST = 0.03
#: An image whose shorter side is under this many pixels is a digit on its own (a scan's or a
#: dataset's crop, 16 to 28 px), never a photo of a page: it is not flattened.
MIN_PHOTO_SIDE = 32


def _run_lengths(mask: np.ndarray) -> np.ndarray:
    """For each pixel of a boolean mask, the length of the vertical run of True it lies in (0 off the mask)."""
    h, w = mask.shape
    flat = mask.T.ravel()  # column after column, so a run never wraps: columns are split below
    starts = flat & ~np.concatenate([[False], flat[:-1]])
    starts[::h] |= flat[::h]  # a run at the top of a column starts there even if the column before ends in ink
    run = np.cumsum(starts) * flat
    lengths = np.bincount(run)
    lengths[0] = 0
    return lengths[run].reshape(w, h).T


def _median_by_label(values: np.ndarray, labels: np.ndarray, n: int) -> np.ndarray:
    """Median of `values` over each label 1..n-1."""
    order = np.argsort(labels, axis=None, kind="stable")
    sorted_labels = labels.ravel()[order]
    sorted_values = values.ravel()[order]
    bounds = np.searchsorted(sorted_labels, np.arange(1, n + 1))
    return np.array([np.median(sorted_values[a:b]) for a, b in zip(bounds[:-1], bounds[1:])])


def _ruling_lines(ink: np.ndarray, horizontal: bool, span: int | None = None, least: int = 2,
                  drift: int = 0) -> np.ndarray:
    """Mask of the hairline runs of `ink` at least `span` long (default: RULING_SPAN of the image)
    along one axis, if there are `least` or more; `drift`: how many pixels across a line may wander
    along its length (a line a little off the axis)."""
    h, w = ink.shape
    length = max(3, span or int(RULING_SPAN * (w if horizontal else h)))
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (length, 1) if horizontal else (1, length))
    loose = cv2.dilate(ink, np.ones((1 + 2 * drift, 1) if horizontal else (1, 1 + 2 * drift), np.uint8)) if drift else ink
    lines = cv2.morphologyEx(loose, cv2.MORPH_OPEN, kernel) & ink
    n, labels = cv2.connectedComponents(lines, connectivity=8)
    if n > 1:
        # How thick the ink is across each candidate (the median over its pixels, so a stroke
        # crossing a ruling line does not count): a digit cropped tight to its ink has strokes
        # spanning the image too (a 2's foot and a 7's bar), but they are thicker than a hairline.
        across = _run_lengths(ink > 0 if horizontal else (ink > 0).T)
        across = across if horizontal else across.T
        median = _median_by_label(across, labels, n)
        thick = median > max(2, round(RULING_THICKNESS * min(h, w)))
        if thick.any():
            lines = np.where(np.isin(labels, 1 + np.flatnonzero(thick)), 0, lines).astype(np.uint8)
    if drift:  # lines off the axis do not make a clean profile: count them as pieces
        n, labels, stats, _ = cv2.connectedComponentsWithStats(lines, connectivity=8)
        extent = stats[1:, cv2.CC_STAT_WIDTH if horizontal else cv2.CC_STAT_HEIGHT]
        return lines if np.count_nonzero(extent >= length) >= least else np.zeros_like(lines)
    profile = lines.any(axis=1 if horizontal else 0)
    starts = np.count_nonzero(profile[1:] & ~profile[:-1]) + int(profile[0])
    return lines if starts >= least else np.zeros_like(lines)


def _page_lines(ink: np.ndarray, spans: tuple[int, int] | None = None, drift: int = 0) -> tuple[np.ndarray, ...]:
    """(lines across, lines down, a lone line down) of `ink`: ruled paper's lines, squared paper's
    columns, and the margin line of ruled paper (lone: only where there are lines across and no
    columns). `spans`: how long a line across and down is at least (default: RULING_SPAN of the image)."""
    w_span, h_span = spans or (None, None)
    across = _ruling_lines(ink, True, w_span, drift=drift)
    down = _ruling_lines(ink, False, h_span, drift=drift)
    lone = (_ruling_lines(ink, False, h_span, least=1, drift=drift) if across.any() and not down.any()
            else np.zeros_like(ink))
    return across, down, lone


def _longest_row_angle(ink: np.ndarray, angles: np.ndarray) -> tuple[float, int]:
    """Of `angles` (degrees), the one turning `ink` so that one row holds the most of it (each pixel
    also marking the rows above and below, so a line a little off still fills one row), and that
    count; where several tie, their middle."""
    band = cv2.dilate((ink > 0).astype(np.uint8), np.ones((3, 1), np.uint8))
    centre = (band.shape[1] / 2, band.shape[0] / 2)
    turned = (cv2.warpAffine(band, cv2.getRotationMatrix2D(centre, float(a), 1.0), band.shape[::-1], flags=cv2.INTER_NEAREST)
              for a in angles)
    longest = np.array([int(cv2.reduce(t, 1, cv2.REDUCE_SUM, dtype=cv2.CV_32S).max()) for t in turned])
    return float(np.mean(angles[longest == longest.max()])), int(longest.max())


def _tilted_page_lines(ink: np.ndarray) -> tuple[np.ndarray, ...]:
    """_page_lines() up to RULING_TILT degrees off the image's axes, as a photo of a page taken at a
    slant shows them: the image is turned to where one row holds the longest run of ink, and the
    lines are looked for there, each allowed to wander a pixel across its length."""
    h, w = ink.shape
    pad = int(np.ceil(max(h, w) * np.sin(np.radians(RULING_TILT)))) + 2
    padded = cv2.copyMakeBorder(ink, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=0)
    size, centre = (padded.shape[1], padded.shape[0]), (padded.shape[1] / 2, padded.shape[0] / 2)
    # The angle is looked for on the hairline ink alone (a desk beside the paper fills whole rows
    # too), shrunk to about 200 px wide (any ink in a cell marks it), in RULING_TILT_STEP steps;
    # then again at full size within two steps of it, in quarter steps.
    hairline = max(2, round(RULING_THICKNESS * min(h, w))) + 1  # a 2 px line 6 degrees off runs 3 px down a column
    thin = np.where(_run_lengths(padded > 0) <= hairline, padded, 0).astype(np.uint8)
    f = max(1, w // 200)
    small = cv2.resize(thin, (thin.shape[1] // f, thin.shape[0] // f), interpolation=cv2.INTER_AREA)
    angle, best = _longest_row_angle(small, np.arange(-RULING_TILT, RULING_TILT + 1e-9, RULING_TILT_STEP))
    if best < RULING_SPAN * w / f:
        return (np.zeros_like(ink),) * 3
    angle, _ = _longest_row_angle(thin, angle + np.arange(-8, 9) * RULING_TILT_STEP / 4)
    turn = cv2.getRotationMatrix2D(centre, angle, 1.0)
    turned = cv2.warpAffine(padded, turn, size, flags=cv2.INTER_NEAREST)
    across, down, lone = _page_lines(turned, (int(RULING_SPAN * w), int(RULING_SPAN * h)), drift=1)
    if across.any():  # a tilted page's lines through its corners leave the image early: shorter, the same lines
        across |= _ruling_lines(turned, True, int(RULING_CORNER * w), least=1, drift=1)
    if down.any():
        down |= _ruling_lines(turned, False, int(RULING_CORNER * h), least=1, drift=1)
    back = cv2.invertAffineTransform(turn)

    def upright(lines: np.ndarray) -> np.ndarray:  # turned back, on the ink it came from
        lines = cv2.dilate(cv2.warpAffine(lines, back, size, flags=cv2.INTER_NEAREST), np.ones((3, 3), np.uint8))
        return lines[pad : pad + h, pad : pad + w] & ink

    return upright(across), upright(down), upright(lone)


def flatten_paper(gray: np.ndarray) -> tuple[np.ndarray, str | None]:
    """For a photo or scan on paper: divide out uneven light and shadows, and erase ruled or squared lines.

    Only light backgrounds are touched (paper; a canvas is left exactly as it
    is). When the border, which is paper, varies by more than UNEVEN_LEVELS,
    the paper's light is estimated by a morphological closing wider than any
    stroke and divided out, so the paper comes out evenly white. Ruling
    lines are thin ink (RULING_THICKNESS), darker than the paper by
    RULING_DARKNESS, running across RULING_SPAN of the image, at least two of
    them, horizontal or vertical, or up to RULING_TILT degrees off (a page
    photographed at a slant), and with lines across, one line down (the
    margin). They are painted over with the paper beside them (the lightest
    pixel within 3 px), all but the ink on them darker than the line
    (RULING_INK): a stroke that crosses a line, or runs along it, stays whole
    (a pencil stroke as pale as the line goes with it). Returns the image and
    what was done (None: nothing).
    """
    h, w = gray.shape
    if border_level(gray) <= 127 or min(h, w) < MIN_PHOTO_SIDE:
        return gray, None
    done = []
    img = gray
    # Uneven light shows along the border, which is paper: a canvas's or a clean scan's border is flat.
    ring = max(1, round(0.04 * min(h, w)))
    border = np.concatenate([gray[:ring].ravel(), gray[-ring:].ravel(), gray[:, :ring].ravel(), gray[:, -ring:].ravel()])
    low, high = np.percentile(border, [25, 75])  # a digit touching the edge stays out of the quartiles
    if high - low > UNEVEN_LEVELS:
        # A third of the side: wide enough to reach past a fat stroke lying along the edge of a
        # digit cropped tight (a fifth was not), narrow enough to follow a shadow's edge.
        side = max(3, min(h, w) // 3) | 1
        paper = cv2.morphologyEx(gray, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side)))
        img = cv2.divide(gray, np.maximum(paper, 1), scale=255)
        done.append("uneven light divided out")
    # Faint is enough: shrunk to working size, a ruling line is a pale hairline, paler than any digit.
    # Darker than the paper, not than white: evenly lit paper is not flattened, and photographed it is gray.
    ink = np.where(border_level(img) - img.astype(np.int16) > RULING_DARKNESS, 255, 0).astype(np.uint8)
    across, down, lone = _page_lines(ink)
    if np.count_nonzero(ink) >= 2 * RULING_SPAN * min(h, w):  # ink enough for two lines
        # Photographed, a page's lines are never quite straight across: a line a pixel lower at
        # one end than at the other is found only where it is turned to lie straight.
        tilted = _tilted_page_lines(ink)
        if tilted[0].any():  # its lines down (and margin) lie askew with its lines across
            across, down, lone = across | tilted[0], tilted[1], tilted[2]
    # A lone line down is ruled paper's margin; a pen's or a pencil's stroke running down the whole
    # image (a tall 1 cropped tight) is darker than the ruling, and is kept as the ink on any line is.
    lines = across | down | lone
    if lines.any():
        # Where a stroke crosses a line (or runs along it) the ink is darker than the line: it is
        # kept, so a thin pen's strokes are not broken at every line (painted over, they came back
        # as pale dashes: a 0 fell into pieces, a 7's bar along a line was gone).
        dark = 255 - img.astype(np.int16)
        line_level = float(np.median(dark[lines > 0]))
        on_line = dark > line_level + RULING_INK * (255 - line_level)
        erase = (cv2.dilate(lines, np.ones((3, 3), np.uint8)) > 0) & ~on_line
        img = np.where(erase, cv2.dilate(img, np.ones((7, 7), np.uint8)), img).astype(np.uint8)
        done.append("ruling lines erased")
    return img, (" and ".join(done) if done else None)


def surroundings(mask: np.ndarray) -> np.ndarray:
    """The pieces of `mask` that are the photo's surroundings, not writing (a boolean image).

    A photo of paper may take in the desk beside it, the paper's edge or a shadow: solid
    "ink" along the image's edge. A piece is taken for that when it lies along more than
    EDGE_SHARE of one side of the image and either is more than EDGE_THICKNESS times as
    thick (its widest inscribed disc) as the thickest of the other pieces, or fills
    EDGE_SOLID of its bounding box and is more than EDGE_SOLID_THICKNESS times as thick as
    the other pieces' pen (a band or a dark corner no thicker than a blob where a fat pen's
    strokes meet: no stroke fills its box so), or lies along more than EDGE_ACROSS of a side
    and is longer there than EDGE_LONG times the tallest other piece (a band across the
    photo). Writing alone is never taken: there must be other pieces, at least one of them
    EDGE_WRITING of the image's height tall, and specks among them (under EDGE_DUST of the
    largest) do not count. A digit cropped tight against the edge is as thick and as tall as
    the others.
    """
    n, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    none = np.zeros(mask.shape, bool)
    if n <= 2:
        return none
    along, length = np.zeros(n), np.zeros(n)
    for side, extent in ((labels[0], cv2.CC_STAT_WIDTH), (labels[-1], cv2.CC_STAT_WIDTH),
                         (labels[:, 0], cv2.CC_STAT_HEIGHT), (labels[:, -1], cv2.CC_STAT_HEIGHT)):
        share = np.bincount(side, minlength=n) / len(side)
        length = np.where(share > along, stats[:, extent], length)
        along = np.maximum(along, share)
    depth = cv2.distanceTransform(np.pad(mask, 1), cv2.DIST_L2, 3)[1:-1, 1:-1]  # the image's edge is background
    thickness = np.zeros(n)
    np.maximum.at(thickness, labels.ravel(), depth.ravel())
    candidates = [i for i in range(1, n) if along[i] > EDGE_SHARE]
    others = [i for i in range(1, n) if i not in candidates]
    if not candidates or not others:
        return none
    # The writing is the other pieces but specks (dust is far smaller than any stroke), and it must be
    # more than dust: dust alone beside a digit along the edge is no writing to compare that digit with.
    areas = stats[others, cv2.CC_STAT_AREA]
    others = [i for i, a in zip(others, areas) if a >= EDGE_DUST * areas.max()]
    thickest, tallest = thickness[others].max(), stats[others, cv2.CC_STAT_HEIGHT].max()
    if tallest < EDGE_WRITING * mask.shape[0]:
        return none
    # The writing's pen: in a stroke, the distance to its edge runs evenly from 0 to half the pen's
    # width, so twice its median over the ink is half the pen, where the thickest counts a blob.
    half_pen = 2 * float(np.median(depth[np.isin(labels, others)]))
    solid = stats[:, cv2.CC_STAT_AREA] / (stats[:, cv2.CC_STAT_WIDTH] * stats[:, cv2.CC_STAT_HEIGHT])
    edge = [i for i in candidates if thickness[i] > EDGE_THICKNESS * thickest
            or (solid[i] >= EDGE_SOLID and thickness[i] > EDGE_SOLID_THICKNESS * half_pen)
            or (along[i] > EDGE_ACROSS and length[i] > EDGE_LONG * tallest)]
    return np.isin(labels, edge) if edge else none


def set_aside_desk(img: np.ndarray) -> tuple[np.ndarray, bool]:
    """`img` (white on black, levels stretched) with what a photo of one digit takes in beyond the
    paper (surroundings()) erased, and whether anything was. Only when the rest of the ink lies
    clear of the image's edge: on a photo the digit lies on the paper, while a digit cropped tight
    touches the edge, and a thick piece of it is no desk."""
    ink = img > ink_threshold(img) / 2
    beyond = surroundings(ink.astype(np.uint8))
    rest = ink & ~beyond
    if not beyond.any() or rest[0].any() or rest[-1].any() or rest[:, 0].any() or rest[:, -1].any():
        return img, False
    return np.where(beyond, 0, img).astype(np.uint8), True


def normalize_polarity(gray: np.ndarray, invert: str = "auto") -> tuple[np.ndarray, bool]:
    """Make the digit white on black and stretch levels so background is 0 and ink 255.

    `invert` is "auto" (invert when the border, taken as background, is light),
    "always" or "never". Returns the image and whether it was inverted. Raises
    EmptyDrawingError when nothing differs from the background by MIN_CONTRAST.
    """
    if invert not in ("auto", "always", "never"):
        raise ValueError(f'invert must be "auto", "always" or "never", not {invert!r}.')
    level = border_level(gray)
    inverted = invert == "always" or (invert == "auto" and level > 127)
    img = cv2.bitwise_not(gray) if inverted else gray
    background = 255.0 - level if inverted else level  # the median commutes with inversion
    ink = cv2.minMaxLoc(img)[1]
    if ink - background < MIN_CONTRAST:
        raise EmptyDrawingError("The image is blank: draw a digit (nothing stands out from the background).")
    if background == 0 and ink == 255:
        return img.copy(), inverted
    # Subtract, scale, clip to 0..255. In numpy: OpenCV takes a 4-pixel image for a Scalar and fails.
    stretched = (img.astype(np.float32) - np.float32(background)) * np.float32(255.0 / (ink - background))
    return np.rint(np.clip(stretched, 0, 255)).astype(np.uint8), inverted


def ink_threshold(img: np.ndarray) -> float:
    """Gray level separating ink from background: Otsu's, but never below a quarter of 255."""
    otsu, _ = cv2.threshold(img, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    return max(float(otsu), 64.0)


def _stray_marks(labels: np.ndarray, areas: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """Which of the `kept` blobs are stray marks: under STRAY_AREA of the largest blob's area, and
    apart from its bounding box by more than STRAY_GAP of its longer side."""
    largest = int(np.argmax(areas))
    x, y, w, h = cv2.boundingRect((labels == largest).view(np.uint8))
    stray = np.zeros_like(kept)
    for i in np.flatnonzero(kept & (areas < STRAY_AREA * areas[largest])):
        bx, by, bw, bh = cv2.boundingRect((labels == i).view(np.uint8))
        gap = max(bx - (x + w), x - (bx + bw), by - (y + h), y - (by + bh))
        stray[i] = gap > STRAY_GAP * max(w, h)
    return stray


def remove_specks(img: np.ndarray, fraction: float = SPECK_FRACTION, strays: bool = True) -> tuple[np.ndarray, int]:
    """Erase ink blobs far smaller than the digit, stray marks away from it, and faint background between them.

    Blobs (8-connected, above ink_threshold) smaller than `fraction` of the
    largest are dropped, and with `strays` so are small blobs far from the
    largest (a tap of a fat pen, a full stop: _stray_marks()); every pixel further than 2 px from
    a kept blob is set to 0, which keeps the anti-aliased edge of the strokes.
    Returns the cleaned image and the number of blobs removed.
    """
    threshold = ink_threshold(img)
    # Only the box around the nonzero pixels needs work: the rest is 0 and stays 0.
    x0, y0, w0, h0 = cv2.boundingRect(img)
    part = img[y0 : y0 + h0, x0 : x0 + w0]
    mask = (part > threshold).astype(np.uint8)
    # Grana's algorithm: the same blobs as the default, in about half the time on one
    # thread; areas by bincount cost a third of what OpenCV's full statistics do.
    count, labels = cv2.connectedComponentsWithAlgorithm(mask, 8, cv2.CV_32S, cv2.CCL_GRANA)
    if count <= 1:  # no blob above the threshold: leave the image as it is
        return img.copy(), 0
    areas = np.bincount(labels.ravel(), minlength=count)
    areas[0] = 0  # the background
    kept = areas >= fraction * areas.max()
    if strays and kept.sum() > 1:
        kept &= ~_stray_marks(labels, areas, kept)
    specks = count - 1 - int(kept.sum())
    if specks:
        mask = kept.astype(np.uint8)[labels]
    near_kept = cv2.dilate(mask, np.ones((5, 5), np.uint8))
    cleaned = np.zeros_like(img)
    cleaned[y0 : y0 + h0, x0 : x0 + w0] = cv2.bitwise_and(part, part, mask=near_kept)
    return cleaned, specks


def bounding_box(img: np.ndarray) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1), exclusive at the end, of the pixels above ink_threshold / 2.

    Half the ink threshold takes in the anti-aliased edge but not the faint haze
    around a photographed digit.
    """
    x, y, w, h = cv2.boundingRect((img > ink_threshold(img) / 2).astype(np.uint8))
    if w == 0:
        raise EmptyDrawingError("The image is blank: draw a digit.")
    return x, y, x + w, y + h


def draw_box(img: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """An RGB copy of `img` with `box` outlined in green, to show the crop."""
    rgb = cv2.cvtColor(img, cv2.COLOR_GRAY2RGB)
    x0, y0, x1, y1 = box
    thickness = max(1, round(max(img.shape) / 200))
    cv2.rectangle(rgb, (x0, y0), (x1 - 1, y1 - 1), (0, 220, 0), thickness)
    return rgb


def crop(img: np.ndarray, box: tuple[int, int, int, int]) -> np.ndarray:
    """The part of `img` inside `box`, at full resolution."""
    x0, y0, x1, y1 = box
    return img[y0:y1, x0:x1].copy()


def _ink_depth(img: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The ink mask (above half of the image's maximum, 0/1) padded by 1 px, and each
    ink pixel's distance to the background (float32, 0 off the ink)."""
    padded = cv2.copyMakeBorder((img > img.max() / 2).astype(np.uint8), 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    return padded, cv2.distanceTransform(padded, cv2.DIST_L2, DIST_MASK)


def _width_from_depth(depth: np.ndarray) -> float:
    ridge = (depth > 0) & (depth >= cv2.dilate(depth, np.ones((3, 3), np.uint8)))
    if not ridge.any():
        return 0.0
    return max(1.0, 2.0 * _median(depth[ridge]) - 1.0)


def estimate_stroke_width(img: np.ndarray) -> float:
    """Stroke width in pixels: twice the median distance-to-background along the strokes' ridges.

    Ridge pixels are local maxima of the (chamfer) distance transform of the ink
    mask (ink = above half of the image's maximum); a stroke `w` pixels wide has
    ridge values near (w + 1) / 2. Returns 0 for an image without ink.
    """
    return _width_from_depth(_ink_depth(img)[1]) if img.max() > 0 else 0.0


def target_stroke_width(extent: float, width: float, ratio: float = MNIST_STROKE_RATIO) -> float:
    """The stroke width that makes a digit look like MNIST's.

    `extent` is the digit's longest side, measured over the outside of its
    strokes, and `width` its present stroke width. Changing the width by d
    changes the extent by d too, so solve w' = ratio * (extent - width + w').
    """
    return ratio * (extent - width) / (1.0 - ratio)


def normalize_stroke_width(img: np.ndarray, ratio: float = MNIST_STROKE_RATIO) -> tuple[np.ndarray, float, float]:
    """Thicken or thin the strokes of a cropped digit to MNIST's width/extent ratio.

    The change is made with distance transforms rather than a dilation kernel,
    so its cost does not grow with the amount, and the new edge is anti-aliased
    from the distance. Thickening grows from all the ink above THICKEN_FROM of
    the maximum, so a faint part of a thin stroke is thickened with the rest.
    Returns the re-cropped image, the estimated width before and the target
    width, both in pixels. Changes under 1 px are not made.
    """
    if img.max() == 0:
        return img.copy(), 0.0, 0.0
    ink, depth = _ink_depth(img)  # one distance transform serves the estimate and any thinning
    width = _width_from_depth(depth)
    target = target_stroke_width(max(img.shape), width, ratio)
    change = target - width
    if abs(change) < 1.0 or width == 0:
        return img.copy(), width, width
    if change > 0:
        pad = int(np.ceil(change / 2)) + 1  # room for the new edge, on top of the mask's 1 px
        ink = cv2.copyMakeBorder((img > img.max() * THICKEN_FROM).astype(np.uint8), 1 + pad, 1 + pad, 1 + pad, 1 + pad,
                                 cv2.BORDER_CONSTANT, value=0)
        # Distance from each pixel to the nearest ink pixel: the new edge lies change/2 out.
        outside = cv2.distanceTransform(1 - ink, cv2.DIST_L2, DIST_MASK)
        level = np.clip(change / 2 + 0.5 - outside, 0.0, 1.0)
    else:
        # Distance from each ink pixel to the background: keep what lies deeper than -change/2.
        level = np.clip(depth + change / 2 + 0.5, 0.0, 1.0)
    out = np.round(level * 255).astype(np.uint8)
    x, y, w, h = cv2.boundingRect(out)
    if w == 0:  # thinning never erases a digit: fall back to the unchanged crop
        return img.copy(), width, width
    return out[y : y + h, x : x + w].copy(), width, target


def fit_in_box(img: np.ndarray, size: int = 20, keep_aspect: bool = True) -> np.ndarray:
    """Scale the digit so its longer side is `size` px, centred in a size x size image.

    With keep_aspect=False the digit is stretched to fill the box, as many
    drawing apps do (a "1" becomes a block): offered only to show why not.
    Shrinking uses area interpolation (anti-aliasing); enlarging, bilinear.
    """
    h, w = img.shape
    if keep_aspect:
        scale = size / max(h, w)
        new_w, new_h = max(1, round(w * scale)), max(1, round(h * scale))
    else:
        new_w = new_h = size
    shrinking = new_w * new_h < w * h
    resized = cv2.resize(img, (new_w, new_h), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)
    box = np.zeros((size, size), dtype=np.uint8)
    y0, x0 = (size - new_h) // 2, (size - new_w) // 2
    box[y0 : y0 + new_h, x0 : x0 + new_w] = resized
    return box


def centre_of_mass(img: np.ndarray) -> tuple[float, float]:
    """(row, column) centre of mass of the image's intensity, in pixel-index coordinates."""
    m = cv2.moments(img.astype(np.float32))
    if m["m00"] == 0:
        return (img.shape[0] - 1) / 2, (img.shape[1] - 1) / 2
    return m["m01"] / m["m00"], m["m10"] / m["m00"]


def place_in_frame(box: np.ndarray, size: int = 28, centering: str = "mass") -> tuple[np.ndarray, tuple[float, float]]:
    """Place the fitted digit in a size x size frame, centred by centre of mass or by its box.

    "mass" shifts the digit (sub-pixel, bilinear) so that its centre of mass lands
    on MNIST_CENTRE, as MNIST did; the shift is limited so that no ink leaves the
    frame. "box" centres the box. Returns the frame and the (dy, dx) shift
    applied beyond box centring.
    """
    if centering not in ("mass", "box"):
        raise ValueError(f'centering must be "mass" or "box", not {centering!r}.')
    offset = (size - box.shape[0]) / 2
    dy = dx = 0.0
    if centering == "mass":
        cy, cx = centre_of_mass(box)
        dy, dx = MNIST_CENTRE[0] - (cy + offset), MNIST_CENTRE[1] - (cx + offset)
        x, y, w, h = cv2.boundingRect(box)
        if w:  # keep the ink inside the frame
            dy = min(max(dy, -(y + offset)), size - 1 - (y + h - 1 + offset))
            dx = min(max(dx, -(x + offset)), size - 1 - (x + w - 1 + offset))
    shift = np.float32([[1, 0, offset + dx], [0, 1, offset + dy]])
    frame = cv2.warpAffine(box, shift, (size, size), flags=cv2.INTER_LINEAR, borderValue=0)
    return frame, (dy, dx)


def to_unit_range(img: np.ndarray) -> np.ndarray:
    """uint8 0..255 to float32 0..1."""
    return img.astype(np.float32) / 255.0


def standardize(x: np.ndarray, mean: float = MNIST_MEAN, std: float = MNIST_STD) -> np.ndarray:
    """(x - mean) / std with MNIST's constants: the input the networks were trained on."""
    return ((x - mean) / std).astype(np.float32)


_VIRIDIS = cv2.applyColorMap(np.arange(256, dtype=np.uint8)[:, None], cv2.COLORMAP_VIRIDIS)[:, 0, ::-1].copy()


def heat_map(x: np.ndarray) -> np.ndarray:
    """An RGB picture of a 2-D float array, its minimum dark purple and maximum yellow (viridis)."""
    scaled = cv2.normalize(x, None, 0, 255, cv2.NORM_MINMAX, cv2.CV_8U)  # a flat array maps to 0
    return _VIRIDIS[scaled]
