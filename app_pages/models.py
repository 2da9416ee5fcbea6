"""Models: how each network does on MNIST, on real pen digits and on your drawings, and where it errs."""

from __future__ import annotations

import pathlib

import altair as alt
import numpy as np
import pandas as pd
import streamlit as st

from app_pages.common import current_profile, get_predictor, get_store, model_menu
from model import WeightsError
from model.report import probabilities_of, report, standardized
from preprocessing.display import for_display
from sources import DataError
from sources.mnist import default_data_dir, load_mnist
from sources.user import saved_as_seen
from store import StoreError

GALLERY = 24


@st.cache_data(show_spinner="Scoring MNIST's 10,000 test digits…", max_entries=8)
def mnist_scores(arch: str, path: str, mtime_ns: int, data_dir: str) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray]:
    """(report, images, labels, probabilities) on MNIST's test split; DataError when it is not there."""
    images, labels = load_mnist(data_dir, "test")
    probs = probabilities_of(get_predictor(arch, pathlib.Path(path)), standardized(images))
    return report(probs, labels), images, labels, probs


@st.cache_data(show_spinner=False, max_entries=16)
def my_scores(arch: str, path: str, mtime_ns: int, profile: str, stamp: tuple) -> tuple[dict, np.ndarray, np.ndarray, np.ndarray, list] | None:
    """The same on the person's saved digits (not "not a digit"), as preprocess() made them when saved;
    None when there are none. `stamp` (how many drawings, the labels' checksum) makes a new save or
    relabel score again."""
    digits, inputs, paths = saved_as_seen(get_store(), profile)
    if not len(digits):
        return None
    predictor = get_predictor(arch, pathlib.Path(path))
    probs = probabilities_of(predictor, standardized(digits.images))
    probs = np.stack([predictor.with_pen(p, pen) for p, pen in zip(probs, paths)])  # as the Draw page reads them
    return report(probs, digits.labels), digits.images, digits.labels, probs, inputs


def per_class_chart(r: dict) -> alt.Chart:
    data = pd.DataFrame({"digit": [str(d) for d in range(10)],
                         "accuracy": [a if a is not None else 0 for a in r["per_class"]]})
    low = max(0.0, min(data["accuracy"]) - 0.02)
    return alt.Chart(data, title="Accuracy per digit", height=300).mark_bar(clip=True).encode(
        x=alt.X("digit:N", title="digit", axis=alt.Axis(labelAngle=0)),
        y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[low, 1], nice=False), axis=alt.Axis(format=".1%")),
        tooltip=["digit", alt.Tooltip("accuracy:Q", format=".2%")])


def confusion_chart(r: dict) -> alt.Chart:
    rows = [{"true": str(t), "predicted": str(p), "count": c, "error": c if t != p else 0}
            for t, row in enumerate(r["confusion"]) for p, c in enumerate(row)]
    data = pd.DataFrame(rows)
    pick = alt.selection_point(name="cell", fields=["true", "predicted"], on="click")
    base = alt.Chart(data, title="Confusion matrix (rows: true digit); click an error to see it").encode(
        x=alt.X("predicted:N", title="predicted"), y=alt.Y("true:N", title="true digit"))
    cells = base.mark_rect().encode(
        color=alt.Color("error:Q", scale=alt.Scale(scheme="reds"), title="errors"),
        opacity=alt.condition(pick, alt.value(1), alt.value(0.6)),
        tooltip=["true", "predicted", "count"]).add_params(pick)
    text = base.mark_text(fontSize=10).encode(text=alt.condition("datum.count > 0", "count:Q", alt.value("")))
    return (cells + text).properties(height=360)


def reliability_chart(r: dict) -> alt.Chart:
    data = pd.DataFrame([{"confidence": (b["low"] + b["high"]) / 2, "accuracy": b["accuracy"], "n": b["n"],
                          "bin": f"{b['low']:.0%}–{b['high']:.0%}"} for b in r["reliability"] if b["n"]])
    bars = alt.Chart(data).mark_bar(width=18, clip=True).encode(
        x=alt.X("confidence:Q", scale=alt.Scale(domain=[0, 1], nice=False), axis=alt.Axis(format="%"),
                title="calibrated confidence"),
        y=alt.Y("accuracy:Q", scale=alt.Scale(domain=[0, 1]), axis=alt.Axis(format="%"), title="accuracy"),
        tooltip=["bin", "n", alt.Tooltip("accuracy:Q", format=".2%")])
    diagonal = alt.Chart(pd.DataFrame({"x": [0, 1], "y": [0, 1]})).mark_line(strokeDash=[4, 4], color="gray").encode(x="x", y="y")
    return (bars + diagonal).properties(title="Reliability: on the dashed line is calibrated", height=300)


