"""The arithmetic of weight initialization, shared by ``nnlib.numpy.init`` and ``nnlib.torch.init``.

Gains, fans and standard deviations follow ``torch.nn.init``: for a weight of shape
``(out, in, *kernel)``, fan_in = in * prod(kernel) and fan_out = out * prod(kernel).
Both backends then draw from nnlib's NumPy generator in float64 and cast, so the same seed
gives the same weights in either backend.
"""
import math
import warnings

_LINEAR_FNS = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d")


def calculate_gain(nonlinearity, param=None) -> float:
    """The gain that keeps activations' variance steady through ``nonlinearity`` (torch.nn.init's table).

    linear / conv / sigmoid: 1, tanh: 5/3, relu: sqrt(2), leaky_relu: sqrt(2 / (1 + slope^2))
    (``param`` = negative slope, default 0.01), selu: 3/4.
    """
    if nonlinearity in _LINEAR_FNS or nonlinearity == "sigmoid":
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            negative_slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            negative_slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + negative_slope**2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"Unsupported nonlinearity {nonlinearity}")


def calculate_fan_in_and_fan_out(shape) -> tuple:
    """``(fan_in, fan_out)`` of a weight of shape ``(out, in, *kernel)``: in and out times the kernel size."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(
            "Fan in and fan out can not be computed for tensor with fewer than 2 dimensions "
            f"(got shape {shape}; biases are initialized with uniform_, normal_ or zeros_)"
        )
    receptive_field_size = math.prod(shape[2:])  # 1 for a (out, in) matrix
    return shape[1] * receptive_field_size, shape[0] * receptive_field_size


def xavier_std(shape, gain=1.0) -> float:
    """Glorot & Bengio (2010): std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    return gain * math.sqrt(2.0 / float(fan_in + fan_out))


def kaiming_std(shape, a=0, mode="fan_in", nonlinearity="leaky_relu") -> float:
    """He et al. (2015): std = gain / sqrt(fan), fan = fan_in (forward pass) or fan_out (backward pass)."""
    valid_modes = ["fan_in", "fan_out"]
    if mode.lower() not in valid_modes:
        raise ValueError(f"Mode {mode} not supported, please use one of {valid_modes}")
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    fan = fan_in if mode.lower() == "fan_in" else fan_out
    return calculate_gain(nonlinearity, a) / math.sqrt(fan)


def scaled_initializers(uniform_, normal_, constant_, target):
    """The initializers that only choose a scale, built on one backend's fill functions.

    ``uniform_(t, a, b, generator)``, ``normal_(t, mean, std, generator)`` and ``constant_(t, val)``
    fill in place; ``target(t, who)`` returns the array or tensor to fill (checked). Returns
    ``ones_, zeros_, xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_``.
    """

    def ones_(tensor):
        """Fill with ones."""
        return constant_(tensor, 1.0)

    def zeros_(tensor):
        """Fill with zeros (the usual start for biases)."""
        return constant_(tensor, 0.0)

    def xavier_uniform_(tensor, gain=1.0, generator=None):
        """Glorot uniform: U(-a, a), a = gain * sqrt(6 / (fan_in + fan_out)) = sqrt(3) * std.  tensor: (out, in, *kernel)."""
        a = math.sqrt(3.0) * xavier_std(target(tensor, "xavier_uniform_").shape, gain)
        return uniform_(tensor, -a, a, generator)

    def xavier_normal_(tensor, gain=1.0, generator=None):
        """Glorot normal: N(0, std^2), std = gain * sqrt(2 / (fan_in + fan_out)).  tensor: (out, in, *kernel)."""
        std = xavier_std(target(tensor, "xavier_normal_").shape, gain)
        return normal_(tensor, 0.0, std, generator)

    def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
        """He uniform: U(-bound, bound), bound = gain * sqrt(3 / fan) = sqrt(3) * std.  tensor: (out, in, *kernel).

        ``a``: the negative slope of the leaky ReLU that follows (used with ``'leaky_relu'`` only);
        ``mode``: ``'fan_in'`` keeps the forward activations' variance, ``'fan_out'`` the gradients'.
        """
        data = target(tensor, "kaiming_uniform_")
        if 0 in data.shape:
            warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
            return tensor
        bound = math.sqrt(3.0) * kaiming_std(data.shape, a, mode, nonlinearity)
        return uniform_(tensor, -bound, bound, generator)

    def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", generator=None):
        """He normal: N(0, std^2), std = gain / sqrt(fan).  tensor: (out, in, *kernel); ``a``, ``mode`` as kaiming_uniform_."""
        data = target(tensor, "kaiming_normal_")
        if 0 in data.shape:
            warnings.warn("Initializing zero-element tensors is a no-op", stacklevel=2)
            return tensor
        std = kaiming_std(data.shape, a, mode, nonlinearity)
        return normal_(tensor, 0.0, std, generator)

    functions = (ones_, zeros_, xavier_uniform_, xavier_normal_, kaiming_uniform_, kaiming_normal_)
    for fn in functions:
        fn.__qualname__ = fn.__name__  # help() shows nnlib.numpy.init.xavier_normal_, not a closure path
    return functions
