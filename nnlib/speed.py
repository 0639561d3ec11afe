"""Speed, measured honestly: FLOPs counted by hand, timings that mean something, this machine's roof.

Notebook 17 derives everything here; ``benchmarks/bench_throughput.py`` uses the same functions.

Counting. One multiply-add is **2 FLOPs** (floating-point operations), the convention of papers and of
``torch.utils.flop_counter.FlopCounterMode``. Only the matrix products and convolutions are counted:
biases, activations, normalization and the loss are left out (they are a few operations per
activation, not per weight). Symbols: N batch size, I input features, O output features, H hidden
size, C_in/C_out channels, (kH, kW) kernel, (H_out, W_out) output map.

    Linear     y = x W^T            2 N I O
    Conv2d     y = W * x            2 N C_out H_out W_out C_in kH kW
    LSTM step  a = x W_ih^T + h W_hh^T   2 N 4H (I + H)

A training step costs three times its forward pass: the backward pass of each product is two
products of the same size (dW = dy^T x and dx = dy W for a Linear).

Timing. :func:`measure` runs a function a few times untimed first (warm-up: memory allocation,
kernel selection, caches), then times each repeat, waiting for the device to finish before the
clock stops (:func:`synchronize`): CUDA and MPS run asynchronously, and without the wait the clock
only measures how long it took to *queue* the work. Report the median of the repeats for a typical
time, the best repeat for what the hardware can do (other programs only ever slow a repeat down).

The roof. :func:`matmul_peak` (the best FLOP/s of large matrix products) and :func:`copy_bandwidth`
(bytes/s of a large copy) are this machine's two limits; :func:`roofline` combines them
(Williams, Waterman & Patterson, 2009): a computation that does ``intensity`` FLOPs per byte moved
cannot run faster than ``min(peak, bandwidth * intensity)``.

Torch is imported only by the functions that need it, so ``import nnlib.speed`` stays light.
"""
import math
import time

import numpy as np

__all__ = [
    "matmul_flops", "linear_flops", "conv2d_output_size", "conv2d_flops", "lstm_cell_flops",
    "count_flops", "synchronize", "measure", "measure_interleaved", "limit_threads",
    "matmul_throughput", "matmul_peak", "copy_bandwidth", "roofline", "sequential_traffic",
    "mlp", "digits_cnn", "nnlib_training_step", "autograd_training_step", "training_steps", "step_throughput",
    "layer_times",
]


