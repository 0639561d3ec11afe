"""nnlib.train.fit trains models of either backend: accuracy, early stopping, divergence, determinism."""
import numpy as np
import pytest
import torch

import nnlib
import nnlib.numpy as nnp
import nnlib.torch as ntorch
from nnlib import data, metrics
from nnlib.train import History, evaluate, fit, predict

BACKENDS = pytest.mark.parametrize("nn", [nnp, ntorch], ids=["numpy", "torch"])


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    # tiny matrices: with several threads on a busy 2-core machine, OpenMP waits cost 100x the work
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="module")
def digits():
    ds = data.load_digits()
    X_tr, X_va, X_te, y_tr, y_va, y_te = data.train_val_test_split(ds.data, ds.target, stratify=ds.target, seed=0)
    X_tr, X_va, X_te = data.standardize(X_tr, X_va, X_te)
    return (X_tr, y_tr), (X_va, y_va), (X_te, y_te)


def mlp(nn, device, hidden=64, dtype=None):
    kw = {} if nn is nnp else {"device": device, "dtype": dtype}
    return nn.Sequential(nn.Linear(64, hidden, **kw), nn.ReLU(), nn.Linear(hidden, 10, **kw))


def numpy(a):
    return a.detach().cpu().numpy().copy() if isinstance(a, torch.Tensor) else a.copy()


@BACKENDS
def test_mlp_learns_the_digits(nn, device, digits):
    train, val, (X_te, y_te) = digits
    model = mlp(nn, device)
    history = fit(model, nn.CrossEntropyLoss(), nn.Adam(model.parameters(), lr=1e-2), train, val,
                  epochs=12, metrics={"accuracy": metrics.accuracy}, progress=False)
    test_accuracy = metrics.accuracy(y_te, predict(model, X_te).argmax(axis=1))
    assert test_accuracy >= 0.95, history
    assert history.train_loss[-1] < 0.1 * history.train_loss[0]
    assert len(history.metrics["val_accuracy"]) == len(history.metrics["train_accuracy"]) == 12
    assert evaluate(model, nn.CrossEntropyLoss(), (X_te, y_te), {"accuracy": metrics.accuracy})["accuracy"] == test_accuracy


def test_both_backends_follow_the_same_trajectory(device, digits):
    train, val, _ = digits
    histories = []
    for nn in (nnp, ntorch):
        nnlib.manual_seed(1)
        model = mlp(nn, device, hidden=16, dtype=torch.float64)
        histories.append(fit(model, nn.CrossEntropyLoss(), nn.SGD(model.parameters(), lr=0.05, momentum=0.9),
                             train, val, epochs=3, seed=5, progress=False))
    np.testing.assert_allclose(histories[0].train_loss, histories[1].train_loss, rtol=1e-9)
    np.testing.assert_allclose(histories[0].val_loss, histories[1].val_loss, rtol=1e-9)


@BACKENDS
def test_same_seed_gives_the_same_run_and_another_seed_a_different_one(nn, device, digits):
    train, _, _ = digits
    runs = []
    for seed in (3, 3, 4):
        nnlib.manual_seed(0)
        model = nn.Sequential(*mlp(nn, device, hidden=16), nn.Dropout(0.2))
        fit(model, nn.CrossEntropyLoss(), nn.SGD(model.parameters(), lr=0.05), train, epochs=2, seed=seed, progress=False)
        runs.append({k: numpy(v) for k, v in model.state_dict().items()})
    assert all(np.array_equal(runs[0][k], runs[1][k]) for k in runs[0])
    assert not all(np.array_equal(runs[0][k], runs[2][k]) for k in runs[0])


@BACKENDS
def test_early_stopping_restores_the_best_epoch(nn, device, digits):
    # 40 training images overfit within a few epochs: the validation loss turns back up
    (X_tr, y_tr), (X_va, y_va), _ = digits
    model = mlp(nn, device)
    loss = nn.CrossEntropyLoss()
    history = fit(model, loss, nn.Adam(model.parameters(), lr=3e-2), (X_tr[:40], y_tr[:40]), (X_va, y_va),
                  epochs=200, batch_size=8, patience=3, progress=False)
    assert history.stopped_early and history.epochs < 200
    assert history.best_epoch == int(np.argmin(history.val_loss)) == history.epochs - 1 - 3
    assert evaluate(model, loss, (X_va, y_va))["loss"] == pytest.approx(history.val_loss[history.best_epoch], rel=1e-5)


@BACKENDS
def test_a_diverging_run_stops_with_a_message_that_says_where_and_why(nn, device):
    d = data.load_diabetes()  # unnormalized features and a learning rate far too high
    model = nn.Linear(10, 1) if nn is nnp else nn.Linear(10, 1, device=device, dtype=torch.float64)
    with np.errstate(over="ignore", invalid="ignore"), pytest.raises(FloatingPointError) as info:
        fit(model, nn.MSELoss(), nn.SGD(model.parameters(), lr=0.1), (d.data, d.target[:, None]), epochs=20, progress=False)
    message = str(info.value)
    assert "epoch" in message and "batch" in message
    assert "learning rate" in message and "standardize" in message


