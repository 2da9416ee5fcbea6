"""The app through Streamlit's AppTest: no browser, the real script, the shipped weights."""

import io

import numpy as np
import pytest
from conftest import ROOT, draw_digit
from PIL import Image
from streamlit.testing.v1 import AppTest

APP = str(ROOT / "app.py")


def png(array: np.ndarray) -> bytes:
    buf = io.BytesIO()
    Image.fromarray(array).save(buf, format="PNG")
    return buf.getvalue()


def start(**env) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception, at.exception
    return at


def upload(at: AppTest, name: str, data: bytes, mime: str = "image/png") -> AppTest:
    at.radio(key="source").set_value("Upload").run()
    at.get("file_uploader")[0].set_value((name, data, mime)).run()
    assert not at.exception, at.exception
    return at


def test_starts_blank_asking_for_a_digit():
    at = start()
    assert [i.value for i in at.info] == ["Draw a digit on the black square…"]
    assert not at.metric and not at.error
    assert at.radio(key="model").value == "CNN"


@pytest.mark.parametrize("digit", ["7", "0"])
def test_uploaded_digit_is_predicted_with_every_step_shown(digit):
    at = upload(start(), f"{digit}.png", png(255 - draw_digit(digit)))  # dark on light, like a scan
    assert [(m.label, m.value) for m in at.metric] == [("Prediction", digit)]
    top3 = at.dataframe[0].value
    assert list(top3["Digit"])[0] == digit and len(top3) == 3
    # Tiles fill four columns row by row; the element tree lists them column by column.
    captions = sorted((c for image in at.image for c in image.captions), key=lambda c: int(c.split(".")[0]))
    names = ["Input", "Grayscale", "Polarity", "Noise removed", "Bounding box", "Cropped", "Stroke width",
             "Fitted 20×20", "Centred 28×28", "Scaled to [0, 1]", "Standardized tensor"]
    assert len(captions) == len(names)
    for caption, name in zip(captions, names):
        assert name in caption and caption.endswith("ms)")


def test_sidebar_switches_between_models():
    at = upload(start(), "seven.png", png(draw_digit("7")))
    at.radio(key="model").set_value("Both").run()
    assert [m.value for m in at.metric] == ["7", "7"]
    assert "CNN" in at.markdown[0].value and "MLP" in at.markdown[1].value
    at.radio(key="model").set_value("MLP").run()
    assert len(at.metric) == 1 and at.metric[0].help.startswith("MLP")


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("notes.png", b"this is not a picture", "not an image"),
        ("truncated.png", png(draw_digit("7"))[:200], "not an image"),
        ("huge.png", png(np.zeros((7000, 7200), bool)), "megapixels"),
    ],
)
def test_bad_uploads_give_a_sentence_not_a_traceback(name, data, message):
    at = upload(start(), name, data)
    assert len(at.error) == 1 and message in at.error[0].value
    assert not at.metric


def test_blank_upload_asks_for_a_digit():
    at = upload(start(), "white.png", png(np.full((100, 100), 255, np.uint8)))
    assert "blank" in at.info[0].value and not at.metric and not at.error


def test_a_dot_gets_an_answer_marked_low_confidence():
    dot = np.zeros((280, 280), np.uint8)
    dot[130:150, 130:150] = 255
    at = upload(start(), "dot.png", png(dot))
    assert [m.value for m in at.metric] == ["Not sure"]
    assert any("Low confidence: the best guess is" in w.value for w in at.warning)
    assert len(at.dataframe[0].value) == 3  # the top-3 still shows


def test_missing_weights_say_how_to_train(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGIT_WEIGHTS_DIR", str(tmp_path))
    at = upload(start(), "seven.png", png(draw_digit("7")))
    assert len(at.error) == 1
    assert "python -m model.train --arch cnn" in at.error[0].value
    assert len(at.image) == 11  # the steps still show: they need no network
