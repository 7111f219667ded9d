"""The README stays true: its loss table and its example."""

import re
from pathlib import Path

from sklearn_losses.losses import get_loss, loss_names

README = (Path(__file__).parents[1] / "README.md").read_text()


def test_loss_table_lists_every_loss_and_valid_aliases():
    rows = [line for line in README.splitlines() if line.startswith("| `")]
    named = {re.match(r"\| `(\w+)`", row).group(1) for row in rows}
    assert named == set(loss_names())
    for row in rows:
        canonical = re.match(r"\| `(\w+)`", row).group(1)
        aliases = re.findall(r"`(\w+)`", row.split("|")[2])
        assert all(get_loss(alias).name == canonical for alias in aliases), row


def test_quick_start_is_two_make_commands():
    block = (
        README.split("## Quick start", 1)[1].split("```bash", 1)[1].split("```", 1)[0]
    )
    commands = [line.split("#")[0].strip() for line in block.strip().splitlines()]
    assert commands == ["make demo", "make test"]
    makefile = (Path(__file__).parents[1] / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
