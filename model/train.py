"""Train the MLP or CNN on MNIST with augmentation for drawings; save the best weights.

    python -m model.train --arch cnn [--epochs N] [--seed S] [--data-dir D] [--out weights/cnn.pt]

The last `--val-size` training digits are held out: the epoch with the best
accuracy on them is kept, and the temperature that calibrates its
probabilities is fitted on them. MNIST test accuracy is printed each epoch and
stored with the weights, but never used to choose anything.
"""

from __future__ import annotations

import argparse
import datetime
import shlex
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from preprocessing import MNIST_MEAN, MNIST_STD

from .augment import NONE, Augmentation, augment
from .calibration import expected_calibration_error, fit_temperature
from .data import default_data_dir, load_mnist
from .evaluate import logits_of
from .networks import build
from .weights import save_weights

DEFAULT_EPOCHS = {"cnn": 15, "mlp": 40}
DEFAULT_LR = {"cnn": 3e-3, "mlp": 2e-3}
#: The MLP sees whole images as flat vectors, so milder distortions suit it.
DEFAULT_AUGMENTATION = {
    "cnn": Augmentation(),
    "mlp": Augmentation(thickness=0.7, rotation_deg=10, scale=0.1, shear=0.1, shift_px=1.0, elastic_px=1.0, probability=0.8),
}


def standardize(x: torch.Tensor) -> torch.Tensor:
    return (x - MNIST_MEAN) / MNIST_STD


def to_unit(images: np.ndarray) -> torch.Tensor:
    """uint8 (N, 28, 28) to float (N, 1, 28, 28) in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).float().div_(255).unsqueeze(1)


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
) -> tuple[torch.nn.Module, dict]:
    """Train a fresh `arch` network; return the best-on-validation model and a summary dict."""
    torch.manual_seed(seed)
    generator = torch.Generator().manual_seed(seed)
    aug = DEFAULT_AUGMENTATION[arch] if aug is None else aug
    model = build(arch)
    lr = DEFAULT_LR[arch] if lr is None else lr
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=1e-4)
    steps_per_epoch = -(-len(train_images) // batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    x_all, y_all = to_unit(train_images), torch.from_numpy(train_labels)
    best = {"val_accuracy": -1.0}
    history = []
    for epoch in range(1, epochs + 1):
        model.train()
        order = torch.randperm(len(x_all), generator=generator)
        total, seen, started = 0.0, 0, time.time()
        bar = tqdm(range(steps_per_epoch), desc=f"epoch {epoch}/{epochs}", disable=not progress, leave=False)
        for step in bar:
            idx = order[step * batch_size : (step + 1) * batch_size]
            x = standardize(augment(x_all[idx], aug, generator))
            loss = F.cross_entropy(model(x), y_all[idx])
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            schedule.step()
            total += loss.item() * len(idx)
            seen += len(idx)
            bar.set_postfix(loss=f"{total / seen:.4f}")
        val_acc = accuracy(model, val_images, val_labels)
        line = {"epoch": epoch, "loss": total / seen, "val_accuracy": val_acc, "seconds": time.time() - started}
        if test is not None:
            line["test_accuracy"] = accuracy(model, *test)
        history.append(line)
        print(
            f"epoch {epoch:3d}  loss {line['loss']:.4f}  val {val_acc:.2%}"
            + (f"  test {line['test_accuracy']:.2%}" if test is not None else "")
            + f"  ({line['seconds']:.0f} s)",
            flush=True,
        )
        if val_acc > best["val_accuracy"]:
            best = dict(line, state={k: v.clone() for k, v in model.state_dict().items()})
    model.load_state_dict(best.pop("state"))
    model.eval()
    logits = logits_of(model, to_unit(val_images))
    labels = torch.from_numpy(val_labels)
    temperature = fit_temperature(logits, labels)
    summary = {
        "best_epoch": best["epoch"],
        "val_accuracy": best["val_accuracy"],
        "temperature": temperature,
        "val_ece_before": expected_calibration_error(F.softmax(logits, 1), labels),
        "val_ece_after": expected_calibration_error(F.softmax(logits / temperature, 1), labels),
        "augmentation": aug.as_dict(),
        "history": history,
    }
    if test is not None:
        summary["test_accuracy"] = best["test_accuracy"]
    return model, summary


def accuracy(model: torch.nn.Module, images: np.ndarray, labels: np.ndarray) -> float:
    return float((logits_of(model, to_unit(images)).argmax(1).numpy() == labels).mean())


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--arch", choices=["cnn", "mlp"], required=True)
    parser.add_argument("--epochs", type=int, help="default: 15 for the CNN, 40 for the MLP")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, help="peak learning rate of the one-cycle schedule")
    parser.add_argument("--data-dir", default=default_data_dir(), help="folder with the MNIST IDX files (default: $MNIST_DIR or data/mnist)")
    parser.add_argument("--val-size", type=int, default=5000, help="training digits held out to choose the epoch and calibrate")
    parser.add_argument("--out", help="default: weights/<arch>.pt")
    parser.add_argument("--no-augment", action="store_true", help="train on the digits as they are")
    parser.add_argument("--no-verify", action="store_true", help="skip the MNIST checksum check (for your own IDX files)")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)
    if args.threads:
        torch.set_num_threads(args.threads)
    epochs = args.epochs or DEFAULT_EPOCHS[args.arch]
    out = args.out or f"weights/{args.arch}.pt"

    images, labels = load_mnist(args.data_dir, "train", verify=not args.no_verify)
    test = load_mnist(args.data_dir, "test", verify=not args.no_verify)
    if not 0 < args.val_size < len(images):
        parser.error(f"--val-size must be between 1 and {len(images) - 1}")
    split = len(images) - args.val_size
    started = time.time()
    model, summary = train(
        args.arch, images[:split], labels[:split], images[split:], labels[split:],
        epochs=epochs, seed=args.seed, batch_size=args.batch_size, lr=args.lr,
        aug=NONE if args.no_augment else None, test=test,
    )
    metadata = {
        "arch": args.arch,
        "mean": MNIST_MEAN,
        "std": MNIST_STD,
        "mnist_test_accuracy": summary["test_accuracy"],
        "val_accuracy": summary["val_accuracy"],
        "temperature": summary["temperature"],
        "best_epoch": summary["best_epoch"],
        "epochs": epochs,
        "seed": args.seed,
        "augmentation": summary["augmentation"],
        "train_seconds": round(time.time() - started, 1),
        "command": "python -m model.train " + shlex.join(sys.argv[1:] if argv is None else argv),
        "date": datetime.date.today().isoformat(),
        "torch": str(torch.__version__),
    }
    save_weights(out, model, args.arch, metadata)
    print(
        f"saved {out}: epoch {summary['best_epoch']}, val {summary['val_accuracy']:.2%}, "
        f"MNIST test {summary['test_accuracy']:.2%}, temperature {summary['temperature']:.3f} "
        f"(val ECE {summary['val_ece_before']:.4f} -> {summary['val_ece_after']:.4f})"
    )


if __name__ == "__main__":
    main()
