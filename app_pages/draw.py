"""The Draw page: canvas or upload, every preprocessing step, the networks' answers, and "Right?"."""

from __future__ import annotations

import hashlib
import pathlib

import numpy as np
import pandas as pd
import streamlit as st
from streamlit_drawable_canvas import st_canvas

from app_pages.common import (current_profile, get_predictor, get_store, label_text, model_menu, remembering,
                               saved_image28, weights_info)
from model import WeightsError
from model.saliency import METHOD, overlay, saliency_map
from preprocessing import EmptyDrawingError, Options, Result, naive_preprocess, preprocess_canvas
from preprocessing.canvas_strokes import draw_strokes, scale_json, strip_pen, strip_scale, strokes_from_json
from preprocessing.decode import decode_image
from preprocessing.display import for_display
from preprocessing.trajectory import path_picture
from sources.user import IMAGE_SUFFIXES
from store import NOT_A_DIGIT, NewDrawing, StoreError, encode_png

CANVAS_SIZE = 280
RIGHT = "✓ Yes"
NOT_DIGIT = "Not a digit"
FEEDBACK = [RIGHT, *map(str, range(10)), NOT_DIGIT]


@st.cache_data(max_entries=64, show_spinner=False)
def run_pipeline(image: np.ndarray, strokes: dict | None) -> Result:
    """preprocess() of the drawing with its canvas strokes (json_data; None for an upload), remembered,
    so a rerun that did not change the drawing does no work."""
    return preprocess_canvas(image, strokes)


@st.cache_data(max_entries=16, show_spinner=False)
def decode_upload(data: bytes, name: str) -> np.ndarray:
    return decode_image(data, name)


def canvas_input(stroke: int, realtime: bool) -> tuple[np.ndarray | None, dict | None]:
    """The drawing as RGBA and the canvas's strokes (json_data), or (None, None) before the first stroke."""
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
    return (data, canvas.json_data) if data is not None and has_strokes else (None, None)


def upload_input(what: str = "one digit", advice: str | None = None) -> np.ndarray | None:
    upload = st.file_uploader(f"A photo or scan of {what}", type=sorted(suffix[1:] for suffix in IMAGE_SUFFIXES),
                              help=" ".join(filter(None, ["Dark on light or light on dark; any size up to 10 MB.", advice])))
    if upload is None:
        return None
    try:
        return decode_upload(upload.getvalue(), upload.name)
    except ValueError as e:
        st.error(str(e))
        return None


def percent(p: float) -> str:
    """A probability for people: "> 99.9%" rather than a rounded, impossible "100.0%"."""
    return "> 99.9%" if p > 0.999 else ("< 0.1%" if p < 0.001 else f"{p:.1%}")


def show_prediction(label: str, arch: str, path, result: Result) -> list[tuple[int, float]] | None:
    """The answer of one network, its top-3; the ranking, or None when the network cannot answer."""
    try:
        network = get_predictor(arch, path)
    except WeightsError as e:
        st.error(f"The {label} cannot answer: {e}")
        return None
    profile = current_profile()
    predictor, memory_ids, set_aside = remembering(network, path, profile)
    ranked = predictor.predict(result.tensor, pen=result.pen)
    digit, probability = ranked[0]
    unsure = predictor.is_unsure(ranked)
    st.metric("Prediction", "Not sure" if unsure else digit, border=True,
              help=f"{label}, MNIST test accuracy {predictor.metadata.get('mnist_test_accuracy', 0):.2%}")
    if unsure:
        st.warning(f"Low confidence: the best guess is {digit} at {probability:.0%}. "
                   "This may not be a digit, or it is an unusual one.")
    else:
        how = ", ".join(["calibrated"] + (["with how you wrote it"] if network.asks_pen(result.tensor, result.pen) else [])
                        + (["your saved drawings counted"] if memory_ids else []))
        st.caption(f"{label} is {percent(probability)} sure ({how}).")
    top3 = pd.DataFrame({"Digit": [str(d) for d, _ in ranked[:3]], "Probability": [percent(p) for _, p in ranked[:3]],
                         "Bar": [p for _, p in ranked[:3]]})
    st.dataframe(
        top3, hide_index=True, width="stretch",
        column_config={"Bar": st.column_config.ProgressColumn(" ", format=" ", min_value=0.0, max_value=1.0)},
    )
    turned = network.turned_by_pen(result.tensor, result.pen)
    if turned is not None:
        st.caption(f"From the picture alone the {label} reads {turned[0]} ({percent(turned[1])}); "
                   f"how you wrote it points to a {turned[2]}.")
    if result.pen is not None and network.pen_problem:
        st.caption(f"Read from the image alone, not from how you wrote it: {network.pen_problem}")
    if memory_ids or set_aside:
        show_memory(predictor, network, memory_ids, set_aside, profile, result, ranked)
    return ranked


