"""Weight initializers (the names and formulas of ``torch.nn.init``), written once for both backends.

Every function fills ``tensor`` in place and returns it; ``tensor`` may also be a ``Parameter``
(its ``.data`` is filled). Random draws come from nnlib's NumPy generator (``generator``: an int
seed, a ``numpy.random.Generator``, or None for the one ``nnlib.manual_seed`` sets) in float64,
then are cast, so nnlib.numpy.init and nnlib.torch.init give identical values for one seed.
The gains, fans and standard deviations are torch.nn.init's (see ``nnlib._init_math``).
:func:`initializers` builds the functions for one backend (its checks name that backend).
"""
from nnlib._base import Parameter
from nnlib._init_math import calculate_gain, scaled_initializers
from nnlib.random import normal, uniform


def initializers(xp, module_name):
    """``{name: function}``: ``calculate_gain`` and the fill functions of ``module_name`` (e.g.
    ``'nnlib.numpy.init'``), filling arrays of the backend namespace ``xp``."""

    def target(tensor, who):
        """The array to fill: ``tensor`` itself or a Parameter's ``.data``; it must be a floating array of xp."""
        data = tensor.data if isinstance(tensor, Parameter) else tensor
        xp.check_array(f"{module_name}.{who}", data, name="tensor")
        return data

    def uniform_(tensor, a=0.0, b=1.0, generator=None):
        """Fill with draws from U(a, b)."""
        data = target(tensor, "uniform_")
        xp.fill_(data, uniform(a, b, tuple(data.shape), generator))
        return tensor

    def normal_(tensor, mean=0.0, std=1.0, generator=None):
        """Fill with draws from N(mean, std^2)."""
        data = target(tensor, "normal_")
        xp.fill_(data, normal(mean, std, tuple(data.shape), generator))
        return tensor

    def constant_(tensor, val):
        """Fill with the value ``val``."""
        xp.fill_(target(tensor, "constant_"), val)
        return tensor

    functions = {"calculate_gain": calculate_gain, "uniform_": uniform_, "normal_": normal_, "constant_": constant_}
    for fn in (uniform_, normal_, constant_):
        fn.__qualname__, fn.__module__ = fn.__name__, module_name  # help() shows nnlib.numpy.init.uniform_
    for fn in scaled_initializers(uniform_, normal_, constant_, target):
        fn.__module__ = module_name
        functions[fn.__name__] = fn
    return functions
