"""nnlib: the companion library of *Neural Networks from First Principles*.

Two backends with one API::

    import nnlib.numpy as nn   # the readable reference: NumPy, manual forward/backward
    import nnlib.torch as nn   # the same equations in torch tensors, on CUDA when present

and backend-free helpers beside them: ``nnlib.data``, ``nnlib.metrics``,
``nnlib.gradcheck``, ``nnlib.train``, ``nnlib.plot``, ``nnlib.widgets``.

``nnlib.doctor()`` (or ``python -m nnlib doctor``) checks a machine for the course.
"""
import sys as _sys

from nnlib.random import manual_seed

if "IPython" in _sys.modules and _sys.modules["IPython"].get_ipython() is not None:
    # In a notebook: the course's plot style, and a text alternative on every figure shown.
    from nnlib.plot import install_figure_alt_text as _install

    _install()

__version__ = "0.1.0"
__all__ = ["manual_seed", "doctor", "__version__"]


def doctor(file=None):
    """Check this machine for the course: versions, the device ``nnlib.torch`` uses and why, a NumPy parity
    check on that device, its matmul speed, and what to do when a GPU is not used. Prints the report and
    returns it (see :mod:`nnlib.diagnose`); ``python -m nnlib doctor`` does the same from a terminal."""
    from nnlib.diagnose import doctor as run_doctor  # imported here: `import nnlib` stays free of torch

    return run_doctor(file)