def show_memory(predictor, network, memory_ids: list[int], set_aside: int, profile, result: Result, ranked) -> None:
    """Which of the person's saved drawings this one is most like, and what the network alone says."""
    one = set_aside == 1
    why = (f"to everyone else {'it is' if one else 'they are'} another digit (a fine-tune can still learn "
           f"from {'it' if one else 'them'}).")
    if not memory_ids:
        st.caption(f"Your saved drawing{'' if one else 's'} {'does' if one else 'do'} not count here: {why}")
        return
    aside = f" {set_aside} more {'is' if one else 'are'} not counted: {why}" if set_aside else ""
    index, similarity = predictor.nearest(result.tensor)
    alone = network.predict(result.tensor, pen=result.pen)
    n = len(memory_ids)
    text = (f"Your {n} saved drawing{'s count' if n > 1 else ' counts'} too (sidebar): the closest is "
            f"a {predictor.memory.labels[index]}, {similarity:.0%} alike.")
    if alone[0][0] != ranked[0][0]:
        text += f" The network alone says {alone[0][0]} ({percent(alone[0][1])})."
    picture, words = st.columns([1, 6], vertical_alignment="center")
    closest = saved_image28(profile, memory_ids[index])
    if closest is not None:
        picture.image(for_display(closest, 56), width=56)
    words.caption(text + aside)


@st.cache_data(max_entries=128, show_spinner=False)
def saliency_picture(arch: str, path: str, mtime_ns: int, tensor: np.ndarray, image28: np.ndarray, target: int) -> np.ndarray:
    """The saliency overlay for one drawing, answer and weights file, computed once."""
    return overlay(image28, saliency_map(get_predictor(arch, pathlib.Path(path)).model, tensor, target))


def show_saliency(arch: str, path, result: Result, ranked: list[tuple[int, float]]) -> None:
    """What the network looked at for its answer (and, when asked, for the runner-up)."""
    mtime = path.stat().st_mtime_ns
    targets = [ranked[0][0]] + ([ranked[1][0]] if st.session_state.get("why_not") else [])
    for target, column in zip(targets, st.columns(2)):
        with column:
            why = "for" if target == ranked[0][0] else "for the runner-up,"
            st.image(saliency_picture(arch, str(path), mtime, result.tensor, result.image, target),
                     caption=f"Evidence {why} {target}: red is the ink that raised its score. {METHOD}.",
                     width="stretch")


@st.cache_data(max_entries=64, show_spinner=False)
def run_variant(image: np.ndarray, strokes: dict | None, options: Options | None) -> Result:
    """preprocess() with some steps switched off, or (options None) the naive pipeline."""
    return naive_preprocess(image) if options is None else preprocess_canvas(image, strokes, options)


