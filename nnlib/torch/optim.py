"""Optimizers, learning-rate schedules and gradient clipping for nnlib.torch.

The update rules are plain array arithmetic, the same for NumPy arrays and torch tensors, so
they are written once, in ``nnlib._optim``, and re-exported here (``nnlib.numpy.SGD is nnlib.torch.SGD``).
"""
from nnlib._optim import (
    SGD,
    Adam,
    AdamW,
    CosineAnnealingLR,
    ExponentialLR,
    LinearLR,
    LRScheduler,
    Optimizer,
    RMSprop,
    SequentialLR,
    StepLR,
    clip_grad_norm_,
)

__all__ = [
    "Optimizer",
    "SGD",
    "RMSprop",
    "Adam",
    "AdamW",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
    "LinearLR",
    "SequentialLR",
    "clip_grad_norm_",
]
