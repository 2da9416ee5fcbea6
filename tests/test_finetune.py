"""Fine-tuning on a person's drawings: it learns them, keeps its file format, and refuses what it cannot use."""

import json
import pathlib

import cv2
import numpy as np
import pytest
from conftest import ROOT, draw_digit
from test_model import write_mnist_dir

from model import finetune
from model.predict import load_predictor
from model.weights import load_weights
from preprocessing import preprocess
from store import DrawingStore, NewDrawing, encode_png

SHIPPED_CNN = ROOT / "weights" / "cnn.pt"


def ring(size: float, stroke: int, squash: float = 1.0) -> np.ndarray:
    """A closed round ring on a 280x280 canvas: a 0 that this test teaches the network to call 6."""
    img = np.zeros((280, 280), np.uint8)
    cv2.ellipse(img, (140, 140), (int(70 * size * squash), int(90 * size)), 0, 0, 360, 255, stroke, cv2.LINE_AA)
    return img


def person(n_each: int = 6, seed: int = 0):
    """Canvas images of a person who writes 6 as a ring, and 1s: (images, labels)."""
    rng = np.random.default_rng(seed)
    images, labels = [], []
    for _ in range(n_each):
        images.append(ring(rng.uniform(0.6, 1.1), int(rng.integers(8, 24)), rng.uniform(0.7, 1.0)))
        labels.append(6)
        images.append(draw_digit("1", stroke=int(rng.integers(8, 24))))
        labels.append(1)
    return images, np.array(labels)


def preprocessed(images):
    return np.stack([preprocess(i).image for i in images])


def test_fine_tune_learns_a_persons_style():
    base, _ = load_weights(SHIPPED_CNN, "cnn")
    images, labels = person()
    tuned = finetune.fine_tune(base, "cnn", preprocessed(images), labels, replay=None, steps=80)
    new_rings, _ = person(4, seed=1)
    test = preprocessed(new_rings[::2])
    assert finetune.accuracy(base, test, np.full(len(test), 6)) < 0.5  # a ring is a 0 to the shipped model
    assert finetune.accuracy(tuned, test, np.full(len(test), 6)) == 1.0
    assert base is not tuned and not tuned.training


def write_folder(root: pathlib.Path, images, labels) -> None:
    for i, (image, label) in enumerate(zip(images, labels)):
        folder = root / ("not-a-digit" if label < 0 else str(label))
        folder.mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(folder / f"{i}.png"), image)


