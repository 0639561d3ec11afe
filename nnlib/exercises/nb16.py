"""Exercises of notebook 16, LSTM and GRU (COURSE.md, section 5).

16.1 the parameter count of an LSTM layer; 16.2 perplexity from logits, computed stably; 16.3 the
seasonal naive forecast's error on the CO2 test weeks; 16.4 the backward pass of one GRU step,
checked by finite differences and against ``nnlib.numpy.GRUCell.backward``.
"""
import numpy as np

from nnlib.exercises import Exercise, NotAttempted, expect, expect_close, expect_function, register
from nnlib.gradcheck import numerical_gradient, relative_error


# --- 16.1 parameters of LSTM(input_size=10, hidden_size=20) --------------------------------------
def _lstm_parameters(C=10, H=20, gates=4, biases=2):
    return gates * H * (C + H + biases)


register(Exercise(
    key="16.1", title="lstm_parameters",
    judge=lambda answer: expect_close(
        answer, _lstm_parameters(), "lstm_parameters",
        hint="four gate blocks, each with an input matrix (H x C), a hidden matrix (H x H) and TWO bias "
             "vectors of H (torch keeps b_ih and b_hh)."),
    wrong_answers={
        "one bias per gate": lambda: _lstm_parameters(biases=1),
        "no biases": lambda: _lstm_parameters(biases=0),
        "forgets that there are four gates": lambda: _lstm_parameters(gates=1),
        "three blocks (a GRU's count)": lambda: _lstm_parameters(gates=3),
    },
))


# --- 16.2 perplexity ------------------------------------------------------------------------------
def _perplexity(logits, targets):
    """exp(mean cross-entropy), with a stable log-softmax.  logits: (n, V), targets: (n,) ints."""
    shifted = logits - logits.max(axis=1, keepdims=True)
    log_p = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    return np.exp(-log_p[np.arange(len(targets)), targets].mean())


def _perplexity_cases():
    rng = np.random.default_rng(16)
    return [(rng.standard_normal((6, 5)), rng.integers(0, 5, 6)),
            (3 * rng.standard_normal((10, 76)), rng.integers(0, 76, 10)),
            (np.array([[800.0, 0.0, -1.0], [0.0, 0.0, 0.0]]), np.array([1, 2]))]  # exp(800) overflows


_PPL_CASES = _perplexity_cases()


def _unstable_perplexity(logits, targets):
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
        return np.exp(-np.log(p[np.arange(len(targets)), targets]).mean())


def _cross_entropy(logits, targets):
    return np.log(_perplexity(logits, targets))


register(Exercise(
    key="16.2", title="perplexity",
    judge=lambda fn: expect_function(
        fn, _perplexity, _PPL_CASES, "perplexity",
        hint="log p = z - max(z) - log(sum(exp(z - max(z)))) row by row; pick log p at each target; "
             "perplexity = exp(-mean of those). Subtracting the row maximum keeps exp from overflowing."),
    wrong_answers={
        "the cross-entropy itself, without the exp": lambda: _cross_entropy,
        "exp of the summed, not the averaged, cross-entropy":
            lambda: (lambda logits, targets: np.exp(len(targets) * _cross_entropy(logits, targets))),
        "softmax without subtracting the maximum (overflows)": lambda: _unstable_perplexity,
    },
))


# --- 16.3 the seasonal naive forecast on the CO2 test weeks ---------------------------------------
WEEKS_PER_YEAR, HORIZON = 52, 4


def _seasonal_mse(series, first_test_target, season=WEEKS_PER_YEAR, horizon=HORIZON, change="seasonal"):
    """MSE of forecast = last seen + (the same four weeks' change one season earlier), over the targets
    series[j], j >= first_test_target; the last week seen is k = j - horizon."""
    j = np.arange(first_test_target, len(series))
    k = j - horizon
    if change == "seasonal":
        forecast = series[k] + series[j - season] - series[k - season]
    elif change == "recent":          # the change over the last four weeks seen, carried forward
        forecast = series[k] + series[k] - series[k - horizon]
    else:                             # the naive forecast: the last week seen
        forecast = series[k]
    return float(np.mean((forecast - series[j]) ** 2))


