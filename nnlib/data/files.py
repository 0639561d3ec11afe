"""Where the course's data lives, and the SHA-256 check every loader goes through.

The files ship with the repository in ``data/``; ``data/SHA256SUMS`` lists one line per
file in the format of ``sha256sum`` (``<hex>  digits/digits.csv.gz``, or ``<hex> *digits/digits.csv.gz``
as ``sha256sum -b`` writes it). A loader asks
:func:`verified_path` for a file, so a truncated or edited file is caught before it
silently changes a result.
"""
import hashlib
import os
import re
from pathlib import Path

__all__ = ["data_dir", "verified_path", "sha256_of", "expected_checksums"]

ENV_VAR = "NNLIB_DATA_DIR"
# sha256sum's line: the digest, one space, then ' ' (text mode) or '*' (binary mode, sha256sum -b), then the name
_SUM_LINE = re.compile(r"(?P<digest>[0-9a-fA-F]{64}) [ *](?P<name>.+)")
CHECKSUM_FILE = "SHA256SUMS"


def data_dir() -> Path:
    """The ``data/`` folder: ``$NNLIB_DATA_DIR`` when set, else the repository's, beside the package."""
    override = os.environ.get(ENV_VAR)
    if override:
        return Path(override).expanduser().resolve()
    return Path(__file__).resolve().parent.parent.parent / "data"


def sha256_of(path) -> str:
    """The SHA-256 of a file as 64 hex digits (read in 1 MiB chunks, so large files are fine)."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def expected_checksums(root=None) -> dict:
    """``{relative_name: hex}`` from ``SHA256SUMS`` in ``root`` (``data_dir()`` by default)."""
    root = data_dir() if root is None else Path(root)
    sums = root / CHECKSUM_FILE
    if not sums.is_file():
        raise FileNotFoundError(
            f"no checksum list at {sums}: the data folder is incomplete. "
            f"Restore it from the repository (git checkout -- data) or point ${ENV_VAR} at a copy of data/."
        )
    table = {}
    for number, line in enumerate(sums.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        match = _SUM_LINE.fullmatch(line.rstrip("\r"))
        if match is None:
            raise ValueError(
                f"{sums}, line {number}: expected '<64 hex digits>  <path>' (or '<64 hex digits> *<path>', "
                f"sha256sum -b), got {line!r}"
            )
        table[match["name"]] = match["digest"].lower()
    return table


def verified_path(relative_name) -> Path:
    """The path of ``data/<relative_name>`` after checking that its SHA-256 matches ``SHA256SUMS``.

    Raises FileNotFoundError if the file is missing, KeyError if it has no checksum line,
    and ValueError on a checksum mismatch (with the expected and the actual hash).
    """
    name = Path(relative_name).as_posix()
    root = data_dir()
    path = root / name
    if not path.is_file():
        raise FileNotFoundError(
            f"data file {name!r} is missing (looked for {path}). It ships with the course repository: "
            f"restore it with `git checkout -- data/{name}`, or set ${ENV_VAR} to a folder that holds it; "
            f"data/README.md says how each file was made."
        )
    table = expected_checksums(root)
    if name not in table:
        raise KeyError(
            f"data file {name!r} has no line in {root / CHECKSUM_FILE}; add one with "
            f"`cd data && sha256sum {name} >> {CHECKSUM_FILE}` once you trust the file"
        )
    actual = sha256_of(path)
    if actual != table[name]:
        raise ValueError(
            f"checksum mismatch for data file {name!r} ({path}): expected SHA-256 {table[name]}, got {actual}. "
            f"The file is damaged or was changed; restore it with `git checkout -- data/{name}` "
            f"(or regenerate it as data/README.md describes)."
        )
    return path
