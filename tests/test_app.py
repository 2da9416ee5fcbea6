"""The app through Streamlit's AppTest: no browser, the real script, the shipped weights."""

import io
import os
import pathlib
import time

import numpy as np
import pytest
from conftest import ROOT, draw_digit
from PIL import Image
from streamlit.testing.v1 import AppTest

from model.saliency import METHOD
from store import DrawingStore, NewDrawing, encode_png, export_zip

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
    assert at.get("file_uploader")[0].proto.label == "A photo or scan of one digit"
    assert [(m.label, m.value) for m in at.metric] == [("Prediction", digit)]
    top3 = at.dataframe[0].value
    assert list(top3["Digit"])[0] == digit and len(top3) == 3
    assert all(p.endswith("%") and p != "100.0%" for p in top3["Probability"])
    assert list(top3["Bar"]) == sorted(top3["Bar"], reverse=True)
    # Tiles fill rows of four columns; the element tree may list them column by column.
    captions = sorted((c for image in at.image for c in image.captions if c[0].isdigit()),
                      key=lambda c: int(c.split(".")[0]))
    saliency = [c for image in at.image for c in image.captions if c.startswith("Evidence")]
    assert saliency == [f"Evidence for {digit}: red is the ink that raised its score. {METHOD}."]
    at.toggle(key="why_not").set_value(True).run()
    runner_up = list(at.dataframe[0].value["Digit"])[1]
    assert [c for image in at.image for c in image.captions if c.startswith("Evidence")] == [
        saliency[0], f"Evidence for the runner-up, {runner_up}: red is the ink that raised its score. {METHOD}."]
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


# -- "Right?", My drawings, fine-tune ------------------------------------------------------------


MY_DRAWINGS = "app_pages/my_drawings.py"


@pytest.fixture
def db(tmp_path, monkeypatch):
    path = tmp_path / "drawings.db"
    monkeypatch.setenv("DIGITS_DB", str(path))
    return DrawingStore(path)


def right_pills(at: AppTest):
    [pills] = [p for p in at.button_group if p.label.startswith("Right?")]
    return pills


def gallery_captions(at: AppTest) -> list[str]:
    return [c for image in at.image for c in image.captions if c.startswith("#")]


def test_correct_a_prediction_then_relabel_delete_export_and_import_it(db):
    at = upload(start(), "seven.png", png(draw_digit("7")))
    assert at.metric[0].value == "7"
    right_pills(at).set_value("1").run()
    assert not at.exception, at.exception
    assert "Saved as 1 (drawing #1)" in at.success[0].value
    saved = db.get("local", 1)
    assert saved.label == 1 and saved.source == "upload" and saved.predictions["cnn"][0][0] == 7
    assert saved.weights["cnn"]["file"] == "cnn.pt" and len(saved.weights["cnn"]["sha256"]) == 64

    at.switch_page(MY_DRAWINGS).run()
    assert not at.exception, at.exception
    assert "1 drawing saved" in at.markdown[0].value
    assert gallery_captions(at) == ["#1: 1 · model said 7"]
    at.toggle(key="gallery_wrong").set_value(True).run()
    assert gallery_captions(at) == ["#1: 1 · model said 7"]
    at.selectbox(key="relabel-1").set_value("4").run()
    assert gallery_captions(at) == ["#1: 4 · model said 7"] and db.get("local", 1).label == 4
    exported = export_zip(db, "local")  # what the page's Export button downloads
    assert [b.proto.label for b in at.get("download_button")] == ["Export my drawings (.zip)"]
    at.button(key="delete-1").click().run()
    assert "Delete drawing #1?" in at.warning[0].value and db.count("local") == 1
    at.button(key="confirm-delete-1").click().run()
    assert db.count("local") == 0 and gallery_captions(at) == []

    at.file_uploader(key="import_zip").set_value(("my-drawings.zip", exported, "application/zip")).run()
    at.button(key="import").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Imported 1 drawing."
    assert [d.label for d in db.drawings("local")] == [4]


