"""A person's own drawings: a folder of images laid out by digit, or the drawings they saved in the store.

saved_as_seen() gives a profile's saved digits as the app saw them when they
were saved (the Models page scores those). A folder is laid out ROOT/<digit>/*.png (and ROOT/not-a-digit/*.png), the
layout the app's export writes and `python -m model.evaluate --images` reads.
Every image goes through the app's preprocess() again, so a drawing saved
under an older preprocess() is seen as the app sees it now; a drawing made on
the canvas goes with its strokes, as the app reads it (from the store, or from
the drawings.json beside an exported folder's images).
"""

from __future__ import annotations

import json
import os
import pathlib

import numpy as np

from . import Digits

#: Image files read from folders and taken as uploads: what scans, apps and digit corpora come as.
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff", ".pgm", ".ppm", ".pnm"}
NOT_A_DIGIT = "not-a-digit"
#: The manifest the app's export writes beside the images: {"drawings": [{"file", "strokes", ...}]}.
MANIFEST = "drawings.json"
MAX_MANIFEST_BYTES = 200 * 2**20


def image_folder(root: str | os.PathLike, not_a_digit: bool = False) -> list[tuple[pathlib.Path, int]]:
    """(path, label) for every image under root/<digit>/, sorted (and root/not-a-digit/, labelled -1, if asked)."""
    root = pathlib.Path(root)
    folders = [(root / str(d), d) for d in range(10)] + ([(root / NOT_A_DIGIT, -1)] if not_a_digit else [])
    return [(p, label) for folder, label in folders if folder.is_dir() for p in image_files(folder)]


def folder_strokes(root: str | os.PathLike) -> dict[pathlib.Path, dict]:
    """The canvas strokes (json_data) of the drawings in an exported folder, by image path, from the
    drawings.json beside them; {} when there is none, or it cannot be read (the images alone are the drawings)."""
    path = pathlib.Path(root) / MANIFEST
    try:
        if not path.is_file() or path.stat().st_size > MAX_MANIFEST_BYTES:
            return {}
        entries = json.loads(path.read_text(encoding="utf-8")).get("drawings")
    except (OSError, ValueError, AttributeError):
        return {}
    strokes = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, dict) and isinstance(entry.get("file"), str) and isinstance(entry.get("strokes"), dict):
            strokes[pathlib.Path(root) / entry["file"]] = entry["strokes"]
    return strokes


def image_files(folder: pathlib.Path) -> list[pathlib.Path]:
    """The image files in `folder`, sorted. Hidden files are not drawings: "._7.png" is the macOS
    resource fork a zip made on a Mac carries beside each image, "7.png" itself is the image."""
    return [p for p in sorted(folder.iterdir())
            if p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".") and p.is_file()]


def _preprocessed(items) -> tuple[Digits, list[str]]:
    """(Digits, skipped) from (name, label, load) items: load() gives the image and the canvas's strokes
    (json_data, or None); what preprocess() refuses is skipped with why."""
    from preprocessing import preprocess_canvas

    images, labels, skipped = [], [], []
    for name, label, load in items:
        try:
            images.append(preprocess_canvas(*load()).image)
            labels.append(label)
        except ValueError as e:
            skipped.append(f"{name}: {e}")
    if not images:
        return Digits.empty(), skipped
    return Digits(np.stack(images), np.array(labels, np.int64)), skipped


def from_folder(root: str | os.PathLike) -> tuple[Digits, list[str]]:
    """Every root/<digit>/ and root/not-a-digit/ image, preprocessed (with its strokes, when drawings.json
    has them): (digits, the files skipped and why)."""
    from preprocessing.decode import load_image

    strokes = folder_strokes(root)
    return _preprocessed((path, label, lambda path=path: (load_image(path), strokes.get(path)))
                         for path, label in image_folder(root, not_a_digit=True))


def from_store(db: str | os.PathLike, profile: str) -> tuple[Digits, list[str]]:
    """A profile's saved drawings, each input image (with its strokes, if drawn) preprocessed again:
    (digits, the drawings skipped and why)."""
    from preprocessing.decode import decode_image
    from store import DrawingStore

    return _preprocessed((f"drawing #{d.id}", d.label, lambda d=d: (decode_image(d.input_png, f"drawing #{d.id}"), d.strokes))
                         for d in DrawingStore(db).drawings(profile))


def saved_as_seen(store, profile: str) -> tuple[Digits, list[bytes], list[np.ndarray | None]]:
    """A profile's saved digits (not "not a digit") as the 28x28 images preprocess() made when they were
    saved, each one's input PNG, and each one's pen path for the pen network (None for an upload), in
    the store's order. ValueError names a drawing whose image is unreadable."""
    from preprocessing.decode import decode_image

    drawings = [d for d in store.drawings(profile) if d.label >= 0]
    if not drawings:
        return Digits.empty(), [], []
    decoded = [decode_image(d.image28_png, f"drawing #{d.id}") for d in drawings]
    images = np.stack([x if x.ndim == 2 else x[..., 0] for x in decoded])
    return (Digits(images, np.array([d.label for d in drawings], np.int64)), [d.input_png for d in drawings],
            [pen_path(d.strokes) for d in drawings])


def pen_path(json_data) -> np.ndarray | None:
    """The canvas strokes (json_data) as the pen network's sequence (preprocessing.trajectory), as
    preprocess() makes it; None without strokes, or with none that can be read."""
    from preprocessing.canvas_strokes import strokes_from_json
    from preprocessing.trajectory import pen_sequence

    strokes = strokes_from_json(json_data)[0]
    try:
        return pen_sequence(strokes) if strokes else None
    except ValueError:
        return None
