"""MNIST from its four IDX files: read, verify, split, and (optionally) download.

The files may be gzip'd (*.gz) or raw. Their content is checked against the
MD5 of the published uncompressed files, so a truncated or wrong file is caught
with a sentence rather than a shape error deep in training.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import pathlib
import urllib.error
import urllib.request

import numpy as np

from . import DataError, Digits

#: split -> (images file, labels file), without ".gz".
FILES = {
    "train": ("train-images-idx3-ubyte", "train-labels-idx1-ubyte"),
    "test": ("t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte"),
}
#: MD5 of each file's uncompressed content, as published.
RAW_MD5 = {
    "train-images-idx3-ubyte": "6bbc9ace898e44ae57da46a324031adb",
    "train-labels-idx1-ubyte": "a25bea736e30d166cdddb491f175f624",
    "t10k-images-idx3-ubyte": "2646ac647ad5339dbf082846283269ea",
    "t10k-labels-idx1-ubyte": "27ae3e4e09519cfbb04c329615203637",
}
#: Where --download looks, in order (the original site often refuses scripts).
MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
)
ENV_VAR = "MNIST_DIR"
#: MNIST training digits held out (the last ones) to choose the epoch, calibrate and check forgetting.
VAL_SIZE = 5000


def default_data_dir() -> str:
    """$MNIST_DIR if set, else data/mnist."""
    return os.environ.get(ENV_VAR) or "data/mnist"


def _find(data_dir: pathlib.Path, name: str) -> pathlib.Path:
    for candidate in (data_dir / f"{name}.gz", data_dir / name):
        if candidate.is_file():
            return candidate
    raise DataError(
        f"{name}(.gz) is not in {data_dir}. Put the four MNIST IDX files there, point "
        f"--data-dir (or ${ENV_VAR}) at the folder that has them, or rerun with --download "
        f"if this machine is online."
    )


def read_bytes(path: pathlib.Path) -> bytes:
    """The file's content, uncompressed if it ends in .gz."""
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as f:
                return f.read()
        return path.read_bytes()
    except (OSError, EOFError) as e:  # gzip raises these for truncated or non-gzip files
        raise DataError(f"{path} cannot be read ({e}); delete it and fetch it again.") from e


def parse_idx(data: bytes, source: str = "IDX data") -> np.ndarray:
    """Decode IDX bytes (unsigned-byte type only, as MNIST uses) into a uint8 array."""
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise DataError(f"{source} is not an IDX file (bad magic number).")
    if data[2] != 0x08:
        raise DataError(f"{source} holds IDX type 0x{data[2]:02x}; only unsigned bytes (0x08) are supported.")
    ndim = data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DataError(f"{source} is truncated inside its header.")
    shape = tuple(int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(ndim))
    expected = int(np.prod(shape)) if shape else 0
    if len(data) - header != expected:
        raise DataError(f"{source} should hold {expected} bytes of data for shape {shape}, has {len(data) - header}.")
    return np.frombuffer(data, dtype=np.uint8, offset=header).reshape(shape).copy()  # writable, for torch


def load_mnist(data_dir: str | os.PathLike, split: str, verify: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """(images uint8 (N, 28, 28), labels int64 (N,)) of the "train" or "test" split.

    With verify=True, each file's uncompressed content must match its published MD5.
    """
    if split not in FILES:
        raise ValueError(f"split must be 'train' or 'test', not {split!r}.")
    data_dir = pathlib.Path(data_dir)
    arrays = []
    for name in FILES[split]:
        path = _find(data_dir, name)
        data = read_bytes(path)
        if verify and hashlib.md5(data).hexdigest() != RAW_MD5[name]:
            raise DataError(
                f"{path} does not match the published MNIST checksum: it is damaged or another "
                f"data set. Replace it (or use --download), or pass --no-verify for your own IDX files."
            )
        arrays.append(parse_idx(data, str(path)))
    images, labels = arrays
    if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
        raise DataError(f"{data_dir}: images {images.shape} and labels {labels.shape} do not belong together.")
    return images, labels.astype(np.int64)


def held_out_start(n: int, val_size: int | None = None) -> int:
    """Where the held-out split starts among n training digits: the last val_size of them
    (default VAL_SIZE, or a tenth of a smaller set, as tests' tiny files are)."""
    return n - (min(VAL_SIZE, n // 10) if val_size is None else val_size)


def training_and_held_out(data_dir: str | os.PathLike, val_size: int | None = None, verify: bool = True) -> tuple[Digits, Digits]:
    """MNIST's training split as (digits trained on, the last ones held out; see held_out_start())."""
    images, labels = load_mnist(data_dir, "train", verify)
    split = held_out_start(len(images), val_size)
    return Digits(images[:split], labels[:split]), Digits(images[split:], labels[split:])


def load_held_out(data_dir: str | os.PathLike, verify: bool = True) -> Digits:
    """Training's held-out digits (the last 5,000): other people's digits that no network here learned from."""
    return training_and_held_out(data_dir, verify=verify)[1]


def load_test(data_dir: str | os.PathLike, verify: bool = True) -> Digits:
    """MNIST's 10,000 test digits: measured, never used to choose anything."""
    return Digits(*load_mnist(data_dir, "test", verify))


def download(data_dir: str | os.PathLike, mirrors=MIRRORS, checksums=RAW_MD5, timeout: float = 30) -> list[pathlib.Path]:
    """Fetch the four .gz files into data_dir, keeping only those whose content matches `checksums`.

    Files already present and correct are not fetched again. Raises DataError
    with what to do when no mirror can be reached (an offline machine).
    """
    data_dir = pathlib.Path(data_dir)
    data_dir.mkdir(parents=True, exist_ok=True)
    saved = []
    for name, md5 in checksums.items():
        target = data_dir / f"{name}.gz"
        if target.is_file() and hashlib.md5(read_bytes(target)).hexdigest() == md5:
            saved.append(target)
            continue
        errors = []
        for mirror in mirrors:
            url = f"{mirror}{name}.gz"
            try:
                with urllib.request.urlopen(url, timeout=timeout) as response:
                    payload = response.read()
            except (urllib.error.URLError, OSError) as e:
                errors.append(f"{url}: {getattr(e, 'reason', e)}")
                continue
            try:
                content = gzip.decompress(payload)
            except (OSError, EOFError):
                errors.append(f"{url}: not a gzip file")
                continue
            if hashlib.md5(content).hexdigest() != md5:
                errors.append(f"{url}: checksum mismatch")
                continue
            tmp = target.with_suffix(".gz.part")
            tmp.write_bytes(payload)
            tmp.replace(target)
            saved.append(target)
            break
        else:
            raise DataError(
                f"Could not download {name}.gz ({'; '.join(errors)}). If this machine is offline, copy "
                f"the four MNIST .gz files into {data_dir} by hand (or point --data-dir / ${ENV_VAR} at them)."
            )
    return saved
