"""Exercises of notebook 11, batch normalization and schedules (COURSE.md, section 5).

11.1 batch norm's forward pass in training mode; 11.2 its backward pass, checked by finite differences
(``nnlib.gradcheck``) and against ``nn.BatchNorm1d.backward``; 11.3 the cosine schedule; 11.4 folding a
trained batch norm into an affine map.
"""
import copy
import math

import numpy as np

from nnlib.exercises import Exercise, expect, expect_close, expect_function, register
from nnlib.exercises.checks import NotAttempted

EPS = 1e-5


def _bn_forward(x, gamma, beta, eps=EPS):
    # normalize each feature (column) with the batch's mean and BIASED variance, then scale and shift
    x_hat = (x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)
    return gamma * x_hat + beta


def _cases(seed, shapes):
    rng = np.random.default_rng(seed)
    cases = []
    for n, c in shapes:
        x = rng.normal(loc=rng.uniform(-3, 3, c), scale=rng.uniform(0.5, 4, c), size=(n, c))
        cases.append((x, rng.normal(1.0, 0.5, c), rng.normal(0.0, 1.0, c)))
    return cases


# --- 11.1 the forward pass ---------------------------------------------------------------------
_FORWARD_CASES = _cases(11, [(16, 4), (5, 3), (64, 6)])

register(Exercise(
    key="11.1", title="batch_norm_forward",
    judge=lambda fn: expect_function(
        fn, _bn_forward, _FORWARD_CASES, "batch_norm_forward",
        hint="for each feature (axis=0, over the examples): subtract the batch mean, divide by sqrt(biased variance "
             "+ eps) (x.var(axis=0), not ddof=1: the unbiased one only enters the running estimate), then "
             "multiply by gamma and add beta."),
    wrong_answers={
        "the unbiased variance (ddof=1)": lambda: (
            lambda x, g, b, eps=EPS: g * (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps) + b),
        "normalizes each example over its features (axis=1: that is layer norm)": lambda: (
            lambda x, g, b, eps=EPS: g * (x - x.mean(1, keepdims=True)) / np.sqrt(x.var(1, keepdims=True) + eps) + b),
        "forgets gamma and beta": lambda: (lambda x, g, b, eps=EPS: (x - x.mean(0)) / np.sqrt(x.var(0) + eps)),
    },
))


# --- 11.2 the backward pass --------------------------------------------------------------------
def _bn_backward(dy, x, gamma, eps=EPS):
    """dx = (gamma / (N s)) (N dy - sum dy - x_hat sum(dy x_hat)), dgamma = sum dy x_hat, dbeta = sum dy."""
    n = x.shape[0]
    s = np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) / s
    dx = gamma / (n * s) * (n * dy - dy.sum(axis=0) - x_hat * (dy * x_hat).sum(axis=0))
    return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


def _learner_batch_norm(fn, gamma, beta):
    """A training-mode nn.BatchNorm1d whose backward is ``fn(dy, x, gamma, eps) -> (dx, dgamma, dbeta)``."""
    import nnlib.numpy as nn

    class LearnerBatchNorm1d(nn.BatchNorm1d):
        def forward(self, x):
            self._x_in = x
            return super().forward(x)

        def backward(self, dy):
            result = fn(dy, self._x_in, self.weight.data.copy(), self.eps)
            if result is None or result is Ellipsis:
                raise NotAttempted("batch_norm_backward")
            expect(isinstance(result, tuple) and len(result) == 3,
                   f"batch_norm_backward: expected a tuple (dx, dgamma, dbeta), got {type(result).__name__}.")
            dx, dgamma, dbeta = (np.asarray(r, dtype=np.float64) for r in result)
            for name, got, want in [("dx", dx, dy.shape), ("dgamma", dgamma, gamma.shape), ("dbeta", dbeta, gamma.shape)]:
                expect(got.shape == want, f"batch_norm_backward: {name} should have shape {want}, got {got.shape}.")
            self.weight.accumulate(dgamma)
            self.bias.accumulate(dbeta)
            return dx

    layer = LearnerBatchNorm1d(len(gamma), dtype=np.float64)
    layer.weight.data[...] = gamma
    layer.bias.data[...] = beta
    return layer


