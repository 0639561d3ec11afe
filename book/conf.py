"""Sphinx configuration of the course book (``make book``; the sources are staged by book/editions.py).

Sphinx with MyST-NB renders the executed notebooks; the Sphinx Book Theme gives the table of
contents, search and collapsible cells. Everything a page needs is served from the site itself:
MathJax comes from the ``django-static-mathjax`` package (see _ext/nnlib_book.py), and the theme
ships its icons and fonts; the book is tested in Chromium with the network off.
"""
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent / "_ext"))

project = "Neural Networks from First Principles"
author = "the course authors"
copyright = "the course authors, MIT licence"

extensions = ["myst_nb", "nnlib_book"]
exclude_patterns = ["_build", "**.ipynb_checkpoints"]

# The notebooks are executed before Sphinx runs (book/editions.py, in parallel, cached).
nb_execution_mode = "off"
nb_output_stderr = "show"
myst_enable_extensions = ["dollarmath", "amsmath"]
# JupyterLab typesets $$...$$ anywhere in a paragraph (the notebooks put it right under a line of
# text); MyST does the same only with this option.
myst_dmath_double_inline = True
myst_heading_anchors = 3
suppress_warnings = ["mystnb.unknown_mime_type"]

# MathJax 3 from this site (_static/mathjax, copied by nnlib_book), SVG output: no web fonts to load.
mathjax_path = "mathjax/tex-svg-full.js"
mathjax3_config = {
    "options": {"processHtmlClass": "tex2jax_process|mathjax_process|math|output_area"},
    "svg": {"fontCache": "global"},
}

html_theme = "sphinx_book_theme"
html_static_path = ["_static"]
html_css_files = ["book.css"]
html_title = project
html_show_sourcelink = False
html_theme_options = {
    "home_page_in_toc": True,
    "show_toc_level": 2,
    "use_download_button": True,
    "use_fullscreen_button": False,
    "use_repository_button": False,
    "launch_buttons": {},
    "navigation_with_keys": False,
}
