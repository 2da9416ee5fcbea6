"""Image files to arrays, with the checks an upload needs (size, pixel count, format)."""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from .steps import MAX_INPUT_PIXELS

#: Largest file accepted, in bytes.
MAX_FILE_BYTES = 10 * 1024 * 1024


def decode_image(data: bytes, name: str = "The file") -> np.ndarray:
    """Decode PNG/JPEG/BMP/WebP/... bytes to a uint8 array: gray (HxW), RGB or RGBA.

    An EXIF orientation (phone photos) is applied, so the image comes out upright.
    Raises ValueError with a sentence for an empty, oversized, corrupt or
    non-image file, or one with more than MAX_INPUT_PIXELS pixels (checked
    before decoding, so a decompression bomb costs nothing).
    """
    if not data:
        raise ValueError(f"{name} is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise ValueError(f"{name} is {len(data) / 2**20:.1f} MB; the limit is {MAX_FILE_BYTES // 2**20} MB.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                if im.width * im.height > MAX_INPUT_PIXELS:
                    raise ValueError(
                        f"{name} is {im.width}×{im.height} pixels; the limit is {MAX_INPUT_PIXELS // 1_000_000} megapixels."
                    )
                im.load()
                # Phone photos store pixels as the sensor saw them plus an EXIF orientation: apply it, upright.
                im = ImageOps.exif_transpose(im)
                if im.mode == "F":  # floating point (a TIFF from a digit corpus): 0..1 or 0..255
                    values = np.nan_to_num(np.asarray(im, dtype=np.float64))
                    top = 1.0 if 0 < values.max() <= 1.0 else 255.0
                    return np.rint(np.clip(values, 0.0, top) * (255.0 / top)).astype(np.uint8)  # clipped first: 1e38 * 255 overflows
                if im.mode in ("I;16", "I;16B", "I"):
                    im = im.point(lambda v: v / 256).convert("L")
                elif im.mode == "1":
                    im = im.convert("L")
                elif im.mode not in ("L", "RGB", "RGBA"):
                    transparent = "A" in im.getbands() or "transparency" in im.info
                    im = im.convert("RGBA" if transparent else "RGB")
                return np.asarray(im).copy()
    except (UnidentifiedImageError, OSError, SyntaxError, Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise ValueError(f"{name} is not an image this app can read (PNG, JPEG, BMP, WebP, GIF, TIFF or PGM).") from e


def load_image(path) -> np.ndarray:
    """decode_image() of a file on disk."""
    with open(path, "rb") as f:
        return decode_image(f.read(), str(path))
