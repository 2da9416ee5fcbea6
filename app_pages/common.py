"""What every page shares: whose drawings these are, the store, the networks (loaded once), the model menu."""

from __future__ import annotations

import hashlib
import pathlib
from dataclasses import dataclass

import numpy as np
import streamlit as st

from model import Predictor, load_predictor
from model.memory import Memory, RememberingPredictor, network_view, within_forgetting
from model.weights import default_weights_dir
from sources import DataError
from sources.mnist import default_data_dir
from store import NOT_A_DIGIT, DrawingStore, StoreError, default_db_path

ARCHS = ("cnn", "mlp")


def label_text(label: int) -> str:
    """A saved label as people read it."""
    return "not a digit" if label == NOT_A_DIGIT else str(label)


@dataclass(frozen=True)
class Profile:
    """Whose drawings: `name` keys every row and file (None: nobody signed in, nothing is saved)."""

    name: str | None
    description: str
    signed_in: bool = False

    @property
    def can_save(self) -> bool:
        return self.name is not None


def current_profile() -> Profile:
    """The local person when no login is configured; else the signed-in st.user, or nobody."""
    try:
        info = st.user.to_dict()
    except Exception:  # no script context (tests of helpers) or an unreadable secrets file
        info = {}
    if "is_logged_in" not in info:  # Streamlit adds it only when [auth] is configured in secrets.toml
        return Profile("local", "This app runs on one computer for one person: your drawings are saved here, for you.")
    if not info.get("is_logged_in"):
        return Profile(None, "Sign in to save your corrections and teach the model your handwriting.")
    who = str(info.get("email") or info.get("sub") or "")
    if not who:
        return Profile(None, "Your sign-in did not say who you are (no email or subject), so nothing is saved.")
    return Profile(f"user:{who}", f"Signed in as {who}. Your drawings and models are yours alone.", signed_in=True)


@st.cache_resource(show_spinner=False)
def _store(path: str) -> DrawingStore:
    return DrawingStore(path)


def get_store() -> DrawingStore:
    """The drawings file at $DIGITS_DB (else data/drawings.db), one object per path."""
    return _store(str(default_db_path()))


@st.cache_resource(show_spinner="Loading the network…")
def _predictor(arch: str, path: str, mtime_ns: int) -> Predictor:
    """Loaded once per file version and shared by every session (failures are not cached)."""
    return load_predictor(arch, weights=path)


def get_predictor(arch: str, path: pathlib.Path) -> Predictor:
    try:
        mtime = path.stat().st_mtime_ns
    except OSError:
        mtime = 0
    return _predictor(arch, str(path), mtime)


@st.cache_data(show_spinner=False, max_entries=16)
def _checksum(path: str, mtime_ns: int) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def weights_info(path: pathlib.Path) -> dict:
    """The weights file's name and SHA-256, saved with each drawing."""
    try:
        return {"file": path.name, "sha256": _checksum(str(path), path.stat().st_mtime_ns)}
    except OSError:
        return {"file": path.name, "sha256": None}


def model_menu(profile: Profile) -> dict[str, list[tuple[str, pathlib.Path]]]:
    """Menu label -> the (arch, weights file) it runs: the shipped models, then the person's own."""
    shipped = {arch: default_weights_dir() / f"{arch}.pt" for arch in ARCHS}
    menu = {"CNN": [("cnn", shipped["cnn"])], "MLP": [("mlp", shipped["mlp"])],
            "Both": [("cnn", shipped["cnn"]), ("mlp", shipped["mlp"])]}
    if profile.can_save:
        store = get_store()
        for arch in ARCHS:
            mine = store.model_path(profile.name, arch)
            if mine.is_file():
                menu[f"{arch.upper()} (yours)"] = [(arch, mine)]
    return menu