_BACKWARD_CASES = _cases(12, [(16, 4), (5, 3), (32, 5)])
_WHICH = {"input": "dx", "weight": "dgamma", "bias": "dbeta"}
_HINTS = {
    "dx": "x_hat depends on every x_m of the batch, through the batch mean AND the batch variance (biased, as in "
          "the forward pass): each path adds a term to dx, one with sum(dy), one with x_hat * sum(dy * x_hat), "
          "sums over the batch axis (section 2's last equation).",
    "dgamma": "y = gamma * x_hat + beta, so dgamma sums dy times the NORMALIZED input over the batch.",
    "dbeta": "dbeta sums dy over the batch axis.",
}


def _judge_bn_backward(fn):
    import nnlib.numpy as nn
    from nnlib.gradcheck import gradcheck

    expect(callable(fn), f"batch_norm_backward: expected a function, got {type(fn).__name__}.")
    for i, (x, gamma, beta) in enumerate(_BACKWARD_CASES):
        dy = np.random.default_rng(100 + i).standard_normal(x.shape)
        result = gradcheck(_learner_batch_norm(fn, gamma, beta), x, dy)   # finite differences of sum(bn(x) * dy)
        wrong = {_WHICH[k]: err for k, err in result.errors.items() if err > 1e-6}
        expect(not wrong,
               f"batch_norm_backward (test case {i + 1}, x of shape {x.shape}): "
               + ", ".join(f"{k} is off from finite differences by a relative error of {e:.1e}" for k, e in wrong.items())
               + ". Hint: " + " ".join(_HINTS[k] for k in wrong))
        reference = nn.BatchNorm1d(len(gamma), dtype=np.float64)
        reference.weight.data[...], reference.bias.data[...] = gamma, beta
        reference(x)
        dx = reference.backward(dy)
        expect_close(tuple(np.asarray(r) for r in fn(dy, x, gamma.copy(), EPS)),
                     (dx, reference.weight.grad, reference.bias.grad),
                     f"batch_norm_backward against nn.BatchNorm1d.backward (test case {i + 1})", atol=1e-8, rtol=1e-6)


def _constant_stats(dy, x, gamma, eps=EPS):
    # treats the batch mean and variance as constants
    s = np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) / s
    return gamma * dy / s, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


def _mean_path_only(dy, x, gamma, eps=EPS):
    # keeps the mean's path, forgets the variance's
    s = np.sqrt(x.var(axis=0) + eps)
    x_hat = (x - x.mean(axis=0)) / s
    return gamma * (dy - dy.mean(axis=0)) / s, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


def _dgamma_from_x(dy, x, gamma, eps=EPS):
    # dgamma = sum(dy * x): the raw input where the normalized one belongs
    dx, _, dbeta = _bn_backward(dy, x, gamma, eps)
    return dx, (dy * x).sum(axis=0), dbeta


def _unbiased(dy, x, gamma, eps=EPS):
    # normalizes with the unbiased variance, which the forward pass does not use
    n = x.shape[0]
    s = np.sqrt(x.var(axis=0, ddof=1) + eps)
    x_hat = (x - x.mean(axis=0)) / s
    dx = gamma / (n * s) * (n * dy - dy.sum(axis=0) - x_hat * (dy * x_hat).sum(axis=0))
    return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


register(Exercise(
    key="11.2", title="batch_norm_backward",
    judge=_judge_bn_backward,
    wrong_answers={
        "treats the batch mean and variance as constants": lambda: _constant_stats,
        "keeps the mean's path, forgets the variance's": lambda: _mean_path_only,
        "dgamma from x instead of x_hat": lambda: _dgamma_from_x,
        "the unbiased variance in s": lambda: _unbiased,
    },
))


# --- 11.3 the cosine schedule ------------------------------------------------------------------
def _scheduler_lr(epoch, base_lr, T_max, eta_min=0.0):
    # what nn.CosineAnnealingLR sets after `epoch` calls of step()
    import nnlib.numpy as nn

    optimizer = nn.SGD([nn.Parameter(np.zeros(1))], lr=base_lr)
    schedule = nn.CosineAnnealingLR(optimizer, T_max=T_max, eta_min=eta_min)
    for _ in range(epoch):
        optimizer.step()
        schedule.step()
    return optimizer.param_groups[0]["lr"]


_COSINE_CASES = [(0, 0.1, 10), (5, 0.1, 10), (10, 0.1, 10), (3, 1.0, 7, 0.01), (2, 0.5, 8, 0.1)]

