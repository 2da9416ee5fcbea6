"""Networks, weights I/O, training, evaluation, prediction and fine-tuning (the digits come from sources/).

    from model import load_predictor
    predictor = load_predictor("cnn")      # or "mlp"; reads weights/<arch>.pt
    predictor.predict(result.tensor)       # [(digit, probability), ...] all 10, most probable first
"""

from .networks import CNN, MLP, build
from .predict import Predictor, load_predictor
from .weights import WeightsError, load_weights, save_weights

__all__ = ["CNN", "MLP", "build", "Predictor", "load_predictor", "WeightsError", "load_weights", "save_weights"]
