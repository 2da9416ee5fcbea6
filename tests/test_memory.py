"""The memory of a person's saved drawings (model/memory.py), on a small untrained network."""

import numpy as np
import pytest
import torch
from conftest import draw_digit

from model import Predictor, build
from model.memory import NEIGHBOURS, WEIGHT, WIDTH, Memory, RememberingPredictor, embed, network_view, within_forgetting
from model.networks import single_image_forward
from preprocessing import preprocess


def predictor(arch: str = "cnn", seed: int = 0) -> Predictor:
    torch.manual_seed(seed)
    net = build(arch)
    net.train()
    for _ in range(3):  # batch-norm statistics that are not the identity
        net(torch.randn(16, 1, 28, 28) * 2 + 0.5)
    net.eval()
    return Predictor(net, {"arch": arch, "temperature": 1.0, "unsure_below": 0.5})


def drawings(*digits: str) -> tuple[np.ndarray, list[np.ndarray]]:
    """preprocess()'s 28x28 images and tensors of the given digits, drawn at two sizes each."""
    results = [preprocess(draw_digit(d, box=box)) for d in digits for box in ((0.15, 0.1, 0.85, 0.9), (0.3, 0.3, 0.7, 0.8))]
    return np.stack([r.image for r in results]), [r.tensor for r in results]


@pytest.mark.parametrize("arch", ["cnn", "mlp"])
def test_features_are_what_the_last_layer_reads(arch):
    p = predictor(arch)
    x = torch.randn(3, 1, 28, 28)
    with torch.inference_mode():
        hidden = single_image_forward(p.model, features=True)(x)
        last = [m for m in p.model.modules() if isinstance(m, torch.nn.Linear)][-1]
        assert torch.allclose(last(hidden), single_image_forward(p.model)(x), atol=1e-4)
    images, tensors = drawings("1", "7")
    batch = embed(p, images)
    assert batch.shape == (4, hidden.shape[1]) and np.allclose(np.linalg.norm(batch, axis=1), 1, atol=1e-5)
    one = RememberingPredictor(p, Memory.of(p, images, [1, 1, 7, 7]))
    assert np.allclose(one.feature(tensors[2]), batch[2], atol=1e-5)  # one at a time = in a batch
    assert np.allclose(one.probabilities(tensors[2]), one.memory.blend(*network_view(p, images[2:3]))[0], atol=1e-5)


def test_an_empty_memory_answers_exactly_as_the_network():
    p = predictor()
    images, tensors = drawings("7")
    mine = RememberingPredictor(p, Memory.of(p, images[:0], []))
    assert mine.predict(tensors[0]) == p.predict(tensors[0])
    assert mine.nearest(tensors[0]) is None


def test_a_saved_drawing_moves_the_same_drawing_towards_its_label():
    p = predictor()
    images, tensors = drawings("1", "7")
    before = dict(p.predict(tensors[2]))  # a 7 the (untrained) network reads anyhow
    wanted = min(before, key=before.get)  # the digit it finds least likely
    mine = RememberingPredictor(p, Memory.of(p, images[2:3], [wanted]))
    after = mine.predict(tensors[2])
    assert after[0] == (wanted, pytest.approx((before[wanted] + WEIGHT) / (1 + WEIGHT)))  # beside the network's 1.0
    assert WEIGHT / (1 + WEIGHT) > 0.5  # so the same drawing again reads as the person said, however sure the network
    assert abs(sum(q for _, q in after) - 1) < 1e-6
    index, similarity = mine.nearest(tensors[2])
    assert index == 0 and similarity == pytest.approx(1, abs=1e-5)


def test_drawings_unlike_any_saved_one_are_left_to_the_network():
    memory = Memory(np.eye(3)[:2], np.array([3, 3]))  # only one digit saved, as after a few corrections
    probabilities = np.full(10, 0.1)
    unlike = np.array([0.5, 0.5, np.sqrt(0.5)])  # cosine 0.5 to both
    blended = memory.blend(probabilities, unlike)
    assert blended[3] - 0.1 < 0.03 and abs(blended.sum() - 1) < 1e-9
    assert memory.votes(np.array([1.0, 0.0, 0.0]))[3] == pytest.approx(WEIGHT * (1 + np.exp(-1 / WIDTH)))
    rows = memory.blend(np.tile(probabilities, (2, 1)), np.stack([unlike, [1.0, 0.0, 0.0]]))
    assert np.allclose(rows[0], blended) and rows[1].argmax() == 3  # many at once, as one by one


def test_many_saved_drawings_that_are_not_alike_do_not_outvote_one_that_is():
    many = np.tile([1.0, 0.0, 0.0], (50, 1))  # fifty 3s, each 0.6 alike to the new drawing
    memory = Memory(np.vstack([many, [0.8, 0.6, 0.0]]), np.array([3] * 50 + [5]))  # and a 5, 0.96 alike
    votes = memory.votes(np.array([0.6, 0.8, 0.0]))
    assert votes[5] > votes[3]
    assert votes[3] == pytest.approx((NEIGHBOURS - 1) * WEIGHT * np.exp(-0.4 / WIDTH))  # the nearest few only


def test_memory_refuses_labels_that_are_not_digits():
    p = predictor("mlp")
    images, _ = drawings("1")
    with pytest.raises(ValueError, match="0-9"):
        Memory.of(p, images, [1, -1])
    with pytest.raises(ValueError, match="labels"):
        Memory.of(p, images, [1])


def test_a_saved_drawing_that_is_another_digit_to_everyone_else_is_set_aside():
    # Held-out digits by other people: ten 4s at the first feature, read right by the network.
    features = np.tile([1.0, 0.0, 0.0], (10, 1))
    probabilities = np.tile(np.eye(10)[4] * 0.9 + 0.01, (10, 1))
    labels = np.full(10, 4)
    saved = Memory(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]), np.array([1, 7]))  # an "A"-shaped 1; a 7 apart
    kept, dropped = within_forgetting(saved, probabilities, features, labels, floor=0.95)
    assert list(dropped) == [0] and list(kept.labels) == [7]
    kept, dropped = within_forgetting(saved, probabilities, features, labels, floor=0.0)  # anything goes
    assert len(dropped) == 0 and len(kept) == 2
    probabilities[:5] = np.eye(10)[9]  # the network alone reads half of them wrong already
    kept, dropped = within_forgetting(Memory(saved.features[1:], saved.labels[1:]), probabilities, features,
                                      labels, floor=0.95)
    assert len(dropped) == 0  # what the memory does not cost is not held against it


def test_network_view_is_the_predictors_answers_and_features_in_one_pass():
    p = predictor()
    images, tensors = drawings("1", "7")
    probabilities, features = network_view(p, images)
    assert np.allclose(probabilities[1], p.probabilities(tensors[1]), atol=1e-5)
    assert np.allclose(features, embed(p, images), atol=1e-5)
