"""Copy scikit-learn's bundled data files into this folder unchanged and check their SHA-256.

Used for data/digits/ and data/diabetes/ (the same script sits in both folders)::

    python data/digits/copy_from_sklearn.py

scikit-learn (a dev dependency) must be installed; it is located, not imported.
"""
import hashlib
import importlib.util
import shutil
from pathlib import Path

HERE = Path(__file__).resolve().parent
FILES = {
    "digits": ["digits.csv.gz"],
    "diabetes": ["diabetes_data_raw.csv.gz", "diabetes_target.csv.gz"],
}[HERE.name]


def main():
    spec = importlib.util.find_spec("sklearn")
    if spec is None:
        raise SystemExit("scikit-learn is not installed: pip install scikit-learn")
    source = Path(spec.origin).parent / "datasets" / "data"
    expected = {}
    for line in (HERE.parent / "SHA256SUMS").read_text().splitlines():
        digest, _, name = line.partition("  ")
        expected[name] = digest
    for name in FILES:
        shutil.copyfile(source / name, HERE / name)
        digest = hashlib.sha256((HERE / name).read_bytes()).hexdigest()
        key = f"{HERE.name}/{name}"
        status = "OK" if expected.get(key) == digest else f"DIFFERS from SHA256SUMS ({expected.get(key)})"
        print(f"{digest}  {key}  {status}")


if __name__ == "__main__":
    main()
