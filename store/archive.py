"""A person's drawings as a .zip, out and back in.

Layout (the one `python -m model.evaluate --images DIR` reads, once unzipped):

    <digit>/<id>.png        the drawing as it was given (canvas or upload)
    not-a-digit/<id>.png    drawings marked "not a digit"
    drawings.json           {"format": 1, "drawings": [{"file", "label", "strokes", "source", ...}]}

Import treats the zip as hostile: names with "..", absolute paths or
backslashes, a wrong layout, too many or too large members, members whose
size lies about their content, compression ratios of a zip bomb, non-images
and oversized images are each refused with a sentence. Nothing is ever
extracted to disk: each member is read into memory (bounded), checked, and
the whole import is saved in one transaction, or not at all.
"""

from __future__ import annotations

import io
import json
import re
import zipfile

import numpy as np
from PIL import Image

from .db import NOT_A_DIGIT, SOURCES, DrawingStore, NewDrawing, check_label

FORMAT = 1
MANIFEST = "drawings.json"
NOT_A_DIGIT_FOLDER = "not-a-digit"
MAX_ZIP_BYTES = 50 * 2**20
MAX_MEMBERS = 5000
MAX_MEMBER_BYTES = 10 * 2**20
MAX_TOTAL_BYTES = 200 * 2**20
#: Real PNGs barely compress; a member that inflates more than this is a bomb.
MAX_RATIO = 100
MAX_IMAGE_SIDE = 4096
_MEMBER = re.compile(r"^(?P<folder>[0-9]|not-a-digit)/(?P<name>[A-Za-z0-9_.-]{1,100})\.(?:png|jpg|jpeg|bmp|webp)$")


class ArchiveError(ValueError):
    """The zip cannot be imported; the message says which member and why."""


def encode_png(image: np.ndarray) -> bytes:
    """uint8 gray, RGB or RGBA array as PNG bytes."""
    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG")
    return buf.getvalue()


def folder_of(label: int) -> str:
    return NOT_A_DIGIT_FOLDER if label == NOT_A_DIGIT else str(label)


def export_zip(store: DrawingStore, profile: str) -> bytes:
    """All of `profile`'s drawings as zip bytes (oldest first)."""
    manifest = []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for d in reversed(store.drawings(profile)):
            name = f"{folder_of(d.label)}/{d.id}.png"
            zf.writestr(name, d.input_png)
            manifest.append({"id": d.id, "file": name, "label": d.label, "source": d.source, "strokes": d.strokes,
                             "stroke_width": d.stroke_width, "created": d.created, "predictions": d.predictions,
                             "weights": d.weights})
        zf.writestr(MANIFEST, json.dumps({"format": FORMAT, "drawings": manifest}))
    return buf.getvalue()


def _check_name(name: str) -> None:
    if name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name) or "\\" in name:
        raise ArchiveError(f"The zip member {name!r} has an absolute path; refusing the whole zip.")
    if ".." in name.split("/"):
        raise ArchiveError(f"The zip member {name!r} points outside its folder (..); refusing the whole zip.")


def _read(zf: zipfile.ZipFile, info: zipfile.ZipInfo) -> bytes:
    """The member's bytes, never more than it declared (a lying header is a bomb)."""
    with zf.open(info) as f:
        data = f.read(info.file_size + 1)
    if len(data) != info.file_size:
        raise ArchiveError(f"The zip member {info.filename!r} is not the size its header says; refusing the zip.")
    return data


def _manifest_entries(data: bytes) -> dict[str, dict]:
    try:
        manifest = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise ArchiveError(f"{MANIFEST} in the zip is not valid JSON.") from e
    entries = manifest.get("drawings") if isinstance(manifest, dict) else None
    if not isinstance(entries, list) or not all(isinstance(e, dict) and isinstance(e.get("file"), str) for e in entries):
        raise ArchiveError(f'{MANIFEST} should be {{"format": 1, "drawings": [{{"file": ..., "label": ...}}, ...]}}.')
    return {e["file"]: e for e in entries}


def _predictions(value) -> dict:
    """The manifest's predictions when well formed ({arch: [[digit, p], ...]}), else none."""
    if not isinstance(value, dict):
        return {}
    ok = all(isinstance(k, str) and isinstance(v, list) and len(v) <= 10
             and all(isinstance(p, list) and len(p) == 2 and p[0] in range(10) and isinstance(p[1], (int, float)) for p in v)
             for k, v in value.items())
    return value if ok and len(value) <= 4 else {}


