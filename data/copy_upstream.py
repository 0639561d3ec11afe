"""Re-copy the data files that come unchanged from a Python package, and check them against SHA256SUMS.

    python data/copy_upstream.py sklearn
        digits/ and diabetes/ from the installed scikit-learn (a dev dependency; located, not imported)
    pip download --no-deps statsmodels==0.15.0 -d /tmp/sm
    python data/copy_upstream.py statsmodels /tmp/sm/statsmodels-0.15.0-*.whl
        co2/ and sunspots/ from the statsmodels 0.15.0 wheel on PyPI (read as a zip; not installed)

Every file is copied byte for byte; a digest that differs from data/SHA256SUMS stops the script.
"""
import hashlib
import importlib.util
import sys
import zipfile
from pathlib import Path

DATA = Path(__file__).resolve().parent

# (source file inside the package) -> (destination inside data/)
SKLEARN = {
    "datasets/data/digits.csv.gz": "digits/digits.csv.gz",
    "datasets/data/diabetes_data_raw.csv.gz": "diabetes/diabetes_data_raw.csv.gz",
    "datasets/data/diabetes_target.csv.gz": "diabetes/diabetes_target.csv.gz",
}
STATSMODELS = {
    "statsmodels/datasets/co2/co2.csv": "co2/co2_weekly.csv",
    "statsmodels/datasets/sunspots/sunspots.csv": "sunspots/sunspots_yearly.csv",
}


def expected_digests():
    lines = (DATA / "SHA256SUMS").read_text().splitlines()
    return {name: digest for digest, _, name in (line.partition("  ") for line in lines if line.strip())}


def write_checked(content: bytes, destination: str, expected: dict) -> None:
    digest = hashlib.sha256(content).hexdigest()
    if digest != expected.get(destination):
        raise SystemExit(f"{destination}: SHA-256 {digest} differs from SHA256SUMS ({expected.get(destination)})")
    (DATA / destination).write_bytes(content)
    print(f"{digest}  {destination}  OK")


def copy_from_sklearn() -> None:
    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise SystemExit("scikit-learn is not installed: pip install -e '.[dev]'")
    package = Path(spec.origin).parent
    expected = expected_digests()
    for source, destination in SKLEARN.items():
        write_checked((package / source).read_bytes(), destination, expected)


def copy_from_statsmodels(wheel: str) -> None:
    expected = expected_digests()
    with zipfile.ZipFile(wheel) as archive:
        for source, destination in STATSMODELS.items():
            write_checked(archive.read(source), destination, expected)


if __name__ == "__main__":
    if sys.argv[1:] == ["sklearn"]:
        copy_from_sklearn()
    elif len(sys.argv) == 3 and sys.argv[1] == "statsmodels":
        copy_from_statsmodels(sys.argv[2])
    else:
        sys.exit(__doc__)
