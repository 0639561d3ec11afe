"""nnlib: the companion library of *Neural Networks from First Principles*.

Two backends with one API::

    import nnlib.numpy as nn   # the readable reference: NumPy, manual forward/backward
    import nnlib.torch as nn   # the same equations in torch tensors, on CUDA when present

and backend-free helpers beside them: ``nnlib.data``, ``nnlib.metrics``,
``nnlib.gradcheck``, ``nnlib.train``, ``nnlib.plot``, ``nnlib.widgets``.
"""
from nnlib.random import manual_seed

__version__ = "0.1.0"
__all__ = ["manual_seed", "__version__"]