def test_a_nan_in_the_data_is_reported_at_its_batch():
    X = np.ones((64, 2))
    X[40, 0] = np.nan
    model = nnp.Linear(2, 1)
    with pytest.raises(FloatingPointError, match="output is non-finite .* at epoch 1, batch [12]\\."):
        fit(model, nnp.MSELoss(), nnp.SGD(model.parameters(), lr=0.1), (X, np.ones((64, 1))), batch_size=32, progress=False)


@BACKENDS
def test_scheduler_steps_once_per_epoch_and_lr_is_recorded(nn, device, digits):
    train, _, _ = digits
    model = mlp(nn, device, hidden=8)
    optimizer = nn.SGD(model.parameters(), lr=0.1)
    history = fit(model, nn.CrossEntropyLoss(), optimizer, train, epochs=4,
                  scheduler=nn.StepLR(optimizer, step_size=2, gamma=0.5), progress=False)
    assert history.lr == pytest.approx([0.1, 0.1, 0.05, 0.05])


@BACKENDS
def test_clip_grad_bounds_each_step(nn, device):
    X = np.random.default_rng(0).normal(size=(16, 4)) * 100
    model = nn.Linear(4, 1) if nn is nnp else nn.Linear(4, 1, device=device, dtype=torch.float64)
    before = [numpy(p.data) for p in model.parameters()]
    fit(model, nn.MSELoss(), nn.SGD(model.parameters(), lr=1.0), (X, np.zeros((16, 1))),
        epochs=1, batch_size=16, clip_grad=1e-3, progress=False)
    after = [numpy(p.data) for p in model.parameters()]
    step = np.sqrt(sum(np.sum((a - b) ** 2) for a, b in zip(after, before)))
    assert step == pytest.approx(1e-3, rel=1e-4)  # one step of lr * max_norm


def test_regression_on_diabetes_with_metrics_on_raw_outputs():
    d = data.load_diabetes()
    X_tr, X_va, X_te, y_tr, y_va, y_te = data.train_val_test_split(d.data, d.target[:, None], seed=0)
    X_tr, X_va, X_te = data.standardize(X_tr, X_va, X_te)
    scaler = data.Standardizer().fit(y_tr)
    model = nnp.Linear(10, 1)
    history = fit(model, nnp.MSELoss(), nnp.SGD(model.parameters(), lr=0.05), (X_tr, scaler.transform(y_tr)),
                  (X_va, scaler.transform(y_va)), epochs=30, metrics={"r2": metrics.r2_score}, progress=False)
    assert history.metrics["val_r2"][-1] > 0.3
    assert metrics.r2_score(y_te, scaler.inverse_transform(predict(model, X_te))) > 0.3


def test_torch_model_accepts_numpy_or_tensor_data_and_keeps_integer_targets(device, digits):
    (X, y), _, _ = digits
    model = mlp(ntorch, device, hidden=8)
    for data_pair in ((X[:64], y[:64]), (torch.tensor(X[:64]), torch.tensor(y[:64]))):
        h = fit(model, ntorch.CrossEntropyLoss(), ntorch.SGD(model.parameters(), lr=0.1), data_pair, epochs=1, progress=False)
        assert np.isfinite(h.train_loss[0])
    assert isinstance(predict(model, X[:5]), np.ndarray) and predict(model, X[:5]).dtype == np.float32


def test_predict_restores_the_training_mode():
    model = nnp.Sequential(nnp.Linear(2, 2), nnp.Dropout(0.5))
    predict(model, np.ones((3, 2)))
    assert model.training
    model.eval()
    predict(model, np.ones((3, 2)))
    assert not model.training


def test_progress_bar_shows_the_losses(capsys, digits):
    train, val, _ = digits
    model = mlp(nnp, "cpu", hidden=8)
    fit(model, nnp.CrossEntropyLoss(), nnp.SGD(model.parameters(), lr=0.1), train, val, epochs=1, progress=True)
    err = capsys.readouterr().err
    assert "train_loss" in err and "val_loss" in err


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"patience": 2}, "needs val_data"),
        ({"train_data": (np.zeros((3, 64)), np.zeros(2, dtype=int))}, "same length"),
        ({"train_data": np.zeros((3, 64))}, "pair"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, match):
    model = mlp(nnp, "cpu", hidden=4)
    args = dict(train_data=(np.zeros((3, 64)), np.zeros(3, dtype=int)), epochs=1, progress=False)
    args.update(kwargs)
    with pytest.raises((ValueError, TypeError), match=match):
        fit(model, nnp.CrossEntropyLoss(), nnp.SGD(model.parameters(), lr=0.1), **args)


def test_history_repr_and_epochs():
    h = History(train_loss=[1.0, 0.5], val_loss=[1.2, 0.9], best_epoch=1)
    assert h.epochs == 2 and "best_epoch=1" in repr(h)
