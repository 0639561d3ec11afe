"""For code that takes NumPy arrays and torch tensors alike (metrics, plots, checks), without importing torch."""
import numpy as np


def is_tensor(a) -> bool:
    """True for a torch tensor (recognised by its methods, so NumPy users never import torch)."""
    return hasattr(a, "detach") and hasattr(a, "device")


def to_numpy(a) -> np.ndarray:
    """``a`` as a NumPy array; a tensor, on any device, is detached and copied to the CPU."""
    return a.detach().cpu().numpy() if is_tensor(a) else np.asarray(a)
