"""``xp`` for NumPy: the array operations nnlib's shared code (``nnlib.core``) computes with.

The shared code spells every operation the NumPy way (``xp.exp``, ``x.sum(axis=1, keepdims=True)``,
``xp.concatenate``), so most names below are NumPy's own functions. ``nnlib/torch/xp.py`` maps the
same names onto torch. The few operations the two libraries spell differently are the small
functions further down, one each; this file and its torch twin are the only places they differ.
Besides the operations: what is really per-backend (the default dtype, devices, the type checks).
"""
import contextlib
import math

import numpy as np
# re-exported: the shared code calls them as xp.<name>
from numpy import abs, amax, arange, asarray, broadcast_to, concatenate, exp, float64, int64  # noqa: F401
from numpy import isfinite, isnan, log, log1p, ones, permute_dims, sign, sqrt, stack  # noqa: F401
from numpy import cos, sin, tanh, where, zeros, zeros_like  # noqa: F401
from numpy.lib.stride_tricks import sliding_window_view

from nnlib._checks import describe
from nnlib.random import get_generator

BACKEND = "numpy"
DEFAULT_DTYPE = np.float64
ARRAY = "a NumPy array"  # what error messages call this backend's arrays


# --- the operations NumPy and torch spell differently: one small function each ------------------
def sigmoid(x):
    """1 / (1 + exp(-x)), computed as (1 + tanh(x / 2)) / 2 (the same function: multiply the top and
    bottom by exp(x / 2)). NumPy has no sigmoid; tanh never overflows and is one vectorized pass,
    where exp-based formulas need several (LSTMs call this three times per time step)."""
    return 0.5 * (1.0 + np.tanh(0.5 * x))


def erf(x):
    """The error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt, elementwise. NumPy has none;
    the C library's ``math.erf`` is applied to each element (exact to rounding; slower than a ufunc)."""
    x = np.asarray(x)
    return np.frompyfunc(math.erf, 1, 1)(x).astype(x.dtype)


def max_argmax(x, axis):
    """The maximum along ``axis`` and the index of its first occurrence."""
    return x.max(axis=axis), x.argmax(axis=axis)


def astype(x, dtype):
    """``x`` in ``dtype`` (no copy when it already is)."""
    return x.astype(dtype, copy=False)


def split(x, parts, axis):
    """``parts`` equal blocks of ``x`` along ``axis`` (views)."""
    return np.split(x, parts, axis=axis)


def pad2d(x, padding, value=0.0):
    """Pad the last two axes by ``padding = (ph, pw)`` on both sides with ``value``."""
    ph, pw = padding
    return np.pad(x, [(0, 0)] * (x.ndim - 2) + [(ph, ph), (pw, pw)], constant_values=value)


def windows2d(x, size, stride):
    """(N, C, H, W) -> (N, C, H_out, W_out, kH, kW): the (kH, kW) window under each output pixel (a view)."""
    (kh, kw), (sh, sw) = size, stride
    return sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::sh, ::sw]


def add_at(target, indices, values):
    """target[indices[k]] += values[k] in place, repeated indices adding up (a plain ``+=`` would not)."""
    np.add.at(target, indices, values)


def fill_(target, values):
    """Overwrite ``target`` in place with ``values`` (a NumPy array or a number)."""
    target[...] = values


def rand(shape, device=None):
    """Uniform draws in [0, 1) from nnlib's generator (``nnlib.manual_seed`` seeds it)."""
    return get_generator().random(shape)


def errstate(**kwargs):
    """NumPy's floating-point warning switches (``np.errstate``)."""
    return np.errstate(**kwargs)


def no_grad():
    """Nothing to switch off: NumPy records no graph."""
    return contextlib.nullcontext()


def is_array(x) -> bool:
    return isinstance(x, np.ndarray)


def is_integer(x) -> bool:
    """An array of integers (booleans excluded)."""
    return np.issubdtype(x.dtype, np.integer)


def is_floating(x) -> bool:
    return np.issubdtype(x.dtype, np.floating)


# --- dtypes, devices and checks -------------------------------------------------------------------
def resolve_dtype(dtype=None, device=None):
    """``(dtype, device)`` for new parameters: float64 unless told; the device is always the CPU
    (``device`` is accepted so that code written for ``nnlib.torch`` runs unchanged)."""
    if device is not None and str(device) != "cpu":
        raise ValueError(f"nnlib.numpy computes on the CPU only, got device={device!r}")
    dtype = np.dtype(DEFAULT_DTYPE if dtype is None else dtype)
    if not np.issubdtype(dtype, np.floating):
        raise TypeError(f"parameters must have a floating dtype, got {dtype}")
    return dtype, "cpu"


def float_buffer(values):
    """Class or positive weights as a float64 array (cast to the input's dtype where used)."""
    return np.asarray(values, dtype=np.float64)


def check_array(who, x, dtype=None, device=None, name="input"):
    """Raise TypeError unless ``x`` is a NumPy array (of ``dtype`` when given; floating otherwise).
    ``device`` is accepted for the torch backend's signature: a NumPy array is always on the CPU."""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{describe(who)} expects a NumPy array as {name}, got {type(x).__module__}.{type(x).__name__}")
    if dtype is not None and x.dtype != dtype:
        raise TypeError(
            f"{describe(who)} expects {name} of dtype {np.dtype(dtype)} (its parameters' dtype), "
            f"got {x.dtype}; convert with x.astype(np.{np.dtype(dtype)})"
        )
    if dtype is None and not np.issubdtype(x.dtype, np.floating):
        raise TypeError(f"{describe(who)} expects a floating-point {name}, got dtype {x.dtype}")


def check_ids(who, ids, device=None):
    """Raise unless ``ids`` is a NumPy array of integers (Embedding's input)."""
    if not isinstance(ids, np.ndarray):
        raise TypeError(f"{describe(who)} expects a NumPy array of integer ids, got {type(ids).__module__}.{type(ids).__name__}")
    if not np.issubdtype(ids.dtype, np.integer):
        raise TypeError(f"{describe(who)} expects integer ids, got dtype {ids.dtype}; convert with ids.astype(np.int64)")
