"""Forward + backward time of Conv2d and MaxPool2d: nnlib.numpy vs nnlib.torch (CPU) vs torch.nn (CPU).

Run by hand (never by CI):  .venv/bin/python benchmarks/bench_conv.py [--repeats 30] [--threads 1]

Each cell is the median of ``repeats`` timings of one forward and one backward pass. The three
implementations are timed in turn inside each repeat, so that load from other programs on the
machine falls on all of them alike. The ratio is nnlib.numpy / torch.nn at the same dtype:
float64 is nnlib.numpy's default, float32 is torch's (where torch uses its oneDNN kernels).
``--threads N`` caps both NumPy's BLAS and torch at N threads: on a machine that other programs
keep busy, oversubscribed BLAS threads make timings erratic, and one thread each compares like with like.
"""
import argparse
import os
import platform
import time

import numpy as np
import torch
import torch.nn.functional as F
from threadpoolctl import threadpool_limits

import nnlib.numpy as nnp
import nnlib.torch as ntorch

BATCH = 64
CASES = [
    # (name, kind, channels in, channels out, size)
    ("conv 3x3 pad 1, 1->16 @ 28x28", "conv", 1, 16, 28),
    ("conv 3x3 pad 1, 16->32 @ 14x14", "conv", 16, 32, 14),
    ("max-pool 2x2, 16 ch @ 28x28", "pool", 16, 16, 28),
    ("max-pool 2x2, 32 ch @ 14x14", "pool", 32, 32, 14),
]


def contenders(kind, cin, cout, size, dtype):
    """Three zero-argument functions, each one forward + backward pass on the same data and weights."""
    torch_dtype = {np.float64: torch.float64, np.float32: torch.float32}[dtype]
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, cin, size, size)).astype(dtype)
    if kind == "conv":
        ours_np = nnp.Conv2d(cin, cout, 3, padding=1, dtype=dtype)
        ours_t = ntorch.Conv2d(cin, cout, 3, padding=1, device="cpu", dtype=torch_dtype)
        ours_t.load_state_dict({k: torch.from_numpy(v) for k, v in ours_np.state_dict().items()})
        weight = torch.from_numpy(ours_np.weight.data).requires_grad_()
        bias = torch.from_numpy(ours_np.bias.data).requires_grad_()
        reference = lambda xt: F.conv2d(xt, weight, bias, padding=1)
    else:
        ours_np, ours_t = nnp.MaxPool2d(2), ntorch.MaxPool2d(2)
        reference = lambda xt: F.max_pool2d(xt, 2)
    dy = rng.standard_normal(ours_np(x).shape).astype(dtype)
    xt, dyt = torch.from_numpy(x), torch.from_numpy(dy)
    xt_ref = xt.clone().requires_grad_()

    def run_numpy():
        ours_np(x)
        ours_np.backward(dy)

    def run_ours_torch():
        ours_t(xt)
        ours_t.backward(dyt)

    def run_torch_nn():
        reference(xt_ref).backward(dyt)

    return run_numpy, run_ours_torch, run_torch_nn


def medians_ms(functions, repeats, warmup=3):
    for f in functions:
        for _ in range(warmup):
            f()
    times = [[] for _ in functions]
    for _ in range(repeats):
        for f, t in zip(functions, times):
            start = time.perf_counter()
            f()
            t.append(time.perf_counter() - start)
    return [1e3 * float(np.median(t)) for t in times]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--threads", type=int, default=None, help="cap NumPy's BLAS and torch at this many threads")
    args = parser.parse_args()
    if args.threads is not None:
        threadpool_limits(args.threads)  # NumPy's BLAS (scikit-learn's dependency threadpoolctl)
        torch.set_num_threads(args.threads)
    print(
        f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), "
        f"{os.cpu_count()} CPUs, {platform.processor() or platform.machine()}; batch {BATCH}; "
        f"median of {args.repeats} forward+backward passes, in ms"
    )
    header = f"| {'layer':32} | {'dtype':7} | {'nnlib.numpy':>11} | {'nnlib.torch':>11} | {'torch.nn':>8} | {'numpy / torch.nn':>16} |"
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    for name, kind, cin, cout, size in CASES:
        for dtype in (np.float64, np.float32):
            t_np, t_ours, t_ref = medians_ms(contenders(kind, cin, cout, size, dtype), args.repeats)
            print(
                f"| {name:32} | {np.dtype(dtype).name:7} | {t_np:11.2f} | {t_ours:11.2f} | {t_ref:8.2f} | "
                f"{t_np / t_ref:15.1f}x |"
            )


if __name__ == "__main__":
    main()
