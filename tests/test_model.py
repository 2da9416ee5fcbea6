import gzip
import hashlib
import http.server
import json
import pathlib
import threading

import numpy as np
import pytest
import torch
from conftest import draw_digit

from model import CNN, MLP, WeightsError, build, load_predictor, load_weights, save_weights
from model import evaluate, predict, train
from model.augment import NONE, Augmentation, augment, change_thickness
from model.calibration import expected_calibration_error, fit_temperature
from sources import mnist


def idx_bytes(array: np.ndarray) -> bytes:
    header = bytes([0, 0, 0x08, array.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in array.shape)
    return header + array.astype(np.uint8).tobytes()


def synthetic_digits(n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n 28x28 images of three easy classes (a bar, a cross, a box) labelled 0..2."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 3, n)
    images = np.zeros((n, 28, 28), np.uint8)
    for img, label in zip(images, labels):
        o = rng.integers(-2, 3)
        if label == 0:
            img[6:22, 13 + o : 16 + o] = 255
        elif label == 1:
            img[13 + o : 16 + o, 6:22] = 255
            img[6:22, 13 + o : 16 + o] = 255
        else:
            img[7:21, 7 + o : 10 + o] = img[7:21, 18 + o : 21 + o] = 255
            img[7:10, 7:21] = img[18:21, 7:21] = 255
    return images, labels


def write_mnist_dir(folder, n_train=600, n_test=150, gz=True):
    paths = {}
    for split, n, seed in (("train", n_train, 0), ("test", n_test, 1)):
        images, labels = synthetic_digits(n, seed)
        for name, array in zip(mnist.FILES[split], (images, labels)):
            raw = idx_bytes(array)
            path = folder / (f"{name}.gz" if gz else name)
            path.write_bytes(gzip.compress(raw) if gz else raw)
            paths[name] = (path, hashlib.md5(raw).hexdigest())
    return paths


# --- data -------------------------------------------------------------------------------


@pytest.mark.parametrize("gz", [True, False])
def test_idx_files_are_read_gzipped_or_raw(tmp_path, gz):
    write_mnist_dir(tmp_path, gz=gz)
    images, labels = mnist.load_mnist(tmp_path, "train", verify=False)
    expected_images, expected_labels = synthetic_digits(600, 0)
    np.testing.assert_array_equal(images, expected_images)
    np.testing.assert_array_equal(labels, expected_labels)
    assert labels.dtype == np.int64


def test_checksum_mismatch_is_reported(tmp_path):
    write_mnist_dir(tmp_path)
    with pytest.raises(mnist.DataError, match="checksum"):
        mnist.load_mnist(tmp_path, "test")


@pytest.mark.parametrize(
    "payload, message",
    [(b"\x00\x00\x08\x01\x00\x00\x00\x05abc", "should hold 5 bytes"), (b"\x01\x02\x03\x04", "magic"), (b"\x00\x00\x0d\x01", "type")],
)
def test_damaged_idx_is_reported(payload, message):
    with pytest.raises(mnist.DataError, match=message):
        mnist.parse_idx(payload)


def test_missing_files_say_what_to_do(tmp_path):
    with pytest.raises(mnist.DataError, match="--download"):
        mnist.load_mnist(tmp_path, "train")


def test_truncated_gzip_is_reported(tmp_path):
    write_mnist_dir(tmp_path)
    path = tmp_path / "t10k-labels-idx1-ubyte.gz"
    path.write_bytes(path.read_bytes()[:20])
    with pytest.raises(mnist.DataError, match="cannot be read"):
        mnist.load_mnist(tmp_path, "test", verify=False)


def test_default_data_dir_follows_env(monkeypatch):
    monkeypatch.setenv("MNIST_DIR", "/somewhere/mnist")
    assert mnist.default_data_dir() == "/somewhere/mnist"
    monkeypatch.delenv("MNIST_DIR")
    assert mnist.default_data_dir() == "data/mnist"


@pytest.fixture
def http_folder(tmp_path):
    """Serve tmp_path/served over HTTP on 127.0.0.1; yields (folder, base URL)."""
    served = tmp_path / "served"
    served.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *a, **k):
            super().__init__(*a, directory=str(served), **k)

        def log_message(self, *a):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield served, f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


def test_download_fetches_and_verifies(http_folder, tmp_path):
    served, url = http_folder
    checksums = {name: md5 for name, (_, md5) in write_mnist_dir(served).items()}
    target = tmp_path / "fetched"
    saved = mnist.download(target, mirrors=("http://127.0.0.1:9/", url), checksums=checksums, timeout=5)
    assert len(saved) == 4
    images, _ = mnist.load_mnist(target, "train", verify=False)
    assert images.shape == (600, 28, 28)


def test_download_rejects_a_file_with_the_wrong_checksum(http_folder, tmp_path):
    served, url = http_folder
    checksums = {name: "0" * 32 for name in write_mnist_dir(served)}
    with pytest.raises(mnist.DataError, match="checksum mismatch"):
        mnist.download(tmp_path / "fetched", mirrors=(url,), checksums=checksums, timeout=5)
    assert not list((tmp_path / "fetched").glob("*.gz"))


def test_download_offline_says_to_copy_the_files(tmp_path):
    with pytest.raises(mnist.DataError, match="offline.*copy"):
        mnist.download(tmp_path, mirrors=("http://127.0.0.1:9/",), timeout=2)


# --- networks, augmentation, calibration ------------------------------------------------


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_networks_map_a_batch_to_ten_logits(arch):
    net = build(arch).eval()
    assert net(torch.zeros(5, 1, 28, 28)).shape == (5, 10)


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_folding_batch_norms_keeps_the_outputs(arch):
    from model.networks import fold_batch_norms

    torch.manual_seed(0)
    net = build(arch)
    net.train()
    for _ in range(3):  # give the batch norms non-trivial running statistics
        net(torch.randn(16, 1, 28, 28) * 2 + 0.5)
    net.eval()
    folded = fold_batch_norms(net)
    x = torch.randn(8, 1, 28, 28)
    assert torch.allclose(folded(x), net(x), atol=1e-4)
    assert not any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for m in folded.modules())
    assert any(isinstance(m, (torch.nn.BatchNorm1d, torch.nn.BatchNorm2d)) for m in net.modules())  # copy


