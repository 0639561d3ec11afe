"""The module protocol for the NumPy backend: the namespace modules compute with, casting, saving and loading."""
import numpy as np

from nnlib._base import BaseModule, Parameter, SequentialMixin
from nnlib._checks import to_numpy
from nnlib.numpy import xp
from nnlib.numpy.xp import check_array, resolve_dtype  # noqa: F401  (their home before nnlib.core)

__all__ = ["Parameter", "Module", "Sequential", "save", "load"]


class Module(BaseModule):
    """Base class of every NumPy layer: ``y = m(x)``, ``dx = m.backward(dy)`` (see ``nnlib._base``)."""

    xp = xp  # the shared layers (nnlib.core) compute with self.xp

    def _copy(self, value):
        return np.array(value, copy=True)

    def _assign(self, current, value, name):
        value = to_numpy(value)
        if value.dtype.kind not in "biuf":  # strings would be parsed into numbers by astype: refuse them
            raise TypeError(
                f"load_state_dict: '{name}' holds values of dtype {value.dtype}, the module expects numbers "
                f"(an array of {current.dtype})"
            )
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
    """Save a module's state dict (or a state dict) to exactly ``path`` as an uncompressed ``.npz`` archive.

    Written through an open file, so ``np.savez`` adds no ``.npz`` to a name without it: ``load(path)``
    reads what ``save(..., path)`` wrote, as ``torch.save``/``torch.load`` do.
    """
    state = module_or_state.state_dict() if isinstance(module_or_state, BaseModule) else module_or_state
    arrays = {}
    for key, value in state.items():
        arrays[key] = to_numpy(value)
        if arrays[key].dtype.kind not in "biuf":
            raise TypeError(f"nnlib.numpy.save expects arrays of numbers, got {key!r} of dtype {arrays[key].dtype}")
    with open(path, "wb") as f:
        np.savez(f, **arrays)


def load(path) -> dict:
    """Load a state dict saved by :func:`save`. Never unpickles (``allow_pickle=False``).

    Refuses, with a ValueError that says what the file is, anything else: a single ``.npy`` array,
    pickled objects, or a ``torch.save`` file (a zip archive too, but of pickled tensors).
    """
    try:
        f = np.load(path, allow_pickle=False)
    except ValueError as error:  # NumPy reads anything that is neither .npy nor a zip as a pickle
        raise ValueError(
            f"nnlib.numpy.load: {str(path)!r} is not a state dict saved by nnlib.numpy.save (NumPy took it for "
            f"pickled data, which it never unpickles); a torch.save file loads with nnlib.torch.load"
        ) from error
    if not isinstance(f, np.lib.npyio.NpzFile):
        raise ValueError(
            f"nnlib.numpy.load expects a state dict saved by nnlib.numpy.save (an .npz archive of named arrays), "
            f"got the single array file {str(path)!r}"
        )
    with f:
        others = [name for name in f.zip.namelist() if not name.endswith(".npy")]
        if others:
            torch_file = any(name.endswith("data.pkl") for name in others)
            raise ValueError(
                f"nnlib.numpy.load: {str(path)!r} is not a state dict saved by nnlib.numpy.save: the archive holds "
                f"{others[:3]}, not arrays"
                + (" (a torch.save file: load it with nnlib.torch.load)" if torch_file else "")
            )
        return {k: f[k] for k in f.files}
