"""Networks, weights I/O, training, evaluation, prediction and fine-tuning (the digits come from sources/).

    from model import load_predictor
    predictor = load_predictor("cnn")      # or "mlp"; reads weights/<arch>.pt (and the pen network, pen.pt)
    predictor.predict(result.tensor)       # [(digit, probability), ...] all 10, most probable first
    predictor.predict(result.tensor, pen=result.pen)   # a canvas drawing: how it was written weighed too
"""

import importlib

#: Where each name the package offers lives. Imported on first use (PEP 562), so that
#: `python -m model.predict` does not find model.predict already imported by the package
#: (runpy warns of "unpredictable behaviour" then).
_EXPORTS = {
    "CNN": "networks", "MLP": "networks", "build": "networks",
    "Predictor": "predict", "load_predictor": "predict",
    "WeightsError": "weights", "load_weights": "weights", "save_weights": "weights",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str):
    if name in _EXPORTS:
        return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