@pytest.mark.parametrize("arch", ["mlp", "cnn"])
def test_single_image_forward_gives_the_networks_logits(arch):
    from model.networks import single_image_forward

    torch.manual_seed(1)
    net = build(arch)
    net.train()
    for _ in range(3):
        net(torch.randn(16, 1, 28, 28) * 2 + 0.5)
    net.eval()
    x = torch.randn(4, 1, 28, 28)
    with torch.inference_mode():
        assert torch.allclose(single_image_forward(net)(x), net(x), atol=1e-4)
        assert torch.allclose(single_image_forward(net)(x[:1]), net(x[:1]), atol=1e-4)


def test_single_image_forward_refuses_layers_it_does_not_know():
    from model.networks import single_image_forward

    with pytest.raises(TypeError, match="Tanh"):
        single_image_forward(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(784, 10), torch.nn.Tanh()))


def test_unknown_architecture_is_refused():
    with pytest.raises(ValueError, match="Unknown architecture"):
        build("resnet")


def test_augmentation_keeps_shape_range_and_is_repeatable():
    x = torch.from_numpy(synthetic_digits(32)[0]).float().div(255).unsqueeze(1)
    a = augment(x, Augmentation(), torch.Generator().manual_seed(3))
    b = augment(x, Augmentation(), torch.Generator().manual_seed(3))
    c = augment(x, Augmentation(), torch.Generator().manual_seed(4))
    assert a.shape == x.shape and a.min() >= 0 and a.max() <= 1
    assert torch.equal(a, b) and not torch.equal(a, c)
    assert not torch.allclose(a, x)
    assert torch.allclose(augment(x, NONE, torch.Generator()), x)


def test_thickness_change_thickens_and_thins():
    x = torch.zeros(2, 1, 28, 28)
    x[:, :, 5:23, 12:16] = 1.0
    out = change_thickness(x, torch.tensor([1.0, -1.0]))
    assert out[0].sum() > x[0].sum() > out[1].sum()
    assert out.amax(dim=(1, 2, 3)).tolist() == [1.0, 1.0]  # peak ink kept


