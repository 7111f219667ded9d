"""The documentation stays true: docstrings of every public name, and the user guide.

* Every public class and function has a numpydoc docstring: a summary line, sections
  that parse, the parameters of its signature documented (and no others), and an
  ``Examples`` section with at least one ``>>>`` line. The examples themselves run as
  doctests (``--doctest-modules`` in pyproject.toml).
* Every Python snippet of the user guide (``docs/**/*.rst``) runs, page by page, in
  one namespace per page, as a reader would paste them.
* Every registered loss has its section in the user guide.
"""

from __future__ import annotations

import importlib
import inspect
import re
import warnings
from pathlib import Path

import pytest

from sklearn_losses.losses import loss_names

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"

MODULES = (
    "sklearn_losses",
    "sklearn_losses.losses",
    "sklearn_losses.metrics",
    "sklearn_losses.scoring",
    "sklearn_losses.neural_network",
    "sklearn_losses.compare",
    "sklearn_losses.plotting",
)


def _public_names() -> list[tuple[str, object]]:
    """``(module.name, object)`` for each public class and function."""
    found = []
    for module_name in MODULES:
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if inspect.isclass(obj) or inspect.isfunction(obj):
                found.append((f"{module_name}.{name}", obj))
    return found


PUBLIC = _public_names()


def _sections(doc: str) -> dict[str, list[str]]:
    """numpydoc sections of a docstring: title -> its lines (underlines removed)."""
    lines = inspect.cleandoc(doc).splitlines()
    sections = {"Summary": []}
    current = "Summary"
    i = 0
    while i < len(lines):
        line = lines[i]
        underline = lines[i + 1] if i + 1 < len(lines) else ""
        if (
            line.strip()
            and not line.startswith(" ")
            and re.fullmatch(r"-{3,}", underline.strip())
            and len(underline.strip()) == len(line.strip())
        ):
            current = line.strip()
            if current in sections:
                raise AssertionError(f"section {current!r} appears twice")
            sections[current] = []
            i += 2
            continue
        sections[current].append(line)
        i += 1
    return sections


def _documented_parameters(lines: list[str]) -> list[str]:
    names = []
    for line in lines:
        if not line or line.startswith(" "):
            continue
        head = line.split(" : ")[0].strip()
        names += [n.strip() for n in head.split(",") if n.strip()]
    return names


def _signature_parameters(obj) -> list[str]:
    try:
        signature = inspect.signature(obj)
    except (TypeError, ValueError):  # pragma: no cover - builtins
        return []
    names = []
    for parameter in signature.parameters.values():
        prefix = {
            inspect.Parameter.VAR_POSITIONAL: "*",
            inspect.Parameter.VAR_KEYWORD: "**",
        }.get(parameter.kind, "")
        names.append(prefix + parameter.name)
    return names


@pytest.mark.parametrize("name, obj", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_public_name_has_numpydoc_docstring_with_examples(name, obj):
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    sections = _sections(doc)
    summary = [line for line in sections["Summary"] if line.strip()]
    assert summary, f"{name}: the docstring has no summary line"
    assert "Examples" in sections, f"{name}: no Examples section"
    examples = sections["Examples"]
    assert any(line.lstrip().startswith(">>>") for line in examples), (
        f"{name}: the Examples section has no >>> line to run"
    )


@pytest.mark.parametrize("name, obj", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_documented_parameters_match_the_signature(name, obj):
    sections = _sections(inspect.getdoc(obj) or "")
    expected = _signature_parameters(obj)
    documented = _documented_parameters(sections.get("Parameters", []))
    assert sorted(documented) == sorted(expected), (
        f"{name}: documented parameters {documented} differ from the signature's "
        f"{expected}"
    )


@pytest.mark.parametrize("name, obj", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_numpydoc_parses_the_docstring_without_warnings(name, obj):
    docscrape = pytest.importorskip("numpydoc.docscrape")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        if inspect.isclass(obj):
            parsed = docscrape.ClassDoc(obj, config={"show_class_members": False})
        else:
            parsed = docscrape.FunctionDoc(obj)
    assert parsed["Summary"], f"{name}: numpydoc finds no summary"
    assert parsed["Examples"], f"{name}: numpydoc finds no Examples section"
    documented = [p.name for p in parsed["Parameters"]]
    expanded = [n.strip() for name in documented for n in name.split(",")]
    assert sorted(expanded) == sorted(_signature_parameters(obj)), name


# -- the user guide ---------------------------------------------------------------------
_GENERATED = ("_build", "auto_examples", "gen_modules")


def _pages() -> list[Path]:
    return sorted(
        page
        for page in DOCS.rglob("*.rst")
        if not any(part in _GENERATED for part in page.relative_to(DOCS).parts)
    )


def _python_blocks(text: str) -> list[tuple[int, str, str | None]]:
    """``(line number, code, requirement)`` of each ``code-block:: python``.

    An rst comment ``.. doc-test: requires NAME`` before a block skips it unless the
    module ``NAME`` imports (``cuda`` means a CUDA device).
    """
    lines = text.splitlines()
    blocks = []
    for i, line in enumerate(lines):
        match = re.match(r"^(\s*)\.\. code-block:: python\s*$", line)
        if not match:
            continue
        indent = len(match.group(1))
        requirement = None
        for previous in reversed(lines[:i]):
            if previous.strip():
                found = re.match(r"^\s*\.\. doc-test: requires (\S+)\s*$", previous)
                requirement = found.group(1) if found else None
                break
        j = i + 1
        while j < len(lines) and re.match(r"^\s+:\w[\w-]*:", lines[j]):
            j += 1  # directive options
        body = []
        while j < len(lines) and (
            not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent
        ):
            body.append(lines[j])
            j += 1
        blocks.append((i + 1, inspect.cleandoc("\n".join(body)), requirement))
    return blocks


def _available(requirement: str | None) -> bool:
    if requirement is None:
        return True
    if requirement == "cuda":
        import torch

        return torch.cuda.is_available()
    try:
        importlib.import_module(requirement)
    except ImportError:
        return False
    return True


@pytest.mark.parametrize(
    "page", _pages(), ids=lambda p: str(p.relative_to(DOCS)).replace("\\", "/")
)
def test_user_guide_snippets_run(page, tmp_path, monkeypatch):
    blocks = _python_blocks(page.read_text(encoding="utf-8"))
    if not blocks:
        pytest.skip("no Python snippet on this page")
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    monkeypatch.chdir(tmp_path)
    # a snippet may register a loss: conftest.py restores the registry after it
    namespace = {"__name__": "__main__"}  # as in a script: main guards run
    skipped = []
    for line, code, requirement in blocks:
        if not _available(requirement):
            skipped.append(line)
            continue
        try:
            exec(compile(code, f"{page.name}:{line}", "exec"), namespace)
        except Exception as exc:
            raise AssertionError(
                f"the snippet at {page.relative_to(ROOT)}:{line} fails: "
                f"{type(exc).__name__}: {exc}"
            ) from exc
    import matplotlib.pyplot as plt

    plt.close("all")
    if skipped and len(skipped) == len(blocks):
        pytest.skip(f"every snippet needs something missing here (lines {skipped})")


def test_every_loss_has_a_section_in_the_user_guide():
    text = "\n".join(
        page.read_text(encoding="utf-8") for page in (DOCS / "user_guide").glob("*.rst")
    )
    labels = set(re.findall(r"^\.\. _loss_(\w+):$", text, flags=re.M))
    assert labels == set(loss_names())
