"""The course's doctor: is this machine ready, and which device will ``nnlib.torch`` use?

``python -m nnlib doctor`` in a terminal, or ``nnlib.doctor()`` in a notebook, prints

- the versions of Python, nnlib and the packages the course uses, and the operating system;
- the device ``nnlib.torch`` chooses and why (CUDA, else Apple's MPS, else the CPU: :mod:`nnlib.device`),
  and whether float64 works there;
- a parity check: one tiny network, forward and backward, computed by ``nnlib.numpy`` and by
  ``nnlib.torch`` on that device from the same weights; the largest difference must stay within
  rounding error (1e-10 in float64, 1e-4 in float32 where float64 is missing);
- the measured speed of a matrix product on that device, in GFLOP/s (a product of two
  ``n x n`` matrices costs ``2 n^3`` floating-point operations);
- what to do when a GPU exists but is not used, and a one-line verdict.

It changes no global state: nnlib's random generator is restored after the check.
"""
from __future__ import annotations

import importlib.metadata
import os
import platform
import sys
import time
from dataclasses import dataclass, field

import numpy as np
import torch

import nnlib
import nnlib.device
import nnlib.numpy as nn_numpy
import nnlib.random
import nnlib.torch as nn_torch

__all__ = ["Report", "doctor", "parity_check", "matmul_gflops"]

# Packages worth naming when something misbehaves (optional ones may be absent, e.g. on Colab).
_PACKAGES = ("numpy", "torch", "matplotlib", "ipywidgets", "tqdm", "jupyterlab", "ipykernel")
_TOLERANCE = {torch.float64: 1e-10, torch.float32: 1e-4}


def _version(name: str) -> str:
    if name in ("numpy", "torch"):  # the imported module's own version: torch's names its build (2.13.0+cpu)
        return {"numpy": np, "torch": torch}[name].__version__
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _torch_build() -> str:
    parts = [f"CUDA {torch.version.cuda}" if torch.version.cuda else "no CUDA (a CPU-only build)"]
    if sys.platform == "darwin":
        parts.append("MPS built" if nnlib.device._mps_built() else "MPS not built")
    return ", ".join(parts)


def _float64_works(device: torch.device) -> bool:
    """True when a float64 tensor can be made and multiplied on ``device`` (never on MPS)."""
    if not nnlib.device.supports_float64(device):
        return False
    try:
        x = torch.ones(2, 2, dtype=torch.float64, device=device)
        return bool((x @ x).sum().item() == 8.0)
    except (RuntimeError, TypeError):
        return False


