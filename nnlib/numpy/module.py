"""The module protocol for the NumPy backend: checks, copies, saving and loading."""
import numpy as np

from nnlib._base import BaseModule, Parameter, SequentialMixin
from nnlib._checks import describe

__all__ = ["Parameter", "Module", "Sequential", "save", "load", "check_array", "resolve_dtype"]

DEFAULT_DTYPE = np.float64


def resolve_dtype(dtype=None, device=None):
    """The dtype new parameters get (float64 unless told). ``device`` exists so that code written
    for ``nnlib.torch`` runs unchanged; NumPy computes on the CPU only."""
    if device is not None and str(device) != "cpu":
        raise ValueError(f"nnlib.numpy computes on the CPU only, got device={device!r}")
    dtype = np.dtype(DEFAULT_DTYPE if dtype is None else dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"parameters must have a floating dtype, got {dtype}")
    return dtype


def check_array(who, x, dtype=None, name="input"):
    """Raise TypeError unless ``x`` is a NumPy array (of ``dtype`` when given; floating otherwise)."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{describe(who)} expects a NumPy array as {name}, got {type(x).__module__}.{type(x).__name__}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(
            f"{describe(who)} expects {name} of dtype {np.dtype(dtype)} (its parameters' dtype), "
            f"got {x.dtype}; convert with x.astype(np.{np.dtype(dtype)})"
        )
    if dtype is None and not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{describe(who)} expects a floating-point {name}, got dtype {x.dtype}")


class Module(BaseModule):
    """Base class of every NumPy layer: ``y = m(x)``, ``dx = m.backward(dy)`` (see ``nnlib._base``)."""

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
        for m in self.modules():
            for name, value in vars(m).items():
                if isinstance(value, Parameter) and not name.startswith("_"):
                    value.data = value.data.astype(dtype)
                    value.grad = None if value.grad is None else value.grad.astype(dtype)
            for name in m._buffers:
                value = getattr(m, name)
                if np.issubdtype(value.dtype, np.floating):
                    setattr(m, name, value.astype(dtype))
        return self


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
