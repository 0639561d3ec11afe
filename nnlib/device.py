"""Which device ``nnlib.torch`` computes on, and why: CUDA, else Apple's MPS, else the CPU.

    >>> from nnlib.device import select_device
    >>> choice = select_device()
    >>> choice.device, choice.reason           # doctest: +SKIP
    (device(type='cpu'), 'no CUDA GPU is visible to torch and Apple's MPS is not available: ...')

The order is PyTorch's own advice: an NVIDIA GPU (CUDA) is the fastest, Apple-silicon GPUs
(MPS, the Metal Performance Shaders back end) come next, and the CPU always works. The
environment variable ``NNLIB_DEVICE`` (``cpu``, ``cuda``, ``cuda:1``, ``mps``) overrides the
choice, for instance to keep float64 on a Mac. MPS has no float64: :func:`check_dtype` says
so before torch fails deep inside a layer.

:func:`unused_gpu_hints` explains the common ways a GPU exists but is not used (a CPU-only
torch build, a driver too old for the build, a hidden device, Colab's runtime type); the
doctor (``python -m nnlib doctor``) prints them. Only torch's availability functions are
consulted, so tests can monkeypatch them to play CUDA, MPS or a plain CPU.
"""
from __future__ import annotations

import os
import platform
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

import torch

__all__ = ["DeviceChoice", "select_device", "default_device", "supports_float64", "check_dtype", "unused_gpu_hints"]

ENV_VAR = "NNLIB_DEVICE"
_KNOWN_TYPES = ("cpu", "cuda", "mps")


@dataclass(frozen=True)
class DeviceChoice:
    """The device ``nnlib.torch`` will use and a sentence saying why."""

    device: torch.device
    reason: str


def _mps_available() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_available())


def _mps_built() -> bool:
    mps = getattr(torch.backends, "mps", None)
    return bool(mps is not None and mps.is_built())


def _from_environment(value: str) -> DeviceChoice:
    """The device ``NNLIB_DEVICE`` names, checked: a clear error beats a failure in the first layer."""
    try:
        device = torch.device(value.strip())
    except (RuntimeError, ValueError) as err:
        raise ValueError(f"nnlib.device: {ENV_VAR}={value!r} is not a device; expected one of {_KNOWN_TYPES}") from err
    if device.type not in _KNOWN_TYPES:
        raise ValueError(f"nnlib.device: {ENV_VAR}={value!r} names a {device.type!r} device; expected one of {_KNOWN_TYPES}")
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"nnlib.device: {ENV_VAR}={value!r} asks for CUDA, but torch sees no CUDA GPU; "
                         f"unset {ENV_VAR} to let nnlib choose, or run `python -m nnlib doctor` to see why")
    if device.type == "cuda" and device.index is not None and device.index >= torch.cuda.device_count():
        raise ValueError(f"nnlib.device: {ENV_VAR}={value!r}, but torch sees {torch.cuda.device_count()} CUDA device(s)")
    if device.type == "mps" and not _mps_available():
        raise ValueError(f"nnlib.device: {ENV_VAR}={value!r} asks for Apple's MPS, which this machine or torch build "
                         f"does not offer; unset {ENV_VAR} to let nnlib choose")
    return DeviceChoice(device, f"{ENV_VAR}={value} in the environment")


def select_device() -> DeviceChoice:
    """CUDA when torch sees a GPU, else Apple's MPS when available, else the CPU (``NNLIB_DEVICE`` overrides)."""
    override = os.environ.get(ENV_VAR, "").strip()
    if override:
        return _from_environment(override)
    if torch.cuda.is_available():
        return DeviceChoice(torch.device("cuda"), f"torch sees a CUDA GPU ({torch.cuda.get_device_name(0)})")
    if _mps_available():
        return DeviceChoice(torch.device("mps"), "no CUDA GPU; torch sees Apple's MPS (the Metal GPU of Apple silicon)")
    return DeviceChoice(torch.device("cpu"), "torch sees neither a CUDA GPU nor Apple's MPS, so the CPU")


def default_device() -> torch.device:
    """The device of :func:`select_device`: the default for new ``nnlib.torch`` parameters."""
    return select_device().device


def supports_float64(device) -> bool:
    """False on Apple's MPS, which has no float64 arithmetic; True on the CPU and on CUDA."""
    return torch.device(device).type != "mps"


def check_dtype(device, dtype, who: str = "nnlib.torch") -> None:
    """Raise TypeError for float64 on MPS, saying why and what to do instead."""
    if dtype == torch.float64 and not supports_float64(device):
        raise TypeError(
            f"{who}: float64 was asked for on {torch.device(device)}, but Apple's MPS has no float64. "
            f"Use dtype=torch.float32 there, or device='cpu' where float64 is needed "
            f"(gradient checks, exact comparisons); {ENV_VAR}=cpu makes the CPU the default"
        )


def _nvidia_gpu_present() -> bool:
    """An NVIDIA driver on this machine (its tool on PATH, or its Linux kernel module loaded)."""
    return shutil.which("nvidia-smi") is not None or Path("/proc/driver/nvidia/version").exists()


def _on_colab() -> bool:
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def unused_gpu_hints(device: torch.device | None = None) -> list[str]:
    """What to do when a GPU exists but ``device`` is the CPU; empty when nothing is left on the table."""
    device = default_device() if device is None else torch.device(device)
    if device.type != "cpu":
        return []
    hints = []
    if os.environ.get(ENV_VAR, "").strip():
        return [f"{ENV_VAR}={os.environ[ENV_VAR]} chose the CPU; unset it to let nnlib use a GPU when there is one"]
    if _nvidia_gpu_present():
        if torch.version.cuda is None:
            hints.append(
                f"an NVIDIA GPU is present, but this torch ({torch.__version__}) is a CPU-only build. Install a CUDA "
                "build of the same version (PyTorch's 'Get started' page gives the pip command for your system), "
                "then restart the kernel"
            )
        elif torch.cuda.device_count() == 0 and os.environ.get("CUDA_VISIBLE_DEVICES") is not None:
            hints.append(f"CUDA_VISIBLE_DEVICES={os.environ['CUDA_VISIBLE_DEVICES']!r} hides the GPU from torch; unset it")
        else:
            hints.append(
                f"an NVIDIA GPU is present and torch was built for CUDA {torch.version.cuda}, but torch cannot use it: "
                "the NVIDIA driver may be older than that CUDA needs (`nvidia-smi` prints the newest CUDA the driver "
                "supports); update the driver, or install a torch build for an older CUDA"
            )
    if _on_colab():
        hints.append("on Colab: Runtime > Change runtime type > choose a GPU, then run the notebook again")
    if sys.platform == "darwin" and platform.machine() == "arm64":
        if not _mps_built():
            hints.append(f"this torch ({torch.__version__}) was built without MPS: install torch from PyPI "
                         "(`pip install torch`), whose macOS builds include it")
        else:
            hints.append("torch was built with MPS but cannot use it: MPS needs macOS 12.3 or newer")
    return hints
