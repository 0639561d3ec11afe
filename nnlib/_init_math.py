"""The arithmetic of weight initialization, shared by ``nnlib.numpy.init`` and ``nnlib.torch.init``.

Gains, fans and standard deviations follow ``torch.nn.init``: for a weight of shape
``(out, in, *kernel)``, fan_in = in * prod(kernel) and fan_out = out * prod(kernel).
Both backends then draw from nnlib's NumPy generator in float64 and cast, so the same seed
gives the same weights in either backend.
"""
import math

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