register(Exercise(
    key="11.3", title="cosine_lr",
    judge=lambda fn: expect_function(
        fn, _scheduler_lr, _COSINE_CASES, "cosine_lr",
        hint="eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2: it starts at base_lr and reaches "
             "eta_min (not 0) at epoch T_max."),
    wrong_answers={
        "anneals to 0, ignoring eta_min": lambda: (
            lambda t, lr, T, eta_min=0.0: 0.5 * lr * (1 + math.cos(math.pi * t / T))),
        "forgets the 1/2": lambda: (
            lambda t, lr, T, eta_min=0.0: eta_min + (lr - eta_min) * (1 + math.cos(math.pi * t / T))),
        "a quarter period, cos(pi t / (2 T_max))": lambda: (
            lambda t, lr, T, eta_min=0.0: eta_min + (lr - eta_min) * math.cos(math.pi * t / (2 * T))),
    },
))


# --- 11.4 folding batch norm -------------------------------------------------------------------
def _judge_fold(fold, layer, x):
    layer.eval()
    result = fold(layer)
    if result is None or result is Ellipsis:
        raise NotAttempted("fold_batch_norm")
    expect(isinstance(result, tuple) and len(result) == 2,
           f"fold_batch_norm: expected a tuple (a, c), got {type(result).__name__}.")
    a, c = (np.asarray(r, dtype=np.float64) for r in result)
    expect(a.shape == c.shape == (layer.num_features,),
           f"fold_batch_norm: a and c should each have shape ({layer.num_features},), got {a.shape} and {c.shape}.")
    hint = ("in eval mode y = weight * (x - running_mean) / sqrt(running_var + eps) + bias: read off the factor of x "
            "and the constant. Use the layer's running statistics, not those of a batch.")
    expect_close(x * a + c, layer(x), "x * a + c against the layer in eval mode", hint=hint)
    # A layer that was never trained by an optimizer has weight 1 and bias 0, so an answer that ignores them would
    # pass on it: fold a copy whose weight and bias are not 1 and 0 as well.
    other = copy.deepcopy(layer)
    other.weight.data[...] = np.linspace(1.5, -0.5, layer.num_features)
    other.bias.data[...] = np.linspace(-0.3, 0.7, layer.num_features)
    a2, c2 = (np.asarray(r, dtype=np.float64) for r in fold(other))
    expect_close(x * a2 + c2, other(x), "x * a + c for a layer whose weight and bias are not 1 and 0",
                 hint="the layer's weight scales the normalized value and its bias shifts it: both belong in a and c")


def _trained_batch_norm():
    import nnlib.numpy as nn

    rng = np.random.default_rng(0)
    loc, scale = [5.0, -3.0, 0.0], [2.0, 0.5, 10.0]
    layer = nn.BatchNorm1d(3, dtype=np.float64)
    # like the notebook's layer: running statistics gathered, weight and bias still at their initial 1 and 0
    for _ in range(50):
        layer(rng.normal(loc=loc, scale=scale, size=(64, 3)))
    return {"layer": layer, "x": rng.normal(loc=loc, scale=scale, size=(64, 3))}


def _batch_statistics(x):
    def fold(layer):
        a = layer.weight.data / np.sqrt(x.var(axis=0) + layer.eps)
        return a, layer.bias.data - a * x.mean(axis=0)
    return fold


register(Exercise(
    key="11.4", title="fold_batch_norm",
    judge=_judge_fold,
    wrong_answers={
        "the statistics of the batch instead of the running ones": lambda layer, x: _batch_statistics(x),
        "divides by the variance, not its square root": lambda layer, x: (
            lambda bn: (bn.weight.data / (bn.running_var + bn.eps),
                        bn.bias.data - bn.weight.data / (bn.running_var + bn.eps) * bn.running_mean)),
        "ignores weight and bias (right only while they are 1 and 0)": lambda layer, x: (
            lambda bn: (1 / np.sqrt(bn.running_var + bn.eps), -bn.running_mean / np.sqrt(bn.running_var + bn.eps))),
        "c forgets to scale the mean": lambda layer, x: (
            lambda bn: (bn.weight.data / np.sqrt(bn.running_var + bn.eps), bn.bias.data - bn.running_mean)),
    },
    context=_trained_batch_norm,
))
