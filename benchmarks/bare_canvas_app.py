"""The baseline for benchmarks/browser_latency.py: a canvas and one metric, nothing else.

    streamlit run benchmarks/bare_canvas_app.py
"""

import numpy as np
import streamlit as st
from streamlit_drawable_canvas import st_canvas

st.session_state.setdefault("canvas_id", 0)
canvas = st_canvas(stroke_width=20, stroke_color="#FFFFFF", background_color="#000000", height=280, width=280,
                   drawing_mode="freedraw", return_image_data=True, key=f"canvas-{st.session_state.canvas_id}")
if st.button("Clear the canvas"):
    st.session_state.canvas_id += 1
    st.rerun()
if canvas.json_data and canvas.json_data.get("objects") and canvas.image_data is not None:
    st.metric("Prediction", int(np.count_nonzero(canvas.image_data[..., 0] > 127)))
