"""nnlib.core: every layer, activation, loss, convolution and recurrent cell, written once.

``nnlib.numpy`` and ``nnlib.torch`` are this one implementation run on two array libraries. The
code here never names NumPy or torch: it computes with a backend namespace ``xp``, NumPy's
spelling of each operation (``xp.exp(x)``, ``x.sum(axis=1, keepdims=True)``, ``xp.concatenate``),
which each backend supplies in one short module, ``nnlib/numpy/xp.py`` and ``nnlib/torch/xp.py``.
A layer finds it as ``self.xp``; a plain function (``im2col``, ``lstm_cell_forward``) asks its
argument, ``array_namespace(x)``. The few operations the two libraries spell differently
(padding, sliding windows vs ``unfold``, ``np.add.at`` vs ``index_add_``, ``errstate``,
``no_grad``, random masks) are one small function each in those two files, side by side.

Why an alias module per backend and not the array API standard (``array-api-compat``)? The
reference should read as the NumPy the notebooks teach (``concatenate``, ``swapaxes``,
``axis=``), and torch already accepts those names and keywords, so ``nnlib/torch/xp.py`` is
mostly torch's own functions: nothing wraps a call at run time. The standard renames them
(``concat``, ``permute_dims``, ``astype``), its torch wrappers cost a Python call each (its
``matmul`` took 18 us against torch's 14 us on a (64, 128) matrix here), it would be one more
pinned dependency, and it has no padding, sliding windows, scatter-add or ``no_grad`` anyway,
so the per-backend shims would remain.

Each backend's ``__init__`` calls :func:`bind`: every class in the ``__all__`` of the modules
below becomes ``nnlib.numpy.<Name>`` (a subclass of the core class and of ``nnlib.numpy.Module``,
whose class attribute ``xp`` is the NumPy namespace) and ``nnlib.torch.<Name>`` likewise; plain
functions are exported as they are. In the torch backend every ``backward`` runs under
``torch.no_grad()`` (``nnlib.torch.Module`` wraps it), and forwards use differentiable operations
only, so ``torch.autograd`` can check the hand-written backwards.

How to add a layer (written once, for both backends)
-----------------------------------------------------
1. Write the class in the module of this package where it belongs (or a new module listed in
   ``MODULES`` below), deriving from ``Module`` (``nnlib._base.BaseModule``), and add its name to
   that module's ``__all__``. That is all: both backends export it, by the same name.
2. Compute with ``xp = self.xp`` and array methods NumPy and torch spell alike (``@``, ``.T`` of a
   matrix, ``.reshape``, ``.sum/.mean(axis=, keepdims=)``, ``.clip(min=)``, ``.swapaxes``,
   ``.argmax(axis=)``). Create arrays with ``xp.zeros(shape, dtype=x.dtype, device=x.device)``;
   parameters with ``self.xp.resolve_dtype(dtype, device)`` and ``self.xp.asarray(values, dtype=, device=)``.
   If an operation is missing from ``xp``, add it to BOTH ``nnlib/numpy/xp.py`` and
   ``nnlib/torch/xp.py`` (an import where torch accepts NumPy's spelling, else a small function).
3. ``forward`` checks its input (``self.xp.check_array``, ``nnlib._checks``), caches what backward
   needs in ``self._name`` attributes (private: never part of the state) and returns the output;
   ``backward(dy)`` ADDS parameter gradients with ``p.accumulate(...)`` and returns dL/dx. Its
   docstring gives the gradient equations and the notebook section that derives them.
4. Test it against ``torch.nn`` in both backends (``tests/parity.py``: ``check_parity``).

A minimal example, a layer y = scale * x with one learnable scalar per feature::

    from nnlib._base import BaseModule as Module, Parameter

    class Scale(Module):
        \"\"\"Scale: y = x * weight.  x: (*, features) -> y: same shape.\"\"\"

        def __init__(self, features, device=None, dtype=None):
            dtype, device = self.xp.resolve_dtype(dtype, device)
            self.features = features
            self.weight = Parameter(self.xp.ones(features, dtype=dtype, device=device))

        def forward(self, x):
            self.xp.check_array(self, x, self.weight.data.dtype, self.weight.data.device)
            self._x = x
            return x * self.weight.data

        def backward(self, dy):
            \"\"\"dx = dy * weight;  dweight = sum of dy * x over every axis but the last.\"\"\"
            self.weight.accumulate((dy * self._x).reshape(-1, self.features).sum(axis=0))
            return dy * self.weight.data

and ``"Scale"`` in that module's ``__all__``: ``nnlib.numpy.Scale(3)`` and ``nnlib.torch.Scale(3)`` exist.
"""
from nnlib._base import BaseModule
from nnlib.core import activations, attention, conv, layers, losses, recurrent

MODULES = (activations, layers, losses, conv, recurrent, attention)
__all__ = [name for module in MODULES for name in module.__all__]


def bind(Module):
    """``{name: object}`` for every name in ``__all__``, each class bound to the backend's ``Module``.

    A bound class subclasses the core class and the backend ``Module`` (the bound parent, when the
    core class derives from another public one, so ``isinstance`` works as the core hierarchy says),
    and is named as the core class, in the backend package (``nnlib.numpy.Linear``).
    """
    backend = Module.__module__.rsplit(".", 1)[0]  # 'nnlib.numpy'
    bound = {}

    def bind_class(cls):
        if cls not in bound:
            parents = tuple(bind_class(b) for b in cls.__bases__ if b.__name__ in __all__ and b.__module__.startswith(__name__))
            # no __doc__ of its own: help() shows the core class's (and doctest runs its examples once)
            namespace = {"__module__": backend, "__qualname__": cls.__name__}
            bound[cls] = type(cls.__name__, (cls, *parents) if parents else (cls, Module), namespace)
        return bound[cls]

    exported = {}
    for module in MODULES:
        for name in module.__all__:
            obj = getattr(module, name)
            exported[name] = bind_class(obj) if isinstance(obj, type) and issubclass(obj, BaseModule) else obj
    return exported
