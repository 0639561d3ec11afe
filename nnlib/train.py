"""A training loop for models of either backend: mini-batches, validation, early stopping, history.

Each step is the course's recipe, spelled out::

    model.zero_grad()
    loss = loss_fn(model(xb), yb)
    model.backward(loss_fn.backward())      # manual backprop, no autograd
    clip_grad_norm_(model.parameters(), clip_grad)   # optional
    optimizer.step()
"""
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

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


# --- backends ----------------------------------------------------------------------------------
def _torch_reference(model):
    """The first parameter's tensor for a torch-backend model, else None (a NumPy model)."""
    torch = sys.modules.get("torch")  # a model made of tensors means torch is already imported
    if torch is None:
        return None
    for p in model.parameters():
        return p.data if isinstance(p.data, torch.Tensor) else None
    return None


def _backend(model):
    if _torch_reference(model) is not None:
        import nnlib.torch as backend
    else:
        import nnlib.numpy as backend
    return backend


def _as_model_input(model, a):
    """``a`` as the model computes: float data in the parameters' dtype (and device); integers stay integer."""
    ref = _torch_reference(model)
    if ref is not None:
        import torch

        t = torch.as_tensor(a.detach() if isinstance(a, torch.Tensor) else np.asarray(a), device=ref.device)
        return t.to(ref.dtype) if t.is_floating_point() else t.long() if t.dtype != torch.bool else t
    a = a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)
    params = list(model.parameters())
    if params and np.issubdtype(a.dtype, np.floating):
        return a.astype(params[0].data.dtype, copy=False)
    if np.issubdtype(a.dtype, np.integer):
        return a.astype(np.int64, copy=False)
    return a


def _to_numpy(a):
    a = _first_output(a)
    return a.detach().cpu().numpy() if hasattr(a, "detach") else np.asarray(a)


def _no_grad(model):
    """torch.no_grad() for torch models (manual backward needs no autograd graph), else a null context."""
    if _torch_reference(model) is not None:
        import torch

        return torch.no_grad()
    import contextlib

    return contextlib.nullcontext()


def _current_lr(optimizer):
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        return float(groups[0]["lr"])
    lr = getattr(optimizer, "lr", None)
    return None if lr is None else float(lr)


def _pair(data, name):
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


def _all_finite(a):
    a = _first_output(a)
    if hasattr(a, "detach"):
        import torch

        return bool(torch.isfinite(a).all())
    return bool(np.isfinite(a).all())


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
    X, y = _pair(train_data, "train_data")
    if val_data is not None:
        val_data = _pair(val_data, "val_data")
    if patience is not None and (val_data is None or patience < 1):
        raise ValueError(f"fit: early stopping (patience={patience}) needs val_data and patience >= 1")
    if epochs < 0:
        raise ValueError(f"fit expects epochs >= 0, got {epochs}")
    metrics = dict(metrics or {})
    clip = getattr(_backend(model), "clip_grad_norm_", None) if clip_grad is not None else None
    if clip_grad is not None and clip is None:
        raise RuntimeError("fit(clip_grad=...) needs clip_grad_norm_ in the model's backend")
    if seed is not None:
        import nnlib

        nnlib.manual_seed(seed)
    order_rng = np.random.default_rng(seed)

    from tqdm.auto import trange

    history = History()
    best_loss, best_state, waited = math.inf, None, 0
    bar = trange(epochs, disable=not progress, desc="epochs", leave=True)
    try:
        for epoch in bar:
            start = time.perf_counter()
            history.lr.append(_current_lr(optimizer))
            model.train()
            total, count = 0.0, 0
            for b, (xb, yb) in enumerate(batches(X, y, batch_size=batch_size, shuffle=True, seed=order_rng)):
                xb, yb = _as_model_input(model, xb), _as_model_input(model, yb)
                with _no_grad(model):
                    model.zero_grad()
                    out = model(xb)
                    if not _all_finite(out):
                        raise _not_finite_error(epoch + 1, b + 1, "the model's output", "non-finite (NaN or inf)")
                    loss = float(loss_fn(out, yb))
                    if not math.isfinite(loss):
                        raise _not_finite_error(epoch + 1, b + 1, "the loss", loss)
                    model.backward(loss_fn.backward())
                    if clip is not None:
                        clip(model.parameters(), clip_grad)
                    optimizer.step()
                total += loss * len(xb)
                count += len(xb)
            history.train_loss.append(total / count)
            postfix = {"train_loss": f"{total / count:.4f}"}

            # metrics on the training set cost one more pass, so only when metrics are asked for
            evaluated = ([("train", X, y)] if metrics else []) + ([("val", *val_data)] if val_data else [])
            for prefix, Xe, ye in evaluated:
                outputs = predict(model, Xe, batch_size=max(batch_size, 512))
                if prefix == "val":
                    val_loss = _loss_of(model, loss_fn, outputs, ye)
                    history.val_loss.append(val_loss)
                    postfix["val_loss"] = f"{val_loss:.4f}"
                y_np = _to_numpy(ye)
                for name, fn in metrics.items():
                    value = float(fn(y_np, _labels_or_outputs(outputs, y_np)))
                    history.metrics.setdefault(f"{prefix}_{name}", []).append(value)
                    postfix[f"{prefix}_{name}"] = f"{value:.4f}"
            bar.set_postfix(postfix)
            if scheduler is not None:
                scheduler.step()
            history.seconds.append(time.perf_counter() - start)

            if val_data is not None:
                if history.val_loss[-1] < best_loss:
                    best_loss, history.best_epoch, waited = history.val_loss[-1], epoch, 0
                    if patience is not None:
                        best_state = model.state_dict()
                else:
                    waited += 1
                    if patience is not None and waited >= patience:
                        history.stopped_early = True
                        break
    finally:
        bar.close()
    if best_state is not None:
        model.load_state_dict(best_state)
    return history


def _loss_of(model, loss_fn, outputs, y):
    """The loss of whole-set outputs (one call; the losses average, so this equals the batch mean)."""
    with _no_grad(model):
        return float(loss_fn(_as_model_input(model, outputs), _as_model_input(model, y)))


def predict(model, X, batch_size=512) -> np.ndarray:
    """The model's outputs on ``X`` as a NumPy array, computed in eval mode in batches.

    The model's previous mode (train/eval) is restored afterwards.
    """
    was_training = model.training
    model.eval()
    outputs = []
    try:
        with _no_grad(model):
            for xb in batches(X, batch_size=batch_size, shuffle=False):
                outputs.append(_to_numpy(model(_as_model_input(model, xb))))
    finally:
        model.train(was_training)
    return np.concatenate(outputs, axis=0)


def evaluate(model, loss_fn, data, metrics=None, batch_size=512) -> dict:
    """``{'loss': ..., name: ...}`` of ``model`` on ``data = (X, y)`` in eval mode.

    metrics: ``{name: fn(y_true, y_pred)}`` with y_pred as in :func:`fit` (argmax labels for
    integer targets and (N, C) outputs).
    """
    X, y = _pair(data, "data")
    outputs = predict(model, X, batch_size)
    result = {"loss": _loss_of(model, loss_fn, outputs, y)}
    y_np = _to_numpy(y)
    for name, fn in (metrics or {}).items():
        result[name] = float(fn(y_np, _labels_or_outputs(outputs, y_np)))
    return result
