"""What every page shares: whose drawings these are, the store, the networks (loaded once), the model menu."""

from __future__ import annotations

import hashlib
import pathlib
from dataclasses import dataclass

import streamlit as st

from model import Predictor, load_predictor
from model.weights import default_weights_dir
from store import NOT_A_DIGIT, DrawingStore, default_db_path

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
