"""The two networks: a plain MLP on the 784 pixels and a small CNN.

Both take a batch of standardized 28x28 images, shape (N, 1, 28, 28), and
return logits, shape (N, 10).
"""

import copy
from collections.abc import Callable

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval, fuse_linear_bn_eval


class MLP(nn.Module):
    """784 -> 512 -> 256 -> 10, ReLU, batch norm and dropout between layers."""

    def __init__(self, hidden=(512, 256), dropout=0.2):
        super().__init__()
        self.config = {"hidden": list(hidden)}  # saved with the weights, to rebuild the same shapes
        layers, width = [nn.Flatten()], 28 * 28
        for size in hidden:
            layers += [nn.Linear(width, size), nn.BatchNorm1d(size), nn.ReLU(), nn.Dropout(dropout)]
            width = size
        layers.append(nn.Linear(width, 10))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


def conv_block(c_in: int, c_out: int, convs: int = 2) -> nn.Sequential:
    """`convs` 3x3 convolutions with batch norm and ReLU, then 2x2 max pooling."""
    layers = []
    for i in range(convs):
        layers += [nn.Conv2d(c_in if i == 0 else c_out, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out), nn.ReLU()]
    return nn.Sequential(*layers, nn.MaxPool2d(2))


class CNN(nn.Module):
    """Two conv blocks (28 -> 14 -> 7), then a 128-unit hidden layer with dropout.

    Sized for one drawing at a time on one CPU thread: 16 and 32 channels
    (twice as many cost four times the multiply-adds), and one convolution at
    28x28 before two at 14x14 (a second one at 28x28 would be 40% of the work).
    """

    def __init__(self, channels=(16, 32), convs=(1, 2), hidden=128, dropout=0.3):
        super().__init__()
        self.config = {"channels": list(channels), "convs": list(convs), "hidden": hidden}
        c1, c2 = channels
        self.features = nn.Sequential(conv_block(1, c1, convs[0]), conv_block(c1, c2, convs[1]))
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(dropout),
            nn.Linear(c2 * 7 * 7, hidden),
            nn.BatchNorm1d(hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))


def pool_points(h: torch.Tensor, present: torch.Tensor) -> torch.Tensor:
    """The largest and the mean of each channel of `h` (N, C, L) over the points `present` (N, 1, L) marks: (N, 2C)."""
    largest = (h - 1e4 * (1 - present)).amax(dim=2)
    mean = (h * present).sum(dim=2) / present.sum(dim=2).clamp_min(1)
    return torch.cat([largest, mean], dim=1)