def step_comparison(image: np.ndarray, strokes: dict | None, result: Result, arch: str, path) -> None:
    """Switch steps off and see what the network then gets, beside ours and beside the naive recipe."""
    with st.expander("What each step buys", expanded=st.session_state.get("compare_open", False)):
        st.caption("Switch a step off and see the 28×28 the network would get, and its answer, on this drawing "
                   "(from the 28×28 alone: how you wrote it is left out here).")
        switches = st.columns(5)
        options = Options(
            redraw_strokes=switches[0].toggle("Fat pen redrawn thinner", value=True, key="opt_redraw",
                                              help="From your strokes, when the pen is fatter than MNIST's for the "
                                                   "digit's size (drawings only)"),
            remove_noise=switches[1].toggle("Noise removal", value=True, key="opt_noise"),
            normalize_stroke=switches[2].toggle("Stroke-width normalisation", value=True, key="opt_stroke"),
            keep_aspect=switches[3].toggle("Keep aspect ratio", value=True, key="opt_aspect"),
            centering="mass" if switches[4].toggle("Centre of mass (off: box centre)", value=True, key="opt_mass") else "box",
        )
        try:
            predictor = get_predictor(arch, path)
            variants = [("Ours, every step", result), ("With your switches", run_variant(image, strokes, options)),
                        ("Naive: box stretched to 22×22, padded", run_variant(image, None, None))]
        except (WeightsError, ValueError) as e:
            st.info(str(e))
            return
        for (title, variant), column in zip(variants, st.columns(3)):
            ranked = predictor.predict(variant.tensor)
            verdict = "not sure" if predictor.is_unsure(ranked) else str(ranked[0][0])
            with column:
                st.image(for_display(variant.image), width="stretch",
                         caption=f"{title}: {arch.upper()} says {verdict} ({percent(ranked[0][1])} for {ranked[0][0]})")


def show_steps(result: Result) -> None:
    st.subheader("How your drawing became a 28×28 tensor")
    total = sum(s.seconds for s in result.steps) * 1000
    st.caption(f"{len(result.steps)} steps in {total:.2f} ms. Small images are enlarged, pixel for pixel.")
    # One row of columns per four steps, so each row's square tiles line up whatever the captions' lengths.
    for first in range(0, len(result.steps), 4):
        for i, column in enumerate(st.columns(4), start=first):
            if i < len(result.steps):
                step = result.steps[i]
                caption = f"{i + 1}. {step.name} — {step.caption} ({step.seconds * 1000:.2f} ms)"
                column.image(for_display(step.image), caption=caption, width="stretch", clamp=True)
    if result.pen is not None:
        strokes = int(result.pen[:, 4].sum())
        picture, words = st.columns([1, 3], vertical_alignment="center")
        picture.image(path_picture(result.pen), width="stretch")
        words.caption(f"How you wrote it, as the pen network reads it beside the 28×28: your {strokes} "
                      f"stroke{'' if strokes == 1 else 's'}, {int(result.pen[:, 6].sum())} points spaced evenly along them, "
                      "from blue (first) to red (last), a ring where each stroke starts. It counts where the "
                      "picture alone leaves doubt (under 99.9% sure).")


# -- "Right?": saving the person's answer ------------------------------------------------------------

def _save(profile_name: str, drawing: NewDrawing) -> int | None:
    """Save, or keep the drawing in the session to retry and say why; the new id or None."""
    try:
        return get_store().save(profile_name, drawing)
    except StoreError as e:
        st.session_state.setdefault("unsaved", []).append((profile_name, drawing))
        st.session_state.store_error = str(e)
        return None


def on_feedback(digest: str, profile_name: str, drawing: NewDrawing, top: int | None) -> None:
    choice = st.session_state.get(f"right-{digest}")
    if choice is None:
        return
    if choice == RIGHT:
        if top is None:
            return
        label = top
    else:
        label = NOT_A_DIGIT if choice == NOT_DIGIT else int(choice)
    drawing = NewDrawing(**{**drawing.__dict__, "label": label})
    st.session_state.pop("store_error", None)
    saved_id = _save(profile_name, drawing)
    if saved_id is not None:
        st.session_state.setdefault("saved", {})[digest] = (saved_id, label)