def test_a_correction_counts_at_once_and_the_page_says_which_saved_drawing_moved_the_answer(db, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "no-mnist"))  # no check against other people's digits
    at = upload(start(), "seven.png", png(draw_digit("7")))
    assert at.metric[0].value == "7" and not [c for c in at.caption if "too (sidebar)" in c.value]
    right_pills(at).set_value("1").run()  # "that was a 1"
    assert not at.exception, at.exception
    assert at.metric[0].value == "1"  # the same drawing again reads as the person said
    [said] = [c.value for c in at.caption if "too (sidebar)" in c.value]
    assert "Your 1 saved drawing counts too" in said and "the closest is a 1, 100% alike" in said
    assert "The network alone says 7" in said
    assert "sure (calibrated, your saved drawings counted)" in [c.value for c in at.caption if "sure" in c.value][0]
    at.toggle(key="use_memory").set_value(False).run()  # the sidebar switch: the network alone
    assert at.metric[0].value == "7" and not [c for c in at.caption if "too (sidebar)" in c.value]
    at.toggle(key="use_memory").set_value(True).run()
    upload(at, "zero.png", png(draw_digit("0")))  # unlike anything saved: the network's answer, untouched
    assert at.metric[0].value == "0"
    [said] = [c.value for c in at.caption if "too (sidebar)" in c.value]
    assert "The network alone" not in said


@pytest.mark.skipif(not os.environ.get("MNIST_DIR"), reason="needs MNIST (MNIST_DIR)")
def test_a_correction_that_would_turn_everyone_elses_sevens_into_ones_is_not_counted(db):
    at = upload(start(), "seven.png", png(draw_digit("7")))  # a plain 7, as MNIST's writers draw it
    right_pills(at).set_value("1").run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "7"
    [said] = [c.value for c in at.caption if "saved drawing" in c.value]
    assert "Your saved drawing does not count here: to everyone else it is another digit" in said
    assert db.digit_labels("local") == [(1, 1)]  # still saved, for the fine-tune to weigh


def test_tick_saves_the_answer_and_undo_takes_it_back(db):
    at = upload(start(), "seven.png", png(draw_digit("7")))
    right_pills(at).set_value("✓ Yes").run()
    assert "Saved as 7" in at.success[0].value and db.counts("local")[7] == 1
    next(b for b in at.button if b.label == "Undo").click().run()
    assert db.count("local") == 0 and right_pills(at).value is None


def test_not_a_digit_is_saved_as_such(db):
    dot = np.zeros((280, 280), np.uint8)
    dot[100:180, 100:180] = 255
    at = upload(start(), "square.png", png(dot))
    right_pills(at).set_value("Not a digit").run()
    assert "Saved as not a digit" in at.success[0].value and db.counts("local")[-1] == 1


def test_a_damaged_database_keeps_the_drawing_and_the_predictions(db):
    db.path.write_bytes(b"not a database" * 200)
    at = upload(start(), "seven.png", png(draw_digit("7")))
    right_pills(at).set_value("7").run()
    assert not at.exception, at.exception
    assert any("damaged" in e.value and "kept in this session" in e.value for e in at.error)
    assert at.metric[0].value == "7"  # predictions still work
    retry = next(b for b in at.button if b.label.startswith("Retry saving (1 kept)"))
    db.path.unlink()  # the person moved the damaged file aside
    retry.click().run()
    assert not at.error and db.counts("local")[7] == 1
    at.switch_page(MY_DRAWINGS).run()
    assert not at.exception and "1 drawing saved" in at.markdown[0].value


def test_my_drawings_on_a_damaged_file_says_so(db):
    db.path.write_bytes(b"not a database" * 200)
    at = start().switch_page(MY_DRAWINGS).run()
    assert not at.exception and "damaged" in at.error[0].value


def test_fine_tune_from_the_page_adds_your_model_to_the_sidebar(db, tmp_path, monkeypatch):
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "no-mnist"))  # no replay: quick, and the page says so after
    for k in range(6):
        for digit in ("1", "7"):
            image = draw_digit(digit, stroke=10 + 2 * k)
            db.save("local", NewDrawing(label=int(digit), input_png=encode_png(image), image28_png=encode_png(image)))
    at = start().switch_page(MY_DRAWINGS).run()
    assert "12 drawings saved" in at.markdown[0].value
    assert at.radio(key="model").options == ["CNN", "MLP", "Both"]
    at.button(key="fine-tune-mlp").click().run()
    assert not at.exception, at.exception
    deadline = time.time() + 240
    while time.time() < deadline and not any("is ready" in s.value for s in at.success):
        time.sleep(2)
        at.run()
        assert not at.error, at.error[0].value
    assert any("MLP (yours) is ready" in s.value for s in at.success)
    assert any("MNIST was not found" in c.value for c in at.caption)
    assert at.radio(key="model").options == ["CNN", "MLP", "Both", "MLP (yours)"]
    assert db.model_path("local", "mlp").is_file()
    at.radio(key="model").set_value("MLP (yours)").run()
    at.switch_page("app_pages/draw.py").run()
    at = upload(at, "seven.png", png(draw_digit("7")))
    assert at.metric[0].value == "7" and at.metric[0].help.startswith("MLP (yours)")
    next(b for b in at.button if b.label == "Back to the shipped model").click().run()
    assert at.radio(key="model").value == "CNN"


