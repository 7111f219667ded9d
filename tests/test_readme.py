"""The README stays true: its loss table and its example."""

import re
from pathlib import Path

from sklearn_losses.losses import get_loss, loss_names

README = (Path(__file__).parents[1] / "README.md").read_text()


TASK_WORDS = {
    "regression": "regression",
    "binary": "binary",
    "multiclass": "multi-class",
    "multilabel": "multi-label",
}


def readme_table(text: str = README) -> dict[str, list[str]]:
    """The README's loss table: each row's cells, by the loss name it starts with."""
    rows = [line for line in text.splitlines() if line.startswith("| `")]
    return {
        re.match(r"\| `(\w+)`", row).group(1): [c.strip() for c in row.split("|")[1:-1]]
        for row in rows
    }


def expected_readme_rows() -> dict[str, set[str]]:
    """What the README table must hold, derived from the registered loss classes:
    every loss, with the words of its tasks."""
    return {
        name: {TASK_WORDS[t] for t in get_loss(name).tasks} for name in loss_names()
    }


def test_loss_table_lists_every_loss_and_valid_aliases():
    table = readme_table()
    expected = expected_readme_rows()
    assert set(table) == set(expected)
    for canonical, cells in table.items():
        aliases = re.findall(r"`(\w+)`", cells[1])
        assert all(get_loss(alias).name == canonical for alias in aliases), cells
        # the task column names exactly the loss's tasks
        words = set(re.findall(r"regression|binary|multi-class|multi-label", cells[2]))
        assert words == expected[canonical], cells
        # the parameters shown are the loss's, with its defaults
        shown = dict(re.findall(r"`(\w+)=([^`]+)`", cells[0]))
        params = get_loss(canonical).get_params()
        assert {k: repr(params[k]) for k in shown} == shown, cells


def test_quick_start_is_two_make_commands():
    block = (
        README.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    )
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (Path(__file__).parents[1] / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
