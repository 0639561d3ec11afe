"""Exercises of notebook 13, CNNs in practice (COURSE.md, section 5).

13.1 the parameters of the Fashion-MNIST CNN, counted by hand; 13.2 a vertical flip of a batch of
images; 13.3 the backward pass of global average pooling, judged by finite differences and against
``AdaptiveAvgPool2d(1).backward``.
"""
import numpy as np

from nnlib.exercises import Exercise, ExerciseError, expect_close, expect_function, register
from nnlib.exercises._judging import expect_number
from nnlib.exercises.checks import NotAttempted

# --- 13.1 the Fashion CNN's parameters ------------------------------------------------------------
# Conv2d(1, 8, 3) + BatchNorm2d(8) + Conv2d(8, 16, 3) + BatchNorm2d(16) + Linear(16 * 7 * 7, 10)
_CONVS = (8 * 1 * 9 + 8) + (16 * 8 * 9 + 16)
_NORMS = 2 * 8 + 2 * 16
_HEAD = 16 * 7 * 7 * 10 + 10
_FASHION_CNN = _CONVS + _NORMS + _HEAD

register(Exercise(
    key="13.1", title="fashion_cnn_params",
    judge=lambda n: expect_number(
        n, _FASHION_CNN, "fashion_cnn_params", atol=0.5,
        hint="conv: C_out * C_in * 3 * 3 + C_out; batch norm: 2 C (a scale and a shift per channel); the linear "
             "layer reads 16 channels of 7 x 7 (28 halved twice): 16 * 7 * 7 * 10 + 10"),
    wrong_answers={
        "forgets the batch norms": lambda: _CONVS + _HEAD,
        "forgets that the pooling halved the maps twice (16 x 14 x 14 inputs to the linear layer)":
            lambda: _CONVS + _NORMS + 16 * 14 * 14 * 10 + 10,
        "forgets the biases": lambda: (8 * 9 + 16 * 8 * 9) + _NORMS + 16 * 7 * 7 * 10,
    },
))


# --- 13.2 vertical flip ------------------------------------------------------------------------------
_rng = np.random.default_rng(13)
_FLIP_CASES = [_rng.normal(size=(3, 1, 5, 7)), _rng.normal(size=(2, 3, 4, 4)), _rng.normal(size=(1, 1, 8, 8))]

register(Exercise(
    key="13.2", title="vertical_flip",
    judge=lambda fn: expect_function(
        fn, lambda images: np.flip(images, axis=-2), _FLIP_CASES, "vertical_flip",
        hint="reverse the row axis, the second to last of (N, C, H, W); keep the images, channels and columns "
             "where they are"),
    wrong_answers={
        "mirrors left to right (the column axis)": lambda: (lambda images: images[..., ::-1]),
        "reverses the order of the images": lambda: (lambda images: images[::-1]),
        "transposes each image": lambda: (lambda images: np.swapaxes(images, -1, -2)),
    },
))


# --- 13.3 the backward pass of global average pooling ----------------------------------------------
def _gap_cases():
    rng = np.random.default_rng(133)
    return [(rng.normal(size=(n, c, 1, 1)), (n, c, h, w)) for n, c, h, w in ((2, 3, 4, 4), (1, 2, 3, 5), (3, 1, 8, 2))]


_GAP_CASES = _gap_cases()


def _judge_gap_backward(fn):
    from nnlib.gradcheck import numerical_gradient
    from nnlib.numpy import AdaptiveAvgPool2d

    if not callable(fn):
        raise ExerciseError(f"expected a function gap_backward(dy, input_shape), got {type(fn).__name__}.")
    rng = np.random.default_rng(7)
    for i, (dy, shape) in enumerate(_GAP_CASES):
        got = fn(dy.copy(), shape)
        if got is None or got is Ellipsis:
            raise NotAttempted("13.3")
        gap = AdaptiveAvgPool2d(1)
        x = rng.normal(size=shape)
        numeric = numerical_gradient(lambda z: float(np.sum(gap(z) * dy)), x)
        hint = ("g = (1 / HW) * sum over all H x W positions of the channel: every pixel of a channel gets an equal "
                "share of that channel's gradient; the result has the input's shape (N, C, H, W)")
        expect_close(got, numeric, f"dx for input shape {shape} (case {i + 1}) against finite differences", atol=1e-7,
                     hint=hint)
        gap(x)
        expect_close(got, gap.backward(dy), f"dx for input shape {shape} against AdaptiveAvgPool2d(1).backward",
                     atol=1e-12)


register(Exercise(
    key="13.3", title="gap_backward",
    judge=_judge_gap_backward,
    wrong_answers={
        "forgets to divide by H W": lambda: (lambda dy, shape: np.broadcast_to(dy, shape).copy()),
        "divides by H only": lambda: (lambda dy, shape: np.broadcast_to(dy / shape[2], shape).copy()),
        "sends the gradient to one pixel, as max pooling would":
            lambda: (lambda dy, shape: np.pad(dy, ((0, 0), (0, 0), (0, shape[2] - 1), (0, shape[3] - 1)))),
    },
))
