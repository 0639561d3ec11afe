"""Make data/fashion_mnist/fashion_mnist_subset.npz: a stratified subset of Fashion-MNIST.

Source: Debian's ``dataset-fashion-mnist`` package (``apt-get install dataset-fashion-mnist``),
which installs Zalando Research's original idx files in /usr/share/datasets/fashion-mnist/.
The subset keeps 500 training images per class (5 000) and 200 test images per class (2 000),
drawn without replacement with ``numpy.random.default_rng(0)``, then shuffled, so any prefix of
either split is roughly balanced.

The archive is written with fixed zip timestamps, so re-running this script reproduces the
file byte for byte (and therefore its SHA-256 in data/SHA256SUMS)::

    python data/fashion_mnist/make_subset.py [--source DIR] [--out FILE]
"""
import argparse
import gzip
import io
import zipfile
from pathlib import Path

import numpy as np

SEED = 0
TRAIN_PER_CLASS = 500
TEST_PER_CLASS = 200
SOURCE = Path("/usr/share/datasets/fashion-mnist")
OUT = Path(__file__).resolve().parent / "fashion_mnist_subset.npz"


def read_idx(path) -> np.ndarray:
    """Read a gzipped idx file (LeCun's MNIST format): magic 0x0000 08 <ndim>, big-endian sizes, uint8 data."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype_code, ndim = raw[0] * 256 + raw[1], raw[2], raw[3]
    if zero != 0 or dtype_code != 0x08:
        raise ValueError(f"{path}: not an unsigned-byte idx file (header {raw[:4].hex()})")
    shape = tuple(np.frombuffer(raw, dtype=">u4", count=ndim, offset=4).astype(int))
    data = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    if data.size != np.prod(shape):
        raise ValueError(f"{path}: header says {shape}, found {data.size} bytes of data")
    return data.reshape(shape)


def stratified_indices(labels, per_class, rng) -> np.ndarray:
    """``per_class`` indices of each label, drawn without replacement, in shuffled order."""
    chosen = [rng.choice(np.flatnonzero(labels == c), size=per_class, replace=False) for c in range(10)]
    return rng.permutation(np.concatenate(chosen))


def write_npz(path, arrays) -> None:
    """np.savez_compressed, but with a fixed timestamp per member, so the bytes are reproducible."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, buffer.getvalue(), compresslevel=9)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help="folder with the four *-ubyte.gz files")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()

    rng = np.random.default_rng(SEED)
    arrays = {}
    for split, prefix, per_class in (("train", "train", TRAIN_PER_CLASS), ("test", "t10k", TEST_PER_CLASS)):
        images = read_idx(args.source / f"{prefix}-images-idx3-ubyte.gz")
        labels = read_idx(args.source / f"{prefix}-labels-idx1-ubyte.gz")
        index = stratified_indices(labels, per_class, rng)
        arrays[f"{split}_images"] = images[index]  # (N, 28, 28) uint8, 0 = background
        arrays[f"{split}_labels"] = labels[index]  # (N,) uint8 in 0..9
        arrays[f"{split}_index"] = index.astype(np.int32)  # row in the original file, for provenance
    write_npz(args.out, arrays)
    for name, a in arrays.items():
        print(f"{name:13s} {a.dtype} {a.shape}")
    print(f"wrote {args.out} ({args.out.stat().st_size / 1e6:.2f} MB)")


if __name__ == "__main__":
    main()
