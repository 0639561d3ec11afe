"""nnlib.torch: the same API as nnlib.numpy, computed with torch tensors on any device.

    import nnlib.torch as nn
    model = nn.Sequential(nn.Linear(64, 32), nn.ReLU(), nn.Linear(32, 10))   # on CUDA when present

Modules take ``device=`` and ``dtype=`` (default: CUDA when available, float32) and have ``.to()``.
"""
from nnlib.torch import init
from nnlib.torch.activations import *  # noqa: F401,F403
from nnlib.torch.conv import *  # noqa: F401,F403
from nnlib.torch.layers import *  # noqa: F401,F403
from nnlib.torch.losses import *  # noqa: F401,F403
from nnlib.torch.module import Module, Parameter, Sequential, default_device, load, save
from nnlib.torch.optim import *  # noqa: F401,F403
from nnlib.torch.recurrent import *  # noqa: F401,F403
from nnlib.random import manual_seed

BACKEND = "torch"
