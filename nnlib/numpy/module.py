"""The module protocol for the NumPy backend: the namespace modules compute with, casting, saving and loading."""
import numpy as np

from nnlib._base import BaseModule, Parameter, SequentialMixin
from nnlib.numpy import xp
from nnlib.numpy.xp import check_array, resolve_dtype  # noqa: F401  (their home before nnlib.core)

__all__ = ["Parameter", "Module", "Sequential", "save", "load"]


class Module(BaseModule):
    """Base class of every NumPy layer: ``y = m(x)``, ``dx = m.backward(dy)`` (see ``nnlib._base``)."""

    xp = xp  # the shared layers (nnlib.core) compute with self.xp

    def _copy(self, value):
        return np.array(value, copy=True)

    def _assign(self, current, value, name):
        value = np.asarray(value)
        if value.shape != current.shape:
            raise ValueError(f"load_state_dict: '{name}' has shape {value.shape}, the module expects {current.shape}")
        return value.astype(current.dtype, copy=True)

    def to(self, device=None, dtype=None):
        """Cast floating parameters and buffers to ``dtype`` (NumPy: CPU only). Returns ``self``."""
        resolve_dtype(dtype, device)  # validates both
        if dtype is None:
            return self
        return self._convert_arrays(lambda a: a.astype(dtype) if np.issubdtype(a.dtype, np.floating) else a)


class Sequential(SequentialMixin, Module):
    """Modules applied in order; backward runs them in reverse. Keys as ``torch.nn.Sequential``."""


def save(module_or_state, path) -> None:
    """Save a module's state dict (or a state dict) to ``path`` as an uncompressed ``.npz``."""
    state = module_or_state.state_dict() if isinstance(module_or_state, BaseModule) else module_or_state
    np.savez(path, **{k: np.asarray(v) for k, v in state.items()})


def load(path) -> dict:
    """Load a state dict saved by :func:`save`. Never unpickles (``allow_pickle=False``)."""
    with np.load(path, allow_pickle=False) as f:
        return {k: f[k] for k in f.files}
