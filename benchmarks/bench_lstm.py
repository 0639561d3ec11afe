"""Forward + backward time of one LSTM layer: nnlib.numpy vs torch.nn.LSTM on the CPU (run by hand).

    .venv/bin/python benchmarks/bench_lstm.py            # T=50, batch 64, input 32, hidden 128
    .venv/bin/python benchmarks/bench_lstm.py --repeats 40 --threads 1   # steadier on a busy machine

Each case runs forward, then backward with the same upstream gradient of ``out`` (torch.nn: autograd;
nnlib: the manual backpropagation through time). The cases take turns inside each repeat, so a
machine that gets busier or quieter during the run affects them all alike; the table gives medians
and their ratios to torch.nn.LSTM in float32 (its default dtype) and in the case's own dtype.
nnlib.numpy computes in float64 by default; its float32 row is the like-for-like comparison.
"""
import argparse
import os
import platform
import time

import numpy as np
import torch

import nnlib.numpy as nnp
import nnlib.torch as ntorch

GOAL = 4.0  # the numpy LSTM (float64, its default) within 4x of torch.nn.LSTM (float32, its default)


def torch_nn_case(x, d_out, dtype):
    ref = torch.nn.LSTM(x.shape[-1], d_out.shape[-1], batch_first=True).to(dtype)
    xt = torch.as_tensor(x, dtype=dtype).requires_grad_(True)
    dt = torch.as_tensor(d_out, dtype=dtype)

    def step():
        ref.zero_grad()
        xt.grad = None
        out, _ = ref(xt)
        out.backward(dt)

    return step


def nnlib_numpy_case(x, d_out, dtype):
    m = nnp.LSTM(x.shape[-1], d_out.shape[-1], dtype=dtype)
    xn, dn = x.astype(dtype), d_out.astype(dtype)

    def step():
        m.zero_grad()
        m(xn)
        m.backward(dn)

    return step


def nnlib_torch_case(x, d_out, dtype):
    m = ntorch.LSTM(x.shape[-1], d_out.shape[-1], device="cpu", dtype=dtype)
    xt, dt = torch.as_tensor(x, dtype=dtype), torch.as_tensor(d_out, dtype=dtype)

    def step():
        m.zero_grad()
        m(xt)
        m.backward(dt)

    return step


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--T", type=int, default=50, help="sequence length")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--input", type=int, default=32, help="input_size")
    parser.add_argument("--hidden", type=int, default=128, help="hidden_size")
    parser.add_argument("--repeats", type=int, default=25)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--threads", type=int, default=None, help="threads for torch and for NumPy's BLAS alike (default: each one's choice)"
    )
    args = parser.parse_args()
    if args.threads:
        # On a busy machine, BLAS threads that spin while waiting for a descheduled sibling make
        # timings erratic; one thread each gives the steadiest comparison.
        from threadpoolctl import threadpool_limits  # installed with scikit-learn (the dev extra)

        threadpool_limits(args.threads)
        torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    x = rng.standard_normal((args.batch, args.T, args.input))
    d_out = rng.standard_normal((args.batch, args.T, args.hidden))
    cases = {
        ("torch.nn.LSTM", "float32"): torch_nn_case(x, d_out, torch.float32),
        ("torch.nn.LSTM", "float64"): torch_nn_case(x, d_out, torch.float64),
        ("nnlib.numpy.LSTM", "float64"): nnlib_numpy_case(x, d_out, np.float64),
        ("nnlib.numpy.LSTM", "float32"): nnlib_numpy_case(x, d_out, np.float32),
        ("nnlib.torch.LSTM (cpu)", "float32"): nnlib_torch_case(x, d_out, torch.float32),
        ("nnlib.torch.LSTM (cpu)", "float64"): nnlib_torch_case(x, d_out, torch.float64),
    }
    times = {key: [] for key in cases}
    for r in range(args.warmup + args.repeats):
        for key, step in cases.items():
            start = time.perf_counter()
            step()
            if r >= args.warmup:
                times[key].append(time.perf_counter() - start)
    median = {key: float(np.median(t)) * 1e3 for key, t in times.items()}

    print(
        f"LSTM forward + backward, T={args.T}, batch={args.batch}, input={args.input}, hidden={args.hidden}; "
        f"median of {args.repeats} repeats (after {args.warmup} warm-up), one run"
    )
    print(
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, torch {torch.__version__} "
        f"({torch.get_num_threads()} threads), numpy {np.__version__} (BLAS threads: {args.threads or 'default'}), "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    header = f"{'implementation':<24} {'dtype':<8} {'median ms':>10} {'vs torch.nn f32':>16} {'vs torch.nn same dtype':>23}"
    print(header)
    print("-" * len(header))
    base = median[("torch.nn.LSTM", "float32")]
    for (name, dtype), ms in median.items():
        same = median[("torch.nn.LSTM", dtype)]
        print(f"{name:<24} {dtype:<8} {ms:>10.1f} {ms / base:>15.2f}x {ms / same:>22.2f}x")
    ratio = median[("nnlib.numpy.LSTM", "float64")] / base
    verdict = "within" if ratio <= GOAL else "NOT within"
    print(f"\nnnlib.numpy.LSTM (float64) / torch.nn.LSTM (float32) = {ratio:.2f}: {verdict} the {GOAL:g}x goal")


if __name__ == "__main__":
    main()