def signed_in(email: str | None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.user = {"is_logged_in": email is not None, **({"email": email} if email else {})}  # as with [auth] configured
    return at.run()


def test_signed_in_people_see_only_their_own_drawings(db):
    alice = upload(signed_in("alice@example.com"), "seven.png", png(draw_digit("7")))
    assert "Signed in as alice@example.com" in alice.sidebar.caption[-1].value
    right_pills(alice).set_value("1").run()
    assert "Saved as 1" in alice.success[0].value
    assert db.count("user:alice@example.com") == 1 and db.count("local") == 0

    bob = signed_in("bob@example.com").switch_page(MY_DRAWINGS).run()
    assert "0 drawings saved" in bob.markdown[0].value and gallery_captions(bob) == []
    alice.switch_page(MY_DRAWINGS).run()
    assert gallery_captions(alice) == ["#1: 1 · model said 7"]

    nobody = upload(signed_in(None), "seven.png", png(draw_digit("7")))
    assert nobody.metric[0].value == "7"  # answers still come
    assert not [p for p in nobody.button_group if p.label.startswith("Right?")]
    assert any(b.label == "Log in" for b in nobody.sidebar.button)
    nobody.switch_page(MY_DRAWINGS).run()
    assert "Sign in" in nobody.info[0].value and gallery_captions(nobody) == []


@pytest.mark.parametrize("trouble, message", [("read-only", "read-only"), ("full", "is full")])
def test_a_read_only_or_full_database_keeps_the_drawing_and_the_predictions(db, monkeypatch, trouble, message):
    import sqlite3

    from store import db as store_db

    db.save("local", NewDrawing(label=1, input_png=encode_png(draw_digit("1")), image28_png=b"\x89PNG"))
    real = sqlite3.connect

    class FullDisk(sqlite3.Connection):
        def execute(self, sql, *args):
            if sql.startswith("INSERT"):
                raise sqlite3.OperationalError("database or disk is full")  # SQLite's SQLITE_FULL message
            return super().execute(sql, *args)

    def connect(path, *args, **kwargs):  # what SQLite does for a read-only file, or a disk with no room left
        if trouble == "read-only":
            return real(f"file:{path}?mode=ro", *args, uri=True, **kwargs)
        return real(path, *args, factory=FullDisk, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(store_db.sqlite3, "connect", connect)
        at = upload(start(), "seven.png", png(draw_digit("7")))
        right_pills(at).set_value("7").run()
        assert not at.exception, at.exception
        assert any(message in e.value and "kept in this session" in e.value for e in at.error)
        assert at.metric[0].value == "7" and any(b.label.startswith("Retry saving (1 kept)") for b in at.button)
    next(b for b in at.button if b.label.startswith("Retry saving")).click().run()
    assert not at.error and db.counts("local")[7] == 1


def test_switching_a_step_off_changes_the_28x28_and_the_naive_pipeline_shows_beside_it():
    at = upload(start(), "one.png", png(draw_digit("1")))

    def compared():
        return {c.split(":")[0]: (image.proto.imgs[0].url, c) for image in at.image for c in image.captions
                if c.startswith(("Ours", "With your", "Naive"))}

    before = compared()
    assert set(before) == {"Ours, every step", "With your switches", "Naive"}
    # All switches on: the same 28x28 and answer as ours.
    assert before["Ours, every step"][1].split(":")[1] == before["With your switches"][1].split(":")[1]
    assert before["Ours, every step"][0] == before["With your switches"][0]
    assert "CNN says" in before["Naive"][1]
    at.toggle(key="opt_aspect").set_value(False).run()
    after = compared()
    assert after["With your switches"][0] != before["With your switches"][0]  # another 28x28
    assert after["Ours, every step"] == before["Ours, every step"]


MODELS = "app_pages/models.py"


def stored_accuracy(report: str) -> str:
    """The shipped CNN's accuracy on `report` as stored in its metadata, as the page writes it."""
    from model import load_predictor

    return f"{load_predictor('cnn').metadata['reports'][report]['accuracy']:.2%}"


def test_models_page_without_mnist_shows_the_figures_stored_with_the_weights(monkeypatch, tmp_path):
    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "no-mnist"))
    at = start().switch_page(MODELS).run()
    assert not at.exception, at.exception
    assert at.radio(key="models_set").options == ["MNIST test", "Real pen, 22 held-out writers"]
    assert "MNIST is not on this machine" in at.caption[0].value
    assert at.metric[0].value == stored_accuracy("mnist_test") and at.metric[1].value == "10,000"
    at.radio(key="models_set").set_value("Real pen, 22 held-out writers").run()
    assert at.metric[0].value == stored_accuracy("real_pen")
    assert any("not on this machine" in i.value for i in at.info)  # no pictures of the errors without the data
    at.selectbox(key="models_model").set_value("MLP").run()
    assert not at.exception and at.metric[0].value.endswith("%")


