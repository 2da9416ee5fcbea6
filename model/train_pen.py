"""Train the pen network: it reads how a digit was written (the canvas's strokes), beside the image networks.

    python -m model.train_pen [--channels 32] [--copies 20] [--mnist 20000] [--scribbles 8000] [--epochs 10] [--seed 0] [--out weights/pen.pt]

Trained on the training writers' pen digits (sources/pen.py; each drawn
`--copies` times, all but the first in a random style, turned and stretched a
little), MNIST training digits' centre lines traced as a pen would, and
scribbles (letters, shapes, random strokes) taught to get a flat answer, as the
image networks' are. The held-out writers are never trained on: their digits,
as written, fit the temperature and are reported. The epochs are fixed (the
last is kept), so nothing is chosen on the held-out writers but the
temperature. About 7 minutes on 2 CPU cores.

The app multiplies the pen network's calibrated probabilities with the image
network's when a drawing has strokes (model.predict.Predictor); weights/pen.pt
is found beside the image networks' weights.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import time

import numpy as np
import torch

from preprocessing.trajectory import FEATURES, LENGTH, POINTS
from sources import DataError
from sources.mnist import default_data_dir, training_and_held_out
from sources.pen import PenDataError, default_pen_path, load_pen_digits, split_by_writer
from sources.pen_paths import mnist_paths, pen_digit_paths, scribble_paths

from .calibration import expected_calibration_error, fit_temperature
from .networks import build
from .train import loss_fn
from .weights import save_weights

DEFAULTS = {"channels": 32, "copies": 20, "mnist": 20000, "scribbles": 8000, "epochs": 10, "lr": 2e-3, "batch_size": 128}


@torch.no_grad()
def pen_logits(model: torch.nn.Module, x: np.ndarray, batch_size: int = 2048) -> torch.Tensor:
    """Logits (N, 10) of `model` (eval mode) for sequences (N, LENGTH, FEATURES)."""
    model.eval()
    parts = [model(torch.from_numpy(x[i : i + batch_size])) for i in range(0, len(x), batch_size)]
    return torch.cat(parts) if parts else torch.zeros(0, 10)


def train_pen_net(x: np.ndarray, y: np.ndarray, epochs: int, seed: int = 0, lr: float = DEFAULTS["lr"],
                  batch_size: int = DEFAULTS["batch_size"], channels: int = DEFAULTS["channels"], progress=print) -> torch.nn.Module:
    """A fresh PenNet (`channels` wide) trained on sequences `x` with labels `y` (-1: not a digit), one-cycle AdamW; eval mode."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    model = build("pen", channels=channels)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps = max(1, len(x) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    for epoch in range(1, epochs + 1):
        model.train()
        order, total, started = torch.randperm(len(x), generator=generator), 0.0, time.time()
        for step in range(steps):
            idx = order[step * batch_size : (step + 1) * batch_size]
            loss = loss_fn(model(xt[idx]), yt[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item()
        if progress:
            progress(f"epoch {epoch:3d}  loss {total / steps:.4f}  ({time.time() - started:.0f} s)")
    return model.eval()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--channels", type=int, default=DEFAULTS["channels"], help="width of the network's convolutions")
    parser.add_argument("--copies", type=int, default=DEFAULTS["copies"], help="times each training writer's digit is used")
    parser.add_argument("--mnist", type=int, default=DEFAULTS["mnist"], help="MNIST training digits traced (0: none)")
    parser.add_argument("--scribbles", type=int, default=DEFAULTS["scribbles"], help="non-digits to teach a flat answer (0: none)")
    parser.add_argument("--epochs", type=int, default=DEFAULTS["epochs"])
    parser.add_argument("--lr", type=float, default=DEFAULTS["lr"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--data-dir", default=default_data_dir(), help="MNIST IDX files (default: $MNIST_DIR or data/mnist)")
    parser.add_argument("--pen-data", default=default_pen_path(), help="DigiLeTs digits.json.gz (default: $DIGILETS)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    parser.add_argument("--out", default="weights/pen.pt")
    args = parser.parse_args(argv)
    if args.copies < 1 or args.epochs < 1 or args.channels < 1 or args.mnist < 0 or args.scribbles < 0:
        parser.error("--copies, --epochs and --channels must be at least 1, --mnist and --scribbles at least 0")
    if args.threads:
        torch.set_num_threads(args.threads)
    started = time.time()
    try:
        train_writers, held_writers = split_by_writer(load_pen_digits(args.pen_data))
        mnist_train = training_and_held_out(args.data_dir)[0] if args.mnist else None
    except (PenDataError, DataError) as e:
        sys.exit(f"error: {e}")
    if not train_writers or not held_writers:
        sys.exit("error: the pen data needs training and held-out writers")

    parts = [pen_digit_paths(train_writers, args.copies, args.seed)]
    if args.mnist:
        n = min(args.mnist, len(mnist_train))
        parts.append(mnist_paths(mnist_train.images[:n], mnist_train.labels[:n], args.seed + 1))
    if args.scribbles:
        parts.append(scribble_paths(args.scribbles, args.seed + 2))
    x, y = np.concatenate([p[0] for p in parts]), np.concatenate([p[1] for p in parts])
    print(f"{len(x)} pen paths ready in {time.time() - started:.0f} s", flush=True)

    model = train_pen_net(x, y, args.epochs, args.seed, args.lr, channels=args.channels, progress=lambda line: print(line, flush=True))

    held_x, held_y = pen_digit_paths(held_writers, copies=1, seed=args.seed)
    logits = pen_logits(model, held_x)
    labels = torch.from_numpy(held_y)
    temperature = fit_temperature(logits, labels)
    accuracy = float((logits.argmax(1) == labels).float().mean())
    readable = np.array([d.readable for d in held_writers])
    metadata = {
        "arch": "pen",
        "points": POINTS,
        "length": LENGTH,
        "features": FEATURES,
        "temperature": temperature,
        "held_out_accuracy": accuracy,
        "held_out_readable_accuracy": float((logits.argmax(1) == labels).numpy()[readable].mean()),
        "held_out_ece": expected_calibration_error(torch.softmax(logits / temperature, 1), labels),
        # A digit drawn in more strokes than any training writer used is sketched: the pen network is not asked.
        "max_strokes": max(len(d.strokes) for d in train_writers),
        "pen_train_writers": len({d.writer for d in train_writers}),
        "pen_held_out_writers": len({d.writer for d in held_writers}),
        "channels": args.channels,
        "copies": args.copies,
        "mnist": args.mnist,
        "scribbles": args.scribbles,
        "epochs": args.epochs,
        "seed": args.seed,
        "train_seconds": round(time.time() - started, 1),
        "command": "python -m model.train_pen " + shlex.join(sys.argv[1:] if argv is None else argv),
        "date": datetime.date.today().isoformat(),
        "torch": str(torch.__version__),
    }
    save_weights(args.out, model, "pen", metadata)
    print(f"saved {args.out}: held-out writers' digits as written {accuracy:.2%} ({len(held_y)}), "
          f"temperature {temperature:.3f}, ECE {metadata['held_out_ece']:.4f}, {metadata['train_seconds']:.0f} s")


if __name__ == "__main__":
    main()