def on_undo(digest: str, profile_name: str) -> None:
    saved_id, _ = st.session_state.saved.pop(digest)
    try:
        get_store().delete(profile_name, saved_id)
    except StoreError as e:
        st.session_state.store_error = str(e)


def retry_unsaved() -> None:
    pending, st.session_state.unsaved = st.session_state.get("unsaved", []), []
    st.session_state.pop("store_error", None)
    for profile_name, drawing in pending:
        if _save(profile_name, drawing) is None:
            break


def image_digest(image: np.ndarray, within: bytes = b"") -> str:
    """A short key for `image` (and `within`, what tells apart two answers of the same image on a page)."""
    return hashlib.sha256(within + image.tobytes() + str(image.shape).encode()).hexdigest()[:20]


def feedback(image: np.ndarray, result: Result, source: str, strokes: dict | None,
             answers: dict[str, list[tuple[int, float]]], weights: dict, problems: bool = True, within: bytes = b"") -> None:
    """'Right?' under the answer: one tap saves the drawing with its label (or undoes that).
    `problems`: also say here when saving failed (a page with several answers says it once);
    `within`: what tells this answer from another of the same image on the page (a number's "1" and "1")."""
    profile = current_profile()
    if not profile.can_save:
        st.caption("Right? Sign in (sidebar) to save your corrections.")
        return
    digest = image_digest(image, within)
    saved = st.session_state.get("saved", {}).get(digest)
    if saved:
        saved_id, label = saved
        st.success(f"Saved as {label_text(label)} (drawing #{saved_id}). It is on the My drawings page.")
        st.button("Undo", key=f"undo-{digest}", on_click=on_undo, args=(digest, profile.name))
    else:
        top = next((ranked[0][0] for ranked in answers.values() if ranked), None)
        drawing = NewDrawing(
            label=0, input_png=encode_png(image), image28_png=encode_png(result.image), source=source,
            strokes=strokes, predictions={k: [[d, round(p, 6)] for d, p in r[:3]] for k, r in answers.items()},
            weights=weights, stroke_width=pen_width(strokes) if source == "canvas" else None,
        )
        options = FEEDBACK if top is not None else FEEDBACK[1:]
        st.pills("Right? Tap ✓, or the digit it really is", options, key=f"right-{digest}",
                 on_change=on_feedback, args=(digest, profile.name, drawing, top),
                 help=f"✓ saves it as {top}." if top is not None else None, wrap=True)
    if problems:
        saving_problems()


def pen_width(strokes: dict | None) -> int | None:
    """The pen's width in the saved drawing's pixels, from its strokes (json_data): the sidebar's width on
    the digit canvas, less on a lower number strip (strip_pen()); None without strokes."""
    width = strokes_from_json(strokes)[1] if strokes else 0.0
    return max(1, round(width)) if width > 0 else None


def saving_problems() -> None:
    """Why the last save failed, and a button to retry the drawings kept in the session."""
    if st.session_state.get("store_error"):
        st.error(st.session_state.store_error + " The drawing is kept in this session; the predictions still work.")
    if st.session_state.get("unsaved"):
        st.button(f"Retry saving ({len(st.session_state.unsaved)} kept)", on_click=retry_unsaved)


#: The number canvas's sizes in CSS pixels. A phone (its browser says "Mobi") starts on Narrow, the
#: width of the narrowest common phones less the page's margins; anything else on Wide. A tablet or a
#: narrow window may show only part of the wide strip (an iPad's browser says it is a Mac), so the
#: person can pick a narrower one.
NUMBER_CANVASES = {"Wide": (840, 280), "Medium": (480, 160), "Narrow": (320, 128)}


def number_canvas_size() -> tuple[int, int]:
    """The number canvas's (width, height): the person's pick, else Narrow on a phone and Wide elsewhere."""
    agent = st.context.headers.get("User-Agent", "") if st.context.headers else ""
    default = "Narrow" if "Mobi" in agent else "Wide"
    picked = st.segmented_control("Strip", list(NUMBER_CANVASES), default=default, key="strip",
                                  help="How wide the canvas is. If the black strip is cut off on your screen, "
                                       "pick a narrower one (the drawing starts again).")
    return NUMBER_CANVASES[picked or default]


