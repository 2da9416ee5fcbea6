"""Save and load trained weights: a state dict plus plain metadata, never pickled objects.

A weights file is a dict of tensors, strings and numbers, so it loads with
torch.load(weights_only=True): opening a file cannot run code.
"""

from __future__ import annotations

import os
import pathlib
import tempfile

import torch

from .networks import ARCHITECTURES, build

FORMAT = 1
SHIPPED_DIR = pathlib.Path(__file__).resolve().parents[1] / "weights"
ENV_VAR = "DIGIT_WEIGHTS_DIR"


def default_weights_dir() -> pathlib.Path:
    """$DIGIT_WEIGHTS_DIR if set, else the weights/ folder shipped with the project."""
    return pathlib.Path(os.environ.get(ENV_VAR) or SHIPPED_DIR)


class WeightsError(RuntimeError):
    """Weights are missing, damaged or for another network; the message says which file and what to run."""


def train_command(arch: str, path: str | os.PathLike) -> str:
    """The command that (re)creates `path`, with the path relative to the working folder where it can be."""
    path = pathlib.Path(path)
    try:
        path = path.resolve().relative_to(pathlib.Path.cwd())
    except ValueError:
        pass
    if arch == "pen":
        return f"python -m model.train_pen --out {path}"
    return f"python -m model.train --arch {arch} --out {path}"


def _check_plain(value, where="metadata"):
    """Refuse anything weights_only loading would reject (a TorchVersion, a numpy float...)."""
    if isinstance(value, dict):
        for k, v in value.items():
            _check_plain(v, f"{where}[{k!r}]")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_plain(v, f"{where}[{i}]")
    elif value is not None and type(value) not in (str, int, float, bool):
        raise TypeError(f"{where} is a {type(value).__name__}; weights metadata takes plain values only.")


def save_weights(path: str | os.PathLike, model: torch.nn.Module, arch: str, metadata: dict) -> None:
    """Write `model`'s state dict with `metadata` (plain values only) to `path`.

    Written to a temporary file beside `path`, then renamed over it: the app
    may be loading the file meanwhile, and never sees half of one.
    """
    _check_plain(metadata)
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().clone() for k, v in model.state_dict().items()}
    config = getattr(model, "config", {})
    _check_plain(config, "config")
    payload = {"format": FORMAT, "arch": arch, "config": config, "state_dict": state, "metadata": dict(metadata)}
    with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp", delete=False) as f:
        torch.save(payload, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(f.name, path)


def load_weights(path: str | os.PathLike, arch: str) -> tuple[torch.nn.Module, dict]:
    """The `arch` network with the weights in `path`, in eval mode, and its metadata.

    Raises WeightsError when the file is missing, unreadable, or holds weights
    of another architecture or shape.
    """
    path = pathlib.Path(path)
    if arch not in ARCHITECTURES:
        raise WeightsError(f"Unknown architecture {arch!r}: choose one of {', '.join(ARCHITECTURES)}.")
    redo = f"Train them with: {train_command(arch, path)}"
    if not path.is_file():
        raise WeightsError(f"No {arch.upper()} weights at {path}. {redo}")
    try:
        saved = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as e:  # torch raises several types for damaged or foreign files
        raise WeightsError(f"{path} is not a readable weights file ({type(e).__name__}). {redo}") from e
    if not isinstance(saved, dict) or saved.get("format") != FORMAT or "state_dict" not in saved:
        raise WeightsError(f"{path} is not a weights file of this project (format {FORMAT}). {redo}")
    if saved.get("arch") != arch:
        raise WeightsError(f"{path} holds {str(saved.get('arch')).upper()} weights, not {arch.upper()}. {redo}")
    try:
        model = build(arch, **saved.get("config", {}))  # layer sizes as trained
        model.load_state_dict(saved["state_dict"])
    except (RuntimeError, TypeError, ValueError) as e:
        raise WeightsError(f"{path} does not fit the current {arch.upper()} definition. {redo}") from e
    return model.eval(), dict(saved.get("metadata", {}))