def _synchronize(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize(device)
    elif device.type == "mps":
        torch.mps.synchronize()


def parity_check(device, dtype=torch.float64) -> float:
    """Largest absolute difference between ``nnlib.numpy`` and ``nnlib.torch`` on ``device``.

    One network ``Linear(5, 7) -> Tanh -> Linear(7, 3)`` with mean-squared-error loss, on a batch
    of 4: the outputs, the loss, the gradient with respect to the input and every parameter's
    gradient are compared. Both models get the same weights (drawn here, in float64).
    """
    device = torch.device(device)
    generator = nnlib.random.get_generator()
    saved = generator.bit_generator.state  # building layers draws initial weights: put the stream back after
    try:
        models = [b.Sequential(b.Linear(5, 7), b.Tanh(), b.Linear(7, 3)) for b in (nn_numpy, nn_torch)]
    finally:
        generator.bit_generator.state = saved
    reference, twin = models
    twin.to(device=device, dtype=dtype)
    rng = np.random.default_rng(2024)
    weights = {name: rng.standard_normal(value.shape) for name, value in reference.state_dict().items()}
    reference.load_state_dict(weights)
    twin.load_state_dict(weights)
    x, target = rng.standard_normal((4, 5)), rng.standard_normal((4, 3))
    as_tensor = lambda a: torch.as_tensor(a, dtype=dtype, device=device)  # noqa: E731

    results = []
    for backend, model, inputs, targets in ((nn_numpy, reference, x, target),
                                            (nn_torch, twin, as_tensor(x), as_tensor(target))):
        loss_fn = backend.MSELoss()
        model.zero_grad()
        out = model(inputs)
        loss = loss_fn(out, targets)
        dx = model.backward(loss_fn.backward())
        grads = [p.grad for p in model.parameters()]
        results.append([out, loss, dx, *grads])
    to_numpy = lambda a: a.detach().cpu().double().numpy() if isinstance(a, torch.Tensor) else np.asarray(a)  # noqa: E731
    return max(float(np.max(np.abs(to_numpy(a) - to_numpy(b)))) for a, b in zip(*results))


def matmul_gflops(device, n: int = 512, dtype=torch.float32, seconds: float = 0.2) -> float:
    """Measured speed of ``n x n`` matrix products on ``device``: ``2 n^3`` operations each, best of several runs."""
    device = torch.device(device)
    # Drawn by a generator of its own (so the global torch stream is untouched), then moved.
    a = torch.randn(n, n, dtype=dtype, generator=torch.Generator().manual_seed(0)).to(device)
    b = a.T.contiguous()
    a @ b  # warm up: the first product on a GPU also loads its kernels
    _synchronize(device)
    best, start = float("inf"), time.perf_counter()
    runs = 0
    while runs < 3 or time.perf_counter() - start < seconds:
        t0 = time.perf_counter()
        a @ b
        _synchronize(device)
        best = min(best, time.perf_counter() - t0)
        runs += 1
    return 2 * n**3 / best / 1e9


@dataclass
class Report:
    """What :func:`doctor` found; ``str(report)`` is the printed text."""

    versions: dict
    system: str
    torch_build: str
    device: torch.device
    reason: str
    float64: bool
    parity_dtype: torch.dtype
    parity_error: float
    parity_tolerance: float
    gflops: float
    hints: list = field(default_factory=list)

    @property
    def parity_ok(self) -> bool:
        return self.parity_error <= self.parity_tolerance

    @property
    def verdict(self) -> str:
        if not self.parity_ok:
            return (f"PROBLEM: nnlib.torch on {self.device} disagrees with nnlib.numpy by {self.parity_error:.1e} "
                    f"(more than {self.parity_tolerance:.0e}). Run `make test`, and report the output of this doctor.")
        if self.device.type == "cuda":
            return f"ready: nnlib.torch computes on the GPU ({torch.cuda.get_device_name(self.device)})."
        if self.device.type == "mps":
            return ("ready: nnlib.torch computes on Apple's GPU (MPS) in float32; use device='cpu' where a "
                    "notebook needs float64.")
        if self.hints:
            return "ready on the CPU, but a GPU seems to be here and is not used: see the hints above."
        return ("ready: nnlib.torch computes on the CPU, and no unused GPU was found. That is fine: every "
                "notebook is made to finish in under a minute on a 2-core laptop CPU.")

    def __str__(self) -> str:
        rows = [("Python", f"{platform.python_version()} ({platform.python_implementation()}, {sys.executable})"),
                ("system", self.system)]
        rows += [("nnlib", f"{self.versions['nnlib']} ({os.path.dirname(nnlib.__file__)})")]
        rows += [(name, version) for name, version in self.versions.items() if name != "nnlib"]
        rows += [("torch build", self.torch_build),
                 ("device", f"{self.device}: {self.reason}"),
                 ("float64", f"{'available' if self.float64 else 'NOT available'} on {self.device}"),
                 ("parity", f"nnlib.torch on {self.device} vs nnlib.numpy, forward and backward in "
                            f"{str(self.parity_dtype).removeprefix('torch.')}: largest difference "
                            f"{self.parity_error:.1e} (tolerance {self.parity_tolerance:.0e}): "
                            f"{'OK' if self.parity_ok else 'FAILED'}"),
                 ("matmul", f"{self.gflops:.1f} GFLOP/s (512 x 512 float32 products on {self.device})")]
        width = max(len(k) for k, _ in rows)
        lines = ["nnlib doctor", *(f"  {k.ljust(width)}  {v}" for k, v in rows)]
        lines += [f"  hint: {h}" for h in self.hints]
        lines.append(f"verdict: {self.verdict}")
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"<nnlib doctor: {self.device}, parity {'OK' if self.parity_ok else 'FAILED'}, {self.gflops:.1f} GFLOP/s>"


def doctor(file=None) -> Report:
    """Check this machine for the course, print the report (to ``file``, default stdout) and return it."""
    choice = nnlib.device.select_device()
    float64 = _float64_works(choice.device)
    dtype = torch.float64 if float64 else torch.float32
    report = Report(
        versions={"nnlib": nnlib.__version__, **{name: _version(name) for name in _PACKAGES}},
        system=f"{platform.system()} {platform.release()} ({platform.machine()}), {os.cpu_count()} CPU cores",
        torch_build=_torch_build(),
        device=choice.device,
        reason=choice.reason,
        float64=float64,
        parity_dtype=dtype,
        parity_error=parity_check(choice.device, dtype),
        parity_tolerance=_TOLERANCE[dtype],
        gflops=matmul_gflops(choice.device),
        hints=nnlib.device.unused_gpu_hints(choice.device),
    )
    print(report, file=file if file is not None else sys.stdout)
    return report