# --- counting ----------------------------------------------------------------------------------------
def _positive_int(who, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{who}: {name} must be a positive integer, got {value!r}")
    return int(value)


def _pair(who, name, value):
    pair = (value, value) if isinstance(value, (int, np.integer)) and not isinstance(value, bool) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{who}: {name} must be an int or a pair of ints, got {value!r}")
    return tuple(_positive_int(who, name, v) for v in pair)


def matmul_flops(m, k, n) -> int:
    """FLOPs of an (m, k) @ (k, n) product: m n dot products of length k, 2 m k n."""
    m, k, n = (_positive_int("matmul_flops", name, v) for name, v in (("m", m), ("k", k), ("n", n)))
    return 2 * m * k * n


def linear_flops(batch, in_features, out_features) -> int:
    """Forward FLOPs of ``Linear(in_features, out_features)`` on ``batch`` rows: y = x W^T, 2 N I O."""
    return matmul_flops(batch, in_features, out_features)


def conv2d_output_size(size, kernel_size, stride=1, padding=0):
    """Output height and width of a convolution: floor((size + 2 padding - kernel) / stride) + 1, per axis."""
    size, kernel = _pair("conv2d_output_size", "size", size), _pair("conv2d_output_size", "kernel_size", kernel_size)
    stride = _pair("conv2d_output_size", "stride", stride)
    padding = (padding, padding) if isinstance(padding, (int, np.integer)) else tuple(padding)
    out = tuple((s + 2 * p - k) // st + 1 for s, k, st, p in zip(size, kernel, stride, padding))
    if min(out) < 1:
        raise ValueError(f"conv2d_output_size: a {kernel} kernel does not fit a {size} input padded by {padding}")
    return out


def conv2d_flops(batch, in_channels, out_channels, kernel_size, output_size) -> int:
    """Forward FLOPs of ``Conv2d``: every output value (N C_out H_out W_out of them) is a dot product of
    length C_in kH kW, so 2 N C_out H_out W_out C_in kH kW. ``output_size``: (H_out, W_out) or an int."""
    (kh, kw), (ho, wo) = _pair("conv2d_flops", "kernel_size", kernel_size), _pair("conv2d_flops", "output_size", output_size)
    n = _positive_int("conv2d_flops", "batch", batch)
    c_in, c_out = (_positive_int("conv2d_flops", name, v) for name, v in (("in_channels", in_channels), ("out_channels", out_channels)))
    return 2 * n * c_out * ho * wo * c_in * kh * kw


def lstm_cell_flops(batch, input_size, hidden_size) -> int:
    """Forward FLOPs of one LSTM step: the four gates' pre-activations x W_ih^T + h W_hh^T,
    with W_ih: (4H, I) and W_hh: (4H, H), so 2 N 4H (I + H)."""
    n, i, h = (_positive_int("lstm_cell_flops", name, v) for name, v in (("batch", batch), ("input_size", input_size), ("hidden_size", hidden_size)))
    return 2 * n * 4 * h * (i + h)


def count_flops(fn, *args, **kwargs) -> int:
    """Run ``fn(*args, **kwargs)`` under ``torch.utils.flop_counter.FlopCounterMode`` and return the
    FLOPs torch counted (matrix products and convolutions, with the same 2-per-multiply-add convention)."""
    from torch.utils.flop_counter import FlopCounterMode

    with FlopCounterMode(display=False) as counter:
        fn(*args, **kwargs)
    return int(counter.get_total_flops())


# --- timing ------------------------------------------------------------------------------------------
def synchronize(device=None) -> None:
    """Wait until ``device`` has finished the work queued on it (CUDA, MPS); nothing for the CPU or None."""
    if device is None:
        return
    kind = getattr(device, "type", str(device).split(":")[0])
    if kind == "cuda":
        import torch

        torch.cuda.synchronize(device)
    elif kind == "mps":
        import torch

        torch.mps.synchronize()


def measure(fn, *, repeats=5, warmup=1, device=None) -> np.ndarray:
    """Seconds taken by each of ``repeats`` calls of ``fn()``, after ``warmup`` untimed calls.

    With ``device`` set to a CUDA or MPS device, the queue is emptied before the clock starts and
    again before it stops, so each time is the time the device took, not the time to queue the work.
    """
    return measure_interleaved({"fn": fn}, repeats=repeats, warmup=warmup, device=device)["fn"]


def measure_interleaved(fns: dict, *, repeats=5, warmup=1, device=None) -> dict:
    """``{name: seconds per repeat}`` for several zero-argument functions, timed in turn inside each repeat.

    Interleaving spreads whatever else the machine is doing over all contenders alike (timing one
    after the other would give the first all of a quiet moment and the last all of a busy one).
    """
    if repeats < 1 or warmup < 0:
        raise ValueError(f"measure: repeats must be >= 1 and warmup >= 0, got repeats={repeats}, warmup={warmup}")
    for fn in fns.values():
        for _ in range(warmup):
            fn()
    synchronize(device)
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            synchronize(device)
            start = time.perf_counter()
            fn()
            synchronize(device)
            times[name].append(time.perf_counter() - start)
    return {name: np.array(t) for name, t in times.items()}


def limit_threads(n: int) -> None:
    """Run torch and NumPy's BLAS on ``n`` threads (threadpoolctl, when installed, caps the BLAS)."""
    import torch

    torch.set_num_threads(n)
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # without it NumPy keeps its own setting (OMP_NUM_THREADS=1 caps it too)
        return
    threadpool_limits(n)


# --- the roof ----------------------------------------------------------------------------------------
def _matmul(n, dtype=None, device="cpu", library="torch", seed=0):
    """A zero-argument function computing one (n, n) @ (n, n) product: in torch on ``device``, or in
    NumPy (``library="numpy"``, CPU only, NumPy's own BLAS). ``dtype``: float32 unless told (a torch
    or NumPy dtype, or its name)."""
    import torch

    name = "float32" if dtype is None else str(dtype).removeprefix("torch.")
    if name not in ("float32", "float64", "float16", "bfloat16"):
        raise TypeError(f"matmul: dtype must be a floating dtype, got {dtype!r}")
    gen = torch.Generator().manual_seed(seed)
    a, b = (torch.randn(n, n, generator=gen, dtype=getattr(torch, name)) for _ in range(2))
    if library == "numpy":
        if torch.device(device).type != "cpu":
            raise ValueError(f"matmul: NumPy computes on the CPU only, got device={device!r}")
        a, b = a.numpy(), b.numpy()
    elif library == "torch":
        a, b = a.to(device), b.to(device)
    else:
        raise ValueError(f"matmul: library must be 'torch' or 'numpy', got {library!r}")
    return lambda: a @ b


def matmul_throughput(n, *, dtype=None, device="cpu", repeats=5, warmup=1, library="torch") -> np.ndarray:
    """FLOP/s of each of ``repeats`` timed (n, n) @ (n, n) products (float32 unless told), in torch on
    ``device`` or in NumPy (``library="numpy"``)."""
    import torch

    seconds = measure(_matmul(n, dtype, device, library), repeats=repeats, warmup=warmup, device=torch.device(device))
    return matmul_flops(n, n, n) / seconds


def matmul_peak(sizes=(256, 512, 1024), *, dtype=None, device="cpu", repeats=5) -> float:
    """This machine's matmul peak in FLOP/s: the best of ``repeats`` products at each size, in torch and,
    on the CPU, in NumPy too (each links its own BLAS library, and either may be the faster one).

    The best, not the median: a peak is the fastest the hardware has been seen to go; a repeat can
    only be slowed down (by other programs), never sped up beyond what the hardware can do.
    """
    import torch

    libraries = ("torch", "numpy") if torch.device(device).type == "cpu" else ("torch",)
    return float(max(matmul_throughput(n, dtype=dtype, device=device, repeats=repeats, library=library).max()
                     for n in sizes for library in libraries))


def copy_bandwidth(nbytes=64 * 2**20, *, device="cpu", repeats=5) -> float:
    """Memory bandwidth in bytes/s: the best of ``repeats`` copies of an ``nbytes`` array into another
    (each copy reads ``nbytes`` and writes ``nbytes``). Far larger than the caches, so it measures memory."""
    import torch

    src = torch.ones(nbytes // 4, dtype=torch.float32, device=device)
    dst = torch.empty_like(src)
    seconds = measure(lambda: dst.copy_(src), repeats=repeats, warmup=1, device=torch.device(device))
    return float(2 * src.numel() * src.element_size() / seconds.min())


def roofline(intensity, peak, bandwidth):
    """The attainable FLOP/s at ``intensity`` FLOPs per byte: min(peak, bandwidth * intensity)."""
    return np.minimum(peak, bandwidth * np.asarray(intensity, dtype=float))


def _size(a) -> int:
    return math.prod(a.shape)


def sequential_traffic(model, x) -> int:
    """Bytes a training step of a ``Sequential`` moves if every array is read or written once per use,
    layer by layer: the forward pass reads x and the weights and writes y; the backward pass reads dy,
    x and the weights and writes dx and the weights' gradients. So 3 |x| + 3 |weights| + 2 |y| elements
    per layer, at x's item size.

    Runs ``model``'s layers on ``x`` once to learn the shapes. An estimate: a cache can save some of
    these reads, and a product too large for the caches reads its operands more than once.
    """
    itemsize, total = x.itemsize, 0
    for layer in model:
        y = layer(x)
        weights = sum(_size(p) for p in layer.parameters())
        total += 3 * _size(x) + 3 * weights + 2 * _size(y)
        x = y
    return total * itemsize


# --- the models notebook 17 times (the same builder for nnlib.numpy, nnlib.torch and torch.nn) -------
def mlp(nn, sizes, **factory):
    """``Linear -> ReLU -> ... -> Linear`` with the widths ``sizes`` (e.g. (784, 512, 512, 10)).

    ``nn`` is ``nnlib.numpy``, ``nnlib.torch`` or ``torch.nn``: they share the names and arguments.
    ``factory``: ``device=`` / ``dtype=`` for every layer with weights.
    """
    layers = []
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(nn.Linear(fan_in, fan_out, **factory))
        if i < len(sizes) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers)


def digits_cnn(nn, **factory):
    """Notebook 13's LeNet-style CNN for (N, 1, 8, 8) digits: three 3x3 convolutions (16, 32, 64 channels)
    with batch norm and ReLU, two 2x2 max-poolings, then Linear 256 -> 64 -> 10."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, **factory), nn.BatchNorm2d(16, **factory), nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1, **factory), nn.BatchNorm2d(32, **factory), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1, **factory), nn.BatchNorm2d(64, **factory), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(256, 64, **factory), nn.ReLU(), nn.Linear(64, 10, **factory),
    )


def nnlib_training_step(model, loss_fn, optimizer, x, y):
    """A zero-argument function doing one training step of an nnlib model: forward, loss, the manual
    backward pass, the optimizer's update. The model is ``step.model``."""
    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y)
        model.backward(loss_fn.backward())
        optimizer.step()

    step.model = model
    return step


def autograd_training_step(model, loss_fn, optimizer, x, y):
    """The same step for a ``torch.nn`` model: forward, loss, ``loss.backward()`` (autograd), update."""
    def step():
        optimizer.zero_grad()
        loss_fn(model(x), y).backward()
        optimizer.step()

    step.model = model
    return step


IMPLEMENTATIONS = ("nnlib.numpy", "nnlib.torch", "torch.nn")


def training_steps(build, x, y, *, implementations=IMPLEMENTATIONS, device="cpu", dtype=np.float32, lr=0.01):
    """``{implementation: step}``: one SGD training step of the model ``build(nn, **factory)`` in each
    implementation, on the same data (``x``: a NumPy array, ``y``: integer classes) and the same
    initial weights, in ``dtype`` (``np.float32`` or ``np.float64``).

    ``nnlib.numpy`` runs on the CPU; ``nnlib.torch`` and ``torch.nn`` on ``device``. The ``torch.nn``
    twin gets an input that requires a gradient, so that autograd computes dx of the first layer as
    nnlib's backward does: every implementation does the same arithmetic.
    """
    import torch

    import nnlib
    import nnlib.numpy as nnp
    import nnlib.torch as ntorch

    dtype = np.dtype(dtype)
    torch_dtype = {np.dtype(np.float32): torch.float32, np.dtype(np.float64): torch.float64}.get(dtype)
    if torch_dtype is None:
        raise TypeError(f"training_steps: dtype must be float32 or float64, got {dtype}")
    x, y = np.asarray(x, dtype=dtype), np.asarray(y, dtype=np.int64)
    nnlib.manual_seed(0)
    initial = build(nnp, dtype=dtype).state_dict()  # copies: the weights every twin starts from
    xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
    steps = {}
    for name in implementations:
        if name == "nnlib.numpy":
            model = build(nnp, dtype=dtype)
            model.load_state_dict(initial)
            steps[name] = nnlib_training_step(model, nnp.CrossEntropyLoss(), nnp.SGD(model.parameters(), lr=lr), x, y)
        elif name == "nnlib.torch":
            model = build(ntorch, device=device, dtype=torch_dtype)
            model.load_state_dict(initial)
            steps[name] = nnlib_training_step(model, ntorch.CrossEntropyLoss(), ntorch.SGD(model.parameters(), lr=lr), xt, yt)
        elif name == "torch.nn":
            model = build(torch.nn, device=device, dtype=torch_dtype)
            model.load_state_dict({k: torch.as_tensor(v) for k, v in initial.items()})
            steps[name] = autograd_training_step(model, torch.nn.CrossEntropyLoss(), torch.optim.SGD(model.parameters(), lr=lr),
                                                 xt.clone().requires_grad_(), yt)
        else:
            raise ValueError(f"training_steps: unknown implementation {name!r}; expected nnlib.numpy, nnlib.torch or torch.nn")
    return steps


def step_throughput(build, input_shape, batch, *, implementations=IMPLEMENTATIONS, device="cpu", dtype=np.float32,
                    repeats=5, warmup=1, probe=512, min_samples=None, num_classes=10, seed=0):
    """Time one training step of ``build``'s model per implementation on a random batch (``batch`` inputs
    of ``input_shape``, targets among ``num_classes`` classes), interleaved, with a float32 ``probe`` x ``probe`` matmul on
    ``device`` (on the CPU, one in torch and one in NumPy: see :func:`matmul_peak`) timed in the same rounds.

    Returns ``({implementation: seconds per step, one per repeat}, best probe FLOP/s)``. The probe keeps
    the peak honest: whatever slowed the models down in a round slowed the probe too, so comparing a
    model with the best probe seen compares two measurements taken side by side (``probe=None``: no
    probe, 0.0). ``min_samples``: each timed call runs ceil(min_samples / batch) steps, so that small and
    large batches are timed over a similar stretch of time, and a busy moment of the machine falls on
    both alike (a 1 ms step would otherwise often slip between two interruptions that a 30 ms one cannot).
    """
    import torch

    rng = np.random.default_rng(seed)
    x = rng.standard_normal((batch, *input_shape))
    y = rng.integers(0, num_classes, batch)
    steps_per_call = max(1, math.ceil(min_samples / batch)) if min_samples else 1
    fns = {name: _repeated(step, steps_per_call)
           for name, step in training_steps(build, x, y, implementations=implementations, device=device, dtype=dtype).items()}
    probes = []
    if probe:
        probes = ["probe torch"] + (["probe numpy"] if torch.device(device).type == "cpu" else [])
        for name in probes:
            fns[name] = _matmul(probe, device=device, library=name.split()[1], seed=seed)
    times = measure_interleaved(fns, repeats=repeats, warmup=warmup, device=torch.device(device))
    best_probe = max((matmul_flops(probe, probe, probe) / times.pop(name).min() for name in probes), default=0.0)
    return {name: t / steps_per_call for name, t in times.items()}, float(best_probe)


def _repeated(fn, times):
    if times == 1:
        return fn

    def run():
        for _ in range(times):
            fn()

    return run


def layer_times(model, loss_fn, x, y, *, repeats=5, warmup=1, device=None):
    """Where the time of an nnlib training step goes: ``[(layer, forward s, backward s), ...]``, one
    row per layer of the ``Sequential`` ``model`` and a last row ``("loss", ...)``, each the median of
    ``repeats`` steps (after ``warmup``), the device synchronized around every layer."""
    layers = list(model)
    rows = [[[], []] for _ in range(len(layers) + 1)]
    for r in range(warmup + repeats):
        keep = r >= warmup
        model.zero_grad()  # as a training step does: gradients are assigned, not added to old ones
        h = x
        for i, layer in enumerate(layers):
            h = _timed(layer, h, rows[i][0] if keep else [], device)
        _timed(lambda out: loss_fn(out, y), h, rows[-1][0] if keep else [], device)
        dh = _timed(lambda _: loss_fn.backward(), None, rows[-1][1] if keep else [], device)
        for i in reversed(range(len(layers))):
            dh = _timed(layers[i].backward, dh, rows[i][1] if keep else [], device)
    names = [f"{i} {type(layer).__name__}" for i, layer in enumerate(layers)] + ["loss"]
    return [(name, float(np.median(f)), float(np.median(b))) for name, (f, b) in zip(names, rows)]


def _timed(fn, arg, times, device):
    synchronize(device)
    start = time.perf_counter()
    out = fn(arg)
    synchronize(device)
    times.append(time.perf_counter() - start)
    return out
