"""The pen path (preprocessing.trajectory), the pen network, and how its reading joins the image network's."""

import numpy as np
import pytest
import torch

from model import predict
from model.networks import CNN, PenNet, fold_pen_norms, one_path_forward, pen_forward
from model.weights import WeightsError, load_weights, save_weights
from preprocessing import preprocess
from preprocessing.canvas_strokes import draw_strokes
from preprocessing.trajectory import FEATURES, LENGTH, POINTS, pen_sequence

ONE = [np.array([[50.0, 20.0], [50.0, 120.0]])]
FOUR = [np.array([[60.0, 10.0], [20.0, 80.0], [90.0, 80.0]]), np.array([[70.0, 30.0], [70.0, 130.0]])]


def test_a_path_is_the_same_wherever_and_however_big_it_is_drawn():
    moved = [s * 2.5 + [100.0, 40.0] for s in FOUR]
    np.testing.assert_allclose(pen_sequence(FOUR), pen_sequence(moved), atol=1e-5)


def test_points_are_shared_out_by_length_and_rows_after_them_are_padding():
    seq = pen_sequence(FOUR)
    assert seq.shape == (LENGTH, FEATURES) and seq.dtype == np.float32
    present = seq[:, 6] == 1
    n = int(present.sum())
    assert POINTS - 2 <= n <= POINTS + 2 and present[:n].all() and not seq[n:].any()
    starts, ends = np.flatnonzero(seq[:, 4]), np.flatnonzero(seq[:, 5])
    assert len(starts) == len(ends) == 2
    first, second = ends[0] + 1, n - starts[1]  # the first stroke is longer (a bent line) than the second
    assert first > second
    # the box's longer side (here its height, from the stem's ends) spans 1, centred on 0
    y = seq[present, 1]
    assert np.isclose(y.max() - y.min(), 1.0) and np.isclose(y.max() + y.min(), 0, atol=1e-6)


def test_the_heading_says_which_way_the_pen_went():
    down, up = pen_sequence(ONE), pen_sequence([ONE[0][::-1]])
    assert np.allclose(down[:POINTS, 3][down[:POINTS, 6] == 1], 1) and np.allclose(up[:POINTS, 3][up[:POINTS, 6] == 1], -1)
    resampled = pen_sequence([np.array([[50.0, 20.0], [50.0, 21.0], [50.0, 120.0]])])  # the browser sampled it unevenly
    np.testing.assert_allclose(resampled, down, atol=1e-5)


def test_a_dot_is_a_short_stroke_and_nothing_to_read_is_refused():
    seq = pen_sequence([np.array([[5.0, 5.0]])])
    assert int(seq[:, 6].sum()) == 2 and not seq[:, :4].any()
    with pytest.raises(ValueError, match="no strokes"):
        pen_sequence([])
    with pytest.raises(ValueError, match="not a number"):
        pen_sequence([np.array([[1.0, np.nan], [2.0, 3.0]])])


def test_preprocess_keeps_a_drawings_strokes_for_the_pen_and_an_image_alone_has_none():
    canvas = draw_strokes(FOUR, 12)
    drawn, alone = preprocess(canvas, strokes=FOUR, pen_width=12), preprocess(canvas)
    np.testing.assert_array_equal(drawn.pen, pen_sequence(FOUR))
    assert alone.pen is None


