"""The data sources' one interface: every source hands out Digits, and slow sets are cached safely."""

import gzip
import io
import json

import cv2
import numpy as np
import pytest

from sources import Digits, cached, in_chunks
from sources.mnist import FILES, held_out_start, load_test, training_and_held_out
from sources.pen import PenDigit, benchmark_set, pen_set
from sources.redrawn import redraw
from sources.scribbles import scribble_set
from sources.user import from_folder, from_store, image_folder, saved_as_seen


def seven(size: int = 28) -> np.ndarray:
    img = np.zeros((size, size), np.uint8)
    s = size / 28
    cv2.polylines(img, [(np.array([(7, 6), (20, 6), (12, 23)]) * s).astype(np.int32)], False, 255, max(2, int(2 * s)), cv2.LINE_AA)
    return img


def check(digits: Digits, n: int) -> None:
    assert isinstance(digits, Digits) and len(digits) == n
    assert digits.images.shape == (n, 28, 28) and digits.images.dtype == np.uint8
    assert digits.labels.shape == (n,) and digits.labels.dtype == np.int64


# --- Digits -----------------------------------------------------------------------------


def test_digits_slice_and_concatenate_keeping_images_and_labels_together():
    a = Digits(np.arange(3 * 784, dtype=np.uint8).reshape(3, 28, 28) % 251, np.array([1, 2, 3]))
    b = Digits(np.zeros((2, 28, 28), np.uint8), np.array([-1, -1]))
    both = Digits.concat([a, b])
    check(both, 5)
    assert both.labels.tolist() == [1, 2, 3, -1, -1]
    assert np.array_equal(both[1:3].images, a.images[1:3]) and both[[0, 4]].labels.tolist() == [1, -1]
    check(Digits.concat([]), 0)


def test_digits_refuse_images_and_labels_that_do_not_belong_together():
    with pytest.raises(ValueError, match="N labels"):
        Digits(np.zeros((3, 28, 28), np.uint8), np.zeros(2, np.int64))
    with pytest.raises(ValueError):
        Digits(np.zeros((3, 32, 32), np.uint8), np.zeros(3, np.int64))


def test_cached_makes_once_then_reads_and_makes_a_damaged_file_again(tmp_path):
    calls = []

    def make():
        calls.append(1)
        return np.full((2, 28, 28), len(calls), np.uint8)

    path = tmp_path / "sub" / "set.npy"
    first = cached(path, make)
    assert np.array_equal(cached(path, make), first) and len(calls) == 1
    path.write_bytes(b"not an npy file")
    assert cached(path, make)[0, 0, 0] == 2 and len(calls) == 2
    assert list(path.parent.iterdir()) == [path]  # no temporary file left behind
    assert cached(None, make)[0, 0, 0] == 3  # no path: made every time


def test_in_chunks_keeps_the_order_of_the_jobs():
    jobs = [(i,) for i in range(4)]
    out = in_chunks(lambda job: np.full((2, 28, 28), job[0], np.uint8), jobs, processes=1)
    assert out[:, 0, 0].tolist() == [0, 0, 1, 1, 2, 2, 3, 3]
    assert in_chunks(None, [], processes=2).shape == (0, 28, 28)


# --- each source ------------------------------------------------------------------------


def write_idx(folder, split, images, labels):
    for name, array in zip(FILES[split], (images, labels)):
        header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
        (folder / f"{name}.gz").write_bytes(gzip.compress(header + array.astype(np.uint8).tobytes()))


def test_mnist_holds_out_the_last_digits_of_its_training_split(tmp_path):
    images = np.arange(200 * 784).reshape(200, 28, 28) % 256
    labels = np.arange(200) % 10
    write_idx(tmp_path, "train", images, labels)
    write_idx(tmp_path, "test", images[:30], labels[:30])
    train, held = training_and_held_out(tmp_path, verify=False)  # a small set: a tenth held out
    check(train, 180), check(held, 20)
    assert np.array_equal(held.images, images[180:]) and held.labels.tolist() == labels[180:].tolist()
    train, held = training_and_held_out(tmp_path, val_size=50, verify=False)
    assert len(held) == 50 and held_out_start(60000) == 55000
    check(load_test(tmp_path, verify=False), 30)


def test_redrawn_digits_keep_their_labels_and_are_cached(tmp_path):
    digits = Digits(np.stack([seven(), seven()]), np.array([7, 7]))
    drawn = redraw(digits, seed=0, cache=tmp_path / "redrawn.npy", processes=1)
    check(drawn, 2)
    assert drawn.labels.tolist() == [7, 7] and (drawn.images.max(axis=(1, 2)) > 200).all()
    assert np.array_equal(np.load(tmp_path / "redrawn.npy"), drawn.images)


def test_scribbles_are_labelled_not_a_digit():
    scribbles = scribble_set(5, seed=0, processes=1)
    check(scribbles, 5)
    assert (scribbles.labels == -1).all()