def test_temperature_fit_recovers_a_known_temperature():
    torch.manual_seed(0)
    true_logits = torch.randn(4000, 10) * 3
    labels = torch.distributions.Categorical(logits=true_logits).sample()
    temperature = fit_temperature(true_logits * 2.5, labels)  # overconfident by 2.5x
    assert temperature == pytest.approx(2.5, rel=0.1)


def test_expected_calibration_error_of_perfect_and_overconfident():
    labels = torch.tensor([0, 1, 0, 1])
    perfect = torch.tensor([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0], [0.0, 1.0]])
    assert expected_calibration_error(perfect, labels) == pytest.approx(0.0)
    half_wrong = torch.tensor([[0.99, 0.01], [0.99, 0.01], [0.99, 0.01], [0.99, 0.01]])
    assert expected_calibration_error(half_wrong, labels) == pytest.approx(0.49, abs=1e-4)


# --- weights ------------------------------------------------------------------------------


def test_weights_round_trip(tmp_path):
    net = CNN().eval()
    path = tmp_path / "cnn.pt"
    save_weights(path, net, "cnn", {"temperature": 1.3, "mean": 0.1307})
    loaded, meta = load_weights(path, "cnn")
    x = torch.randn(2, 1, 28, 28)
    assert torch.allclose(loaded(x), net(x))
    assert meta == {"temperature": 1.3, "mean": 0.1307}


def test_metadata_must_be_plain(tmp_path):
    with pytest.raises(TypeError, match="plain values"):
        save_weights(tmp_path / "x.pt", MLP(), "mlp", {"torch": torch.__version__})


def test_missing_weights_say_what_to_run(tmp_path):
    with pytest.raises(WeightsError, match=r"No CNN weights at .*python -m model.train --arch cnn"):
        load_weights(tmp_path / "cnn.pt", "cnn")


def test_corrupt_weights_are_reported(tmp_path):
    path = tmp_path / "cnn.pt"
    path.write_bytes(b"not a checkpoint at all")
    with pytest.raises(WeightsError, match="not a readable weights file"):
        load_weights(path, "cnn")


def test_wrong_architecture_is_reported(tmp_path):
    path = tmp_path / "cnn.pt"
    save_weights(path, MLP(), "mlp", {})
    with pytest.raises(WeightsError, match="holds MLP weights, not CNN"):
        load_weights(path, "cnn")


@pytest.mark.parametrize("config", [{"hidden": [128]}, {"depth": 3}, {"hidden": "wide"}])
def test_weights_that_do_not_fit_their_sizes_are_reported(tmp_path, config):
    path = tmp_path / "mlp.pt"
    save_weights(path, MLP(hidden=(64,)), "mlp", {})
    saved = torch.load(path, weights_only=True)
    torch.save(dict(saved, config=config), path)
    with pytest.raises(WeightsError, match="does not fit"):
        load_weights(path, "mlp")


def test_layer_sizes_travel_with_the_weights(tmp_path):
    net = CNN(channels=(8, 12), convs=(2, 1), hidden=20).eval()
    save_weights(tmp_path / "cnn.pt", net, "cnn", {})
    loaded, _ = load_weights(tmp_path / "cnn.pt", "cnn")
    assert loaded.config == {"channels": [8, 12], "convs": [2, 1], "hidden": 20}
    x = torch.randn(3, 1, 28, 28)
    assert torch.allclose(loaded(x), net(x))


def test_foreign_pickles_are_not_run(tmp_path):
    class Evil:
        def __reduce__(self):
            return (print, ("this must not run",))

    path = tmp_path / "mlp.pt"
    torch.save({"format": 1, "arch": "mlp", "state_dict": Evil()}, path)
    with pytest.raises(WeightsError, match="not a readable weights file"):
        load_weights(path, "mlp")


# --- predictor ----------------------------------------------------------------------------


def test_predictor_ranks_all_ten_digits(tmp_path):
    save_weights(tmp_path / "mlp.pt", MLP(), "mlp", {"arch": "mlp", "temperature": 2.0})
    predictor = load_predictor("mlp", weights_dir=tmp_path)
    ranked = predictor.predict(np.zeros((1, 28, 28), np.float32))
    assert sorted(d for d, _ in ranked) == list(range(10))
    probs = [p for _, p in ranked]
    assert probs == sorted(probs, reverse=True) and sum(probs) == pytest.approx(1.0, abs=1e-5)
    with pytest.raises(ValueError, match="28, 28"):
        predictor.predict(np.zeros((1, 32, 32), np.float32))


