"""Batched, on-the-fly augmentation for what a canvas produces after preprocessing.

Works on a whole batch at once, shape (N, 1, 28, 28), values in [0, 1] (before
standardization): stroke thickness by partial max/min pooling, then one
grid_sample for rotation, scale, shear, shift and elastic distortion together.
Random draws come from a torch.Generator, so a seed makes it repeatable.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class Augmentation:
    """Ranges of each random change; zero switches a change off."""

    thickness: float = 1.0  # stroke change, as a fraction of a 3x3 dilation (+) or erosion (-)
    rotation_deg: float = 15.0
    scale: float = 0.15  # zoom factor drawn from 1 +- scale
    shear: float = 0.2
    shift_px: float = 2.0
    elastic_px: float = 1.5  # largest displacement of the smooth random field, in pixels
    probability: float = 0.9  # share of the batch that is augmented at all

    def as_dict(self) -> dict:
        return asdict(self)


NONE = Augmentation(0, 0, 0, 0, 0, 0, 0)


def _uniform(n: int, bound: float, generator: torch.Generator) -> torch.Tensor:
    return (torch.rand(n, generator=generator) * 2 - 1) * bound


def change_thickness(x: torch.Tensor, amount: torch.Tensor) -> torch.Tensor:
    """Blend each image towards its 3x3 dilation (amount > 0) or erosion (amount < 0).

    `amount` has one value per image in [-1, 1]; 1 adds about 2 px of stroke width.
    Each image keeps its peak intensity.
    """
    dilated = F.max_pool2d(x, 3, stride=1, padding=1)
    eroded = -F.max_pool2d(-x, 3, stride=1, padding=1)
    a = amount.view(-1, 1, 1, 1)
    changed = torch.where(a >= 0, x + a * (dilated - x), x + (-a) * (eroded - x))
    # Erosion dims thin strokes; preprocessing always delivers full-strength ink, so restore the peak.
    peak = changed.amax(dim=(1, 2, 3), keepdim=True).clamp_min(1e-3)
    return changed * (x.amax(dim=(1, 2, 3), keepdim=True) / peak)


def random_affine(n: int, aug: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """(n, 2, 3) affine matrices in affine_grid's normalised coordinates."""
    angle = _uniform(n, math.radians(aug.rotation_deg), generator)
    zoom = 1 + _uniform(n, aug.scale, generator)
    shear = _uniform(n, aug.shear, generator)
    shift = _uniform(2 * n, aug.shift_px * 2 / 28, generator).view(n, 2)  # 28 px span 2 units
    cos, sin = torch.cos(angle), torch.sin(angle)
    theta = torch.zeros(n, 2, 3)
    # rotation @ shear, divided by zoom: affine_grid maps output to input, so /zoom enlarges.
    theta[:, 0, 0] = cos / zoom
    theta[:, 0, 1] = (cos * shear - sin) / zoom
    theta[:, 1, 0] = sin / zoom
    theta[:, 1, 1] = (sin * shear + cos) / zoom
    theta[:, :, 2] = shift
    return theta


def elastic_field(n: int, size: int, px: float, generator: torch.Generator) -> torch.Tensor:
    """A smooth random displacement field (n, size, size, 2), at most `px` pixels, for grid_sample."""
    coarse = torch.rand(n, 2, 4, 4, generator=generator) * 2 - 1
    field = F.interpolate(coarse, size=(size, size), mode="bicubic", align_corners=True)
    return field.permute(0, 2, 3, 1).clamp(-1, 1) * (px * 2 / size)


def augment(x: torch.Tensor, aug: Augmentation, generator: torch.Generator) -> torch.Tensor:
    """A randomly changed copy of the batch `x` (N, 1, H, W), values in [0, 1]."""
    n = x.shape[0]
    if aug.probability <= 0:
        return x.clone()
    chosen = torch.rand(n, generator=generator) < aug.probability
    if aug.thickness:
        # Thinning is capped at half a pixel a side: more erases MNIST's thinner digits.
        amount = (_uniform(n, aug.thickness, generator) * chosen).clamp_min(-0.6)
        x = change_thickness(x, amount)
    theta = random_affine(n, aug, generator)
    theta[~chosen] = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    if aug.elastic_px:
        grid = grid + elastic_field(n, x.shape[-1], aug.elastic_px, generator) * chosen.view(-1, 1, 1, 1)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False).clamp(0, 1)