@st.cache_data(max_entries=32, show_spinner=False)
def read_number_cached(image: np.ndarray, strokes: dict | None, canvas_width: int, path: str, mtime_ns: int,
                       memory: tuple, _network, _reader):
    """The number read from `image`: cut into digits as `_network` is surest (grouped by the canvas's
    `strokes`, json_data, when drawn), each read by `_reader` (the network, or it with the person's
    memory). `memory` names what the reader remembers (whose saved drawings, their ids and labels):
    with `path` and `mtime_ns`, it keys the cache, as the predictors themselves cannot."""
    from model.number import read_number

    points, width = strokes_from_json(strokes)
    scale = image.shape[1] / canvas_width  # the canvas's pixels may be finer than its CSS pixels
    return read_number(image, _network, [p * scale for p in points], width * scale, _reader)


@st.cache_data(max_entries=16, show_spinner=False)
def several_digits_cached(image: np.ndarray, strokes: dict | None, canvas_width: int, path: str, mtime_ns: int,
                          _network) -> tuple[int, str] | None:
    """(how many digits, the number read) when a Digit-mode drawing is plainly several digits written
    side by side (model.number.several_digits()), else None; `path` and `mtime_ns` name the network."""
    from model.number import several_digits

    points, width = strokes_from_json(strokes) if strokes else ([], 0.0)
    scale = image.shape[1] / canvas_width  # the canvas's pixels may be finer than its CSS pixels
    reading = several_digits(image, _network, [p * scale for p in points] or None, width * scale)
    return None if reading is None else (len(reading.digits), reading.number)


def number_hint(place, image: np.ndarray, strokes: dict | None, arch: str, path: pathlib.Path) -> None:
    """In `place`, under the answer: a drawing of several digits side by side is a number, which Digit
    mode reads as one digit; say so, and where numbers are read."""
    try:
        found = several_digits_cached(image, strokes, CANVAS_SIZE if strokes else image.shape[1], str(path),
                                      path.stat().st_mtime_ns, get_predictor(arch, path))
    except (OSError, WeightsError):
        return
    if found:
        count, number = found
        with place.container():
            st.info(f"This looks like {count} digits, {number}, and Digit mode reads one digit. To read a whole "
                    "number, choose **Number** above.")
            if strokes:
                st.button("Read it as a number", on_click=carry_to_number_mode, args=(strokes,),
                          help="Number mode, with what you drew on its strip.")


def carry_to_number_mode(strokes: dict) -> None:
    """Switch to Number mode with the digit canvas's drawing (json_data) on a fresh number strip."""
    st.session_state.canvas_id = st.session_state.get("canvas_id", 0) + 1
    st.session_state.carried = {"canvas_id": st.session_state.canvas_id, "drawing": strokes}
    st.session_state.mode = "Number"


def carried_drawing(strip_height: int) -> dict | None:
    """The drawing carried over from the digit canvas, scaled to a strip `strip_height` px high, while
    the strip it was put on is the one shown (Clear gives a new, empty one)."""
    carried = st.session_state.get("carried")
    if not carried or carried["canvas_id"] != st.session_state.get("canvas_id"):
        return None
    return scale_json(carried["drawing"], strip_scale(strip_height))


def marks_found(marks) -> str:
    """" and a decimal point (orange)", for the caption of the digits found; "" for none."""
    names = {".": "decimal point", ",": "comma"}
    kinds = [names[m.kind] for m in marks]
    if not kinds:
        return ""
    counted = [f"{'a' if kinds.count(k) == 1 else kinds.count(k)} {k}{'' if kinds.count(k) == 1 else 's'}"
               for k in dict.fromkeys(kinds)]
    return f" and {' and '.join(counted)} (orange)"


