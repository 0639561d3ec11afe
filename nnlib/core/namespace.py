"""``array_namespace(x)``: the backend namespace ``xp`` of an array, for the shared functions.

A layer finds its namespace as ``self.xp`` (its backend's ``Module`` sets it); a plain function
such as :func:`nnlib.core.conv.im2col` has no ``self`` and asks its argument instead, as
``array_api_compat.array_namespace`` does. Tensors select ``nnlib.torch.xp`` (imported only then,
so NumPy users never import torch); anything else selects ``nnlib.numpy.xp``.
"""
import functools

from nnlib._checks import is_tensor

_TORCH_XP = None


def array_namespace(x):
    """``nnlib.torch.xp`` for a torch tensor, ``nnlib.numpy.xp`` for anything else."""
    global _TORCH_XP
    if is_tensor(x):
        if _TORCH_XP is None:
            from nnlib.torch import xp as _TORCH_XP
        return _TORCH_XP
    from nnlib.numpy import xp

    return xp


def manual_backward(fn):
    """Run ``fn``, a hand-written backward function, with torch's autograd off when its first
    argument is a tensor (it needs no graph); a layer's ``backward`` gets this from ``nnlib.torch.Module``."""

    @functools.wraps(fn)
    def without_autograd(*args, **kwargs):
        with array_namespace(args[0]).no_grad():
            return fn(*args, **kwargs)

    return without_autograd


def backend_class(module, name):
    """The class ``name`` (``"Linear"``) of ``module``'s backend: how a shared layer builds a sub-layer
    (``MultiheadAttention``'s ``out_proj``) in its own backend without naming NumPy or torch."""
    import importlib

    return getattr(importlib.import_module("nnlib." + module.xp.BACKEND), name)
