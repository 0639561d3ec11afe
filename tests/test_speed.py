"""nnlib.speed: hand FLOP counts equal torch's counter, timings are taken as documented, the roof is a
minimum, and the training-step twins do the same arithmetic. Every test here is cheap (tiny sizes)."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given, settings
from hypothesis import strategies as st

import nnlib.numpy as nnp
import nnlib.torch as ntorch
from nnlib import speed


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


# --- counting ----------------------------------------------------------------------------------------
@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 5), i=st.integers(1, 9), o=st.integers(1, 9))
def test_linear_flops_equal_torch_counter(n, i, o):
    x, w = torch.randn(n, i), torch.randn(o, i)
    assert speed.linear_flops(n, i, o) == speed.count_flops(F.linear, x, w)


@settings(max_examples=20, deadline=None)
@given(n=st.integers(1, 3), c_in=st.integers(1, 4), c_out=st.integers(1, 4), k=st.integers(1, 3),
       size=st.integers(3, 7), stride=st.integers(1, 2), padding=st.integers(0, 1))
def test_conv2d_flops_and_output_size_equal_torch(n, c_in, c_out, k, size, stride, padding):
    x, w = torch.randn(n, c_in, size, size), torch.randn(c_out, c_in, k, k)
    y = F.conv2d(x, w, stride=stride, padding=padding)
    out = speed.conv2d_output_size(size, k, stride, padding)
    assert out == tuple(y.shape[2:])
    assert speed.conv2d_flops(n, c_in, c_out, k, out) == speed.count_flops(F.conv2d, x, w, stride=stride, padding=padding)


@settings(max_examples=10, deadline=None)
@given(n=st.integers(1, 4), i=st.integers(1, 6), h=st.integers(1, 6))
def test_lstm_cell_flops_equal_torch_counter(n, i, h):
    cell = torch.nn.LSTMCell(i, h)
    assert speed.lstm_cell_flops(n, i, h) == speed.count_flops(cell, torch.randn(n, i), (torch.zeros(n, h), torch.zeros(n, h)))


def test_backward_of_nnlib_torch_layers_counts_twice_the_forward(device):
    linear, conv = ntorch.Linear(6, 4, device=device), ntorch.Conv2d(2, 3, 3, padding=1, device=device)
    x, xc = torch.randn(5, 6, device=device), torch.randn(2, 2, 5, 5, device=device)
    assert speed.count_flops(linear, x) == speed.linear_flops(5, 6, 4)
    assert speed.count_flops(linear.backward, torch.ones(5, 4, device=device)) == 2 * speed.linear_flops(5, 6, 4)
    assert speed.count_flops(conv, xc) == speed.conv2d_flops(2, 2, 3, 3, 5)
    assert speed.count_flops(conv.backward, torch.ones(2, 3, 5, 5, device=device)) == 2 * speed.conv2d_flops(2, 2, 3, 3, 5)


def test_mlp_training_flops_are_six_per_weight_per_example():
    sizes, batch = (7, 5, 3), 4
    model, loss_fn = speed.mlp(ntorch, sizes, device="cpu"), ntorch.CrossEntropyLoss()
    x, y = torch.randn(batch, 7), torch.tensor([0, 1, 2, 0])

    def step():
        loss_fn(model(x), y)
        model.backward(loss_fn.backward())

    assert speed.count_flops(step) == 6 * (7 * 5 + 5 * 3) * batch


@pytest.mark.parametrize("call", [
    lambda: speed.matmul_flops(0, 2, 2),
    lambda: speed.linear_flops(2, 2.5, 2),
    lambda: speed.conv2d_flops(1, 1, 1, (3, 3, 3), 4),
    lambda: speed.lstm_cell_flops(True, 2, 2),
    lambda: speed.conv2d_output_size(2, 5),
])
def test_bad_sizes_are_clear_errors(call):
    with pytest.raises(ValueError, match=r"(flops|output_size)"):
        call()


# --- timing ------------------------------------------------------------------------------------------
def test_measure_warms_up_then_times_each_repeat():
    calls = []
    seconds = speed.measure(lambda: calls.append(1), repeats=4, warmup=2)
    assert len(calls) == 6 and seconds.shape == (4,) and np.all(seconds >= 0)


def test_measure_interleaved_times_contenders_in_turn():
    order = []
    times = speed.measure_interleaved({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, repeats=3, warmup=1)
    assert order == ["a", "b"] * 4
    assert set(times) == {"a", "b"} and all(t.shape == (3,) for t in times.values())


def test_measure_rejects_bad_repeat_counts():
    with pytest.raises(ValueError, match="repeats"):
        speed.measure(lambda: None, repeats=0)


def test_synchronize_waits_only_on_asynchronous_devices(monkeypatch):
    waited = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: waited.append(device))
    speed.synchronize(None)
    speed.synchronize("cpu")
    assert waited == []
    speed.synchronize(torch.device("cuda:0"))
    assert waited == [torch.device("cuda:0")]


def test_measure_synchronizes_around_every_repeat(monkeypatch):
    events = []
    monkeypatch.setattr(torch.cuda, "synchronize", lambda device=None: events.append("sync"))
    speed.measure(lambda: events.append("run"), repeats=2, warmup=1, device=torch.device("cuda"))
    assert events == ["run", "sync", "sync", "run", "sync", "sync", "run", "sync"]


@pytest.mark.cuda
def test_measure_on_cuda_times_the_product_not_its_queueing():
    n = 4096
    a = torch.randn(n, n, device="cuda")
    seconds = np.median(speed.measure(lambda: a @ a, repeats=3, warmup=1, device=torch.device("cuda")))
    # timing only the queueing (microseconds) would imply more than 10 PFLOP/s, far beyond any GPU's float32 rate
    assert speed.matmul_flops(n, n, n) / seconds < 2e15


# --- the roof ----------------------------------------------------------------------------------------
@pytest.mark.parametrize("library", ["torch", "numpy"])
def test_matmul_throughput_is_positive_per_repeat(library):
    rates = speed.matmul_throughput(16, repeats=3, library=library)
    assert rates.shape == (3,) and np.all(np.isfinite(rates)) and np.all(rates > 0)


def test_matmul_throughput_rejects_unknown_library_and_numpy_on_a_gpu():
    with pytest.raises(ValueError, match="library"):
        speed.matmul_throughput(4, library="jax")
    with pytest.raises(ValueError, match="CPU only"):
        speed.matmul_throughput(4, library="numpy", device="cuda")


def test_matmul_peak_is_the_best_repeat():
    peak = speed.matmul_peak(sizes=(16, 32), repeats=2)
    assert np.isfinite(peak) and peak > 0


def test_copy_bandwidth_is_positive():
    assert speed.copy_bandwidth(2**16, repeats=2) > 0


def test_roofline_is_the_lower_of_the_two_limits():
    peak, bandwidth = 100.0, 10.0
    intensity = np.array([0.5, 10.0, 1000.0])
    np.testing.assert_allclose(speed.roofline(intensity, peak, bandwidth), [5.0, 100.0, 100.0])
    assert speed.roofline(peak / bandwidth, peak, bandwidth) == pytest.approx(peak)  # the ridge point


@pytest.mark.parametrize("backend", [nnp, torch.nn], ids=["nnlib.numpy", "torch.nn"])
def test_sequential_traffic_counts_reads_and_writes_of_each_layer(backend):
    n, i, o = 3, 4, 5
    model = backend.Sequential(backend.Linear(i, o), backend.ReLU())
    x = np.zeros((n, i)) if backend is nnp else torch.zeros(n, i, dtype=torch.float64)
    model = model if backend is nnp else model.double()
    linear = 3 * n * i + 3 * (i * o + o) + 2 * n * o
    relu = 3 * n * o + 2 * n * o
    assert speed.sequential_traffic(model, x) == 8 * (linear + relu)


# --- the models and their steps ------------------------------------------------------------------------
@pytest.mark.parametrize("backend", [nnp, ntorch, torch.nn], ids=["nnlib.numpy", "nnlib.torch", "torch.nn"])
def test_builders_make_the_same_models_in_every_backend(backend):
    factory = {} if backend is nnp else {"device": "cpu"}
    cnn, mlp = speed.digits_cnn(backend, **factory), speed.mlp(backend, (6, 4, 3), **factory)
    count = lambda m: sum(np.prod(p.shape) for p in m.parameters())  # noqa: E731
    assert count(cnn) == 40_618                                     # notebook 13's CNN
    assert count(mlp) == 6 * 4 + 4 + 4 * 3 + 3
    assert [type(m).__name__ for m in mlp] == ["Linear", "ReLU", "Linear"]


def test_training_step_twins_take_the_same_step():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((6, 1, 8, 8)), rng.integers(0, 10, 6)
    steps = speed.training_steps(speed.digits_cnn, x, y, dtype=np.float64, lr=0.1)
    for step in steps.values():
        step()
    weights = {name: {k: np.asarray(v.detach() if hasattr(v, "detach") else v) for k, v in step.model.state_dict().items()}
               for name, step in steps.items()}
    for name in ("nnlib.torch", "torch.nn"):
        for key, value in weights["nnlib.numpy"].items():
            np.testing.assert_allclose(weights[name][key], value, rtol=1e-9, atol=1e-12, err_msg=f"{name} {key}")


def test_training_steps_reject_unknown_implementations_and_dtypes():
    x, y = np.zeros((2, 4)), np.zeros(2, dtype=int)
    build = lambda nn, **f: speed.mlp(nn, (4, 3), **f)  # noqa: E731
    with pytest.raises(ValueError, match="unknown implementation"):
        speed.training_steps(build, x, y, implementations=("jax",))
    with pytest.raises(TypeError, match="float32 or float64"):
        speed.training_steps(build, x, y, dtype=np.int32)


def test_step_throughput_times_every_implementation_beside_a_probe():
    build = lambda nn, **f: speed.mlp(nn, (4, 3), **f)  # noqa: E731
    times, probe = speed.step_throughput(build, (4,), 2, repeats=2, probe=16, num_classes=3)
    assert set(times) == set(speed.IMPLEMENTATIONS) and all(t.shape == (2,) for t in times.values())
    assert probe > 0
    assert speed.step_throughput(build, (4,), 2, implementations=("nnlib.torch",), repeats=1, probe=None,
                                 num_classes=3)[1] == 0.0


def test_layer_times_has_a_row_per_layer_and_the_loss():
    model = speed.mlp(ntorch, (4, 3, 2), device="cpu")
    rows = speed.layer_times(model, ntorch.CrossEntropyLoss(), torch.randn(5, 4), torch.tensor([0, 1, 0, 1, 1]), repeats=2)
    assert [r[0] for r in rows] == ["0 Linear", "1 ReLU", "2 Linear", "loss"]
    assert all(f >= 0 and b >= 0 for _, f, b in rows)


def test_limit_threads_sets_torch_threads():
    before = torch.get_num_threads()
    speed.limit_threads(1)
    assert torch.get_num_threads() == 1
    torch.set_num_threads(before)


def test_min_samples_times_several_small_steps_per_call():
    calls = []
    speed._repeated(lambda: calls.append(1), 3)()
    assert len(calls) == 3
    build = lambda nn, **f: speed.mlp(nn, (4, 3), **f)  # noqa: E731
    times, _ = speed.step_throughput(build, (4,), 2, implementations=("nnlib.numpy",), repeats=2, probe=None,
                                     min_samples=8, num_classes=3)
    assert times["nnlib.numpy"].shape == (2,) and np.all(times["nnlib.numpy"] > 0)   # seconds per step