def number_area(models) -> None:
    """Number mode: a wide canvas (or an upload), each digit boxed and read, the whole number on top."""
    from preprocessing.segment import draw_boxes

    source = st.radio("Input", ["Draw", "Upload"], horizontal=True, key="source", label_visibility="collapsed")
    if source == "Draw":
        canvas_size = number_canvas_size()
        # Room for the canvas's toolbar, which floats over whatever lies just above the strip (on a
        # phone, the Narrow button).
        st.markdown('<div style="height: 0.75rem"></div>', unsafe_allow_html=True)
        st.session_state.setdefault("canvas_id", 0)
        pen = strip_pen(int(st.session_state.get("stroke", 20)), canvas_size[1])
        carried = carried_drawing(canvas_size[1])
        canvas = st_canvas(stroke_width=pen, stroke_color="#FFFFFF", initial_drawing=carried,
                           background_color="#000000", update_streamlit=bool(st.session_state.get("realtime", True)),
                           width=canvas_size[0], height=canvas_size[1], drawing_mode="freedraw",
                           return_image_data=True, key=f"number-canvas-{st.session_state.canvas_id}-{canvas_size[0]}")
        if st.button("Clear the canvas"):
            st.session_state.canvas_id += 1
            st.rerun()
        has_strokes = bool(canvas.json_data and canvas.json_data.get("objects"))
        image = canvas.image_data if canvas.image_data is not None and has_strokes else None
        strokes = canvas.json_data if image is not None else None
        if image is None and carried:  # the canvas reports only what is drawn on it: the carried drawing, as it shows it
            points, width = strokes_from_json(carried)
            image, strokes = draw_strokes(points, width, shape=(canvas_size[1], canvas_size[0])), carried
    else:
        # From an image alone, digits whose ink touches must be cut apart by guesswork (see the README).
        image, strokes = upload_input("a written number", "Leave a little space between the digits: touching "
                                      "digits are harder to tell apart in a photo than on the canvas."), None
    if image is None:
        st.info("Write a number on the black strip…" if source == "Draw" else "Choose an image of a written number…")
        return
    arch, path = models[0]
    profile = current_profile()
    try:
        network = get_predictor(arch, path)
        predictor, memory_ids, _ = remembering(network, path, profile)
        memory = (profile.name, tuple(memory_ids), tuple(predictor.memory.labels.tolist()) if memory_ids else ())
        width = canvas_size[0] if strokes else image.shape[1]  # the canvas's strokes are in its CSS pixels
        reading = read_number_cached(image, strokes, width, str(path), path.stat().st_mtime_ns, memory,
                                     network, predictor)
    except EmptyDrawingError as e:
        st.info(str(e))
        return
    except (ValueError, WeightsError, OSError) as e:
        st.error(str(e))
        return
    unsure = [i + 1 for i, d in enumerate(reading.digits) if d.unsure]
    st.metric("Number", reading.number, border=True,
              help=f"{arch.upper()}; ? marks a digit it is not sure of (best guess {reading.best_guess}). "
                   "A point or a comma written low between two digits is read too.")
    if memory_ids:
        alone = "".join(str(network.predict(d.result.tensor, pen=d.result.pen)[0][0]) for d in reading.digits)
        st.caption(f"Your {len(memory_ids)} saved drawing{'s count' if len(memory_ids) > 1 else ' counts'} too "
                   f"(sidebar)" + (f": the network alone reads {alone}." if alone != reading.best_guess else "."))
    turned = [(k, t) for k, d in enumerate(reading.digits, 1) if (t := network.turned_by_pen(d.result.tensor, d.result.pen))]
    if turned:
        st.caption("How you wrote it counted: " + "; ".join(
            f"digit {k} is a {alone} from its picture alone ({percent(p)}), a {written} as written"
            for k, (alone, p, written) in turned) + ".")
    if unsure:
        st.warning(f"Not sure of digit {', '.join(map(str, unsure))}: the best guess is {reading.best_guess}. "
                   "Open a digit below to tell it what it is.")
    st.image(draw_boxes(image, [d.box for d in reading.digits], reading.marks), width="stretch",
             caption=f"{len(reading.digits)} digit{'' if len(reading.digits) == 1 else 's'}"
                     f"{marks_found(reading.marks)} found {'from your strokes' if strokes else 'in the image'}, "
                     "boxed left to right")
    # At least four columns, so a number of one or two digits does not blow each up to half the page.
    for k, (d, column) in enumerate(zip(reading.digits, st.columns(max(4, len(reading.digits)))), 1):
        with column:
            st.image(for_display(d.result.image, 84), width="stretch",
                     caption=f"{k}: " + ", ".join(f"{g} {percent(p)}" for g, p in d.ranked[:3]))
    # Each digit can be corrected and saved on its own, as a drawing of one digit (its ink alone):
    # what the fine-tune learns from, whichever mode it was written in.
    source, weights = ("canvas" if strokes else "upload"), {arch: weights_info(path)}
    number = image_digest(image).encode()
    for k, d in enumerate(reading.digits, 1):
        with st.expander(f"Digit {k}: right? and its steps", expanded=d.unsure):
            feedback(d.box.image, d.result, source, d.box.json_data(), {arch: d.ranked}, weights, problems=False,
                     within=number + b"/%d" % k)
            show_steps(d.result)
    saving_problems()