def test_cli_on_a_folder_writes_loadable_weights_and_one_json_line(tmp_path, capsys):
    images, labels = person()
    write_folder(tmp_path / "mine", images, labels)
    out = tmp_path / "models" / "my-cnn.pt"
    code = finetune.main(["--arch", "cnn", "--images", str(tmp_path / "mine"), "--out", str(out),
                          "--no-replay", "--steps", "60", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["n"] == 12 and summary["per_digit"] == {"1": 6, "6": 6}
    assert summary["evaluated_on"] == "a stratified half of the drawings, held out (6)"
    assert summary["accuracy_before"] <= 0.6 and summary["accuracy_after"] > summary["accuracy_before"]
    assert summary["seconds"] > 0
    assert [p.name for p in out.parent.iterdir()] == ["my-cnn.pt"]  # written via a temporary file, renamed
    predictor = load_predictor("cnn", weights=out)
    meta = predictor.metadata
    assert meta["fine_tuned"] and meta["base_sha256"] == finetune.sha256_of(SHIPPED_CNN)
    assert meta["drawings_per_digit"] == {"1": 6, "6": 6} and meta["accuracy_after"] == summary["accuracy_after"]
    assert 0 < meta["unsure_below"] < 1 and meta["temperature"] > 0
    assert meta["max_forgetting"] is None  # no replay digits to check forgetting on
    ranked = predictor.predict(preprocess(ring(0.8, 14)).tensor)
    assert ranked[0][0] == 6

    from model import evaluate

    assert evaluate.main(["--arch", "cnn", "--images", str(tmp_path / "mine"), "--weights", str(out)]) == 0


def test_cli_reads_one_profiles_drawings_from_the_store(tmp_path, capsys):
    store = DrawingStore(tmp_path / "d.db")
    images, labels = person()
    for image, label in zip(images, labels):
        store.save("me", NewDrawing(label=int(label), input_png=encode_png(image), image28_png=encode_png(image)))
    store.save("someone else", NewDrawing(label=3, input_png=encode_png(images[0]), image28_png=encode_png(images[0])))
    code = finetune.main(["--arch", "mlp", "--db", str(store.path), "--profile", "me", "--out", str(tmp_path / "m.pt"),
                          "--no-replay", "--steps", "30", "--json"])
    assert code == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["n"] == 12 and "3" not in summary["per_digit"]


@pytest.mark.parametrize("setup, message", [
    ("few", "at least 10 saved drawings"),
    ("one-digit", "at least two different digits"),
    ("overwrite", "never overwritten"),
    ("missing-db", "no drawings file"),
])
def test_cli_refuses_with_a_sentence(tmp_path, capsys, setup, message):
    images, labels = person()
    if setup == "few":
        images, labels = images[:4], labels[:4]
    if setup == "one-digit":
        images, labels = person(12)
        images, labels = images[::2], labels[::2]
    write_folder(tmp_path / "mine", images, labels)
    args = ["--arch", "cnn", "--images", str(tmp_path / "mine"), "--out", str(tmp_path / "o.pt"), "--no-replay"]
    if setup == "overwrite":
        args[-2] = str(SHIPPED_CNN)
    if setup == "missing-db":
        args[2:4] = ["--db", str(tmp_path / "nothing.db")]
    assert finetune.main(args) != 0
    assert message in capsys.readouterr().err
    assert not (tmp_path / "o.pt").exists()


def test_replay_holds_mnist_canvas_drawings_and_scribbles(tmp_path):
    write_mnist_dir(tmp_path)
    replay = finetune.load_replay(str(tmp_path), str(tmp_path / "cache"), verify=False, sizes=(40, 10, 6))
    assert replay.train_x.shape == (56, 28, 28) and replay.train_x.dtype == np.uint8
    assert (replay.train_y == -1).sum() == 6 and set(replay.train_y[:50].tolist()) <= {0, 1, 2}
    assert set(replay.val) == {"mnist", "drawings"} and len(replay.val["mnist"][0]) == 60
    assert replay.mnist_test[0].shape == (150, 28, 28)
    assert len(list((tmp_path / "cache").glob("replay-*.npy"))) == 3  # made once, then read back


def test_the_check_holds_out_a_stratified_half_or_quarter():
    labels = np.repeat(np.arange(10), 2)
    [held] = finetune._folds(labels, seed=0)
    assert sorted(labels[held].tolist()) == list(range(10))  # one of each digit
    [held] = finetune._folds(np.repeat(np.arange(10), 8), seed=0)  # enough drawings: a quarter
    assert len(held) == 20 and sorted(np.repeat(np.arange(10), 8)[held].tolist()) == sorted(list(range(10)) * 2)


def test_a_fine_tune_that_forgets_everyone_else_is_moved_back_towards_the_base():
    import copy

    import torch

    base, _ = load_weights(SHIPPED_CNN, "cnn")
    digits = "0147" * 6
    val = (preprocessed([draw_digit(d, stroke=s) for d, s in zip(digits, [10, 16, 22] * 8)]),
           np.array([int(d) for d in digits]))
    replay = finetune.Replay(train_x=val[0], train_y=val[1], val={"mnist": val})
    assert finetune.replay_accuracy(base, replay) >= 0.9
    unharmed = copy.deepcopy(base)
    assert finetune.within_forgetting(base, unharmed, replay, 0.002) is unharmed  # within the limit: kept as it is
    nothing_held_out = finetune.Replay(train_x=val[0], train_y=val[1], val={})
    forgetful = copy.deepcopy(base)
    with torch.no_grad():
        forgetful.classifier[-1].bias[6] += 30.0  # "everything is a 6"
    assert finetune.replay_accuracy(forgetful, replay) < 0.2
    kept = finetune.within_forgetting(base, forgetful, replay, 0.002)
    assert finetune.replay_accuracy(kept, replay) >= finetune.replay_accuracy(base, replay) - 0.002
    moved = (kept.classifier[-1].bias[6] - base.classifier[-1].bias[6]).item()
    assert 0 <= moved < 30.0 and not kept.training
    assert torch.equal(forgetful.classifier[-1].bias, base.classifier[-1].bias + torch.eye(10)[6] * 30.0)  # not changed in place
    assert finetune.within_forgetting(base, forgetful, nothing_held_out, 0.002) is forgetful  # nothing to judge by
