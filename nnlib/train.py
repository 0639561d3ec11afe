"""A training loop for models of either backend: mini-batches, validation, early stopping, history.

Each step is the course's recipe, spelled out::

    model.zero_grad()
    loss = loss_fn(model(xb), yb)
    model.backward(loss_fn.backward())      # manual backprop, no autograd
    clip_grad_norm_(model.parameters(), clip_grad)   # optional
    optimizer.step()
"""
import math
import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np
from tqdm.auto import trange

import nnlib
from nnlib._checks import to_numpy
from nnlib._optim import clip_grad_norm_
from nnlib.data.prep import batches

__all__ = ["History", "fit", "predict", "evaluate"]


@dataclass
class History:
    """What :func:`fit` measured, one entry per epoch run.

    ``metrics`` maps ``'train_<name>'`` and ``'val_<name>'`` to per-epoch lists. ``best_epoch`` is
    the index (into these lists) of the lowest validation loss, or None without validation data.
    """

    train_loss: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    metrics: dict = field(default_factory=dict)
    lr: list = field(default_factory=list)
    seconds: list = field(default_factory=list)
    best_epoch: Optional[int] = None
    stopped_early: bool = False

    @property
    def epochs(self) -> int:
        return len(self.train_loss)

    def __repr__(self):
        last = f"train_loss={self.train_loss[-1]:.4g}" if self.train_loss else "no epochs"
        if self.val_loss:
            last += f", val_loss={self.val_loss[-1]:.4g}"
        return (
            f"History(epochs={self.epochs}, {last}, best_epoch={self.best_epoch}, "
            f"stopped_early={self.stopped_early})"
        )


# --- the model's backend ------------------------------------------------------------------------
def _namespace(model):
    """The array namespace ``xp`` of the backend the model was built with (``xp.BACKEND`` names it)."""
    xp = getattr(type(model), "xp", None)
    if xp is None or isinstance(xp, property):
        raise TypeError(f"fit expects a model built from nnlib.numpy or nnlib.torch, got {type(model).__name__}")
    return xp


def _as_model_input(model, a):
    """``a`` as the model computes: float data in the parameters' dtype (and device); integers as int64."""
    xp = _namespace(model)
    if not xp.is_array(a):  # lists, or arrays of the other backend
        a = xp.asarray(to_numpy(a))
    params = list(model.parameters())
    ref = params[0].data if params else None
    if ref is not None and xp.is_floating(a):
        return xp.asarray(a, dtype=ref.dtype, device=ref.device)
    if xp.is_integer(a):
        return xp.asarray(a, dtype=xp.int64, device=None if ref is None else ref.device)
    return a if ref is None else xp.asarray(a, device=ref.device)


def _current_lr(optimizer):
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        return float(groups[0]["lr"])
    lr = getattr(optimizer, "lr", None)
    return None if lr is None else float(lr)


def _check_xy(data, name):
    """``data`` as a pair ``(X, y)`` of equal, non-zero length."""
    if not isinstance(data, (tuple, list)) or len(data) != 2:
        raise TypeError(f"fit expects {name} as a pair (X, y), got {type(data).__name__}")
    X, y = data
    if len(X) != len(y):
        raise ValueError(f"fit expects {name} X and y of the same length, got {len(X)} and {len(y)}")
    if len(X) == 0:
        raise ValueError(f"fit got an empty {name}")
    return X, y


def _labels_or_outputs(outputs, y):
    """Class labels (argmax) for integer targets and (N, C) scores; the raw outputs otherwise."""
    if np.issubdtype(np.asarray(y).dtype, np.integer) and outputs.ndim == 2 and outputs.shape[1] > 1:
        return outputs.argmax(axis=1)
    return outputs


def _first_output(a):
    # recurrent models return (out, state): the outputs are what the loss sees
    return a[0] if isinstance(a, (tuple, list)) else a


