"""One seed for the whole library.

Initializers of BOTH backends draw from the NumPy generator kept here, so
``nnlib.numpy.Linear(3, 2)`` and ``nnlib.torch.Linear(3, 2)`` built after the same
``manual_seed`` start from identical weights. Random choices made on a torch device
(dropout masks) use torch's generator, which ``manual_seed`` seeds too.
"""
import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed: int) -> None:
    """Seed nnlib's NumPy generator and torch's global generators."""
    global _generator
    _generator = np.random.default_rng(seed)
    import torch  # local import: keeps `import nnlib.numpy` free of torch

    torch.manual_seed(seed)


def get_generator(generator=None) -> np.random.Generator:
    """The generator to draw from: the one given, a new one from an int seed, or nnlib's own."""
    if generator is None:
        return _generator
    if isinstance(generator, np.random.Generator):
        return generator
    if isinstance(generator, (int, np.integer)):
        return np.random.default_rng(int(generator))
    raise TypeError(f"generator must be None, an int seed or a numpy.random.Generator, got {type(generator).__name__}")


def uniform(low: float, high: float, shape, generator=None) -> np.ndarray:
    """Float64 draws from U(low, high): the one source of random initial weights for both backends."""
    return get_generator(generator).uniform(low, high, size=shape)


def normal(mean: float, std: float, shape, generator=None) -> np.ndarray:
    """Float64 draws from N(mean, std^2)."""
    return get_generator(generator).normal(mean, std, size=shape)