def _co2_context():
    from nnlib.data import load_co2

    _, co2 = load_co2()
    t = np.arange(len(co2))
    filled = np.interp(t, t[~np.isnan(co2)], co2[~np.isnan(co2)])
    n_windows = len(co2) - (WEEKS_PER_YEAR + 1) - HORIZON + 1   # notebook 16: 53 levels per window
    n_train = int(0.8 * n_windows)
    return {"series": filled, "first_test_target": WEEKS_PER_YEAR + HORIZON + n_train}


register(Exercise(
    key="16.3", title="seasonal_mse",
    judge=lambda answer, series, first_test_target: expect_close(
        answer, _seasonal_mse(series, first_test_target), "seasonal_mse", rtol=1e-6,
        hint="for the last week seen k, forecast = filled[k] + (filled[k + 4 - 52] - filled[k - 52]): the change "
             "over the same four weeks a year (52 weeks) earlier; then the mean squared error against the "
             "4-weeks-ahead targets of the test windows."),
    wrong_answers={
        "the naive forecast's error (no seasonal change added)":
            lambda series, first_test_target: _seasonal_mse(series, first_test_target, change="none"),
        "the change over the last four weeks instead of a year earlier":
            lambda series, first_test_target: _seasonal_mse(series, first_test_target, change="recent"),
        "a year of 51 weeks (off by one)":
            lambda series, first_test_target: _seasonal_mse(series, first_test_target, season=51),
    },
    context=_co2_context,
))


# --- 16.4 backward through one GRU step -----------------------------------------------------------
def _sigmoid(a):
    return 1 / (1 + np.exp(-a))


def _gru_step(x, h, W_ih, W_hh, b_ih, b_hh):
    """torch.nn.GRUCell: r, z = sig(.), n = tanh(xw_n + r * hw_n), h' = (1 - z) n + z h."""
    xr, xz, xn = np.split(x @ W_ih.T + b_ih, 3, axis=1)
    hr, hz, hn = np.split(h @ W_hh.T + b_hh, 3, axis=1)
    r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    return (1 - z) * n + z * h


def _gru_step_backward(dh_new, x, h, W_ih, W_hh, b_ih, b_hh, variant="right"):
    """(dx, dh, dW_ih, dW_hh, db_ih, db_hh) of L = sum(dh_new * h'); ``variant`` builds the wrong answers."""
    xr, xz, xn = np.split(x @ W_ih.T + b_ih, 3, axis=1)
    hr, hz, hn = np.split(h @ W_hh.T + b_hh, 3, axis=1)
    r, z = _sigmoid(xr + hr), _sigmoid(xz + hz)
    n = np.tanh(xn + r * hn)
    dn = dh_new * (1 - z)
    da_n = dn * (1 - n ** 2)
    dz = dh_new * ((n - h) if variant == "sign of dz" else (h - n))
    da_z = dz * z * (1 - z)
    da_r = da_n * hn * r * (1 - r)
    d_xw = np.concatenate([da_r, da_z, da_n], axis=1)
    d_hw = np.concatenate([da_r, da_z, da_n if variant == "reset on h" else da_n * r], axis=1)
    dh = d_hw @ W_hh + (0 if variant == "no direct path" else dh_new * z)
    return d_xw @ W_ih, dh, d_xw.T @ x, d_hw.T @ h, d_xw.sum(axis=0), d_hw.sum(axis=0)


