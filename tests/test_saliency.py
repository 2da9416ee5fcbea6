"""The saliency map: its shape and range, integrated gradients' completeness, and that it sits on the ink."""

import numpy as np
import torch
from conftest import ROOT, draw_digit

from model.predict import load_predictor
from model.saliency import BLANK, integrated_gradients, overlay, saliency_map
from preprocessing import preprocess


def test_map_has_the_inputs_shape_and_unit_range():
    predictor = load_predictor("cnn", weights=ROOT / "weights" / "cnn.pt")
    result = preprocess(draw_digit("7"))
    heat = saliency_map(predictor.model, result.tensor, target=7)
    assert heat.shape == (28, 28) and heat.dtype == np.float32
    assert heat.min() >= 0 and heat.max() == 1.0
    picture = overlay(result.image, heat)
    assert picture.shape == (224, 224, 3) and picture.dtype == np.uint8


def test_attributions_add_up_to_the_change_in_the_logit():
    model = load_predictor("cnn", weights=ROOT / "weights" / "cnn.pt").model
    tensor = preprocess(draw_digit("0")).tensor
    with torch.no_grad():
        x = torch.from_numpy(tensor).reshape(1, 1, 28, 28)
        change = float(model(x)[0, 0] - model(torch.full_like(x, BLANK))[0, 0])
    total = integrated_gradients(model, tensor, target=0, steps=128).sum()
    assert abs(total - change) < 0.05 * abs(change)


def test_evidence_for_a_clear_digit_lies_on_its_strokes():
    predictor = load_predictor("cnn", weights=ROOT / "weights" / "cnn.pt")
    result = preprocess(draw_digit("1"))
    heat = saliency_map(predictor.model, result.tensor, target=1)
    strokes = result.image > 127  # the solid ink, not its anti-aliased fringe
    assert heat[strokes].sum() > 0.7 * heat.sum()
    assert heat[~strokes].max() < heat[strokes].max()
