"""Rebuild data/sunspots/sunspots_yearly.csv from the statsmodels 0.15.0 wheel on PyPI.

    pip download --no-deps statsmodels==0.15.0 -d /tmp/sm
    python data/sunspots/make_sunspots.py /tmp/sm/statsmodels-0.15.0-cp311-cp311-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl

The file is statsmodels/datasets/sunspots/sunspots.csv, copied byte for byte (statsmodels is not installed).
"""
import hashlib
import sys
import zipfile
from pathlib import Path

MEMBER = "statsmodels/datasets/sunspots/sunspots.csv"
EXPECTED_SHA256 = "f67889b1d9002cd5227f0e0ef54e35b419cdd85a31279adef6f73fb41e5c0a9b"


def main(wheel: str) -> None:
    with zipfile.ZipFile(wheel) as zf:
        data = zf.read(MEMBER)
    digest = hashlib.sha256(data).hexdigest()
    if digest != EXPECTED_SHA256:
        raise ValueError(f"{MEMBER} in {wheel} has SHA-256 {digest}, expected {EXPECTED_SHA256}")
    out = Path(__file__).with_name("sunspots_yearly.csv")
    out.write_bytes(data)
    print(f"{out.name}: {len(data)} bytes, sha256 {digest}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
