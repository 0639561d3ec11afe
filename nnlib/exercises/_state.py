"""Judges that build seeded reference models must not disturb the learner's random state."""
from contextlib import contextmanager


@contextmanager
def generators_kept():
    """Restore nnlib's NumPy generator and torch's global generator after the block."""
    import torch

    import nnlib.random

    saved, saved_torch = nnlib.random._generator, torch.get_rng_state()
    try:
        yield
    finally:
        nnlib.random._generator = saved
        torch.set_rng_state(saved_torch)
