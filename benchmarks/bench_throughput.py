"""Training throughput as a fraction of this machine's measured matmul peak (notebook 17, sections 4 and 5).

Run by hand (never by CI):
    .venv/bin/python benchmarks/bench_throughput.py [--device cuda] [--threads 1] [--batch 1 256] [--repeats 5]

For each model (an MLP 784-512-512-10 and notebook 13's digits CNN) and batch size, one float32 SGD
training step (forward, loss, backward, update) is timed in each implementation: nnlib.numpy (CPU),
nnlib.torch and torch.nn on ``--device``. The implementations are timed in turn inside each repeat,
beside a matmul probe on the same device; each timing runs at least 64 samples (64 steps at batch 1),
so small and large batches meet the same load from other programs; a cell is the median of ``--repeats``. Achieved
GFLOP/s is the step's counted FLOPs (three times the forward pass's matrix products and convolutions,
as ``torch.utils.flop_counter`` counts them) over that median; "of peak" divides it by the device's
peak: the best large float32 matmul seen (torch's, and on the CPU NumPy's as well), probes included.
``--threads N`` caps NumPy's BLAS and torch at N threads on the CPU.
"""
import argparse
import functools
import os
import platform

import numpy as np
import torch

import nnlib.torch as ntorch
from nnlib import speed

MLP_SIZES = (784, 512, 512, 10)
MODELS = {  # name: (builder, shape of one example)
    "MLP 784-512-512-10": (functools.partial(speed.mlp, sizes=MLP_SIZES), (784,)),
    "CNN of notebook 13": (speed.digits_cnn, (1, 8, 8)),
}


def step_flops_per_example(build, shape, batch=8):
    """Training FLOPs per example: what torch counts in one nnlib.torch forward + backward step."""
    model, loss_fn = build(ntorch, device="cpu"), ntorch.CrossEntropyLoss()
    x, y = torch.randn(batch, *shape), torch.randint(0, 10, (batch,))

    def step():
        loss_fn(model(x), y)
        model.backward(loss_fn.backward())

    return speed.count_flops(step) // batch


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cpu", help="where nnlib.torch and torch.nn run: cpu, cuda, mps (default cpu)")
    parser.add_argument("--threads", type=int, default=None, help="cap NumPy's BLAS and torch at this many threads")
    parser.add_argument("--batch", type=int, nargs="+", default=[1, 256], help="batch sizes (default 1 256)")
    parser.add_argument("--repeats", type=int, default=5, help="timed repeats per cell (default 5)")
    args = parser.parse_args()
    if args.threads is not None:
        speed.limit_threads(args.threads)
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device cuda: no CUDA device here")
    if device.type == "mps" and not torch.backends.mps.is_available():
        parser.error("--device mps: MPS is not available here")

    peaks = {"cpu": speed.matmul_peak(sizes=(256, 512, 1024), repeats=args.repeats)}
    bandwidth = {"cpu": speed.copy_bandwidth()}
    if device.type != "cpu":
        peaks[device.type] = speed.matmul_peak(sizes=(2048, 4096, 8192), device=device, repeats=3)
        bandwidth[device.type] = speed.copy_bandwidth(512 * 2**20, device=device)
    card = f"; {torch.cuda.get_device_name(device)}" if device.type == "cuda" else ""
    print(f"numpy {np.__version__}, torch {torch.__version__} ({torch.get_num_threads()} threads), {os.cpu_count()} CPUs, "
          f"{platform.processor() or platform.machine()}{card}; float32; median of {args.repeats} training steps")

    flops = {name: step_flops_per_example(build, shape) for name, (build, shape) in MODELS.items()}
    rows = []
    for batch in args.batch:
        for name, (build, shape) in MODELS.items():
            plan = [("cpu", ("nnlib.numpy",))] if device.type != "cpu" else []
            plan.append((device, speed.IMPLEMENTATIONS if device.type == "cpu" else ("nnlib.torch", "torch.nn")))
            for where, implementations in plan:
                kind = torch.device(where).type
                times, probe = speed.step_throughput(build, shape, batch, implementations=implementations, device=where,
                                                     repeats=args.repeats, probe=512 if kind == "cpu" else 4096,
                                                     min_samples=64)
                peaks[kind] = max(peaks[kind], probe)
                for implementation, seconds in times.items():
                    t = float(np.median(seconds))
                    rows.append((name, implementation, kind, batch, batch / t, flops[name] * batch / t))

    for kind in peaks:
        print(f"{kind}: float32 matmul peak {peaks[kind] / 1e9:,.1f} GFLOP/s (best seen, probes included), "
              f"copy bandwidth {bandwidth[kind] / 1e9:,.1f} GB/s, ridge point {peaks[kind] / bandwidth[kind]:.1f} FLOPs/byte")
    header = (f"| {'model':18} | {'implementation':14} | {'device':6} | {'batch':>5} | {'samples/s':>10} | "
              f"{'GFLOP/s':>9} | {'of peak':>7} |")
    print(header)
    print("|" + "|".join("-" * len(cell) for cell in header.split("|")[1:-1]) + "|")
    for name, implementation, kind, batch, samples, achieved in rows:
        print(f"| {name:18} | {implementation:14} | {kind:6} | {batch:5d} | {samples:10,.0f} | {achieved / 1e9:9.2f} | "
              f"{achieved / peaks[kind]:7.1%} |")


if __name__ == "__main__":
    main()