def _gru_cases():
    rng = np.random.default_rng(164)
    cases = []
    for N, C, H in ((3, 2, 3), (1, 4, 2), (5, 3, 4)):
        cases.append((rng.standard_normal((N, H)), rng.standard_normal((N, C)), rng.standard_normal((N, H)),
                      rng.uniform(-0.8, 0.8, (3 * H, C)), rng.uniform(-0.8, 0.8, (3 * H, H)),
                      rng.uniform(-0.5, 0.5, 3 * H), rng.uniform(-0.5, 0.5, 3 * H)))
    return cases


_GRU_CASES = _gru_cases()
_GRADIENT_NAMES = ("dx", "dh", "dW_ih", "dW_hh", "db_ih", "db_hh")
_GRU_HINT = ("walk h' = (1 - z) n + z h back: dn = dh' (1 - z), dz = dh' (h - n), and h gets dh' z directly; "
             "n = tanh(xw_n + r hw_n): the hidden product's n block receives da_n * r, the input's da_n; "
             "then sig' = s (1 - s), and dh adds d_hw W_hh.")


def _library_gru_backward(dh_new, x, h, W_ih, W_hh, b_ih, b_hh):
    import nnlib.numpy as nn

    cell = nn.GRUCell(x.shape[1], h.shape[1])
    cell.load_state_dict({"weight_ih": W_ih, "weight_hh": W_hh, "bias_ih": b_ih, "bias_hh": b_hh})
    cell(x, h)
    dx = cell.backward(dh_new)
    return (dx, cell.grad_hx, cell.weight_ih.grad, cell.weight_hh.grad, cell.bias_ih.grad, cell.bias_hh.grad)


def _judge_gru_backward(fn):
    expect(callable(fn), f"gru_step_backward: expected a function, got {type(fn).__name__}.")
    for i, case in enumerate(_GRU_CASES):
        dh_new, inputs = case[0], [a.copy() for a in case[1:]]
        got = fn(dh_new.copy(), *[a.copy() for a in inputs])
        if got is None or got is Ellipsis:
            raise NotAttempted("gru_step_backward")
        expect(isinstance(got, tuple) and len(got) == 6,
               f"gru_step_backward (test case {i + 1}): expected a tuple of six gradients {_GRADIENT_NAMES}, "
               f"got {type(got).__name__}{f' of length {len(got)}' if isinstance(got, (tuple, list)) else ''}.")
        for k, (name, g) in enumerate(zip(_GRADIENT_NAMES, got)):
            expect(np.shape(g) == inputs[k].shape,
                   f"gru_step_backward (test case {i + 1}): {name} has shape {np.shape(g)}, expected "
                   f"{inputs[k].shape}, the shape of what it is the gradient of. Hint: {_GRU_HINT}")

            # gradcheck: the central-difference gradient of L = sum(dh' * h') w.r.t. this argument
            def loss(_, inputs=inputs):
                return float(np.sum(dh_new * _gru_step(*inputs)))

            error = relative_error(np.asarray(g, dtype=np.float64), numerical_gradient(loss, inputs[k]))
            expect(error < 1e-6,
                   f"gru_step_backward (test case {i + 1}): {name} disagrees with the finite-difference gradient "
                   f"(relative error {error:.1e}). Hint: {_GRU_HINT}")
        expect_close(tuple(np.asarray(g, dtype=np.float64) for g in got), _library_gru_backward(dh_new, *inputs),
                     f"gru_step_backward (test case {i + 1}) against nnlib.numpy.GRUCell.backward",
                     atol=1e-9, rtol=1e-7)


register(Exercise(
    key="16.4", title="gru_step_backward",
    judge=_judge_gru_backward,
    wrong_answers={
        "the reset gate applied to h, as in the original paper (no r in the hidden product's n block)":
            lambda: (lambda *args: _gru_step_backward(*args, variant="reset on h")),
        "forgets that h reaches h' directly (the z * h term)":
            lambda: (lambda *args: _gru_step_backward(*args, variant="no direct path")),
        "dz with the wrong sign, (n - h) instead of (h - n)":
            lambda: (lambda *args: _gru_step_backward(*args, variant="sign of dz")),
    },
))
