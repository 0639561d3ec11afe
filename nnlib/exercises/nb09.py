"""Exercises of notebook 09, depth and initialization (COURSE.md, section 5).

09.1 how much one ReLU layer multiplies the activations' spread; 09.2 the He standard deviation for a
leaky ReLU; 09.3 an initializer that keeps a 15-layer tanh network's signal without saturating it.
"""
import math

import numpy as np

from nnlib.exercises import Exercise, expect, expect_function, register
from nnlib.exercises.checks import NotAttempted


# --- 09.1 the growth factor of one ReLU layer -------------------------------------------------
def _growth_factor(n_in, s):
    # Var(z) = n_in s^2 E[h^2] and E[h^2] = Var(z_prev) / 2 behind a ReLU: the std is multiplied by this
    return math.sqrt(n_in * s ** 2 / 2)


_GROWTH_CASES = [(64, 1.0), (64, 0.01), (256, 0.1), (100, 0.5), (32, 0.25)]

register(Exercise(
    key="09.1", title="growth_factor",
    judge=lambda fn: expect_function(
        fn, _growth_factor, _GROWTH_CASES, "growth_factor",
        hint="Var(z) = n_in Var(w) E[h^2], a ReLU keeps E[h^2] = Var(z_prev) / 2, and the question asks for the "
             "factor on the standard deviation, the square root of the factor on the variance."),
    wrong_answers={
        "forgets that the ReLU zeroes half of z (no 1/2)": lambda: (lambda n_in, s: math.sqrt(n_in * s ** 2)),
        "the factor on the variance, not on the std": lambda: (lambda n_in, s: n_in * s ** 2 / 2),
        "s where s^2 belongs": lambda: (lambda n_in, s: math.sqrt(n_in * s / 2)),
    },
))


# --- 09.2 He for a leaky ReLU ----------------------------------------------------------------
def _leaky_he_std(fan_in, a):
    # n_in Var(w) (1 + a^2) / 2 = 1; torch.nn.init's gain sqrt(2 / (1 + a^2)) over sqrt(fan_in)
    return math.sqrt(2 / ((1 + a ** 2) * fan_in))


_LEAKY_CASES = [(64, 0.01), (100, 0.2), (256, 1.0), (30, 0.5)]

register(Exercise(
    key="09.2", title="leaky_he_std",
    judge=lambda fn: expect_function(
        fn, _leaky_he_std, _LEAKY_CASES, "leaky_he_std",
        hint="set n_in Var(w) (1 + a^2) / 2 = 1, solve for Var(w), and return its square root. "
             "With a = 1 the layer is linear: the answer is 1 / sqrt(fan_in)."),
    wrong_answers={
        "plain He, ignoring the slope": lambda: (lambda fan_in, a: math.sqrt(2 / fan_in)),
        "the variance, not the standard deviation": lambda: (lambda fan_in, a: 2 / ((1 + a ** 2) * fan_in)),
        "a where a^2 belongs": lambda: (lambda fan_in, a: math.sqrt(2 / ((1 + a) * fan_in))),
    },
))


# --- 09.3 a tanh initializer that neither fades nor saturates ----------------------------------
DEPTH, WIDTH = 15, 64
MIN_LAST_STD = 0.4      # the signal still there at the last hidden layer
MAX_SATURATED = 0.10    # at most this fraction of units in tanh's flat tails (|h| > 0.99) in any layer


def tanh_layer_outputs(init, X, depth=DEPTH, width=WIDTH, seed=0):
    """The outputs h_1..h_depth of a deep tanh MLP (biases 0, weights filled by ``init``) on X: a list of (N, width)."""
    import nnlib
    import nnlib.numpy as nn

    nnlib.manual_seed(seed)
    outputs, h = [], np.asarray(X, dtype=np.float64)
    n_in = h.shape[1]
    for _ in range(depth):
        linear = nn.Linear(n_in, width)
        returned = init(linear.weight)
        if returned is Ellipsis:
            raise NotAttempted("tanh_init")
        nn.init.zeros_(linear.bias)
        h = np.tanh(linear(h))
        outputs.append(h)
        n_in = width
    return outputs


def _judge_tanh_init(init, X):
    expect(callable(init), f"tanh_init: expected a function that fills a weight in place, got {type(init).__name__}.")
    with np.errstate(all="ignore"):
        outputs = tanh_layer_outputs(init, X)
    last_std = float(outputs[-1].std())
    expect(np.isfinite(last_std), "tanh_init: the activations are not finite. Hint: fill the weight with finite numbers.")
    saturated = [float(np.mean(np.abs(h) > 0.99)) for h in outputs]
    worst = int(np.argmax(saturated))
    expect(saturated[worst] <= MAX_SATURATED,
           f"tanh_init: {saturated[worst]:.0%} of the units of hidden layer {worst + 1} sit in tanh's flat tails "
           f"(|h| > 0.99, where tanh' < 0.02), more than {MAX_SATURATED:.0%}: the weights are too large, and the "
           "gradient through those units vanishes. Hint: scale Xavier's std by tanh's gain, once (not squared).")
    expect(last_std > MIN_LAST_STD,
           f"tanh_init: the last hidden layer's std is {last_std:.2f}, below {MIN_LAST_STD}: the signal still fades "
           "with depth. Hint: tanh's slope is below 1 away from 0, so Xavier's std needs a gain above 1: "
           "look at nn.init.calculate_gain.")


def _digits_batch():
    from nnlib.data import load_digits, standardize, train_val_test_split

    digits = load_digits()
    X_train, X_val, X_test, *_ = train_val_test_split(digits.data, digits.target, val=0.15, test=0.15, seed=0,
                                                      stratify=digits.target)
    return {"X": standardize(X_train, X_val, X_test)[0][:256]}


def _xavier(gain):
    def init(w):
        import nnlib.numpy as nn

        nn.init.xavier_normal_(w, gain=gain)
    return init


def _standard_normal(w):
    import nnlib.numpy as nn

    nn.init.normal_(w, 0.0, 1.0)


register(Exercise(
    key="09.3", title="tanh_init",
    judge=_judge_tanh_init,
    wrong_answers={
        "plain Xavier (gain 1): the signal fades": lambda X: _xavier(1.0),
        "N(0, 1): the signal stays, but the units saturate": lambda X: _standard_normal,
        "the gain squared, (5/3)^2, as if it scaled the variance": lambda X: _xavier((5 / 3) ** 2),
    },
    context=_digits_batch,
))