def _not_finite_error(epoch, batch, where, value):
    return FloatingPointError(
        f"training diverged: {where} is {value} at epoch {epoch}, batch {batch}. Usual causes: a learning rate "
        f"too high (try 10x smaller), unnormalized inputs (standardize the features), or a log of 0 / "
        f"division by 0 in a hand-written loss (use a stable log-softmax, clip probabilities); "
        f"gradient clipping (clip_grad=1.0) helps against exploding gradients."
    )


# --- the parts of fit: one epoch, one evaluation, early stopping ----------------------------------
def _train_one_epoch(model, loss_fn, optimizer, X, y, batch_size, order_rng, clip_grad, epoch):
    """One pass over shuffled mini-batches of (X, y), one optimizer step each; returns the mean loss.

    Each step is the course's recipe (see the module docstring); a non-finite output or loss stops
    training with a message that names the epoch and the batch.
    """
    xp = _namespace(model)
    total, count = 0.0, 0
    for b, (xb, yb) in enumerate(batches(X, y, batch_size=batch_size, shuffle=True, seed=order_rng)):
        xb, yb = _as_model_input(model, xb), _as_model_input(model, yb)
        with xp.no_grad():  # the backward passes are manual: no autograd graph is needed
            model.zero_grad()
            out = model(xb)
            if not bool(xp.isfinite(_first_output(out)).all()):
                raise _not_finite_error(epoch + 1, b + 1, "the model's output", "non-finite (NaN or inf)")
            loss = float(loss_fn(out, yb))
            if not math.isfinite(loss):
                raise _not_finite_error(epoch + 1, b + 1, "the loss", loss)
            model.backward(loss_fn.backward())
            if clip_grad is not None:
                clip_grad_norm_(model.parameters(), clip_grad)
            optimizer.step()
        total += loss * len(xb)
        count += len(xb)
    return total / count


def _evaluate_epoch(model, loss_fn, history, metrics, train_data, val_data, batch_size):
    """Validation loss and metrics after an epoch, appended to ``history``; returns them for the progress bar.

    Metrics on the training set cost one more pass over it, so it is only made when metrics are asked for.
    """
    shown = {}
    evaluated = ([("train", *train_data)] if metrics else []) + ([("val", *val_data)] if val_data else [])
    for prefix, X, y in evaluated:
        outputs = predict(model, X, batch_size=max(batch_size, 512))
        if prefix == "val":
            history.val_loss.append(_loss_of(model, loss_fn, outputs, y))
            shown["val_loss"] = f"{history.val_loss[-1]:.4f}"
        y_np = to_numpy(y)
        for name, fn in metrics.items():
            value = float(fn(y_np, _labels_or_outputs(outputs, y_np)))
            history.metrics.setdefault(f"{prefix}_{name}", []).append(value)
            shown[f"{prefix}_{name}"] = f"{value:.4f}"
    return shown


class _EarlyStopping:
    """Tracks the lowest validation loss; with ``patience``, keeps that epoch's weights and says when to stop."""

    def __init__(self, patience):
        self.patience, self.best_loss, self.best_state, self.waited = patience, math.inf, None, 0

    def should_stop(self, model, history, epoch) -> bool:
        """Record this epoch's validation loss in ``history``; True after ``patience`` epochs without improvement."""
        if history.val_loss[-1] < self.best_loss:
            self.best_loss, history.best_epoch, self.waited = history.val_loss[-1], epoch, 0
            if self.patience is not None:
                self.best_state = model.state_dict()
            return False
        self.waited += 1
        history.stopped_early = self.patience is not None and self.waited >= self.patience
        return history.stopped_early

    def restore_best(self, model):
        if self.best_state is not None:
            model.load_state_dict(self.best_state)


