"""Tables of the registered losses, generated from the registry at build time.

``.. loss-table:: names`` lists each loss with its class, aliases and tasks;
``.. loss-table:: outputs`` its output activation per task, whether it has
``predict_proba`` and which method its metric scores; ``.. loss-table:: scoring``
its metric functions and scorer names. Generating them keeps the user guide in step
with :func:`sklearn_losses.losses.loss_names`, ``loss_aliases`` and the scorers.
"""

from __future__ import annotations

from collections import defaultdict

from docutils import nodes
from docutils.parsers.rst import Directive
from docutils.statemachine import StringList
from sphinx.util.nodes import nested_parse_with_titles

_TASK_LABELS = {
    "regression": "regression",
    "binary": "binary",
    "multiclass": "multi-class",
    "multilabel": "multi-label",
}
_TASK_ORDER = ("regression", "binary", "multiclass", "multilabel")


def _losses():
    from sklearn_losses.losses import get_loss, loss_names

    return [get_loss(name) for name in loss_names()]


def _aliases() -> dict[str, list[str]]:
    from sklearn_losses.losses import loss_aliases

    found = defaultdict(list)
    for alias, name in loss_aliases().items():
        if alias != name:
            found[name].append(alias)
    return found


def _scorers() -> dict[str, list[str]]:
    from sklearn_losses import get_scorer
    from sklearn_losses.scoring import get_scorer_names

    found = defaultdict(list)
    for scorer_name in get_scorer_names():
        scorer = get_scorer(scorer_name)
        loss = getattr(scorer, "loss", None)
        if loss is not None:
            found[loss.name].append(scorer_name)
    # the loss's own scorer first, then the others alphabetically
    for name, names in found.items():
        names.sort(key=lambda s: (s != f"neg_{name}", s))
    return found


def _code(items) -> str:
    return ", ".join(f"``{item}``" for item in items) or "\\-"


def _activations(loss) -> str:
    parts = defaultdict(list)
    for task in _TASK_ORDER:
        if task in loss.tasks:
            parts[loss.activation(task)].append(_TASK_LABELS[task])
    if len(parts) == 1:
        return f"``{next(iter(parts))}``"
    return "; ".join(f"``{act}`` ({', '.join(tasks)})" for act, tasks in parts.items())


def _proba(loss) -> str:
    if loss.probabilistic:
        return "yes"
    return "yes (estimated from decision values)" if loss.has_proba else "no"


def _response(loss) -> str:
    """The method the metric takes the output of, with its keyword arguments."""
    kwargs = ", ".join(f"{k}={v!r}" for k, v in loss.response_kwargs.items())
    if kwargs:
        return f"``{loss.response_method}(X, {kwargs})``"
    return f"``{loss.response_method}``"


def _rows(kind: str) -> tuple[list[str], list[list[str]]]:
    losses = _losses()
    if kind == "names":
        aliases = _aliases()
        header = ["``loss=`` (class)", "also accepted as", "tasks"]
        rows = [
            [
                f"``{loss.name}`` "
                f"(:class:`~sklearn_losses.losses.{type(loss).__name__}`)",
                _code(aliases[loss.name]),
                ", ".join(_TASK_LABELS[t] for t in _TASK_ORDER if t in loss.tasks),
            ]
            for loss in losses
        ]
        return header, rows
    if kind == "outputs":
        header = ["``loss=``", "output activation", "``predict_proba``", "metric takes"]
        rows = []
        for loss in losses:
            classifier = bool(loss.tasks - {"regression"})
            rows.append(
                [
                    f"``{loss.name}``",
                    _activations(loss),
                    _proba(loss) if classifier else "\\-",
                    _response(loss),
                ]
            )
        return header, rows
    if kind == "scoring":
        scorers = _scorers()
        header = ["``loss=``", "metric (:mod:`sklearn_losses.metrics`)", "scorer names"]
        rows = [
            [
                f"``{loss.name}``",
                ", ".join(
                    f":func:`~sklearn_losses.metrics.{name}`"
                    for name in loss.metric_function_names()
                ),
                _code(scorers[loss.name]),
            ]
            for loss in losses
        ]
        return header, rows
    raise ValueError(f"unknown loss-table kind {kind!r}: names, outputs or scoring")


class LossTable(Directive):
    """``.. loss-table:: names|outputs|scoring``."""

    required_arguments = 1
    has_content = False

    def run(self):
        header, rows = _rows(self.arguments[0])
        lines = [
            ".. list-table::",
            "   :header-rows: 1",
            "   :widths: auto",
            "   :class: loss-table",
            "",
        ]
        for row in [header, *rows]:
            first, *rest = row
            lines.append(f"   * - {first}")
            lines.extend(f"     - {cell}" for cell in rest)
        container = nodes.container()
        nested_parse_with_titles(
            self.state, StringList(lines, source="loss-table"), container
        )
        return container.children


def setup(app):
    app.add_directive("loss-table", LossTable)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
