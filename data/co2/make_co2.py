"""Rebuild data/co2/co2_weekly.csv from the statsmodels 0.15.0 wheel on PyPI.

    pip download --no-deps statsmodels==0.15.0 -d /tmp/sm
    python data/co2/make_co2.py /tmp/sm/statsmodels-0.15.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl

The file is statsmodels/datasets/co2/co2.csv, copied byte for byte (statsmodels is not installed).
"""
import hashlib
import sys
import zipfile
from pathlib import Path

MEMBER = "statsmodels/datasets/co2/co2.csv"
EXPECTED_SHA256 = "16695fa2786e53414e5a6b54767a3fdf5de99cfbc68617f69d1362d92776a92f"


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != EXPECTED_SHA256:
        raise ValueError(f"{MEMBER} in {wheel} has SHA-256 {digest}, expected {EXPECTED_SHA256}")
    out = Path(__file__).with_name("co2_weekly.csv")
    out.write_bytes(data)
    print(f"{out.name}: {len(data)} bytes, sha256 {digest}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