def _preprocessed_saved(store: DrawingStore, profile: str, drawing_id: int) -> np.ndarray | None:
    """A saved drawing's input (with its strokes, if drawn) put through today's preprocess() again
    (None if it no longer reads)."""
    from preprocessing import preprocess_canvas
    from preprocessing.decode import decode_image

    drawing = store.get(profile, drawing_id)
    try:
        if drawing is None:
            return None
        return preprocess_canvas(decode_image(drawing.input_png, f"drawing #{drawing_id}"), drawing.strokes).image
    except ValueError:
        return None


@st.cache_resource(show_spinner=False)
def _held_out(arch: str, path: str, mtime_ns: int, data_dir: str) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """The network's view of MNIST's held-out training digits (other people's), and their labels;
    None without MNIST in `data_dir`."""
    from sources.mnist import load_held_out  # only once someone has saved a digit

    try:
        images, labels = load_held_out(data_dir).arrays()
    except (DataError, OSError):
        return None
    return (*network_view(get_predictor(arch, pathlib.Path(path)), images), labels)


def remembering(predictor: Predictor, path: pathlib.Path, profile: Profile) -> tuple[Predictor | RememberingPredictor, list[int], int]:
    """`predictor` with the memory of the person's saved digits (model/memory.py) when they have any
    and "Learn from my saved drawings" is on; the saved drawings' ids, in the memory's order; and how
    many were set aside.

    Each saved drawing is read and preprocessed once per session; the memory is made again when the
    saved drawings, their labels or the weights change. Kept in this session only: nobody else's.
    With MNIST present, saved drawings that would make other people's held-out digits read worse
    than the shipped network less the fine-tune's limit are set aside (model.memory.within_forgetting);
    their ids are not returned.
    """
    if not profile.can_save or not st.session_state.get("use_memory", True):
        return predictor, [], 0
    try:
        labelled = get_store().digit_labels(profile.name)
    except StoreError:  # the page says what is wrong with the file where it saves
        return predictor, [], 0
    if not labelled:
        return predictor, [], 0
    images = st.session_state.setdefault("memory_images", {})  # (profile, id) -> 28x28, or None
    for drawing_id, _ in labelled:
        if (profile.name, drawing_id) not in images:
            images[(profile.name, drawing_id)] = _preprocessed_saved(get_store(), profile.name, drawing_id)
    kept = [(i, label) for i, label in labelled if images[(profile.name, i)] is not None]
    if not kept:
        return predictor, [], 0
    key = (profile.name, str(path), path.stat().st_mtime_ns, tuple(kept))
    memories = st.session_state.setdefault("memories", {})
    if key not in memories:
        if len(memories) >= 4:  # the memories of older weights or drawings: never needed again
            memories.clear()
        stack = np.stack([images[(profile.name, i)] for i, _ in kept])
        memory, dropped = Memory.of(predictor, stack, [label for _, label in kept]), np.zeros(0, np.int64)
        held = _held_out(predictor.arch, str(path), path.stat().st_mtime_ns, default_data_dir())
        shipped_path = default_weights_dir() / f"{predictor.arch}.pt"
        shipped = _held_out(predictor.arch, str(shipped_path), shipped_path.stat().st_mtime_ns, default_data_dir())
        if held is not None and shipped is not None:
            from model.finetune import MAX_FORGETTING

            # The fine-tune and the memory together may cost other people what a fine-tune may alone.
            floor = float((shipped[0].argmax(1) == shipped[2]).mean()) - MAX_FORGETTING[predictor.arch]
            memory, dropped = within_forgetting(memory, *held, floor)
        aside = set(dropped.tolist())
        ids = [i for k, (i, _) in enumerate(kept) if k not in aside]
        memories[key] = (RememberingPredictor(predictor, memory), ids, len(dropped))
    return memories[key]


def saved_image28(profile: Profile, drawing_id: int) -> np.ndarray | None:
    """The 28x28 of a saved drawing the memory holds (None if this session has not read it)."""
    return st.session_state.get("memory_images", {}).get((profile.name, drawing_id))