# --- training and the CLIs ------------------------------------------------------------------


def write_pen_file(path, per_writer: int = 10):
    """A tiny pen-data file: straight-stroke 1s and 7s by two training writers and one held-out writer."""
    from sources.pen import is_held_out

    names = [f"writer-{i}" for i in range(100)]
    writers = [w for w in names if not is_held_out(w)][:2] + [w for w in names if is_held_out(w)][:1]
    one, seven = [[[0.5, 0.1], [0.5, 0.9]]], [[[0.2, 0.1], [0.8, 0.1], [0.4, 0.9]]]
    records = [{"id": f"{w}_{k}", "writer": w, "set": "complete", "label": 1 if k % 2 else 7,
                "strokes": one if k % 2 else seven} for w in writers for k in range(per_writer)]
    with gzip.open(path, "wt") as f:
        json.dump(records, f)
    return path


def test_one_epoch_of_training_learns_synthetic_classes(tmp_path, capsys):
    write_mnist_dir(tmp_path)
    out = tmp_path / "mlp.pt"
    pen = write_pen_file(tmp_path / "pen.json.gz")
    train.main(["--arch", "mlp", "--epochs", "2", "--data-dir", str(tmp_path), "--out", str(out),
                "--val-size", "100", "--no-verify", "--batch-size", "32", "--drawings", "60", "--scribbles", "40",
                "--pen-data", str(pen), "--pen-copies", "2", "--cache-dir", str(tmp_path / "cache")])
    printed = capsys.readouterr().out
    assert "epoch   2" in printed and "saved" in printed
    model, meta = load_weights(out, "mlp")
    assert meta["arch"] == "mlp" and meta["epochs"] == 2 and meta["mean"] == 0.1307
    assert meta["mnist_test_accuracy"] > 0.9 and meta["temperature"] > 0
    assert (meta["drawings"], meta["scribbles"]) == (60, 40) and 0 < meta["unsure_below"] < 1
    assert (meta["pen_copies"], meta["pen_train_writers"], meta["pen_held_out_writers"]) == (2, 2, 1)
    assert set(meta["val_flagged_unsure"]) == {"mnist", "drawings", "pen", "scribbles"}
    assert set(meta["val_accuracy_by_set"]) == {"mnist", "drawings", "pen"}
    reports = meta["reports"]  # for the Models page on a machine without the data
    assert reports["mnist_test"]["n"] == 150 and abs(reports["mnist_test"]["accuracy"] - meta["mnist_test_accuracy"]) < 1e-9
    assert reports["real_pen"]["n"] > 0 and len(reports["real_pen"]["confusion"]) == 10
    assert len(list((tmp_path / "cache").glob("*.npy"))) == 6  # drawn sets are kept for the next run
    assert meta["command"].startswith("python -m model.train --arch mlp")


def test_train_cli_says_what_to_do_without_pen_data(tmp_path):
    write_mnist_dir(tmp_path)
    with pytest.raises(SystemExit, match="--pen-copies 0"):
        train.main(["--arch", "mlp", "--data-dir", str(tmp_path), "--no-verify", "--pen-data", str(tmp_path / "none.json.gz")])


def test_train_cli_redraws_each_digit_as_many_times_as_asked(tmp_path):
    write_mnist_dir(tmp_path)
    out, cache = tmp_path / "cnn.pt", tmp_path / "cache"
    train.main(["--arch", "cnn", "--epochs", "1", "--channels", "4", "8", "--data-dir", str(tmp_path), "--out", str(out),
                "--val-size", "100", "--no-verify", "--drawings", "30", "--drawing-copies", "2", "--scribbles", "0",
                "--pen-copies", "0", "--cache-dir", str(cache)])
    first, second = (np.load(next(cache.glob(pattern))) for pattern in ("drawings-train-30-*-pp?.npy", "drawings-train-30-*-copy1.npy"))
    assert first.shape == second.shape == (30, 28, 28)
    assert not np.array_equal(first, second)  # fresh randomness, not the same drawings twice
    _, meta = load_weights(out, "cnn")
    assert (meta["drawings"], meta["drawing_copies"]) == (30, 2)


