"""Device choice (CUDA, else MPS, else CPU) with torch's availability functions played by monkeypatch,
and the doctor itself on this machine's CPU."""
import io
import subprocess
import sys

import numpy as np
import pytest
import torch

import nnlib
import nnlib.device
import nnlib.diagnose
import nnlib.random
import nnlib.torch as nt
from nnlib.__main__ import main


@pytest.fixture
def machine(monkeypatch):
    """Set what torch and the system report: ``machine(cuda=..., mps=..., ...)``."""
    monkeypatch.delenv("NNLIB_DEVICE", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    monkeypatch.delenv("CUDA_VISIBLE_DEVICES", raising=False)
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)

    def set_up(cuda=False, mps=False, mps_built=None, nvidia=False, cuda_build="13.0", darwin_arm64=False):
        monkeypatch.setattr(torch.cuda, "is_available", lambda: cuda)
        monkeypatch.setattr(torch.cuda, "device_count", lambda: int(cuda))
        monkeypatch.setattr(torch.cuda, "get_device_name", lambda *a: "NVIDIA Test GPU")
        monkeypatch.setattr(torch.backends.mps, "is_available", lambda: mps)
        monkeypatch.setattr(torch.backends.mps, "is_built", lambda: mps if mps_built is None else mps_built)
        monkeypatch.setattr(nnlib.device, "_nvidia_gpu_present", lambda: nvidia)
        monkeypatch.setattr(torch.version, "cuda", cuda_build)
        monkeypatch.setattr(nnlib.device.sys, "platform", "darwin" if darwin_arm64 else "linux")
        monkeypatch.setattr(nnlib.device.platform, "machine", lambda: "arm64" if darwin_arm64 else "x86_64")

    return set_up


def test_cuda_comes_first(machine):
    machine(cuda=True, mps=True)
    choice = nnlib.device.select_device()
    assert choice.device == torch.device("cuda")
    assert "NVIDIA Test GPU" in choice.reason
    assert nt.default_device() == torch.device("cuda")
    assert nnlib.device.unused_gpu_hints() == []


def test_mps_when_there_is_no_cuda(machine):
    machine(cuda=False, mps=True)
    choice = nnlib.device.select_device()
    assert choice.device == torch.device("mps") and "MPS" in choice.reason
    assert nt.default_device() == torch.device("mps")
    assert not nnlib.device.supports_float64("mps")


def test_float64_on_mps_is_a_clear_error(machine):
    machine(cuda=False, mps=True)
    with pytest.raises(TypeError, match=r"float64.*MPS has no float64.*float32.*device='cpu'"):
        nt.Linear(3, 2, dtype=torch.float64)  # the default device is MPS here
    with pytest.raises(TypeError, match="MPS has no float64"):
        nt.Linear(3, 2, dtype=torch.float64, device="mps")


def test_cpu_when_neither(machine):
    machine(cuda=False, mps=False)
    choice = nnlib.device.select_device()
    assert choice.device == torch.device("cpu") and "CPU" in choice.reason
    assert nt.Linear(3, 2).weight.data.device == torch.device("cpu")
    assert nnlib.device.unused_gpu_hints() == []


def test_environment_variable_overrides_and_is_checked(machine, monkeypatch):
    machine(cuda=True)
    monkeypatch.setenv("NNLIB_DEVICE", "cpu")
    assert nnlib.device.select_device().device == torch.device("cpu")
    assert "NNLIB_DEVICE=cpu" in nnlib.device.select_device().reason
    assert "unset it" in nnlib.device.unused_gpu_hints()[0]
    monkeypatch.setenv("NNLIB_DEVICE", "tpu")
    with pytest.raises(ValueError, match="NNLIB_DEVICE='tpu'"):
        nnlib.device.select_device()
    monkeypatch.setenv("NNLIB_DEVICE", "cuda:3")
    with pytest.raises(ValueError, match="sees 1 CUDA device"):
        nnlib.device.select_device()
    machine(cuda=False)
    monkeypatch.setenv("NNLIB_DEVICE", "cuda")
    with pytest.raises(ValueError, match="sees no CUDA GPU"):
        nnlib.device.select_device()
    monkeypatch.setenv("NNLIB_DEVICE", "mps")
    with pytest.raises(ValueError, match="MPS"):
        nnlib.device.select_device()


