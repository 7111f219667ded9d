"""The package's shape: only public torch API, and modules that import in one direction.

Private torch names (``torch._foo``, ``torch.ops.aten`` kernels, autograd-engine
internals) change without notice between releases, so a torch release could break
training. An import cycle (even through an import inside a function) makes the order
of imports matter and the modules hard to read one at a time.
"""

import ast
import re
from pathlib import Path

import networkx as nx

import sklearn_losses

PACKAGE = Path(sklearn_losses.__file__).parent

PRIVATE = re.compile(
    r"torch(\.\w+)*\._[a-zA-Z]"  # torch._fused_adam_, torch.optim.optimizer._x
    r"|\baten\b"  # torch.ops.aten kernels
    r"|torch\.ops\b"
    r"|_execution_engine"
    r"|from torch[\w.]* import _"  # from torch.optim import _functional
)


def test_no_private_torch_names():
    found = [
        f"{path.relative_to(PACKAGE)}:{number}: {line.strip()}"
        for path in sorted(PACKAGE.rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if PRIVATE.search(line)
    ]
    assert not found, "private torch names:\n" + "\n".join(found)


def test_the_pattern_catches_private_names():
    for line in (
        "torch._fused_sgd_(params)",
        "torch._foreach_add_(steps, 1)",
        "_aten = torch.ops.aten",
        "torch.autograd.Variable._execution_engine.run_backward",
        "from torch.optim import _functional",
        "torch.optim.optimizer._get_fused_kernels_supported_devices()",
    ):
        assert PRIVATE.search(line), line
    for line in ("torch.optim.SGD(params)", "torch.sparse.mm(a, b)", "x._loss"):
        assert not PRIVATE.search(line), line


def _package_imports() -> nx.DiGraph:
    """Module -> module edges for every import of the package, at any depth."""
    graph = nx.DiGraph()
    for path in PACKAGE.rglob("*.py"):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        graph.add_node(module)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = (
                    package.rsplit(".", node.level - 1)[0]
                    if node.level > 1
                    else package
                )
                target = f"{base}.{node.module}" if node.module else base
            elif isinstance(node, ast.ImportFrom) and node.module:
                target = node.module
            else:
                continue
            if target.startswith("sklearn_losses") and target != module:
                graph.add_edge(module, target)
    return graph


def test_no_import_cycle():
    graph = _package_imports()
    # An import of a package is an edge to its __init__, which imports the
    # package's modules: a module importing its own package closes a cycle too.
    cycles = list(nx.simple_cycles(graph))
    assert not cycles, f"import cycles: {cycles}"
