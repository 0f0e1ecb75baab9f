"""Sphinx configuration of the cqdfem documentation (make docs).

Pages are MyST Markdown; tutorials and V&V pages are MyST notebooks that MyST-NB executes during the
build (a cell that raises fails the build). The guide pages include the README's sections, the
case-file and CLI references are generated from the code (_ext/reference.py), so neither can drift.
"""

import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))          # cqdfem from this checkout
sys.path.insert(0, str(HERE / "_ext"))

import reference                               # noqa: E402

project = "cqdfem"
author = "the cqdfem developers"
copyright = "2026, the cqdfem developers"
extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax"]
myst_enable_extensions = ["dollarmath", "colon_fence"]
myst_heading_anchors = 3
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb"}
exclude_patterns = ["_build", "_generated/README*", "**/.ipynb_checkpoints"]

# Execute every notebook page on every build; an error in a cell fails the build.
nb_execution_mode = "force"
nb_execution_raise_on_error = True
nb_execution_timeout = 1800
nb_execution_show_tb = True
nb_merge_streams = True
nb_render_markdown_format = "myst"      # text/markdown outputs (result tables) with MyST's tables

html_theme = "furo"
html_title = "cqdfem"
autodoc_member_order = "bysource"
autodoc_typehints = "description"
suppress_warnings = ["myst.header", "myst.xref_missing", "misc.highlighting_failure"]


def _notebooks_are_executable():
    """A page with code cells but no jupytext header is rendered without running its cells (MyST-NB
    only warns): refuse the build instead, so a tutorial can never silently stop being executed."""
    for page in sorted(HERE.glob("*/*.md")):
        text = page.read_text()
        if "{code-cell}" in text and not text.startswith("---\njupytext:"):
            raise RuntimeError(f"{page}: has code cells but no jupytext/kernelspec header, so they would not run")


def setup(app):
    _notebooks_are_executable()
    reference.write(HERE / "_generated")