def read_zip(data: bytes, prepare) -> list[NewDrawing]:
    """The drawings in zip `data`, checked; prepare(image) -> 28x28 uint8 (preprocess) for each.

    Raises ArchiveError for anything unsafe or malformed, naming the member.
    """
    if len(data) > MAX_ZIP_BYTES:
        raise ArchiveError(f"The zip is {len(data) / 2**20:.1f} MB; the limit is {MAX_ZIP_BYTES // 2**20} MB.")
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as e:
        raise ArchiveError("The file is not a readable .zip archive.") from e
    with zf:
        if len(infos) > MAX_MEMBERS:
            raise ArchiveError(f"The zip has {len(infos)} members; the limit is {MAX_MEMBERS}.")
        images, manifest = [], {}
        total = 0
        for info in infos:
            _check_name(info.filename)
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                raise ArchiveError(f"The zip member {info.filename!r} is encrypted.")
            if info.file_size > MAX_MEMBER_BYTES:
                raise ArchiveError(f"The zip member {info.filename!r} is {info.file_size / 2**20:.0f} MB unpacked; "
                                   f"the limit is {MAX_MEMBER_BYTES // 2**20} MB.")
            total += info.file_size
            if total > MAX_TOTAL_BYTES:
                raise ArchiveError(f"The zip unpacks to over {MAX_TOTAL_BYTES // 2**20} MB; refusing it.")
            if info.file_size > 2**20 and info.file_size > MAX_RATIO * max(1, info.compress_size):
                raise ArchiveError(f"The zip member {info.filename!r} inflates {info.file_size // max(1, info.compress_size)}"
                                   f"-fold: a zip bomb, refusing the zip.")
            if info.filename == MANIFEST:
                try:
                    manifest = _manifest_entries(_read(zf, info))
                except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as e:
                    if isinstance(e, ArchiveError):
                        raise
                    raise ArchiveError(f"{MANIFEST} in the zip cannot be read.") from e
                continue
            match = _MEMBER.match(info.filename)
            if not match:
                raise ArchiveError(f"The zip member {info.filename!r} is not laid out <digit>/<name>.png "
                                   f"(or {NOT_A_DIGIT_FOLDER}/<name>.png, or {MANIFEST}).")
            images.append((info, match["folder"]))
        if not images:
            raise ArchiveError("The zip holds no drawings: expected <digit>/<name>.png members, as Export makes.")
        drawings = []
        for info, folder in images:
            drawings.append(_drawing(zf, info, folder, manifest.get(info.filename, {}), prepare))
    return drawings


def _drawing(zf, info, folder: str, entry: dict, prepare) -> NewDrawing:
    from preprocessing.decode import decode_image

    label = NOT_A_DIGIT if folder == NOT_A_DIGIT_FOLDER else int(folder)
    if "label" in entry and entry["label"] != label:
        raise ArchiveError(f"{MANIFEST} says {info.filename!r} is {entry['label']!r}, but it is in folder {folder}/.")
    check_label(label)
    try:
        raw = _read(zf, info)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, ValueError) as e:
        if isinstance(e, ArchiveError):
            raise
        raise ArchiveError(f"The zip member {info.filename!r} cannot be read (damaged).") from e
    try:
        with Image.open(io.BytesIO(raw)) as im:
            if max(im.size) > MAX_IMAGE_SIDE:
                raise ArchiveError(f"The image {info.filename!r} is {im.width}×{im.height} pixels; drawings are at "
                                   f"most {MAX_IMAGE_SIDE} pixels a side.")
    except ArchiveError:
        raise
    except Exception:
        pass  # decode_image says what is wrong
    try:
        image = decode_image(raw, f"The zip member {info.filename!r}")
        image28 = prepare(image)
    except ValueError as e:
        raise ArchiveError(f"{e}" if str(e).startswith("The zip member") else f"{info.filename!r}: {e}") from e
    strokes = entry.get("strokes")
    source = entry.get("source") if entry.get("source") in SOURCES else "import"
    width = entry.get("stroke_width")
    return NewDrawing(
        label=label, input_png=raw if raw[:8] == b"\x89PNG\r\n\x1a\n" else encode_png(image),
        image28_png=encode_png(image28), source=source,
        strokes=strokes if isinstance(strokes, (dict, list)) else None,
        predictions=_predictions(entry.get("predictions")),
        weights=entry["weights"] if isinstance(entry.get("weights"), dict) else {},
        stroke_width=width if isinstance(width, int) and not isinstance(width, bool) and 0 < width < 1000 else None,
        created=entry["created"] if isinstance(entry.get("created"), str) and len(entry["created"]) < 40 else None,
    )


def import_zip(store: DrawingStore, profile: str, data: bytes, prepare=None) -> int:
    """Add the zip's drawings to `profile` in one transaction; how many. ArchiveError if refused."""
    if prepare is None:
        from preprocessing import preprocess

        def prepare(image):
            return preprocess(image).image
    drawings = read_zip(data, prepare)
    store.save_many(profile, drawings)
    return len(drawings)
