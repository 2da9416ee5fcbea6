"""Train the MLP or CNN for drawings; save the best weights with their metadata.

    python -m model.train --arch cnn [--epochs N] [--seed S] [--data-dir D] [--out weights/cnn.pt]
    python -m model.train --arch cnn --channels 24 48 ...   # a wider CNN (the shipped one has 16 and 32)

Training data: the MNIST training digits, plus (unless --drawings 0) the same
digits re-drawn as canvas drawings and put through the app's preprocess(), plus
(unless --pen-copies 0) the real pen digits of the training writers (DigiLeTs,
--pen-data), each drawn --pen-copies times by the canvas's pen with fresh
randomness and a handwriting style (sources/styles.py), plus (unless
--scribbles 0) non-digit scribbles that the network is taught to meet with a
flat, unsure answer (outlier exposure). Every batch is augmented (stroke
thickness, rotation, scale, shear, shift, elastic distortion).

Held out: the last --val-size MNIST training digits (and their re-drawn
copies) and the pen digits of the held-out writers (sources/pen.py), drawn
twice. The epoch with the best accuracy on them is kept, the temperature that
calibrates the probabilities is fitted on them, and so is the "not sure"
threshold. MNIST test accuracy is printed each epoch and stored, never used to
choose anything.
"""

from __future__ import annotations

import argparse
import copy
import datetime
import pathlib
import shlex
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from preprocessing import MNIST_MEAN, MNIST_STD

from .augment import NONE, Augmentation, augment
from .calibration import expected_calibration_error, fit_temperature, unsure_threshold
from sources import DataError, Digits, preprocess_tag
from sources.mnist import default_data_dir, download, load_test, training_and_held_out
from sources.pen import PEN_RENDER_VERSION, PenDataError, default_pen_path, load_pen_digits, pen_set, split_by_writer
from sources.redrawn import RENDERER_VERSION, redraw
from sources.scribbles import scribble_set

from .evaluate import logits_of
from .networks import build
from .weights import save_weights

DEFAULT_EPOCHS = {"cnn": 20, "mlp": 40}
#: Training digits also re-drawn canvas-style: all 55,000 outside the held-out split for the CNN.
DEFAULT_DRAWINGS = {"cnn": 55000, "mlp": 30000}
#: How many times each training writer's pen digit is drawn (with fresh randomness and styles).
DEFAULT_PEN_COPIES = 8
PEN_VAL_COPIES = 2
DEFAULT_LR = {"cnn": 3e-3, "mlp": 2e-3}
#: The MLP sees whole images as flat vectors, so milder distortions suit it.
DEFAULT_AUGMENTATION = {
    "cnn": Augmentation(),
    "mlp": Augmentation(thickness=0.7, rotation_deg=10, scale=0.1, shear=0.1, shift_px=1.0, elastic_px=1.0, probability=0.8),
}
#: Largest share of real digits the "not sure" rule may flag, on held-out data (targets: 1% and 2%, with margin).
MAX_UNSURE = {"mnist": 0.006, "drawings": 0.012, "pen": 0.012}
OUTLIER_WEIGHT = 0.5
#: Decay per step of the moving average of the weights that is kept (0: keep the weights themselves).
DEFAULT_EMA = 0.999


def standardize(x: torch.Tensor) -> torch.Tensor:
    return (x - MNIST_MEAN) / MNIST_STD


def to_unit(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 28, 28) to float (N, 1, 28, 28) in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).float().div_(255).unsqueeze(1)