@pytest.mark.parametrize("case, expected", [
    (dict(nvidia=True, cuda_build=None), "CPU-only build"),
    (dict(nvidia=True, cuda_build="13.0"), "driver may be older"),
    (dict(darwin_arm64=True, mps_built=False), "built without MPS"),
    (dict(darwin_arm64=True, mps_built=True), "macOS 12.3"),
])
def test_hints_when_a_gpu_is_not_used(machine, case, expected):
    machine(**case)
    assert nnlib.device.select_device().device == torch.device("cpu")
    hints = nnlib.device.unused_gpu_hints()
    assert len(hints) == 1 and expected in hints[0]


def test_hints_for_a_hidden_gpu_and_for_colab(machine, monkeypatch):
    machine(nvidia=True)
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "")
    assert "CUDA_VISIBLE_DEVICES" in nnlib.device.unused_gpu_hints()[0]
    machine(nvidia=False)
    monkeypatch.setenv("COLAB_RELEASE_TAG", "release-colab-test")
    assert nnlib.device.unused_gpu_hints() == [
        "on Colab: Runtime > Change runtime type > choose a GPU, then run the notebook again"]


def test_doctor_on_this_cpu(machine):
    machine(cuda=False, mps=False)
    before = nnlib.random.get_generator().bit_generator.state
    out = io.StringIO()
    report = nnlib.doctor(file=out)
    text = out.getvalue()
    assert report.device == torch.device("cpu") and report.float64
    assert report.parity_dtype == torch.float64 and report.parity_ok and report.parity_error < 1e-12
    assert report.gflops > 0.1, "a 512 x 512 float32 product should run at well over 0.1 GFLOP/s on any CPU"
    assert report.hints == []
    for expected in ("numpy", np.__version__, "torch", torch.__version__, "float64      available on cpu",
                     "parity", ": OK", "GFLOP/s", "verdict: ready: nnlib.torch computes on the CPU"):
        assert expected in text, expected
    assert nnlib.random.get_generator().bit_generator.state == before, "the doctor must not move nnlib's seed"


def test_doctor_reports_a_broken_backend(machine, monkeypatch):
    """The parity check can fail: a wrong Tanh backward in nnlib.torch is caught, and the command exits 1."""
    machine(cuda=False, mps=False)
    monkeypatch.setattr(nt.Tanh, "backward", lambda self, dy: dy)
    report = nnlib.doctor(file=io.StringIO())
    assert not report.parity_ok and report.parity_error > 1e-3
    assert report.verdict.startswith("PROBLEM")
    assert main(["doctor"]) == 1


def test_report_for_mps_and_for_an_unused_gpu():
    common = dict(versions={"nnlib": nnlib.__version__}, system="test", torch_build="test", reason="test",
                  parity_error=1e-7, parity_tolerance=1e-4, gflops=1.0)
    mps = nnlib.diagnose.Report(device=torch.device("mps"), float64=False, parity_dtype=torch.float32, **common)
    assert "NOT available on mps" in str(mps) and "float32" in mps.verdict
    cpu = nnlib.diagnose.Report(device=torch.device("cpu"), float64=True, parity_dtype=torch.float64,
                                hints=["a hint"], **common)
    assert "hint: a hint" in str(cpu) and "not used" in cpu.verdict


def test_python_dash_m_nnlib_doctor_runs():
    result = subprocess.run([sys.executable, "-m", "nnlib", "doctor"], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "verdict: ready" in result.stdout and "parity" in result.stdout
