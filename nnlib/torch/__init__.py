"""nnlib.torch: the same API as nnlib.numpy, computed with torch tensors on any device.

    import nnlib.torch as nn
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))   # on CUDA when present

The layers are ``nnlib.core``'s (the code nnlib.numpy runs), computing with torch through
``nnlib/torch/xp.py``. Modules take ``device=`` and ``dtype=`` (default: CUDA when available,
float32) and have ``.to()``.
"""
import nnlib.core as _core
from nnlib.torch import init, xp
from nnlib.torch.module import Module, Parameter, Sequential, default_device, load, save
from nnlib.torch.optim import *  # noqa: F401,F403
from nnlib.torch.optim import __all__ as _optim_names
from nnlib.random import manual_seed

globals().update(_core.bind(Module))
BACKEND = xp.BACKEND
__all__ = ["init", "Module", "Parameter", "Sequential", "load", "save", "manual_seed", "BACKEND", "default_device"]
__all__ += [*_core.__all__, *_optim_names]