def test_models_page_scores_my_drawings_and_shows_their_errors(db, monkeypatch, tmp_path):
    from preprocessing import preprocess

    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "no-mnist"))
    for digit, label in [("7", 7), ("7", 1), ("1", 1), ("0", 0)]:  # a 7 saved as a 1: one error
        image = draw_digit(digit)
        db.save("local", NewDrawing(label=label, input_png=encode_png(image),
                                    image28_png=encode_png(preprocess(image).image)))
    at = start().switch_page(MODELS).run()
    at.radio(key="models_set").set_value("My drawings").run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "75.00%" and at.metric[1].value == "4"
    assert at.selectbox(key="error_cell").options == ["1 read as 7 (1)"]
    [caption] = [c for image in at.image for c in image.captions if c.startswith("true")]
    assert caption.startswith("true 1: 7 ")


def test_models_page_reads_my_canvas_drawings_with_how_they_were_written(db, monkeypatch, tmp_path):
    from conftest import benchmark
    from preprocessing import preprocess
    from preprocessing.canvas_strokes import strokes_to_json

    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "no-mnist"))
    canvas, strokes, width = benchmark("latency").doubtful_drawing()  # a hooked 1: a 4 from its picture alone, a 1 as written
    db.save("local", NewDrawing(label=1, input_png=encode_png(canvas[..., 0]), strokes=strokes_to_json(strokes, width),
                                image28_png=encode_png(preprocess(canvas, strokes=strokes, pen_width=width).image)))
    at = start().switch_page(MODELS).run()
    at.radio(key="models_set").set_value("My drawings").run()
    assert not at.exception, at.exception
    assert at.metric[0].value == "100.00%"  # the image network alone reads it 4: 0.00%
    assert any("how each was written" in c.value for c in at.caption)


def test_models_page_with_only_not_a_digit_saved_offers_no_score_of_my_drawings(db, monkeypatch, tmp_path):
    from preprocessing import preprocess

    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "no-mnist"))
    image = draw_digit("0")
    db.save("local", NewDrawing(label=-1, input_png=encode_png(image), image28_png=encode_png(preprocess(image).image)))
    at = start().switch_page(MODELS).run()
    assert not at.exception and not at.warning, (at.exception, at.warning)
    assert "My drawings" not in at.radio(key="models_set").options


@pytest.mark.skipif(not (pathlib.Path(os.environ.get("MNIST_DIR", "/nonexistent")) / "t10k-labels-idx1-ubyte.gz").is_file(),
                    reason="MNIST_DIR is not set to the MNIST files")
def test_models_page_with_mnist_measures_it_now():
    at = start().switch_page(MODELS).run()
    assert not at.exception, at.exception
    assert "measured now" in at.caption[0].value and at.metric[0].value == stored_accuracy("mnist_test")
    assert at.selectbox(key="error_cell").options[0].endswith(")")
    assert len([c for image in at.image for c in image.captions if c.startswith("true ")]) > 0


