"""Input checks shared by both backends: errors that name the module, what it expected, what came."""


def describe(who) -> str:
    """How an error names its source: a module's repr (``Linear(in_features=64, ...)``) or a plain name."""
    return who if isinstance(who, str) else repr(who)


def check_ndim(who, x, ndim, layout: str) -> None:
    """Raise ValueError unless ``x.ndim`` is ``ndim`` (an int or a tuple of allowed ints)."""
    allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
    if x.ndim not in allowed:
        raise ValueError(
            f"{describe(who)} expects input of shape {layout} ({' or '.join(map(str, allowed))}-D), "
            f"got a {x.ndim}-D input of shape {tuple(x.shape)}"
        )


def check_size(who, x, dim: int, size: int, what: str) -> None:
    """Raise ValueError unless ``x.shape[dim] == size``; ``what`` names that axis (e.g. 'features')."""
    if x.ndim == 0 or x.shape[dim] != size:
        raise ValueError(
            f"{describe(who)} expects {size} {what} in dimension {dim}, "
            f"got input of shape {tuple(x.shape)}"
        )


def check_same_shape(who, a, b, names=("input", "target")) -> None:
    """Raise ValueError unless two arrays have the same shape (losses: prediction vs target)."""
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError(
            f"{describe(who)} expects {names[0]} and {names[1]} of the same shape, "
            f"got {names[0]} {tuple(a.shape)} and {names[1]} {tuple(b.shape)}"
        )


def is_tensor(a) -> bool:
    """True for a torch tensor (recognised by its methods, so NumPy users never import torch)."""
    return hasattr(a, "detach") and hasattr(a, "device")


def to_numpy(a):
    """A NumPy array from an array, a tensor on any device, or a number (tensors are detached first).

    The one conversion used by every backend-free module (metrics, plot, gradcheck, train, exercises, data).
    """
    import numpy as np

    return a.detach().cpu().numpy() if is_tensor(a) else np.asarray(a)