# --- the loop ----------------------------------------------------------------------------------
def fit(
    model,
    loss_fn,
    optimizer,
    train_data,
    val_data=None,
    epochs=10,
    batch_size=32,
    seed=0,
    scheduler=None,
    patience=None,
    metrics=None,
    progress=True,
    clip_grad=None,
) -> History:
    """Train ``model`` on ``train_data = (X, y)`` for ``epochs`` passes of shuffled mini-batches.

    val_data: (X_val, y_val), evaluated after every epoch in eval mode. scheduler: stepped once
    per epoch. patience: stop when the validation loss has not improved for that many epochs, and
    restore the weights of the best epoch. metrics: ``{name: fn(y_true, y_pred)}`` computed on
    train and validation data each epoch; y_pred is argmax labels for integer targets with (N, C)
    outputs, the raw outputs otherwise. clip_grad: max global gradient norm. seed: the shuffling
    order and nnlib's generators (dropout masks), so a run repeats exactly; None leaves them alone.
    NumPy or tensor data is converted to the model's backend, dtype and device batch by batch.
    Returns a :class:`History`.
    """
    X, y = _check_xy(train_data, "train_data")
    if val_data is not None:
        val_data = _check_xy(val_data, "val_data")
    if patience is not None and (val_data is None or patience < 1):
        raise ValueError(f"fit: early stopping (patience={patience}) needs val_data and patience >= 1")
    if epochs < 0:
        raise ValueError(f"fit expects epochs >= 0, got {epochs}")
    _namespace(model)  # a clear error for a model from neither backend
    metrics = dict(metrics or {})
    if seed is not None:
        nnlib.manual_seed(seed)
    order_rng = np.random.default_rng(seed)

    history, stopper = History(), _EarlyStopping(patience)
    bar = trange(epochs, disable=not progress, desc="epochs", leave=True)
    try:
        for epoch in bar:
            start = time.perf_counter()
            history.lr.append(_current_lr(optimizer))
            model.train()
            history.train_loss.append(
                _train_one_epoch(model, loss_fn, optimizer, X, y, batch_size, order_rng, clip_grad, epoch)
            )
            shown = _evaluate_epoch(model, loss_fn, history, metrics, (X, y), val_data, batch_size)
            bar.set_postfix({"train_loss": f"{history.train_loss[-1]:.4f}", **shown})
            if scheduler is not None:
                scheduler.step()
            history.seconds.append(time.perf_counter() - start)
            if val_data is not None and stopper.should_stop(model, history, epoch):
                break
    finally:
        bar.close()
    stopper.restore_best(model)
    return history


def _loss_of(model, loss_fn, outputs, y):
    """The loss of whole-set outputs (one call; the losses average, so this equals the batch mean)."""
    with _namespace(model).no_grad():
        return float(loss_fn(_as_model_input(model, outputs), _as_model_input(model, y)))


def predict(model, X, batch_size=512) -> np.ndarray:
    """The model's outputs on ``X`` as a NumPy array, computed in eval mode in batches.

    The model's previous mode (train/eval) is restored afterwards.
    """
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with _namespace(model).no_grad():
            for xb in batches(X, batch_size=batch_size, shuffle=False):
                outputs.append(to_numpy(_first_output(model(_as_model_input(model, xb)))))
    finally:
        model.train(was_training)
    return np.concatenate(outputs, axis=0)


def evaluate(model, loss_fn, data, metrics=None, batch_size=512) -> dict:
    """``{'loss': ..., name: ...}`` of ``model`` on ``data = (X, y)`` in eval mode.

    metrics: ``{name: fn(y_true, y_pred)}`` with y_pred as in :func:`fit` (argmax labels for
    integer targets and (N, C) outputs).
    """
    X, y = _check_xy(data, "data")
    outputs = predict(model, X, batch_size)
    result = {"loss": _loss_of(model, loss_fn, outputs, y)}
    y_np = to_numpy(y)
    for name, fn in (metrics or {}).items():
        result[name] = float(fn(y_np, _labels_or_outputs(outputs, y_np)))
    return result