def test_number_mode_reads_an_uploaded_number_digit_by_digit():
    from test_numbers import number

    at = start()
    at.segmented_control(key="mode").set_value("Number").run()
    assert not at.exception, at.exception
    assert at.info[0].value == "Write a number on the black strip…"
    at.radio(key="source").set_value("Upload").run()
    assert at.get("file_uploader")[0].proto.label == "A photo or scan of a written number"
    at = upload(at, "year.png", png(255 - number("170", 30)))  # dark on light, like a photo of paper
    assert [(m.label, m.value) for m in at.metric] == [("Number", "170")]
    captions = [c for image in at.image for c in image.captions]
    assert captions[0] == "3 digits found in the image, boxed left to right"
    assert [c.split(":")[0] for c in captions[1:4]] == ["1", "2", "3"] and captions[1].startswith("1: 1 ")
    assert [e.label for e in at.expander] == [f"Digit {k}: right? and its steps" for k in (1, 2, 3)]


def test_digit_mode_says_when_a_drawing_is_a_number_and_where_numbers_are_read():
    from test_numbers import number

    at = upload(start(), "year.png", png(255 - number("170", 40)))
    assert not at.exception, at.exception
    hints = [i.value for i in at.info if "Number" in i.value]
    assert hints == ["This looks like 3 digits, 170, and Digit mode reads one digit. To read a whole number, "
                     "choose **Number** above."]
    at = upload(at, "seven.png", png(255 - draw_digit("7")))  # one digit: no such word
    assert at.metric[0].value == "7" and not [i for i in at.info if "Number" in i.value]


def test_number_mode_reads_a_price_with_its_decimal_point():
    from test_numbers import canvas, dab, one_at, seven_at, zero_at

    at = start()
    at.segmented_control(key="mode").set_value("Number").run()
    at.radio(key="source").set_value("Upload").run()
    price = canvas([one_at(80), zero_at(200), dab(290), seven_at(330)], 14)
    at = upload(at, "price.png", png(255 - price))  # dark on light, like a photo of a price tag
    assert not at.exception, at.exception
    assert at.metric[0].value == "10.7"
    captions = [c for image in at.image for c in image.captions]
    assert captions[0] == "3 digits and a decimal point (orange) found in the image, boxed left to right"
    assert [e.label for e in at.expander] == [f"Digit {k}: right? and its steps" for k in (1, 2, 3)]


def test_a_correction_in_number_mode_counts_at_once_in_the_number(db, tmp_path, monkeypatch):
    from test_numbers import number

    monkeypatch.setenv("MNIST_DIR", str(tmp_path / "no-mnist"))  # no check against other people's digits
    at = start()
    at.segmented_control(key="mode").set_value("Number").run()
    at = upload(at, "year.png", png(255 - number("170", 30)))
    assert at.metric[0].value == "170" and not [c for c in at.caption if "too (sidebar)" in c.value]
    [p for p in at.button_group if p.label.startswith("Right?")][1].set_value("1").run()  # "that 7 is a 1"
    assert not at.exception, at.exception
    assert at.metric[0].value == "110"
    [said] = [c.value for c in at.caption if "too (sidebar)" in c.value]
    assert said == "Your 1 saved drawing counts too (sidebar): the network alone reads 170."
    at.toggle(key="use_memory").set_value(False).run()
    assert at.metric[0].value == "170" and not [c for c in at.caption if "too (sidebar)" in c.value]


def test_each_digit_of_a_number_can_be_corrected_and_saved_on_its_own(db):
    from test_numbers import number

    at = start()
    at.segmented_control(key="mode").set_value("Number").run()
    at = upload(at, "year.png", png(255 - number("117", 30)))  # two identical 1s: two answers all the same
    assert at.metric[0].value == "117"
    pills = [p for p in at.button_group if p.label.startswith("Right?")]
    assert len(pills) == 3
    pills[2].set_value("1").run()  # "the third digit is really a 1"
    assert not at.exception, at.exception
    assert [s.value for s in at.success] == ["Saved as 1 (drawing #1). It is on the My drawings page."]
    saved = db.get("local", 1)
    assert saved.label == 1 and saved.source == "upload" and saved.predictions["cnn"][0][0] == 7
    assert db.count("local") == 1
    next(b for b in at.button if b.label == "Undo").click().run()
    assert db.count("local") == 0