@pytest.mark.parametrize("kind", ["letter", "shape", "strokes"])
def test_a_scribbles_strokes_are_what_was_drawn(kind):
    from preprocessing.canvas_strokes import draw_strokes
    from sources.scribbles import random_scribble, scribble_with_strokes

    image, strokes, pen = scribble_with_strokes(np.random.default_rng(4), "normal", "large", "white-on-black", kind)
    np.testing.assert_array_equal(image, random_scribble(np.random.default_rng(4), "normal", "large", "white-on-black", kind))
    # Drawn again by the canvas's pen from those strokes, the ink is where the scribble's is.
    again = draw_strokes(strokes, pen) > 127
    ink = image > 127
    assert (again & ink).sum() / (again | ink).sum() > 0.8


def test_a_centre_line_is_walked_as_a_pen_traces_it():
    from sources.canvas import grid_line_paths, grid_line_pieces

    ell = np.array([(0, 0), (1, 1), (2, 2), (2, 3), (2, 4)])  # down a diagonal, then along: given out of order
    order = [3, 0, 4, 2, 1]
    paths = grid_line_paths(ell[order])
    assert len(paths) == 1 and [tuple(ell[order][i]) for i in paths[0]] in ([(0, 0), (1, 1), (2, 2), (2, 3), (2, 4)],
                                                                            [(2, 4), (2, 3), (2, 2), (1, 1), (0, 0)])
    ring = np.array([(0, 1), (1, 2), (2, 1), (1, 0)])  # four points round a hole: one closed path
    (path,) = grid_line_paths(ring)
    assert len(path) == 5 and path[0] == path[-1]
    with_dot = np.vstack([ell, [(9, 9)]])
    paths = grid_line_paths(with_dot)
    assert [5] in paths
    walked = sorted(tuple(sorted(p)) for path in paths for p in zip(path, path[1:]))
    assert walked == sorted(tuple(sorted(p)) for p in grid_line_pieces(with_dot) if len(p) == 2)  # each piece once