def test_pen_net_reads_sequences_and_folding_its_norms_keeps_its_answers():
    torch.manual_seed(0)
    net = PenNet()
    net.train()
    x = torch.from_numpy(np.stack([pen_sequence(ONE), pen_sequence(FOUR)] * 4))
    for _ in range(3):  # move the batch norms' statistics off their defaults
        net(x)
    net.eval()
    assert net(x).shape == (8, 10)
    torch.testing.assert_close(fold_pen_norms(net)(x), net(x), atol=1e-4, rtol=1e-4)
    torch.testing.assert_close(pen_forward(net)(x), net(x), atol=1e-4, rtol=1e-4)
    one = one_path_forward(net)  # one path at a time, in numpy: the same logits, padding rows and all
    for path, logits in zip(x.numpy(), net(x).detach().numpy()):
        np.testing.assert_allclose(one(path), logits, atol=1e-4, rtol=1e-4)
    reader = predict.PenReader(net, {"temperature": 0.7, "max_strokes": 1})
    for path in x.numpy()[:2]:  # ONE is one stroke; FOUR's two are more than max_strokes: flat
        np.testing.assert_allclose(reader.probabilities(path), reader.probabilities_of(path[None])[0], atol=1e-5)
    np.testing.assert_allclose(reader.probabilities(x.numpy()[1]), np.full(10, 0.1))
    with pytest.raises(ValueError, match="shape"):
        reader.probabilities(x.numpy()[0][:10])


def test_pen_weights_save_and_load_as_plain_data(tmp_path):
    net = PenNet(channels=8, hidden=16).eval()
    save_weights(tmp_path / "pen.pt", net, "pen", {"temperature": 2.0})
    loaded, meta = load_weights(tmp_path / "pen.pt", "pen")
    assert meta["temperature"] == 2.0 and loaded.config == {"channels": 8, "hidden": 16}
    with pytest.raises(WeightsError, match="python -m model.train_pen"):
        load_weights(tmp_path / "missing.pt", "pen")


def test_combine_lets_a_flat_witness_leave_the_answer_and_a_sure_one_turn_it():
    image = np.array([0.5, 0.3] + [0.025] * 8)
    np.testing.assert_allclose(predict.combine(image, np.full(10, 0.1)), image)
    turned = predict.combine(image, np.array([0.05, 0.9] + [0.05 / 8] * 8))
    assert turned.argmax() == 1 and np.isclose(turned.sum(), 1)
    sure = np.array([0.9995] + [0.0005 / 9] * 9)  # the image network alone leaves no doubt: it stands
    against = np.array([0.0001, 0.99] + [0.0099 / 8] * 8)  # a pen network sure of a 1, at odds of 100 to 1 against a 0
    both = predict.combine(np.stack([sure, image]), np.stack([against, against]))
    np.testing.assert_allclose(both[0], sure)
    assert both[1].argmax() == 1


class FixedPen:
    """A stand-in pen network: the same probabilities for any path."""

    def __init__(self, probs):
        self.probs = np.asarray(probs, float)
        self.paths = 0

    def probabilities(self, sequence):
        self.paths += 1
        return self.probs


def test_a_predictor_weighs_the_pen_path_only_when_it_has_both():
    torch.manual_seed(0)
    image_only = predict.Predictor(CNN().eval(), {"arch": "cnn"})
    tensor = preprocess(draw_strokes(FOUR, 12), strokes=FOUR, pen_width=12)
    base = image_only.probabilities(tensor.tensor)
    np.testing.assert_allclose(image_only.probabilities(tensor.tensor, tensor.pen), base)  # no pen network: the image alone
    assert base.max() < predict.IMAGE_SURE_ENOUGH  # an untrained network is never that sure
    wanted = int(np.argmin(base))
    pen = FixedPen(np.where(np.arange(10) == wanted, 0.999, 0.001 / 9))
    both = predict.Predictor(CNN().eval(), {"arch": "cnn"}, pen=pen)
    assert both.asks_pen(tensor.tensor, tensor.pen) and not both.asks_pen(tensor.tensor, None)
    assert not image_only.asks_pen(tensor.tensor, tensor.pen)
    assert both.predict(tensor.tensor, tensor.pen)[0][0] == wanted and pen.paths == 1
    assert both.predict(tensor.tensor)[0][0] != wanted and pen.paths == 1  # an upload has no path to read
    sure = np.where(np.arange(10) == 3, 0.9995, 0.0005 / 9)
    both.image_probabilities = lambda tensor: sure  # a drawing the image network reads beyond doubt
    assert both.predict(tensor.tensor, tensor.pen)[0] == (3, 0.9995) and pen.paths == 1  # the pen was not asked
    assert not both.asks_pen(tensor.tensor, tensor.pen)


