"""Exercises of notebook 05, the multi-layer perceptron."""
import numpy as np

from nnlib.exercises import Exercise, ExerciseError, expect, expect_close, expect_function, register

# --- 05.1 count_parameters -----------------------------------------------------------------------
_SIZES = [[2, 1], [784, 128, 10], [3, 5, 5, 2], [64, 32, 16, 10], [1, 7, 1]]


def _count_parameters(sizes):
    return sum((d_in + 1) * d_out for d_in, d_out in zip(sizes[:-1], sizes[1:]))


register(Exercise(
    key="05.1", title="count_parameters",
    judge=lambda fn: expect_function(
        fn, _count_parameters, [(s,) for s in _SIZES],
        hint="layer l has a (d_l x d_{l-1}) weight matrix and d_l biases: (d_{l-1} + 1) * d_l parameters"),
    wrong_answers={
        "forgets the biases": lambda: (lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:]))),
        "one bias per input instead of per output": lambda: (
            lambda sizes: sum(a * (b + 1) for a, b in zip(sizes[:-1], sizes[1:]))),
        "gives the input layer biases too": lambda: (
            lambda sizes: sum(a * b for a, b in zip(sizes[:-1], sizes[1:])) + sum(sizes)),
    },
))


# --- 05.2 XOR by hand ----------------------------------------------------------------------------
_CORNERS = np.array([[0, 0], [0, 1], [1, 0], [1, 1]], dtype=float)
_XOR = np.array([[0], [1], [1], [0]], dtype=float)


def _layer_kinds(net):
    try:
        return [type(layer).__name__ for layer in net]
    except TypeError:
        return None


def _expect_architecture(net, kinds, shapes, what):
    """``net`` must be an nnlib Sequential with these layer classes and these Linear weight shapes."""
    found = _layer_kinds(net)
    expect(found == kinds, f"expected {what} = Sequential({', '.join(kinds)}), got "
                           f"{found if found is not None else type(net).__name__}.")
    got = [tuple(layer.weight.data.shape) for layer in net if hasattr(layer, "weight")]
    expect(got == shapes, f"expected Linear weights of shapes {shapes}, got {got}.")


def _judge_xor(net):
    _expect_architecture(net, ["Linear", "ReLU", "Linear"], [(2, 2), (1, 2)], "the network")
    out = np.asarray(net(_CORNERS.copy()), dtype=float)
    expect_close(out, _XOR, "the network's output on (0,0), (0,1), (1,0), (1,1)", atol=1e-9, rtol=0,
                 hint="let h1 = relu(x1 + x2) count the inputs that are on and h2 = relu(x1 + x2 - 1) say "
                      "'both are on'; XOR is then a linear combination of h1 and h2 (no bias needed)")


def _xor_net(w1, b1, w2, b2):
    import nnlib.numpy as nn

    net = nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))
    net[0].weight.data[...], net[0].bias.data[...] = w1, b1
    net[2].weight.data[...], net[2].bias.data[...] = w2, b2
    return net


def _untouched_xor_net():
    import nnlib
    import nnlib.numpy as nn

    nnlib.manual_seed(0)
    return nn.Sequential(nn.Linear(2, 2), nn.ReLU(), nn.Linear(2, 1))


def _tanh_xor_net():
    import nnlib.numpy as nn

    net = nn.Sequential(nn.Linear(2, 2), nn.Tanh(), nn.Linear(2, 1))
    net[0].weight.data[...], net[0].bias.data[...] = [[1, 1], [1, 1]], [0, -1]
    net[2].weight.data[...], net[2].bias.data[...] = [[1, -2]], 0
    return net


register(Exercise(
    key="05.2", title="XOR by hand",
    judge=_judge_xor,
    wrong_answers={
        "the random initial weights, untouched": _untouched_xor_net,
        "subtracts the 'both on' unit once: that is OR": lambda: _xor_net([[1, 1], [1, 1]], [0, -1], [[1, -1]], 0),
        "only the first hidden unit (counts the inputs that are on)": lambda: _xor_net(
            [[1, 1], [1, 1]], [0, -1], [[1, 0]], 0),
        "right weights, but tanh instead of ReLU": _tanh_xor_net,
    },
))


# --- 05.3 a bump from two sigmoids ---------------------------------------------------------------
_INSIDE = np.linspace(0.7, 1.3, 61)[:, None]
_OUTSIDE = np.r_[np.linspace(-3, 0.3, 67), np.linspace(1.7, 4, 47)][:, None]


def _judge_bump(net):
    _expect_architecture(net, ["Linear", "Sigmoid", "Linear"], [(2, 1), (1, 2)], "the network")
    hint = ("sigmoid(k (x - a)) steps from 0 to 1 at x = a; the difference of a step at 0.5 and a step at 1.5 "
            "is a bump on [0.5, 1.5]; make k large (about 20) and scale the difference by the height")
    inside, outside = np.asarray(net(_INSIDE.copy()), float), np.asarray(net(_OUTSIDE.copy()), float)
    if not (np.all(np.isfinite(inside)) and np.all(np.isfinite(outside))):
        raise ExerciseError(f"the output contains NaN or inf. Hint: {hint}")
    worst_in = float(np.max(np.abs(inside - 2.0)))
    worst_out = float(np.max(np.abs(outside)))
    expect(worst_in <= 0.05, f"on [0.7, 1.3] the output should be within 0.05 of 2, but it is off by up to "
                             f"{worst_in:.3g}. Hint: {hint}")
    expect(worst_out <= 0.05, f"for x <= 0.3 and x >= 1.7 the output should be within 0.05 of 0, but it reaches "
                              f"{worst_out:.3g} in absolute value. Hint: {hint}")


def _bump_net(w1, b1, w2, b2):
    import nnlib.numpy as nn

    net = nn.Sequential(nn.Linear(1, 2), nn.Sigmoid(), nn.Linear(2, 1))
    net[0].weight.data[...], net[0].bias.data[...] = w1, b1
    net[2].weight.data[...], net[2].bias.data[...] = w2, b2
    return net


register(Exercise(
    key="05.3", title="a bump from two sigmoids",
    judge=_judge_bump,
    wrong_answers={
        "adds the two steps instead of subtracting them": lambda: _bump_net(
            [[20], [20]], [-10, -30], [[2, 2]], 0),
        "steps too gentle (k = 2)": lambda: _bump_net([[2], [2]], [-1, -3], [[2, -2]], 0),
        "height 1 instead of 2": lambda: _bump_net([[20], [20]], [-10, -30], [[1, -1]], 0),
        "biases with the wrong sign: a bump on [-1.5, -0.5]": lambda: _bump_net(
            [[20], [20]], [10, 30], [[-2, 2]], 0),
    },
))