def test_a_redrawn_mnist_digits_strokes_are_its_centre_line():
    from preprocessing.canvas_strokes import draw_strokes
    from sources.redrawn import render_digit, render_digit_with_strokes

    image, strokes, pen = render_digit_with_strokes(seven(), np.random.default_rng(2), "normal", "large", "black-on-white")
    np.testing.assert_array_equal(image, render_digit(seven(), np.random.default_rng(2), "normal", "large", "black-on-white"))
    assert max(len(s) for s in strokes) > 20  # traced along the centre line, not cut into pieces
    # Drawn again by the canvas's pen, each ink lies within 2 px of the other's (cv2's lines run a pixel wider).
    again, ink = draw_strokes(strokes, pen) > 127, image < 128  # dark ink on light
    near = lambda mask: cv2.dilate(mask.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0  # noqa: E731
    assert not (ink & ~near(again)).any() and not (again & ~near(ink)).any()
    assert again.sum() > 0.6 * ink.sum()


def test_pen_digits_drawn_for_training_and_for_the_benchmark_are_digits():
    one = PenDigit("a-1", "a", 1, (np.array([[0.5, 0.05], [0.5, 0.95]]),))
    check(pen_set([one, one], seed=0, copies=3, processes=1), 6)
    bench = benchmark_set([one])  # every stroke width and size: 3 x 2 drawings
    check(bench, 6)
    assert (bench.labels == 1).all()


def test_a_persons_folder_gives_digits_and_says_what_it_skipped(tmp_path):
    (tmp_path / "7").mkdir()
    (tmp_path / "not-a-digit").mkdir()
    (tmp_path / "3").mkdir()
    cv2.imwrite(str(tmp_path / "7" / "a.png"), seven(280))
    cv2.imwrite(str(tmp_path / "not-a-digit" / "b.png"), 255 - seven(280))
    cv2.imwrite(str(tmp_path / "3" / "blank.png"), np.zeros((50, 50), np.uint8))
    (tmp_path / "3" / "notes.txt").write_text("not an image")
    assert [label for _, label in image_folder(tmp_path)] == [3, 7]
    digits, skipped = from_folder(tmp_path)
    check(digits, 2)
    assert digits.labels.tolist() == [7, -1]
    assert len(skipped) == 1 and "blank.png" in skipped[0]


def test_a_persons_saved_drawings_give_digits(tmp_path):
    from store import DrawingStore
    from store.db import NewDrawing

    db = tmp_path / "drawings.db"
    png = cv2.imencode(".png", seven(280))[1].tobytes()
    DrawingStore(db).save("p", NewDrawing(label=7, input_png=png, image28_png=png))
    digits, skipped = from_store(db, "p")
    check(digits, 1)
    assert digits.labels.tolist() == [7] and not skipped
    empty, _ = from_store(db, "someone else")
    check(empty, 0)


def small_zero_under_a_fat_pen() -> tuple[dict, np.ndarray]:
    """The canvas's json_data (as JSON gives it back) and image of a small 0 drawn with a 24 px pen."""
    from preprocessing.canvas_strokes import draw_strokes, strokes_to_json

    t = np.linspace(0, 2 * np.pi, 60)
    loop = np.stack([140 + 11 * np.cos(t), 140 + 20 * np.sin(t)], 1)
    return json.loads(json.dumps(strokes_to_json([loop], 24))), draw_strokes([loop], 24)


def test_a_saved_drawing_is_read_again_with_its_strokes(tmp_path):
    from preprocessing import preprocess, preprocess_canvas
    from store import DrawingStore
    from store.db import NewDrawing

    json_data, image = small_zero_under_a_fat_pen()
    png = cv2.imencode(".png", image)[1].tobytes()
    db = tmp_path / "drawings.db"
    DrawingStore(db).save("p", NewDrawing(label=0, input_png=png, image28_png=png,
                                          strokes=json_data))
    digits, _ = from_store(db, "p")
    np.testing.assert_array_equal(digits.images[0], preprocess_canvas(image, json_data).image)
    assert not np.array_equal(digits.images[0], preprocess(image).image)  # the image alone is a blob


def test_an_exported_folder_is_read_with_the_strokes_in_its_manifest(tmp_path):
    import zipfile

    from model.evaluate import evaluate_images
    from model.predict import load_predictor
    from preprocessing import preprocess, preprocess_canvas
    from store import DrawingStore
    from store.archive import export_zip
    from store.db import NewDrawing

    json_data, image = small_zero_under_a_fat_pen()
    png = cv2.imencode(".png", image)[1].tobytes()
    store = DrawingStore(tmp_path / "drawings.db")
    store.save("p", NewDrawing(label=0, input_png=png, image28_png=png, strokes=json_data))
    folder = tmp_path / "export"
    with zipfile.ZipFile(io.BytesIO(export_zip(store, "p"))) as zf:
        zf.extractall(folder)
    digits, _ = from_folder(folder)
    np.testing.assert_array_equal(digits.images[0], preprocess_canvas(image, json_data).image)
    cnn = load_predictor("cnn")
    assert evaluate_images(cnn, folder)["accuracy"] == 1.0
    # A manifest that cannot be read leaves the images alone to be read.
    (folder / "drawings.json").write_text("{not json")
    np.testing.assert_array_equal(from_folder(folder)[0].images[0], preprocess(image).image)


def test_an_exported_folder_is_scored_with_how_each_drawing_was_written(tmp_path):
    from conftest import benchmark
    from model.evaluate import evaluate_images
    from model.predict import load_predictor
    from preprocessing.canvas_strokes import strokes_to_json

    canvas, strokes, width = benchmark("latency").doubtful_drawing()  # a hooked 1: a 4 from its picture alone, a 1 as written
    (tmp_path / "1").mkdir()
    cv2.imwrite(str(tmp_path / "1" / "a.png"), canvas[..., 0])
    manifest = {"format": 1, "drawings": [{"file": "1/a.png", "label": 1, "strokes": strokes_to_json(strokes, width)}]}
    (tmp_path / "drawings.json").write_text(json.dumps(manifest))
    assert evaluate_images(load_predictor("cnn"), tmp_path)["accuracy"] == 1.0
    assert evaluate_images(load_predictor("cnn", pen=False), tmp_path)["accuracy"] == 0.0  # the picture alone: a 4


def test_saved_digits_as_the_app_saw_them_leave_out_not_a_digit(tmp_path):
    from store import DrawingStore
    from store.db import NewDrawing

    store = DrawingStore(tmp_path / "drawings.db")
    png28 = cv2.imencode(".png", seven())[1].tobytes()
    big = cv2.imencode(".png", seven(280))[1].tobytes()
    check(saved_as_seen(store, "p")[0], 0)
    store.save("p", NewDrawing(label=-1, input_png=big, image28_png=png28))
    assert len(saved_as_seen(store, "p")[0]) == 0  # only "not a digit": nothing to score
    store.save("p", NewDrawing(label=7, input_png=big, image28_png=png28))
    digits, inputs, paths = saved_as_seen(store, "p")
    check(digits, 1)
    assert digits.labels.tolist() == [7] and np.array_equal(digits.images[0], seven()) and inputs == [big]
    assert paths == [None]  # an upload: no strokes
    from preprocessing.canvas_strokes import strokes_to_json
    from preprocessing.trajectory import pen_sequence

    written = [np.array([[70.0, 50.0], [210.0, 50.0], [120.0, 240.0]])]
    store.save("p", NewDrawing(label=7, input_png=big, image28_png=png28, strokes=strokes_to_json(written, 20)))
    store.save("p", NewDrawing(label=7, input_png=big, image28_png=png28, strokes={"objects": [{"type": "rect"}]}))
    paths = saved_as_seen(store, "p")[2]
    assert len(paths) == 3 and sum(p is None for p in paths) == 2  # the upload, and strokes with no path in them
    np.testing.assert_allclose(next(p for p in paths if p is not None), pen_sequence(written), atol=1e-5)
