"""Sphinx configuration of the sklearn-losses documentation.

Build it with ``make docs`` from the repository root (warnings are errors there). The
site must work without a network connection: formulas are typeset by a copy of
MathJax 3 installed from PyPI (``sphinx-mathjax-offline``) and served from
``_static/mathjax``, and no inventory is fetched for cross-references.
"""

from __future__ import annotations

import os
import sys
import warnings
from importlib import metadata
from pathlib import Path

import sklearn_losses

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

# Matplotlib draws into files only, and every figure is generated at build time.
os.environ.setdefault("MPLBACKEND", "Agg")

# -- project ----------------------------------------------------------------------------
project = "sklearn-losses"
author = "the sklearn-losses developers"
copyright = "the sklearn-losses developers"  # noqa: A001 - Sphinx's name
release = version = sklearn_losses.__version__

# -- general ----------------------------------------------------------------------------
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "matplotlib.sphinxext.plot_directive",
    "loss_table",
]
templates_path = ["_templates"]
exclude_patterns = [
    "_build",
    "Thumbs.db",
    ".DS_Store",
    "user_guide/plots/*.py",
    "auto_examples/*.ipynb",
    "auto_examples/*.py",
    "auto_examples/*.zip",
    "auto_examples/*.json",
    "auto_examples/*.md5",
]
root_doc = "index"
default_role = "literal"
pygments_style = "sphinx"
pygments_dark_style = "monokai"
suppress_warnings: list[str] = []

# -- API reference: autodoc, autosummary, numpydoc --------------------------------------
autosummary_generate = True
autosummary_imported_members = False
autodoc_typehints = "none"  # numpydoc's parameter lists say it better
autodoc_member_order = "groupwise"
autodoc_inherit_docstrings = True
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_show_inherited_class_members = False
numpydoc_attributes_as_param_list = True
numpydoc_xref_param_type = False

# -- formulas: MathJax 3 from the sphinx-mathjax-offline wheel, served locally ----------
_MATHJAX = Path(
    metadata.distribution("sphinx-mathjax-offline").locate_file(
        "sphinx-mathjax-offline/static"
    )
)
if not (_MATHJAX / "mathjax" / "tex-chtml.js").is_file():  # pragma: no cover
    raise RuntimeError(
        f"MathJax was not found under {_MATHJAX}; install the docs extra: "
        "pip install -e '.[docs]'"
    )
mathjax_path = "mathjax/tex-chtml.js"
# MathJax 3 finds its fonts beside its script, in _static/mathjax/output/chtml/fonts;
# its defaults read Sphinx's \( \) and \[ \] delimiters.

# -- HTML -------------------------------------------------------------------------------
html_theme = "pydata_sphinx_theme"
html_title = f"sklearn-losses {release}"
html_short_title = "sklearn-losses"
html_static_path = ["_static", str(_MATHJAX)]
html_css_files = ["custom.css"]
html_favicon = "_static/favicon.svg"
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None
html_theme_options = {
    "navbar_align": "left",
    "navbar_end": ["theme-switcher", "navbar-icon-links"],
    "show_prev_next": True,
    "show_toc_level": 2,
    "navigation_with_keys": False,
    "secondary_sidebar_items": ["page-toc"],
    "footer_start": ["copyright"],
    "footer_end": [],
    "header_links_before_dropdown": 6,
}
html_context = {"default_mode": "light"}
html_sidebars = {"index": [], "install": [], "quickstart": []}

# -- figures of the user guide (matplotlib's plot directive) ----------------------------
plot_include_source = False
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_basedir = str(DOCS / "user_guide" / "plots")
plot_rcparams = {"figure.autolayout": True, "font.size": 10}
plot_apply_rcparams = True
plot_pre_code = ""

# -- the gallery: examples/ run by sphinx-gallery ---------------------------------------
# SKLEARN_LOSSES_EXAMPLES_DIR builds the gallery from another folder (to try examples
# out before they land in examples/).
EXAMPLES = Path(os.environ.get("SKLEARN_LOSSES_EXAMPLES_DIR", DOCS.parent / "examples"))
sphinx_gallery_conf = {
    "examples_dirs": str(EXAMPLES),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "gallery_order.ReferenceFirst",
    "ignore_pattern": r"__init__\.py",
    "doc_module": ("sklearn_losses",),
    "backreferences_dir": "gen_modules/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,  # every example page shows that it ran
    "matplotlib_animations": False,
    "reset_modules": ("matplotlib",),
    "plot_gallery": "True",
    "abort_on_example_error": False,
    "only_warn_on_example_error": False,
}

# A warning raised by an example is the example's business, and reported on its page;
# these come from the libraries while building, not from our sources.
warnings.filterwarnings(
    "ignore", category=UserWarning, message="Matplotlib is currently using agg"
)
