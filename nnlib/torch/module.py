"""The module protocol for the torch backend: the namespace modules compute with, ``no_grad`` around
every manual backward, ``.to()``, saving and loading."""
import torch

from nnlib._base import BaseModule, Parameter, SequentialMixin
from nnlib.torch import xp
from nnlib.torch.xp import check_array, default_device, resolve_dtype  # noqa: F401  (their home before nnlib.core)

__all__ = ["Parameter", "Module", "Sequential", "save", "load", "default_device"]


class Module(BaseModule):
    """Base class of every torch-backend layer: the same protocol as ``nnlib.numpy.Module``.

    The manual ``backward`` uses torch ops (so it runs on CUDA); ``forward`` uses
    differentiable ops only, so ``torch.autograd`` can check it. Every subclass's ``backward``
    runs under ``torch.no_grad()``: a hand-written backward needs no autograd graph.
    """

    xp = xp  # the shared layers (nnlib.core) compute with self.xp

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if not getattr(cls.backward, "_without_autograd", False):
            cls.backward = torch.no_grad()(cls.backward)
            cls.backward._without_autograd = True

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

        return self._convert_arrays(convert)


class Sequential(SequentialMixin, Module):
    """Modules applied in order; backward runs them in reverse. Keys as ``torch.nn.Sequential``."""


def save(module_or_state, path) -> None:
    """Save a module's state dict (or a state dict) with ``torch.save`` (tensors only)."""
    state = module_or_state.state_dict() if isinstance(module_or_state, BaseModule) else module_or_state
    torch.save({k: v.detach().cpu() for k, v in state.items()}, path)


def load(path, map_location="cpu") -> dict:
    """Load a state dict saved by :func:`save`; ``weights_only=True`` never runs pickled code."""
    return torch.load(path, map_location=map_location, weights_only=True)