def test_train_cli_builds_the_cnn_with_the_channels_asked_for(tmp_path):
    write_mnist_dir(tmp_path)
    out = tmp_path / "cnn.pt"
    train.main(["--arch", "cnn", "--epochs", "1", "--channels", "8", "12", "--data-dir", str(tmp_path), "--out", str(out),
                "--val-size", "100", "--no-verify", "--drawings", "0", "--scribbles", "0", "--pen-copies", "0"])
    model, _ = load_weights(out, "cnn")
    assert model.config["channels"] == [8, 12]
    assert model.features[0][0].out_channels == 8 and model.features[1][0].out_channels == 12
    with pytest.raises(SystemExit):
        train.main(["--arch", "mlp", "--channels", "8", "12", "--data-dir", str(tmp_path), "--no-verify"])


def test_training_is_deterministic_with_a_seed():
    images, labels = synthetic_digits(300)
    runs = [train.train("cnn", images[:250], labels[:250], images[250:], labels[250:], epochs=1, seed=7,
                        batch_size=50, progress=False)[0] for _ in range(2)]
    x = torch.randn(3, 1, 28, 28)
    assert torch.equal(runs[0](x), runs[1](x))


def test_evaluate_cli_on_mnist_files_and_image_folder(tmp_path, capsys):
    from PIL import Image

    write_mnist_dir(tmp_path)
    weights = tmp_path / "mlp.pt"
    train.main(["--arch", "mlp", "--epochs", "2", "--data-dir", str(tmp_path), "--out", str(weights),
                "--val-size", "100", "--no-verify", "--drawings", "0", "--scribbles", "0", "--pen-copies", "0"])
    capsys.readouterr()
    assert evaluate.main(["--arch", "mlp", "--mnist", str(tmp_path), "--weights", str(weights), "--json", "--no-verify"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["n"] == 150 and result["accuracy"] > 0.9
    assert len(result["confusion"]) == 10 and sum(map(sum, result["confusion"])) == 150

    folder = tmp_path / "drawings"
    images, labels = synthetic_digits(12, seed=5)
    for i, (img, label) in enumerate(zip(images, labels)):
        (folder / str(label)).mkdir(parents=True, exist_ok=True)
        big = np.kron(img, np.ones((10, 10), np.uint8))  # a 280x280 "drawing"
        Image.fromarray(255 - big if i % 2 else big).save(folder / str(label) / f"{i}.png")
    (folder / "0" / "broken.png").write_bytes(b"not a png")
    Image.fromarray(big).save(folder / str(labels[0]) / "scan.tif")  # a corpus's TIFF counts
    (folder / "0" / "._0.png").write_bytes(b"\x00\x05\x16\x07")  # a Mac zip's resource fork does not
    assert evaluate.main(["--arch", "mlp", "--images", str(folder), "--weights", str(weights), "--json"]) == 0
    result = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert result["n"] == 14
    assert set(result) >= {"accuracy", "n", "per_class", "confusion"}
    assert [u["path"].endswith("broken.png") for u in result["unreadable"]] == [True]


def test_evaluate_cli_reports_missing_weights(tmp_path, capsys):
    assert evaluate.main(["--arch", "cnn", "--mnist", str(tmp_path), "--weights", str(tmp_path / "no.pt")]) == 1
    assert "python -m model.train" in capsys.readouterr().err


def test_predict_cli_prints_top3(tmp_path, capsys):
    from PIL import Image

    save_weights(tmp_path / "mlp.pt", MLP(), "mlp", {"arch": "mlp"})
    image = tmp_path / "seven.png"
    Image.fromarray(draw_digit("7")).save(image)
    blank = tmp_path / "blank.png"
    Image.fromarray(np.zeros((50, 50), np.uint8)).save(blank)
    status = predict.main([str(image), str(blank), "--arch", "mlp", "--weights", str(tmp_path / "mlp.pt")])
    lines = capsys.readouterr().out.strip().splitlines()
    assert status == 1  # the blank one failed
    assert lines[0].startswith(str(image)) and lines[0].count("%") == 3
    assert "blank" in lines[1]


@pytest.mark.parametrize("cli", ["predict", "evaluate", "train", "finetune", "report"])
def test_each_cli_runs_as_a_module_without_warnings(cli):
    """`python -m model.<cli>`: the package must not have imported the module already (runpy warns)."""
    import subprocess
    import sys

    run = subprocess.run([sys.executable, "-W", "error", "-m", f"model.{cli}", "--help"], capture_output=True, text=True,
                         cwd=pathlib.Path(__file__).resolve().parents[1], timeout=120)
    assert run.returncode == 0 and run.stderr == "" and "usage:" in run.stdout


def test_train_cli_says_what_to_do_without_data(tmp_path, capsys):
    with pytest.raises(SystemExit, match="--download"):
        train.main(["--arch", "mlp", "--data-dir", str(tmp_path / "nothing")])


def test_unsure_threshold_respects_each_sets_limit():
    from model.calibration import unsure_threshold

    mnist = torch.linspace(0.5, 1.0, 1001)  # 1% of these lie below 0.505
    canvas = torch.linspace(0.2, 1.0, 1001)  # 2% lie below 0.216
    assert unsure_threshold({"mnist": mnist}, {"mnist": 0.01}) == pytest.approx(0.505, abs=1e-3)
    both = unsure_threshold({"mnist": mnist, "canvas": canvas}, {"mnist": 0.01, "canvas": 0.02})
    assert both == pytest.approx(0.216, abs=1e-3)
    assert (mnist < both).float().mean() <= 0.01 and (canvas < both).float().mean() <= 0.02


def test_predictor_is_unsure_below_its_threshold():
    predictor = predict.Predictor(MLP(), {"arch": "mlp", "unsure_below": 0.5})
    assert predictor.is_unsure([(3, 0.49), (8, 0.3)])
    assert not predictor.is_unsure([(3, 0.51), (8, 0.3)])
    assert predict.Predictor(MLP(), {}).unsure_below == predict.DEFAULT_UNSURE_BELOW


def test_the_interval_with_other_writers_resamples_writers_not_drawings():
    from model.report import writer_interval

    def writer(name, right, wrong):
        return [name] * (right + wrong), [True] * right + [False] * wrong

    def pooled(*groups):
        return sum((g[0] for g in groups), []), sum((g[1] for g in groups), [])

    # Every writer alike: any writers drawn again read the same.
    assert writer_interval(*pooled(writer("a", 9, 1), writer("b", 9, 1))) == (pytest.approx(0.9), pytest.approx(0.9))
    # One writer of ten reads half his 20 drawings, the others all theirs: pooled 95%, but other writers
    # could hold none like him (100%) or three (85%).
    mixed = pooled(writer("w0", 10, 10), *(writer(f"w{k}", 20, 0) for k in range(1, 10)))
    low, high = writer_interval(*mixed)
    assert high == pytest.approx(1.0) and 0.8 < low < 0.92
    assert writer_interval(*mixed) == (low, high)  # fixed seed: the same every run
    # Counted as 200 independent drawings the interval would be far narrower: that is what it adds.
    assert low < 0.95 - 2 * (0.95 * 0.05 / 200) ** 0.5
    with pytest.raises(ValueError):
        writer_interval([], [])


def test_report_counts_confusions_and_reliability():
    from model.report import report

    probs = np.full((4, 10), 0.0)
    probs[0, 3], probs[1, 3], probs[2, 5], probs[3, 7] = 0.95, 0.65, 0.55, 0.99  # top answers
    probs += (1 - probs.sum(1, keepdims=True)) / 10
    r = report(probs, np.array([3, 5, 5, 7]))
    assert r["accuracy"] == 0.75 and r["n"] == 4
    assert r["confusion"][5][3] == 1 and r["confusion"][3][3] == 1 and sum(map(sum, r["confusion"])) == 4
    assert r["per_class"][5] == 0.5 and r["per_class"][0] is None
    assert [b["n"] for b in r["reliability"]] == [0, 0, 0, 0, 0, 1, 1, 0, 0, 2]
    assert r["reliability"][6]["accuracy"] == 0.0  # the 0.65 answer was wrong
    expected_ece = (abs(1 - probs[2].max()) + abs(0 - probs[1].max()) + 2 * abs(1 - (probs[0].max() + probs[3].max()) / 2)) / 4
    assert abs(r["ece"] - expected_ece) < 1e-9
