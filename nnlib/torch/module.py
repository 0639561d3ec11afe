"""The module protocol for the torch backend: devices, dtypes, checks, saving and loading."""
import torch

import nnlib.device
from nnlib._base import BaseModule, Parameter, SequentialMixin
from nnlib._checks import describe

__all__ = ["Parameter", "Module", "Sequential", "save", "load", "check_array", "default_device", "resolve_dtype"]

DEFAULT_DTYPE = torch.float32


def default_device() -> torch.device:
    """CUDA when a GPU is present, else Apple's MPS, else the CPU (see :mod:`nnlib.device`)."""
    return nnlib.device.default_device()


def resolve_dtype(dtype=None, device=None):
    """``(dtype, device)`` for new parameters: float32 on the default device unless told."""
    dtype = DEFAULT_DTYPE if dtype is None else dtype
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"parameters must have a floating torch dtype, got {dtype!r}")
    device = default_device() if device is None else torch.device(device)
    nnlib.device.check_dtype(device, dtype)  # MPS has no float64: say so before a layer fails
    return dtype, device


def check_array(who, x, dtype=None, device=None, name="input"):
    """Raise TypeError/ValueError unless ``x`` is a tensor (of ``dtype``, on ``device``, when given)."""
    if not isinstance(x, torch.Tensor):
        raise TypeError(
            f"{describe(who)} expects a torch.Tensor as {name}, got {type(x).__module__}.{type(x).__name__}; "
            f"convert with torch.as_tensor(x, device=...)"
        )
    if dtype is not None and x.dtype != dtype:
        raise TypeError(f"{describe(who)} expects {name} of dtype {dtype} (its parameters' dtype), got {x.dtype}")
    if dtype is None and not x.dtype.is_floating_point:
        raise TypeError(f"{describe(who)} expects a floating-point {name}, got dtype {x.dtype}")
    if device is not None and x.device != device:
        raise ValueError(
            f"{describe(who)} has its parameters on {device}, got {name} on {x.device}; move it with x.to({str(device)!r})"
        )


class Module(BaseModule):
    """Base class of every torch-backend layer: the same protocol as ``nnlib.numpy.Module``.

    The manual ``backward`` uses torch ops (so it runs on CUDA); ``forward`` uses
    differentiable ops only, so ``torch.autograd`` can check it.
    """

    def _copy(self, value):
        return value.detach().clone()

    def _assign(self, current, value, name):
        value = torch.as_tensor(value)
        if tuple(value.shape) != tuple(current.shape):
            raise ValueError(
                f"load_state_dict: '{name}' has shape {tuple(value.shape)}, the module expects {tuple(current.shape)}"
            )
        return value.detach().to(device=current.device, dtype=current.dtype).clone()

    def to(self, device=None, dtype=None):
        """Move parameters (and their gradients) and buffers to ``device``; cast floating ones to ``dtype``."""
        if dtype is not None and not dtype.is_floating_point:
            raise TypeError(f"to() casts parameters to a floating dtype, got {dtype}")

        def convert(t):
            cast = dtype if (dtype is not None and t.is_floating_point()) else None
            return t.to(device=device, dtype=cast)

        for m in self.modules():
            for name, value in vars(m).items():
                if isinstance(value, Parameter) and not name.startswith("_"):
                    value.data = convert(value.data)
                    value.grad = None if value.grad is None else convert(value.grad)
            for name in m._buffers:
                setattr(m, name, convert(getattr(m, name)))
        return self


class Sequential(SequentialMixin, Module):
    """Modules applied in order; backward runs them in reverse. Keys as ``torch.nn.Sequential``."""


def save(module_or_state, path) -> None:
    """Save a module's state dict (or a state dict) with ``torch.save`` (tensors only)."""
    state = module_or_state.state_dict() if isinstance(module_or_state, BaseModule) else module_or_state
    torch.save({k: v.detach().cpu() for k, v in state.items()}, path)


def load(path, map_location="cpu") -> dict:
    """Load a state dict saved by :func:`save`; ``weights_only=True`` never runs pickled code."""
    return torch.load(path, map_location=map_location, weights_only=True)