class PenNet(nn.Module):
    """Reads a pen path (preprocessing.trajectory.pen_sequence(), shape (N, LENGTH, 7)), not an image.

    Four 1-D convolutions along the path (kernel 5; the last two dilated 2 and 4,
    so each point sees about a third of the digit's path), with batch norm, ReLU
    and residual connections, then the maximum and the mean over the points that
    are there (column 6 marks them), a 128-unit hidden layer and 10 logits.
    """

    def __init__(self, channels: int = 32, hidden: int = 128, dropout: float = 0.3, features: int = 7):
        super().__init__()
        self.config = {"channels": channels, "hidden": hidden}
        dilations = (1, 1, 2, 4)
        self.convs = nn.ModuleList(
            nn.Conv1d(features if i == 0 else channels, channels, 5, padding=2 * d, dilation=d, bias=False) for i, d in enumerate(dilations)
        )
        self.norms = nn.ModuleList(nn.BatchNorm1d(channels) for _ in dilations)
        self.classifier = nn.Sequential(
            nn.Dropout(dropout), nn.Linear(2 * channels, hidden), nn.ReLU(), nn.Dropout(dropout), nn.Linear(hidden, 10)
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        present = x[:, :, 6:7].transpose(1, 2)  # (N, 1, L)
        h = x.transpose(1, 2)
        for i, (conv, norm) in enumerate(zip(self.convs, self.norms)):
            out = F.relu(norm(conv(h)))
            h = out + h if i else out
        return self.classifier(pool_points(h, present))


ARCHITECTURES = {"mlp": MLP, "cnn": CNN, "pen": PenNet}


def build(arch: str, **config) -> nn.Module:
    """A fresh network of the named architecture ("mlp" or "cnn"); `config` overrides its default sizes."""
    if arch not in ARCHITECTURES:
        raise ValueError(f"Unknown architecture {arch!r}: choose one of {', '.join(ARCHITECTURES)}.")
    return ARCHITECTURES[arch](**config)


def fold_batch_norms(model: nn.Module) -> nn.Module:
    """An eval-mode copy of `model` with each batch norm folded into the layer before it.

    Same outputs (to float rounding), fewer operations: inference on one image
    is about a third faster on a CPU thread.
    """
    model = copy.deepcopy(model).eval()
    for seq in model.modules():
        if not isinstance(seq, nn.Sequential):
            continue
        for i in range(len(seq) - 1):
            layer, norm = seq[i], seq[i + 1]
            if isinstance(layer, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                seq[i], seq[i + 1] = fuse_conv_bn_eval(layer, norm), nn.Identity()
            elif isinstance(layer, nn.Linear) and isinstance(norm, nn.BatchNorm1d):
                seq[i], seq[i + 1] = fuse_linear_bn_eval(layer, norm), nn.Identity()
    return model


def fold_pen_norms(model: PenNet) -> PenNet:
    """An eval-mode copy of a PenNet with each batch norm folded into the convolution before it (same outputs)."""
    model = copy.deepcopy(model).eval()
    for i, (conv, norm) in enumerate(zip(model.convs, model.norms)):
        if isinstance(norm, nn.BatchNorm1d):
            model.convs[i], model.norms[i] = fuse_conv_bn_eval(conv, norm), nn.Identity()
    return model


def pen_forward(model: PenNet) -> Callable[[torch.Tensor], torch.Tensor]:
    """PenNet's forward pass (batch norms folded) as plain tensor operations: the same logits, without
    module calls, which are most of the time for one drawing on one thread. Takes (N, LENGTH, 7)."""
    folded = fold_pen_norms(model)
    convs = [(c.weight.detach(), c.bias.detach(), c.padding[0], c.dilation[0]) for c in folded.convs]
    hidden, out = (layer for layer in folded.classifier if isinstance(layer, nn.Linear))
    w1, b1, w2, b2 = hidden.weight.detach(), hidden.bias.detach(), out.weight.detach(), out.bias.detach()

    def forward(x: torch.Tensor) -> torch.Tensor:
        present = x[:, :, 6:7].transpose(1, 2)
        h = x.transpose(1, 2)
        for i, (w, b, padding, dilation) in enumerate(convs):
            step = F.relu(F.conv1d(h, w, b, 1, padding, dilation))
            h = step + h if i else step
        return F.linear(F.relu(F.linear(pool_points(h, present), w1, b1)), w2, b2)

    return forward


def one_path_forward(model: PenNet) -> Callable[[np.ndarray], np.ndarray]:
    """PenNet's forward pass (batch norms folded) for one pen path at a time, in numpy: float32 (LENGTH, 7)
    in, 10 logits out. The same arithmetic as pen_forward(); each convolution one matrix product over the
    shifted copies of the path (im2col). For one drawing on one thread it takes about a third of
    pen_forward()'s time, which is mostly the cost of calling torch's operations."""
    folded = fold_pen_norms(model)
    convs = []
    for conv in folded.convs:
        w = conv.weight.detach().numpy()  # (out, in, kernel)
        taps = w.shape[2]
        matrix = np.ascontiguousarray(w.transpose(2, 1, 0).reshape(taps * w.shape[1], w.shape[0]))
        convs.append((matrix, conv.bias.detach().numpy(), conv.padding[0], conv.dilation[0], taps))
    hidden, out = (layer for layer in folded.classifier if isinstance(layer, nn.Linear))
    w1, b1 = hidden.weight.detach().numpy().T.copy(), hidden.bias.detach().numpy()
    w2, b2 = out.weight.detach().numpy().T.copy(), out.bias.detach().numpy()

    def forward(path: np.ndarray) -> np.ndarray:
        length = len(path)
        present = path[:, 6:7]
        h = path
        for i, (matrix, bias, padding, dilation, taps) in enumerate(convs):
            padded = np.zeros((length + 2 * padding, h.shape[1]), np.float32)
            padded[padding : padding + length] = h
            shifted = np.concatenate([padded[k * dilation : k * dilation + length] for k in range(taps)], axis=1)
            step = np.maximum(shifted @ matrix + bias, 0.0)
            h = step + h if i else step
        pooled = np.concatenate([(h - 1e4 * (1 - present)).max(axis=0), (h * present).sum(axis=0) / max(present.sum(), 1.0)])
        return np.maximum(pooled @ w1 + b1, 0.0) @ w2 + b2

    return forward


def single_image_forward(model: nn.Module, features: bool = False) -> Callable[[torch.Tensor], torch.Tensor]:
    """A fast forward pass of `model` (batch norms folded) for one image at a time.

    The same arithmetic as fold_batch_norms(model), as a flat list of tensor
    operations: no module calls, no identities or dropouts, and convolutions in
    channels-last layout, which takes oneDNN's direct kernels instead of
    im2col. For one 28x28 drawing on one thread this saves about a fifth of
    the time, most of it Python overhead. Takes (N, 1, 28, 28), returns logits;
    with `features`, the last hidden layer's activations instead (what the
    final linear layer reads).
    """
    ops, last_linear = [], 0
    for layer in fold_batch_norms(model).modules():
        if isinstance(layer, nn.Conv2d):
            weight = layer.weight.detach().contiguous(memory_format=torch.channels_last)
            bias = None if layer.bias is None else layer.bias.detach()
            ops.append(lambda x, w=weight, b=bias, c=layer: F.conv2d(x, w, b, c.stride, c.padding, c.dilation, c.groups))
        elif isinstance(layer, nn.Linear):
            last_linear = len(ops)
            ops.append(lambda x, w=layer.weight.detach(), b=layer.bias.detach(): F.linear(x, w, b))
        elif isinstance(layer, nn.ReLU):
            ops.append(torch.relu_)
        elif isinstance(layer, nn.MaxPool2d):
            ops.append(lambda x, k=layer.kernel_size, s=layer.stride: F.max_pool2d(x, k, s))
        elif isinstance(layer, nn.Flatten):
            ops.append(lambda x: x.flatten(1))
        elif not isinstance(layer, (nn.Sequential, nn.Identity, nn.Dropout, MLP, CNN)):
            raise TypeError(f"single_image_forward() does not know {type(layer).__name__} layers.")

    if features:
        ops = ops[:last_linear]

    def forward(x: torch.Tensor) -> torch.Tensor:
        x = x.contiguous(memory_format=torch.channels_last)
        for op in ops:
            x = op(x)
        return x

    return forward