def error_gallery(r: dict, images, labels, probs, inputs) -> None:
    cells = sorted(((c, t, p) for t, row in enumerate(r["confusion"]) for p, c in enumerate(row) if c and t != p), reverse=True)
    if not cells:
        st.success("No errors on this set.")
        return
    event = st.session_state.get("confusion_chart")
    chosen = None
    if event and event.get("selection", {}).get("cell"):
        picked = event["selection"]["cell"][0]
        chosen = (int(picked["true"]), int(picked["predicted"]))
    options = [f"{t} read as {p} ({c})" for c, t, p in cells]
    label = st.selectbox("Errors to show", options, key="error_cell",
                         index=next((i for i, (_, t, p) in enumerate(cells) if (t, p) == chosen), 0))
    _, t, p = cells[options.index(label)]
    if images is None:
        st.info("These figures were stored with the weights; the digits themselves are not on this machine.")
        return
    wrong = np.flatnonzero((labels == t) & (probs.argmax(1) == p))[:GALLERY]
    columns = st.columns(6)
    for k, i in enumerate(wrong):
        top3 = np.argsort(-probs[i])[:3]
        with columns[k % 6]:
            if inputs is not None:
                st.image(inputs[i], width="stretch")
            st.image(for_display(images[i], 84), width="stretch",
                     caption=f"true {t}: " + ", ".join(f"{d} {probs[i][d]:.0%}" for d in top3))


profile = current_profile()
st.title("Models")
menu = {k: v[0] for k, v in model_menu(profile).items() if len(v) == 1}
name = st.selectbox("Model", list(menu), key="models_model")
arch, path = menu[name]
try:
    predictor = get_predictor(arch, path)
except WeightsError as e:
    st.error(str(e))
    st.stop()
meta = predictor.metadata
stored = meta.get("reports", {})
sources = {}
data_dir = default_data_dir()
try:
    sources["MNIST test"] = (*mnist_scores(arch, str(path), path.stat().st_mtime_ns, data_dir), None, "measured now")
except DataError:
    if "mnist_test" in stored:
        sources["MNIST test"] = (stored["mnist_test"], None, None, None, None,
                                 f"stored with the weights on {stored.get('measured')}: MNIST is not on this machine")
if "real_pen" in stored:
    sources["Real pen, 22 held-out writers"] = (stored["real_pen"], None, None, None, None,
                                                f"stored with the weights on {stored.get('measured')} "
                                                "(python -m model.report --store); the image network alone: on "
                                                "the canvas the pen network also reads how each digit was written "
                                                "(python benchmarks/real_pen.py)")
if profile.can_save:
    try:
        saved = get_store().drawings(profile.name)
        if saved:
            stamp = (len(saved), hash(tuple((d.id, d.label) for d in saved)))
            scores = my_scores(arch, str(path), path.stat().st_mtime_ns, profile.name, stamp)
            if scores is not None:  # not only "not a digit"s
                sources["My drawings"] = (*scores, "measured now, read as the Draw page reads them: with how each "
                                                   "was written, where it was drawn on the canvas")
    except (StoreError, ValueError) as e:
        st.warning(f"Your drawings cannot be scored: {e}")
if not sources:
    st.info(f"No figures for this model: MNIST is not at {data_dir} and none were stored with the weights.")
    st.stop()
which = st.radio("Digits", list(sources), horizontal=True, key="models_set")
r, images, labels, probs, inputs, provenance = sources[which]
st.caption(f"{name} on {which}: {provenance}.")
a, b, c = st.columns(3)
a.metric("Accuracy", f"{r['accuracy']:.2%}", border=True)
b.metric("Digits", f"{r['n']:,}", border=True)
c.metric("Calibration error (ECE)", f"{r['ece']:.3f}", border=True)
left, right = st.columns(2)
left.altair_chart(per_class_chart(r), width="stretch")
right.altair_chart(reliability_chart(r), width="stretch")
st.altair_chart(confusion_chart(r), width="stretch", on_select="rerun", key="confusion_chart")
error_gallery(r, images, labels, probs, inputs)
