"""A Sphinx extension for the course book: offline MathJax, and figures' text alternatives.

- MathJax: Sphinx loads MathJax from a CDN by default; the book must read with no network. The
  ``django-static-mathjax`` package (on PyPI) ships MathJax 3.2.2 as released; its ``es5`` build
  (the combined ``tex-svg-full.js`` and the parts it loads on demand) is copied to
  ``_static/mathjax``, with MathJax's licence.
- Alt text: in a kernel, ``nnlib`` gives each figure's PNG output an ``alt`` text in the output's
  metadata (``nnlib.plot.install_figure_alt_text``). MyST-NB writes each image to a file named by
  the SHA-256 of its bytes but copies only width and height from that metadata; this extension
  reads the notebook's outputs and sets ``alt`` on the image nodes by that hash.
"""
import base64
import hashlib
import importlib.util
import json
import shutil
from pathlib import Path

from docutils import nodes
from sphinx.util import logging

logger = logging.getLogger(__name__)

# The top-level bundles of MathJax's es5 folder that the book does not load (tex-svg-full.js
# holds the TeX input and the SVG output; the folders hold what its menu loads on demand).
_UNUSED = {"mml-chtml.js", "mml-svg.js", "node-main.js", "tex-chtml-full-speech.js", "tex-chtml-full.js",
           "tex-chtml.js", "tex-mml-chtml.js", "tex-mml-svg.js", "tex-svg.js"}


def mathjax_dir():
    """The folder of MathJax's released es5 build inside the installed ``django-static-mathjax``."""
    spec = importlib.util.find_spec("mathjax")  # that package's import name; it needs no Django to be read
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the book needs MathJax from the package django-static-mathjax: pip install -e '.[dev]'")
    root = Path(list(spec.submodule_search_locations)[0]) / "static" / "mathjax"
    if not (root / "es5" / "tex-svg-full.js").is_file():
        raise RuntimeError(f"no MathJax es5 build found in {root}")
    return root


def copy_mathjax(app, exception):
    if exception is not None or app.builder.format != "html":
        return
    root = mathjax_dir()
    target = Path(app.outdir) / "_static" / "mathjax"
    if target.exists():
        shutil.rmtree(target)
    # The CHTML output and its web fonts are left out too: the book uses the SVG output.
    shutil.copytree(root / "es5", target, ignore=lambda folder, names: [n for n in names if n in _UNUSED
                                                                          or n in ("chtml", "chtml.js")])
    shutil.copy(root / "LICENSE", target / "LICENSE")


def _alt_texts(path):
    """{sha256 of the PNG bytes: alt text} over the image outputs of the notebook at ``path``."""
    try:
        nb = json.loads(Path(path).read_text())
    except (OSError, ValueError):
        return {}
    alts = {}
    for cell in nb.get("cells", []):
        for output in cell.get("outputs", []):
            png = output.get("data", {}).get("image/png")
            alt = output.get("metadata", {}).get("image/png", {}).get("alt")
            if png and alt:
                data = base64.b64decode("".join(png) if isinstance(png, list) else png)
                alts[hashlib.sha256(data).hexdigest()] = alt
    return alts


def add_alt_text(app, doctree):
    path = app.env.doc2path(app.env.docname)
    if str(path).endswith(".ipynb"):
        alts = _alt_texts(path)
        for image in doctree.findall(nodes.image):
            stem = Path(image["uri"]).stem
            if stem in alts and not image.get("alt"):
                image["alt"] = alts[stem]


def setup(app):
    app.connect("doctree-read", add_alt_text)
    app.connect("build-finished", copy_mathjax)
    return {"version": "1.0", "parallel_read_safe": True, "parallel_write_safe": True}