def loss_fn(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Cross-entropy on digits (label >= 0); on outliers (label -1), cross-entropy to the uniform distribution."""
    known = labels >= 0
    loss = F.cross_entropy(logits[known], labels[known]) if known.any() else logits.sum() * 0
    if not known.all():
        loss = loss + OUTLIER_WEIGHT * -F.log_softmax(logits[~known], dim=1).mean()
    return loss


def train(
    arch: str,
    train_images: np.ndarray,
    train_labels: np.ndarray,
    val_images: np.ndarray,
    val_labels: np.ndarray,
    epochs: int,
    seed: int = 0,
    batch_size: int = 128,
    lr: float | None = None,
    aug: Augmentation | None = None,
    test: tuple[np.ndarray, np.ndarray] | None = None,
    progress: bool = True,
    ema: float = DEFAULT_EMA,
    config: dict | None = None,
) -> tuple[torch.nn.Module, dict]:
    """Train a fresh `arch` network; return the best-on-validation model (eval mode) and a summary.

    Labels of -1 mark outliers (not digits). With ema > 0, what is scored and
    kept is an exponential moving average of the weights (decay `ema` per
    step), which is steadier than the last step's weights. `config` overrides
    the network's default layer sizes (see model/networks.py). The model is chosen
    by accuracy on the validation digits; on a tie the later epoch wins, being
    further down the learning-rate schedule.
    """
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    aug = DEFAULT_AUGMENTATION[arch] if aug is None else aug
    model = build(arch, **(config or {}))
    lr = DEFAULT_LR[arch] if lr is None else lr
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps_per_epoch = -(-len(train_images) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    x_all, y_all = to_unit(train_images), torch.from_numpy(train_labels)
    averaged = copy.deepcopy(model) if ema else model
    best = {"val_accuracy": -1.0}
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x_all), generator=generator)
        total, seen, started = 0.0, 0, time.time()
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{epochs}", disable=not progress, leave=False)
        for step in bar:
            idx = order[step * batch_size : (step + 1) * batch_size]
            loss = loss_fn(model(standardize(augment(x_all[idx], aug, generator))), y_all[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            if ema:  # the average warms up over the first steps, so it does not start from random weights
                done = (epoch - 1) * steps_per_epoch + step
                update_average(averaged, model, min(ema, (1 + done) / (10 + done)))
            total += loss.item() * len(idx)
            seen += len(idx)
            bar.set_postfix(loss=f"{total / seen:.4f}")
        val_acc = accuracy(averaged, val_images, val_labels)
        line = {"epoch": epoch, "loss": total / seen, "val_accuracy": val_acc, "seconds": time.time() - started}
        if test is not None:
            line["test_accuracy"] = accuracy(averaged, *test)
        history.append(line)
        print(
            f"epoch {epoch:3d}  loss {line['loss']:.4f}  val {val_acc:.2%}"
            + (f"  test {line['test_accuracy']:.2%}" if test is not None else "")
            + f"  ({line['seconds']:.0f} s)",
            flush=True,
        )
        if val_acc >= best["val_accuracy"]:
            best = dict(line, state={k: v.clone() for k, v in averaged.state_dict().items()})
    model.load_state_dict(best.pop("state"))
    model.eval()
    return model, {"best": best, "history": history, "augmentation": aug.as_dict()}


@torch.no_grad()
def update_average(averaged: torch.nn.Module, model: torch.nn.Module, decay: float) -> None:
    """averaged <- decay * averaged + (1 - decay) * model, for weights and batch-norm statistics alike."""
    for a, m in zip(averaged.state_dict().values(), model.state_dict().values()):
        if a.is_floating_point():
            a.lerp_(m, 1 - decay)
        else:
            a.copy_(m)


def accuracy(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    return float((logits_of(model, to_unit(images)).argmax(1).numpy() == labels).mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["cnn", "mlp"], required=True)
    parser.add_argument("--epochs", type=int, help="default: 20 for the CNN, 40 for the MLP")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--data-dir", default=default_data_dir(), help="folder with the MNIST IDX files (default: $MNIST_DIR or data/mnist)")
    parser.add_argument("--download", action="store_true", help="first fetch MNIST into --data-dir (needs internet)")
    parser.add_argument("--val-size", type=int, default=5000, help="training digits held out to choose the epoch and calibrate")
    parser.add_argument("--drawings", type=int, help="training digits also re-drawn canvas-style (0: none; default: 55000 for the CNN, 30000 for the MLP)")
    parser.add_argument("--drawing-copies", type=int, default=1, help="times each of those digits is re-drawn, each time with fresh randomness (default: 1)")
    parser.add_argument("--pen-data", default=default_pen_path(), help="DigiLeTs digits.json.gz (default: $DIGILETS)")
    parser.add_argument("--pen-copies", type=int, help="times each training writer's pen digit is drawn (0: no pen digits; default: 8)")
    parser.add_argument("--scribbles", type=int, default=10000, help="non-digit scribbles to train 'not sure' on (0: none)")
    parser.add_argument("--cache-dir", default="data/cache", help="where re-drawn digits and scribbles are kept between runs")
    parser.add_argument("--out", help="default: weights/<arch>.pt")
    parser.add_argument("--no-augment", action="store_true", help="train on the digits as they are")
    parser.add_argument("--ema", type=float, default=DEFAULT_EMA, help="decay of the moving average of the weights that is kept (0: none)")
    parser.add_argument("--no-verify", action="store_true", help="skip the MNIST checksum check (for your own IDX files)")
    parser.add_argument("--channels", type=int, nargs=2, metavar=("C1", "C2"), help="CNN only: channels of its two conv blocks (default: the network's)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.channels and args.arch != "cnn":
        parser.error("--channels is for the CNN")
    config = {"channels": tuple(args.channels)} if args.channels else {}
    if args.threads:
        torch.set_num_threads(args.threads)
    epochs = args.epochs or DEFAULT_EPOCHS[args.arch]
    out = args.out or f"weights/{args.arch}.pt"
    try:
        if args.download:
            download(args.data_dir)
        mnist_train, mnist_held = training_and_held_out(args.data_dir, val_size=args.val_size, verify=not args.no_verify)
        test = load_test(args.data_dir, verify=not args.no_verify)
        pen_copies = DEFAULT_PEN_COPIES if args.pen_copies is None else args.pen_copies
        pen_train, pen_held = split_by_writer(load_pen_digits(args.pen_data)) if pen_copies else ([], [])
    except PenDataError as e:
        sys.exit(f"error: {e} (or train without pen digits: --pen-copies 0)")
    except DataError as e:
        sys.exit(f"error: {e}")
    n_images = len(mnist_train) + len(mnist_held)
    if not 0 < args.val_size < n_images:
        parser.error(f"--val-size must be between 1 and {n_images - 1}")
    started = time.time()

    # Every source gives Digits; the held-out ones choose the epoch, calibrate and set "not sure".
    cache, pp = pathlib.Path(args.cache_dir), preprocess_tag()
    tag = f"{n_images}-{args.val_size}-seed{args.seed}-r{RENDERER_VERSION}{pp}"  # a new renderer or preprocess() makes new sets
    held_out = {"mnist": mnist_held}
    training = [mnist_train]
    n_draw = min(DEFAULT_DRAWINGS[args.arch] if args.drawings is None else args.drawings, len(mnist_train))
    if n_draw:
        held_out["drawings"] = redraw(mnist_held, seed=args.seed + 1, cache=cache / f"drawings-val-{tag}.npy")
        for copy_index in range(args.drawing_copies):  # the first copy keeps its seed and cache name
            name, seed = ("", args.seed) if copy_index == 0 else (f"-copy{copy_index}", args.seed + 30 + copy_index)
            training.append(redraw(mnist_train[:n_draw], seed=seed, cache=cache / f"drawings-train-{n_draw}-{tag}{name}.npy"))
    if pen_copies:
        pen_tag = f"{len(pen_train)}-{len(pen_held)}-seed{args.seed}-p{PEN_RENDER_VERSION}{pp}"
        training.append(pen_set(pen_train, seed=args.seed + 20, copies=pen_copies, styled=True,
                                cache=cache / f"pen-train-x{pen_copies}-{pen_tag}.npy"))
        held_out["pen"] = pen_set(pen_held, seed=args.seed + 21, copies=PEN_VAL_COPIES,
                                  cache=cache / f"pen-val-x{PEN_VAL_COPIES}-{pen_tag}.npy")
    if args.scribbles:
        training.append(scribble_set(args.scribbles, seed=args.seed + 10, cache=cache / f"scribbles-train-{args.scribbles}-seed{args.seed}{pp}.npy"))
        n_val = max(1, args.scribbles // 5)
        held_out["scribbles"] = scribble_set(n_val, seed=args.seed + 11, cache=cache / f"scribbles-val-{n_val}-seed{args.seed}{pp}.npy")
    train_set = Digits.concat(training)
    val = Digits.concat(d for name, d in held_out.items() if name != "scribbles")  # scribbles only set "not sure"
    val_x, val_y = val.images, val.labels

    model, summary = train(
        args.arch, train_set.images, train_set.labels, val_x, val_y,
        epochs=epochs, seed=args.seed, batch_size=args.batch_size, lr=args.lr,
        aug=NONE if args.no_augment else None, test=(test.images, test.labels), ema=args.ema, config=config,
    )
    best = summary["best"]

    # Calibrate on the held-out digits, then set the "not sure" threshold on them.
    val_logits = logits_of(model, to_unit(val_x))
    temperature = fit_temperature(val_logits, torch.from_numpy(val_y))
    probs = {name: torch.softmax(logits_of(model, to_unit(d.images)) / temperature, 1) for name, d in held_out.items()}
    confidence = {name: p.max(1).values for name, p in probs.items()}
    threshold = unsure_threshold({k: confidence[k] for k in MAX_UNSURE if k in confidence}, {k: v for k, v in MAX_UNSURE.items() if k in confidence})
    flagged = {name: float((c < threshold).float().mean()) for name, c in confidence.items()}
    ece = {
        "before": expected_calibration_error(torch.softmax(val_logits, 1), torch.from_numpy(val_y)),
        "after": expected_calibration_error(torch.softmax(val_logits / temperature, 1), torch.from_numpy(val_y)),
    }
    metadata = {
        "arch": args.arch,
        "mean": MNIST_MEAN,
        "std": MNIST_STD,
        "mnist_test_accuracy": best["test_accuracy"],
        "val_accuracy": best["val_accuracy"],
        "temperature": temperature,
        "unsure_below": threshold,
        "val_flagged_unsure": flagged,
        "val_ece": ece,
        "best_epoch": best["epoch"],
        "epochs": epochs,
        "seed": args.seed,
        "drawings": n_draw,
        "drawing_copies": args.drawing_copies,
        "pen_copies": pen_copies,
        "pen_train_writers": len({d.writer for d in pen_train}),
        "pen_held_out_writers": len({d.writer for d in pen_held}),
        "val_accuracy_by_set": {k: float((probs[k].argmax(1).numpy() == d.labels).mean()) for k, d in held_out.items() if k != "scribbles"},
        "scribbles": args.scribbles,
        "augmentation": summary["augmentation"],
        "ema": args.ema,
        "train_seconds": round(time.time() - started, 1),
        "command": "python -m model.train " + shlex.join(sys.argv[1:] if argv is None else argv),
        "date": datetime.date.today().isoformat(),
        "torch": str(torch.__version__),
    }
    # What the app's Models page shows on a machine without the data: measured now, kept with the weights.
    from .predict import Predictor
    from sources.pen import benchmark_set

    from .report import probabilities_of, report, standardized

    scorer = Predictor(model, metadata)
    metadata["reports"] = {"mnist_test": report(probabilities_of(scorer, standardized(test.images)), test.labels),
                           "measured": metadata["date"], "command": metadata["command"]}
    if pen_copies:
        pen = benchmark_set(pen_held)
        metadata["reports"]["real_pen"] = report(probabilities_of(scorer, standardized(pen.images)), pen.labels)
    save_weights(out, model, args.arch, metadata)
    print(
        f"saved {out}: epoch {best['epoch']}, val {best['val_accuracy']:.2%}, MNIST test {best['test_accuracy']:.2%}, "
        f"temperature {temperature:.3f} (val ECE {ece['before']:.4f} -> {ece['after']:.4f}), "
        f"not sure below {threshold:.3f}, flagging " + ", ".join(f"{k} {v:.2%}" for k, v in flagged.items())
    )


if __name__ == "__main__":
    main()
