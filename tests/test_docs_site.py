"""The documentation site (mkdocs.yml): the guides and the API reference build with no warning.

The build is strict, so a broken link or anchor in a guide, a page missing from the navigation,
or a docstring cross-reference to a name that is not documented fails the test suite.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import intervention_rules

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / "docs" / "reference.md"


def public_modules() -> list[str]:
    """The package root, each public subpackage (a layer) and the public modules inside a layer.

    The root's own public-looking modules (``decision``, ``errors``...) are the core's inner
    modules, documented through the root's re-exports, and the old names kept as re-export shims.
    """
    found = ["intervention_rules"]
    for layer in pkgutil.iter_modules(intervention_rules.__path__, "intervention_rules."):
        if not layer.ispkg or layer.name.rpartition(".")[2].startswith("_"):
            continue
        found.append(layer.name)
        package = importlib.import_module(layer.name)
        found += [
            module.name
            for module in pkgutil.iter_modules(package.__path__, f"{layer.name}.")
            if not module.name.rpartition(".")[2].startswith("_")
        ]
    return found


def test_every_public_module_has_its_line_in_the_api_reference() -> None:
    """A new layer (``intervention_rules.NAME/``) is documented by adding ``::: intervention_rules.NAME``."""
    documented = re.findall(r"^::: (\S+)$", REFERENCE.read_text(encoding="utf-8"), re.MULTILINE)
    assert sorted(documented) == sorted(public_modules())


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The site, built as CI builds it: ``mkdocs build --strict`` into a temporary directory."""
    target = tmp_path_factory.mktemp("site")
    result = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(target)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    assert "WARNING" not in result.stderr, result.stderr
    return target


def test_every_guide_is_a_page_of_the_site(site: Path) -> None:
    guides = sorted(page.stem for page in (ROOT / "docs").glob("*.md"))
    assert "reference" in guides
    for guide in guides:
        page = site / ("index.html" if guide == "index" else f"{guide}/index.html")
        assert page.is_file(), guide


@pytest.mark.parametrize("module", public_modules())
def test_the_api_reference_documents_every_public_name(site: Path, module: str) -> None:
    """Each name in a public module's ``__all__`` has its entry (an anchor) in the reference."""
    html = (site / "reference" / "index.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="(intervention_rules[\w.]*)"', html))
    assert module in anchors
    names = getattr(importlib.import_module(module), "__all__", [])
    missing = [name for name in names if f"{module}.{name}" not in anchors]
    assert not missing


def test_docstrings_render_as_markdown(site: Path) -> None:
    """Cross-references in docstrings are written for mkdocstrings (``[Name][module.Name]``); a Sphinx
    role such as ``:class:`` would be shown as it is written."""
    html = (site / "reference" / "index.html").read_text(encoding="utf-8")
    assert not re.findall(r":(?:func|class|meth|mod|data|attr|exc):<code>", html)


def test_the_reference_shows_no_module_machinery(site: Path) -> None:
    """``__all__``, the layers' lazy ``__getattr__`` and ``__slots__`` are not part of the API."""
    html = (site / "reference" / "index.html").read_text(encoding="utf-8")
    anchors = set(re.findall(r'id="(intervention_rules[\w.]*)"', html))
    assert "intervention_rules.__version__" in anchors
    assert not [anchor for anchor in anchors if re.search(r"\.__(?!version__)\w+__$", anchor)]