def test_load_predictor_finds_the_pen_network_beside_the_weights_or_says_why_not(tmp_path):
    save_weights(tmp_path / "cnn.pt", CNN().eval(), "cnn", {"temperature": 1.0})
    alone = predict.load_predictor("cnn", tmp_path)
    assert alone.pen is None and "No PEN weights" in alone.pen_problem
    save_weights(tmp_path / "pen.pt", PenNet(channels=8, hidden=16).eval(), "pen", {"temperature": 1.5})
    both = predict.load_predictor("cnn", tmp_path)
    assert both.pen is not None and both.pen_problem is None and both.pen.temperature == 1.5
    assert predict.load_predictor("cnn", tmp_path, pen=False).pen is None
    (tmp_path / "pen.pt").write_bytes(b"not weights")
    broken = predict.load_predictor("cnn", tmp_path)
    assert broken.pen is None and "not a readable weights file" in broken.pen_problem


def test_a_digit_drawn_in_more_strokes_than_anyone_wrote_one_leaves_the_picture_to_decide(tmp_path):
    torch.manual_seed(0)
    save_weights(tmp_path / "pen.pt", PenNet(channels=8, hidden=16).eval(), "pen", {"temperature": 0.05, "max_strokes": 3})
    reader = predict.load_pen_reader(tmp_path)
    pieces = [np.array([[10.0 * i, 0.0], [10.0 * i + 5, 50.0]]) for i in range(4)]  # four short strokes
    written, sketched = reader.probabilities_of(np.stack([pen_sequence(pieces[:3]), pen_sequence(pieces)]))
    assert written.max() > 0.2  # a sharp temperature: three strokes get a real answer
    np.testing.assert_allclose(sketched, np.full(10, 0.1))  # four are more than max_strokes: flat


def test_the_path_picture_shows_order_from_blue_to_red_and_refuses_nothing_to_draw():
    from preprocessing.trajectory import path_picture

    picture = path_picture(pen_sequence(ONE), side=100)  # a stroke straight down: blue at the top, red at the foot
    assert picture.shape == (100, 100, 3) and picture.dtype == np.uint8
    top, foot = picture[:30].reshape(-1, 3), picture[70:].reshape(-1, 3)
    assert top[:, 2].sum() > top[:, 0].sum() and foot[:, 0].sum() > foot[:, 2].sum()
    with pytest.raises(ValueError, match="no pen path"):
        path_picture(np.zeros((LENGTH, FEATURES), np.float32))


def test_a_predictor_says_what_the_picture_alone_read_where_the_pen_turned_it():
    torch.manual_seed(0)
    tensor = preprocess(draw_strokes(FOUR, 12), strokes=FOUR, pen_width=12)
    network = CNN().eval()
    image_only = predict.Predictor(network, {"arch": "cnn"})
    picture = image_only.image_probabilities(tensor.tensor)
    wanted = int(np.argmin(picture))
    pen = FixedPen(np.where(np.arange(10) == wanted, 0.999, 0.001 / 9))
    both = predict.Predictor(network, {"arch": "cnn"}, pen=pen)
    assert both.turned_by_pen(tensor.tensor, tensor.pen) == (int(picture.argmax()), pytest.approx(picture.max()), wanted)
    assert both.turned_by_pen(tensor.tensor, None) is None and image_only.turned_by_pen(tensor.tensor, tensor.pen) is None
    agreeing = predict.Predictor(network, {"arch": "cnn"}, pen=FixedPen(picture))  # the pen says what the picture does
    assert agreeing.turned_by_pen(tensor.tensor, tensor.pen) is None
