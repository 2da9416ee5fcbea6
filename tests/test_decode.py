import io
import warnings

import numpy as np
import pytest
from PIL import Image

from preprocessing.decode import MAX_FILE_BYTES, decode_image, load_image


def encode(array, fmt="PNG", **kw) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format=fmt, **kw)
    return buf.getvalue()


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "BMP", "WEBP", "GIF", "TIFF", "PPM"])
def test_common_formats_decode(fmt):
    rgb = np.zeros((40, 30, 3), np.uint8)
    rgb[10:30, 12:18] = 255
    out = decode_image(encode(rgb, fmt))
    assert out.shape == (40, 30, 3) and out.dtype == np.uint8
    assert out[20, 15].mean() > 200 and out[2, 2].mean() < 50


@pytest.mark.parametrize("top", [1.0, 255.0])
def test_a_floating_point_tiff_in_either_range_decodes_to_gray(top):
    """Digit corpora store images as float TIFFs, in 0..1 or in 0..255: both come out 0..255."""
    values = np.zeros((20, 20), np.float32)
    values[5:15, 9:11] = top
    out = decode_image(encode(values, "TIFF"))  # float32 is PIL's mode "F"
    assert out.dtype == np.uint8 and out[10, 10] == 255 and out[0, 0] == 0


def test_a_floating_point_tiff_with_nan_inf_or_huge_values_decodes_without_warnings():
    """Non-finite or enormous values (a broken export) are clipped, not overflowed (numpy would warn)."""
    values = np.zeros((20, 20), np.float32)
    values[5:15, 9:11] = np.float32(3e38)
    values[0, 0], values[0, 1], values[0, 2] = np.nan, np.inf, -np.inf
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = decode_image(encode(values, "TIFF"))
    assert out[10, 10] == 255 and out[0, 0] == 0 and out[0, 1] == 255 and out[0, 2] == 0 and out[3, 3] == 0


def test_palette_and_transparency_become_rgb_or_rgba():
    im = Image.new("P", (10, 10))
    im.info["transparency"] = 0
    buf = io.BytesIO()
    im.save(buf, format="PNG", transparency=0)
    assert decode_image(buf.getvalue()).shape == (10, 10, 4)
    assert decode_image(encode(np.zeros((5, 5), bool))).shape == (5, 5)


@pytest.mark.parametrize(
    "data, message",
    [(b"", "empty"), (b"GIF89a nonsense", "not an image"), (b"\x00" * (MAX_FILE_BYTES + 1), "limit is 10 MB")],
)
def test_bad_files_raise_value_error(data, message):
    with pytest.raises(ValueError, match=message):
        decode_image(data, "upload.png")


def test_too_many_pixels_is_refused_before_decoding():
    data = encode(np.zeros((7000, 7200), bool))  # 50 MP, a few kB
    with pytest.raises(ValueError, match="megapixels"):
        decode_image(data)


def test_load_image_reads_a_file(tmp_path):
    path = tmp_path / "d.png"
    path.write_bytes(encode(np.full((3, 4), 9, np.uint8)))
    assert load_image(path).tolist() == [[9] * 4] * 3


@pytest.mark.parametrize("orientation, stored_as", [
    (3, "ROTATE_180"), (6, "ROTATE_90"), (8, "ROTATE_270"),
])
def test_phone_photo_exif_orientation_comes_out_upright(orientation, stored_as):
    from conftest import draw_digit

    upright = 255 - draw_digit("7", size=120, stroke=10)  # dark ink on white paper
    upright = np.pad(upright, ((0, 0), (0, 40)), constant_values=255)  # 120x160: the turn changes the shape
    stored = Image.fromarray(upright).transpose(getattr(Image.Transpose, stored_as))  # as the sensor saw it
    exif = Image.Exif()
    exif[0x0112] = orientation
    buf = io.BytesIO()
    stored.save(buf, format="JPEG", quality=95, exif=exif)
    decoded = decode_image(buf.getvalue(), "photo.jpg")
    assert decoded.shape == upright.shape
    assert np.abs(decoded.astype(int) - upright).mean() < 3  # JPEG noise only
