"""``xp`` for torch: the names of ``nnlib/numpy/xp.py``, computed with torch tensors on any device.

torch accepts NumPy's argument names (``axis=``, ``keepdims=``) in its reductions, ``stack`` and
``concatenate``, so most names below are torch's own functions, imported under NumPy's name where
the two differ (``permute`` is ``permute_dims``, ``as_tensor`` is ``asarray``). The operations
spelled differently get one small function each. Besides the operations: what is really
per-backend (the default device, dtypes, the type and device checks).
"""
import contextlib

import torch
import torch.nn.functional as F
# re-exported: the shared code calls them as xp.<name>
from torch import abs, amax, arange, broadcast_to, concatenate, erf, exp, float64, int64, isfinite  # noqa: F401
from torch import isnan, log, log1p, ones, sigmoid, sign, sqrt, stack, tanh  # noqa: F401
from torch import cos, sin, where, zeros, zeros_like  # noqa: F401
from torch import as_tensor as asarray  # noqa: F401
from torch import permute as permute_dims  # noqa: F401

from nnlib._checks import describe

BACKEND = "torch"
DEFAULT_DTYPE = torch.float32
ARRAY = "a torch.Tensor"  # what error messages call this backend's arrays


# --- the operations NumPy and torch spell differently: one small function each ------------------
def max_argmax(x, axis):
    return tuple(x.max(dim=axis))  # one pass; torch's argmax alone is slower along a middle axis


def astype(x, dtype):
    return x.to(dtype)


def split(x, parts, axis):
    return torch.chunk(x, parts, dim=axis)


def pad2d(x, padding, value=0.0):
    ph, pw = padding
    return F.pad(x, (pw, pw, ph, ph), value=value)  # torch lists the last axis first


def windows2d(x, size, stride):
    (kh, kw), (sh, sw) = size, stride
    return x.unfold(2, kh, sh).unfold(3, kw, sw)


def add_at(target, indices, values):
    target.index_add_(0, indices.long(), values)


@torch.no_grad()
def fill_(target, values):
    target.copy_(torch.as_tensor(values, dtype=target.dtype))


def rand(shape, device=None):
    """Uniform draws in [0, 1) from torch's generator on ``device`` (``nnlib.manual_seed`` seeds it)."""
    return torch.rand(shape, device=device)


def errstate(**kwargs):
    """torch never warns about overflow or log(0): nothing to switch off."""
    return contextlib.nullcontext()


def no_grad():
    """A manual backward needs no autograd graph."""
    return torch.no_grad()


def is_array(x) -> bool:
    return isinstance(x, torch.Tensor)


def is_integer(x) -> bool:
    return not (x.dtype.is_floating_point or x.dtype.is_complex or x.dtype == torch.bool)


def is_floating(x) -> bool:
    return x.dtype.is_floating_point


# --- devices, dtypes and checks -------------------------------------------------------------------
def default_device() -> torch.device:
    """CUDA when a GPU is present, else Apple's MPS, else the CPU (see :mod:`nnlib.device`)."""
    from nnlib.device import default_device as chosen  # here, not at the top: xp's names are a namespace

    return chosen()


def resolve_dtype(dtype=None, device=None):
    """``(dtype, device)`` for new parameters: float32 on the default device unless told."""
    dtype = DEFAULT_DTYPE if dtype is None else dtype
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise TypeError(f"parameters must have a floating torch dtype, got {dtype!r}")
    device = default_device() if device is None else torch.device(device)
    from nnlib.device import check_dtype  # MPS has no float64: say so before a layer fails

    check_dtype(device, dtype)
    return dtype, device


def float_buffer(values):
    """Class or positive weights as a floating tensor (moved to the input's device and dtype when used)."""
    t = torch.as_tensor(values)
    return t if t.is_floating_point() else t.to(torch.float32)


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


def check_ids(who, ids, device=None):
    """Raise unless ``ids`` is a tensor of integers on ``device`` (Embedding's input)."""
    if not isinstance(ids, torch.Tensor):
        raise TypeError(
            f"{describe(who)} expects a torch.Tensor of integer ids, got {type(ids).__module__}.{type(ids).__name__}; "
            f"convert with torch.as_tensor(ids, device=...)"
        )
    if not is_integer(ids):
        raise TypeError(f"{describe(who)} expects integer ids, got dtype {ids.dtype}; convert with ids.long()")
    if device is not None and ids.device != device:
        raise ValueError(f"{describe(who)} has its weight on {device}, got ids on {ids.device}; move them with ids.to({str(device)!r})")
