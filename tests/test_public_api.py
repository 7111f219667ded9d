"""The package uses only public torch API, so a torch release cannot break training.

Private names (``torch._foo``, ``torch.ops.aten`` kernels, autograd-engine internals,
private attributes of torch modules) change without notice between releases.
"""

import re
from pathlib import Path

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
