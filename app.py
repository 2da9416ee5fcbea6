"""Draw a digit, watch every preprocessing step, read what the networks think.

    streamlit run app.py

A thin UI: the image maths lives in preprocessing/, the networks in model/.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from model import Predictor, WeightsError, load_predictor
from model.weights import default_weights_dir
from preprocessing import EmptyDrawingError, Result, preprocess
from preprocessing.decode import decode_image
from preprocessing.display import for_display

CANVAS_SIZE = 280
MODELS = {"CNN": ["cnn"], "MLP": ["mlp"], "Both": ["cnn", "mlp"]}

st.set_page_config(page_title="Digit recognizer", page_icon="✏️", layout="wide")


@st.cache_resource(show_spinner="Loading the network…")
def get_predictor(arch: str, weights_dir: str) -> Predictor:
    """Loaded once per process and shared by every session (failures are not cached)."""
    return load_predictor(arch, weights_dir)


@st.cache_data(max_entries=64, show_spinner=False)
def run_pipeline(image: np.ndarray) -> Result:
    """preprocess(), remembered, so a rerun that did not change the drawing does no work."""
    return preprocess(image)


@st.cache_data(max_entries=16, show_spinner=False)
def decode_upload(data: bytes, name: str) -> np.ndarray:
    return decode_image(data, name)


def sidebar() -> tuple[list[str], int, bool]:
    st.sidebar.title("Settings")
    choice = st.sidebar.radio("Model", list(MODELS), horizontal=True, key="model")
    stroke = st.sidebar.slider("Stroke width", 2, 40, 20, key="stroke",
                               help="Any width works: the pipeline rescales strokes to MNIST's width.")
    realtime = st.sidebar.toggle(
        "Update while drawing", value=True, key="realtime",
        help="Off: the drawing is sent only when you press the canvas toolbar's ⬆ button "
             "(Update the app with this drawing).",
    )
    st.sidebar.caption(
        "The networks were trained on MNIST, 28×28 white-on-black digits. "
        "Each step below turns your drawing into exactly that."
    )
    return MODELS[choice], stroke, realtime


def canvas_input(stroke: int, realtime: bool) -> np.ndarray | None:
    """The drawing as RGBA, or None before the first stroke."""
    st.session_state.setdefault("canvas_id", 0)
    canvas = st_canvas(
        stroke_width=stroke,
        stroke_color="#FFFFFF",
        background_color="#000000",
        update_streamlit=realtime,
        height=CANVAS_SIZE,
        width=CANVAS_SIZE,
        drawing_mode="freedraw",
        return_image_data=True,
        key=f"canvas-{st.session_state.canvas_id}",
    )
    if st.button("Clear the canvas"):
        st.session_state.canvas_id += 1  # a new key mounts a new, empty canvas
        st.rerun()
    data = canvas.image_data
    has_strokes = bool(canvas.json_data and canvas.json_data.get("objects"))
    return data if data is not None and has_strokes else None


def upload_input() -> np.ndarray | None:
    upload = st.file_uploader("A photo or scan of one digit", type=["png", "jpg", "jpeg", "bmp", "webp"],
                              help="Dark on light or light on dark; any size up to 10 MB.")
    if upload is None:
        return None
    try:
        return decode_upload(upload.getvalue(), upload.name)
    except ValueError as e:
        st.error(str(e))
        return None


def show_prediction(arch: str, result: Result) -> None:
    try:
        predictor = get_predictor(arch, str(default_weights_dir()))
    except WeightsError as e:
        st.error(f"The {arch.upper()} cannot answer: {e}")
        return
    ranked = predictor.predict(result.tensor)
    digit, probability = ranked[0]
    unsure = predictor.is_unsure(ranked)
    st.metric("Prediction", "Not sure" if unsure else digit, border=True,
              help=f"{arch.upper()}, MNIST test accuracy {predictor.metadata.get('mnist_test_accuracy', 0):.2%}")
    if unsure:
        st.warning(f"Low confidence: the best guess is {digit} at {probability:.0%}. "
                   "This may not be a digit, or it is an unusual one.")
    else:
        st.caption(f"{arch.upper()} is {probability:.1%} sure (calibrated).")
    top3 = pd.DataFrame({"Digit": [str(d) for d, _ in ranked[:3]], "Probability": [p for _, p in ranked[:3]]})
    st.dataframe(
        top3, hide_index=True, width="stretch",
        column_config={"Probability": st.column_config.ProgressColumn(format="percent", min_value=0.0, max_value=1.0)},
    )


def show_steps(result: Result) -> None:
    st.subheader("How your drawing became a 28×28 tensor")
    total = sum(s.seconds for s in result.steps) * 1000
    st.caption(f"{len(result.steps)} steps in {total:.2f} ms. Small images are enlarged, pixel for pixel.")
    columns = st.columns(4)
    for i, step in enumerate(result.steps):
        with columns[i % 4]:
            caption = f"{i + 1}. {step.name} — {step.caption} ({step.seconds * 1000:.2f} ms)"
            st.image(for_display(step.image), caption=caption, width="stretch", clamp=True)


@st.fragment
def main_area(archs: list[str], stroke: int, realtime: bool) -> None:
    left, right = st.columns([1, 1], gap="large")
    with left:
        source = st.radio("Input", ["Draw", "Upload"], horizontal=True, key="source", label_visibility="collapsed")
        image = canvas_input(stroke, realtime) if source == "Draw" else upload_input()
    if image is None:
        with right:
            st.info("Draw a digit on the black square…" if source == "Draw" else "Choose an image of a digit…")
        return
    try:
        result = run_pipeline(image)
    except EmptyDrawingError as e:
        with right:
            st.info(str(e))
        return
    except ValueError as e:
        with right:
            st.error(str(e))
        return
    with right:
        for arch, column in zip(archs, st.columns(len(archs))):
            with column:
                if len(archs) > 1:
                    st.markdown(f"**{arch.upper()}**")
                show_prediction(arch, result)
    show_steps(result)


st.title("✏️ Digit recognizer")
st.caption("Draw a digit from 0 to 9. Every step that turns it into MNIST's format is shown below the answer.")
main_area(*sidebar())