@st.fragment
def main_area() -> None:
    menu = model_menu(current_profile())
    choice = st.session_state.get("model", "CNN")
    models = menu.get(choice, menu["CNN"])
    if st.segmented_control("Mode", ["Digit", "Number"], default="Digit", key="mode",
                            label_visibility="collapsed") == "Number":
        number_area(models)
        return
    left, right = st.columns([1, 1], gap="large")
    with left:
        source = st.radio("Input", ["Draw", "Upload"], horizontal=True, key="source", label_visibility="collapsed")
        if source == "Draw":
            image, strokes = canvas_input(int(st.session_state.get("stroke", 20)), bool(st.session_state.get("realtime", True)))
        else:
            image, strokes = upload_input(), None
    if image is None:
        with right:
            st.info("Draw a digit on the black square…" if source == "Draw" else "Choose an image of a digit…")
        return
    try:
        result = run_pipeline(image, strokes)
    except EmptyDrawingError as e:
        with right:
            st.info(str(e))
        return
    except ValueError as e:
        with right:
            st.error(str(e))
        return
    with right:
        answers, weights = {}, {}
        for (arch, path), column in zip(models, st.columns(len(models))):
            label = f"{arch.upper()}{' (yours)' if '(yours)' in choice else ''}"
            with column:
                if len(models) > 1:
                    st.markdown(f"**{label}**")
                ranked = show_prediction(label, arch, path, result)
            if ranked is not None:
                answers[arch] = ranked
                weights[arch] = weights_info(path)
        hint = st.empty()  # filled at the end of the run: the answer first, then whether it is a number
        feedback(image, result, "canvas" if source == "Draw" else "upload", strokes, answers, weights)
        if answers:
            st.markdown("**What the network looked at**")
            st.toggle("Also show the runner-up (\"why not…?\")", key="why_not")
            for (arch, path) in models:
                if arch in answers:
                    if len(answers) > 1:
                        st.caption(arch.upper())
                    show_saliency(arch, path, result, answers[arch])
    if answers:
        first = next((arch, path) for arch, path in models if arch in answers)
        step_comparison(image, strokes, result, *first)
    show_steps(result)
    if answers:
        number_hint(hint, image, strokes, *first)


st.title("✏️ Digit recognizer")
st.caption("Draw a digit from 0 to 9, or a whole number in Number mode. Every step that turns a digit into "
           "MNIST's format is shown below the answer. Tell it when it is wrong, and teach it your handwriting "
           "on the My drawings page.")
main_area()
