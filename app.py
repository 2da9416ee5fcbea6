"""Draw a digit, watch every preprocessing step, read what the networks think; teach it your handwriting.

    streamlit run app.py

A thin UI: the image maths lives in preprocessing/, the networks and
fine-tuning in model/, the saved drawings in store/. This file holds the
settings sidebar every page shares and the page menu; the pages are in
app_pages/.
"""

from __future__ import annotations

import streamlit as st

from app_pages.common import current_profile, model_menu

st.set_page_config(page_title="Digit recognizer", page_icon="✏️", layout="wide")


def back_to_shipped() -> None:
    st.session_state.model = "CNN"


def sidebar() -> None:
    profile = current_profile()
    st.sidebar.title("Settings")
    menu = model_menu(profile)
    if st.session_state.get("model") not in menu:  # a personal model was deleted, or another person signed in
        st.session_state.model = "CNN"
    st.sidebar.radio("Model", list(menu), horizontal=True, key="model")
    if "(yours)" in st.session_state.model:
        st.sidebar.button("Back to the shipped model", on_click=back_to_shipped)
    st.sidebar.slider("Stroke width", 2, 40, 20, key="stroke",
                      help="Any width works: the pipeline rescales strokes to MNIST's width. A number strip lower "
                           "than the digit canvas draws the pen thinner in step (half as high, half as wide).")
    st.sidebar.toggle(
        "Update while drawing", value=True, key="realtime",
        help="Off: the drawing is sent only when you press the canvas toolbar's ⬆ button "
             "(Update the app with this drawing).",
    )
    if profile.can_save:
        st.sidebar.toggle(
            "Learn from my saved drawings", value=True, key="use_memory",
            help="Your saved digits count beside the network, at once: a drawing much like one you saved "
                 "leans towards what you said it was. Unlike any of them, the network answers alone. "
                 "A fine-tune (My drawings) then teaches the network itself.",
        )
    st.sidebar.caption(
        "The networks were trained on MNIST, 28×28 white-on-black digits, and on real pen-written digits. "
        "Each step below turns your drawing into exactly that."
    )
    st.sidebar.caption(profile.description)
    if profile.signed_in:
        st.sidebar.button("Log out", on_click=st.logout)
    elif not profile.can_save:
        st.sidebar.button("Log in", on_click=st.login)


sidebar()
page = st.navigation([
    st.Page("app_pages/draw.py", title="Draw", icon="✏️", default=True),
    st.Page("app_pages/my_drawings.py", title="My drawings", icon=":material/photo_library:"),
    st.Page("app_pages/models.py", title="Models", icon=":material/analytics:"),
])
page.run()
