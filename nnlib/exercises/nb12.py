"""Exercises of notebook 12, convolution from scratch (COURSE.md, section 5).

12.1 the output size of a convolution; 12.2 a single-channel convolution by loops; 12.3 the weights
of a convolution and of the dense layer it replaces; 12.4 the backward pass of max pooling, judged
by finite differences and against ``MaxPool2d.backward``; 12.5 the receptive field of a stack of
layers.
"""
import numpy as np

from nnlib.exercises import Exercise, ExerciseError, expect, expect_close, expect_function, register
from nnlib.exercises._judging import expect_number
from nnlib.exercises.checks import NotAttempted


# --- 12.1 the output size -------------------------------------------------------------------------
def _conv_output_size(h, k, p, s):
    """The shape nnlib's Conv2d really produces on an (h, h) image (not the formula: the layer)."""
    from nnlib.numpy import Conv2d

    return Conv2d(1, 1, k, stride=s, padding=p)(np.zeros((1, 1, h, h))).shape[-1]


_SIZE_CASES = [(8, 3, 0, 1), (8, 3, 1, 1), (8, 3, 1, 2), (28, 5, 2, 1), (28, 5, 0, 2), (7, 2, 0, 3), (9, 4, 1, 2),
               (10, 3, 2, 3)]

register(Exercise(
    key="12.1", title="conv_output_size",
    judge=lambda fn: expect_function(
        fn, _conv_output_size, _SIZE_CASES, "conv_output_size",
        hint="count the padded pixels (padding on BOTH sides), subtract what the kernel needs, then count the "
             "steps of size s, and do not forget the window that starts at 0"),
    wrong_answers={
        "forgets the padding": lambda: (lambda h, k, p, s: (h - k) // s + 1),
        "pads one side only": lambda: (lambda h, k, p, s: (h + p - k) // s + 1),
        "forgets the + 1 (the first window)": lambda: (lambda h, k, p, s: (h + 2 * p - k) // s),
        "rounds up instead of down": lambda: (lambda h, k, p, s: -(-(h + 2 * p - k) // s) + 1),
    },
))


# --- 12.2 one channel, by loops --------------------------------------------------------------------
def _conv2d_single(image, kernel):
    from nnlib.numpy import conv2d_forward

    return conv2d_forward(np.asarray(image, dtype=np.float64)[None, None], np.asarray(kernel, dtype=np.float64)[None, None])[0, 0]


_rng = np.random.default_rng(12)
_SINGLE_CASES = [
    (_rng.normal(size=(5, 5)), _rng.normal(size=(3, 3))),
    (_rng.normal(size=(6, 9)), _rng.normal(size=(2, 4))),      # neither square nor symmetric
    (np.triu(np.ones((8, 8))), np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])),
]

register(Exercise(
    key="12.2", title="conv2d_single",
    judge=lambda fn: expect_function(
        fn, _conv2d_single, _SINGLE_CASES, "conv2d_single",
        hint="out[i, j] = sum(image[i:i+kH, j:j+kW] * kernel), for i < H - kH + 1 and j < W - kW + 1; "
             "do not flip the kernel"),
    wrong_answers={
        "flips the kernel (the mathematicians' convolution)":
            lambda: (lambda image, kernel: _conv2d_single(image, np.asarray(kernel)[::-1, ::-1])),
        "transposes the kernel": lambda: (lambda image, kernel: _conv2d_single(image, np.asarray(kernel).T)),
        "pads to keep the image's size":
            lambda: (lambda image, kernel: _conv2d_single(np.pad(image, ((1, 1), (1, 1))), kernel)),
    },
))


# --- 12.3 weights of a convolution and of the dense layer it replaces -------------------------------
_CONV_PARAMS = 16 * 3 * 5 * 5 + 16
_DENSE_PARAMS = (3 * 32 * 32) * (16 * 32 * 32) + 16 * 32 * 32


def _judge_counts(answer):
    if not isinstance(answer, tuple) or len(answer) != 2:
        raise ExerciseError(f"expected the pair (conv_params, dense_params), got {type(answer).__name__}.")
    if any(a is None or a is Ellipsis for a in answer):
        raise NotAttempted("12.3")
    expect_number(answer[0], _CONV_PARAMS, "conv_params", atol=0.5,
                  hint="C_out * C_in * kH * kW weights, plus one bias per output channel")
    expect_number(answer[1], _DENSE_PARAMS, "dense_params", atol=0.5,
                  hint="padding 2 keeps the 32 x 32 size, so the output has 16 x 32 x 32 values; each is connected "
                       "to all 3 x 32 x 32 inputs, and each has its own bias")


register(Exercise(
    key="12.3", title="conv_params and dense_params",
    judge=_judge_counts,
    wrong_answers={
        "forgets the biases": lambda: (16 * 3 * 5 * 5, (3 * 32 * 32) * (16 * 32 * 32)),
        "forgets that a kernel spans all input channels": lambda: (16 * 5 * 5 + 16, _DENSE_PARAMS),
        "a dense layer with 16 outputs instead of 16 x 32 x 32": lambda: (_CONV_PARAMS, 3 * 32 * 32 * 16 + 16),
    },
))


# --- 12.4 the backward pass of max pooling -------------------------------------------------------------
def _reference_max_pool_backward(dy, x, kernel_size, stride):
    from nnlib.numpy import MaxPool2d

    pool = MaxPool2d(kernel_size, stride)
    pool(x)
    return pool.backward(dy)


def _pool_cases():
    rng = np.random.default_rng(124)
    cases = []
    for shape, k, s in (((2, 3, 6, 6), 2, 2), ((1, 2, 7, 7), 3, 2), ((2, 1, 5, 6), 2, 1)):
        x = rng.normal(size=shape)
        h_out, w_out = (shape[2] - k) // s + 1, (shape[3] - k) // s + 1
        cases.append((rng.normal(size=(*shape[:2], h_out, w_out)), x, k, s))
    return cases


_POOL_CASES = _pool_cases()
# ReLU outputs: whole windows of zeros, so the maximum is tied; the gradient goes to the first one (row-major)
_TIED = np.maximum(np.random.default_rng(7).normal(size=(1, 2, 6, 6)) - 0.8, 0.0)
_TIE_CASE = (np.random.default_rng(8).normal(size=(1, 2, 3, 3)), _TIED, 2, 2)


def _first_max_mask(window):
    mask = np.zeros_like(window)
    mask[np.unravel_index(np.argmax(window), window.shape)] = 1.0
    return mask


def _judge_max_pool_backward(fn):
    from nnlib.gradcheck import numerical_gradient
    from nnlib.numpy import MaxPool2d

    if not callable(fn):
        raise ExerciseError(f"expected a function max_pool2d_backward(dy, x, kernel_size, stride), got {type(fn).__name__}.")
    for i, (dy, x, k, s) in enumerate(_POOL_CASES):
        got = fn(dy.copy(), x.copy(), k, s)
        if got is None or got is Ellipsis:
            raise NotAttempted("12.4")
        pool = MaxPool2d(k, s)
        numeric = numerical_gradient(lambda z: float(np.sum(pool(z) * dy)), x.copy())
        expect_close(got, numeric, f"dx for kernel {k}, stride {s} (case {i + 1}) against finite differences",
                     atol=1e-6, hint="each output's gradient goes to the ONE input that was the maximum of its "
                                     "window; an input that is the maximum of several windows adds their gradients")
        expect_close(got, _reference_max_pool_backward(dy, x, k, s), f"dx for kernel {k}, stride {s} against "
                     "MaxPool2d.backward", atol=1e-12)
    dy, x, k, s = _TIE_CASE
    expect_close(fn(dy.copy(), x.copy(), k, s), _reference_max_pool_backward(dy, x, k, s),
                 "dx where a window's maximum is tied (ReLU zeros)",
                 hint="with ties, send the whole gradient to the FIRST maximum in row-major order (np.argmax of "
                      "the flattened window), as PyTorch does, not to every maximum")


def _max_pool_backward_with(route):
    """A backward that loops over the windows and lets ``route(window, g)`` say where g goes."""
    def backward(dy, x, kernel_size, stride):
        dx = np.zeros_like(x)
        for n in range(dy.shape[0]):
            for c in range(dy.shape[1]):
                for i in range(dy.shape[2]):
                    for j in range(dy.shape[3]):
                        rows, cols = slice(i * stride, i * stride + kernel_size), slice(j * stride, j * stride + kernel_size)
                        route(dx[n, c, rows, cols], x[n, c, rows, cols], dy[n, c, i, j])
        return dx
    return backward


def _add_to_first_max(dwin, xwin, g):
    dwin += _first_max_mask(xwin) * g


def _assign_to_first_max(dwin, xwin, g):
    mask = _first_max_mask(xwin).astype(bool)
    dwin[mask] = g                                   # overwrites what an overlapping window put there


def _add_to_every_max(dwin, xwin, g):
    dwin += (xwin == xwin.max()) * g


def _spread_evenly(dwin, xwin, g):
    dwin += g / xwin.size


def _mask_without_dy(dwin, xwin, g):
    dwin += _first_max_mask(xwin)


register(Exercise(
    key="12.4", title="max_pool2d_backward",
    judge=_judge_max_pool_backward,
    wrong_answers={
        "spreads dy evenly over the window (average pooling's backward)": lambda: _max_pool_backward_with(_spread_evenly),
        "assigns instead of adding where windows overlap": lambda: _max_pool_backward_with(_assign_to_first_max),
        "sends dy to every tied maximum": lambda: _max_pool_backward_with(_add_to_every_max),
        "marks the maxima but forgets dy": lambda: _max_pool_backward_with(_mask_without_dy),
    },
    notes="the right answer is _max_pool_backward_with(_add_to_first_max)",
))


# --- 12.5 the receptive field ----------------------------------------------------------------------------
def _receptive_field(layers):
    """r_l = r_{l-1} + (k_l - 1) j_{l-1},  j_l = j_{l-1} s_l,  r_0 = j_0 = 1 (Araujo et al., 2019)."""
    r, jump = 1, 1
    for k, s in layers:
        r += (k - 1) * jump
        jump *= s
    return r


_FIELD_CASES = [
    ([(3, 1)],),
    ([(3, 1)] * 3,),
    ([(3, 1), (2, 2), (3, 1), (2, 2), (3, 1)],),
    ([(5, 2), (3, 2), (3, 1)],),
    ([(1, 1), (3, 1)],),
    ([(7, 2), (3, 2), (3, 1), (3, 1)],),
]


def _field_ignoring_strides(layers):
    return 1 + sum(k - 1 for k, _ in layers)


def _field_with_own_stride(layers):
    r, jump = 1, 1
    for k, s in layers:
        jump *= s
        r += (k - 1) * jump
    return r


register(Exercise(
    key="12.5", title="receptive_field",
    judge=lambda fn: expect_function(
        fn, _receptive_field, _FIELD_CASES, "receptive_field",
        hint="keep two numbers while walking the layers from the input: the field r and the jump j (how many "
             "input pixels one step on the current map covers); a kernel k adds (k - 1) * j, and then a stride "
             "s multiplies j"),
    wrong_answers={
        "ignores the strides (adds k - 1 per layer)": lambda: _field_ignoring_strides,
        "multiplies by the layer's own stride before adding its kernel": lambda: _field_with_own_stride,
        "multiplies the kernel sizes": lambda: (lambda layers: int(np.prod([k for k, _ in layers]))),
    },
))
