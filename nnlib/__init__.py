"""nnlib: the companion library of *Neural Networks from First Principles*.

Two backends with one API::

    import nnlib.numpy as nn   # the readable reference: NumPy, manual forward/backward
    import nnlib.torch as nn   # the same equations in torch tensors, on CUDA when present

and backend-free helpers beside them: ``nnlib.data``, ``nnlib.metrics``,
``nnlib.gradcheck``, ``nnlib.train``, ``nnlib.plot``, ``nnlib.widgets``.
"""
import sys as _sys

from nnlib.random import manual_seed

if "IPython" in _sys.modules and _sys.modules["IPython"].get_ipython() is not None:
    # In a notebook: the course's plot style, and a text alternative on every figure shown.
    from nnlib.plot import install_figure_alt_text as _install

    _install()

__version__ = "0.1.0"
__all__ = ["manual_seed", "__version__"]
