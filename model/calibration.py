"""Temperature scaling: one scalar T so that softmax(logits / T) is calibrated.

Fitted by minimising the negative log-likelihood on held-out data (Guo et al.,
2017). It never changes which class is most probable, only how sure it is.
"""

import torch
import torch.nn.functional as F


def fit_temperature(logits: torch.Tensor, labels: torch.Tensor, steps: int = 200) -> float:
    """The T > 0 minimising cross_entropy(logits / T, labels)."""
    log_t = torch.zeros(1, requires_grad=True)
    optimizer = torch.optim.LBFGS([log_t], lr=0.1, max_iter=steps)
    logits, labels = logits.detach().float().clone(), labels.detach().clone()

    def closure():
        optimizer.zero_grad()
        loss = F.cross_entropy(logits / log_t.exp(), labels)
        loss.backward()
        return loss

    optimizer.step(closure)
    return float(log_t.detach().exp())


def expected_calibration_error(probs: torch.Tensor, labels: torch.Tensor, bins: int = 15) -> float:
    """ECE: the mean |accuracy - confidence| over equal-width confidence bins, weighted by count."""
    confidence, predicted = probs.max(dim=1)
    correct = (predicted == labels).float()
    edges = torch.linspace(0, 1, bins + 1)
    ece = torch.zeros(())
    for lo, hi in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > lo) & (confidence <= hi)
        if in_bin.any():
            ece += in_bin.float().mean() * (correct[in_bin].mean() - confidence[in_bin].mean()).abs()
    return float(ece)


def unsure_threshold(confidences: dict[str, torch.Tensor], max_flagged: dict[str, float]) -> float:
    """The highest confidence threshold that flags at most max_flagged[name] of each set of real digits.

    An answer is "not sure" when its calibrated top probability is below the
    threshold. For each set (say MNIST and canvas-style digits) the threshold
    may be at most the max_flagged quantile of its top probabilities; the
    strictest set decides.
    """
    limits = [float(torch.quantile(confidences[name].float(), rate)) for name, rate in max_flagged.items()]
    return min(limits)
