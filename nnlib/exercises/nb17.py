"""Exercises of notebook 17 (GPUs and speed): counting FLOPs, arithmetic intensity, the ridge point."""
import math
import numbers

from nnlib.exercises import Exercise, expect, expect_close, expect_function, register


# --- 17.1: the forward FLOPs of Conv2d(32, 64, 3, padding=1) on 128 maps of 4x4 -----------------------
def _conv_flops(batch=128, c_in=32, c_out=64, k=3, out=4):
    return 2 * batch * c_out * out * out * c_in * k * k


register(Exercise(
    key="17.1", title="conv_flops",
    judge=lambda answer: expect_close(
        answer, _conv_flops(), "conv_flops",
        hint="each of the N*C_out*H_out*W_out outputs is a dot product over a C_in x kH x kW patch, "
             "one multiply-add is 2 FLOPs, and padding 1 keeps the 4x4 size"),
    wrong_answers={
        "multiply-adds, not FLOPs (no factor 2)": lambda: _conv_flops() // 2,
        "forgets the sum over input channels": lambda: _conv_flops(c_in=1),
        "no padding: a 2x2 output": lambda: _conv_flops(out=2),
        "forward and backward (3x)": lambda: 3 * _conv_flops(),
    },
))


# --- 17.2: arithmetic intensity of a Linear layer's forward product -----------------------------------
def _linear_intensity(batch, in_features, out_features, itemsize):
    flops = 2 * batch * in_features * out_features
    moved = itemsize * (batch * in_features + out_features * in_features + batch * out_features)
    return flops / moved


_SHAPES = [(1, 512, 512, 4), (1024, 512, 512, 4), (32, 784, 10, 8), (7, 3, 5, 2)]

register(Exercise(
    key="17.2", title="linear_intensity",
    judge=lambda fn: expect_function(
        fn, _linear_intensity, _SHAPES, "linear_intensity", rtol=1e-9,
        hint="FLOPs = 2 N I O; bytes = itemsize x (numbers in x + numbers in W + numbers in y)"),
    wrong_answers={
        "no factor 2 in the FLOPs": lambda: (lambda n, i, o, s: _linear_intensity(n, i, o, s) / 2),
        "counts only the weights' bytes": lambda: (lambda n, i, o, s: 2 * n * i * o / (s * i * o)),
        "counts numbers, not bytes": lambda: (lambda n, i, o, s: _linear_intensity(n, i, o, 1)),
        "forgets writing y": lambda: (lambda n, i, o, s: 2 * n * i * o / (s * (n * i + o * i))),
    },
))


# --- 17.3: the smallest compute-bound square matmul on this machine -----------------------------------
def _judge_ridge_size(answer, *, peak, bandwidth):
    expect(isinstance(answer, numbers.Real) and not isinstance(answer, bool),
           f"expected a matrix size n (a number), got {type(answer).__name__}.")
    hint = ("an n x n float32 product does 2 n^3 FLOPs and moves 3 n^2 numbers of 4 bytes; its intensity must reach "
            "peak / bandwidth, and n is the smallest whole number for which it does")
    expect(float(answer) == round(float(answer)), f"a matrix size is a whole number, got {answer}. Hint: {hint}")
    n = int(round(float(answer)))
    exact = 6 * peak / bandwidth  # n / 6 = peak / bandwidth
    tol = 1e-12 * exact
    expect(n >= exact - tol,
           f"at n = {n} the roofline still says memory-bound (its intensity is below the ridge point). Hint: {hint}")
    expect(n - 1 < exact - tol,
           f"n = {n} is compute-bound, but so is a smaller size: the question asks for the smallest. Hint: {hint}")


register(Exercise(
    key="17.3", title="smallest_compute_bound_n",
    judge=_judge_ridge_size,
    context=lambda: {"peak": 1.0e11, "bandwidth": 2.2e10},     # ridge 4.55 FLOPs per byte: n = 27.3 -> 28
    wrong_answers={
        "rounds down: one size short of the ridge": lambda peak, bandwidth: math.floor(6 * peak / bandwidth),
        "the exact real value 6 peak / bandwidth, not a size": lambda peak, bandwidth: 6 * peak / bandwidth,
        "one size too many": lambda peak, bandwidth: math.ceil(6 * peak / bandwidth) + 1,
        "the ridge point itself (FLOPs per byte), not n": lambda peak, bandwidth: peak / bandwidth,
        "FLOPs without the factor 2": lambda peak, bandwidth: 3 * peak / bandwidth,
        "8-byte numbers (float64)": lambda peak, bandwidth: 12 * peak / bandwidth,
    },
))
