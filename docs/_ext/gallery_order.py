"""The order of the gallery: the reference experiments first, as examples/README.txt
announces them, then the other examples; files not listed here come last, by name."""

from __future__ import annotations

from pathlib import Path

ORDER = (
    "plot_regression_losses.py",
    "plot_binary_losses.py",
    "plot_multiclass_losses.py",
    "plot_grid_search_losses.py",
    "plot_custom_loss.py",
    "plot_huber_vs_mse.py",
    "plot_class_weight.py",
    "plot_prediction_intervals.py",
)


class ReferenceFirst:
    """sphinx-gallery ``within_subsection_order`` key: listed files first."""

    def __init__(self, src_dir: str | None = None):
        self.src_dir = src_dir

    def __call__(self, filename: str) -> tuple[int, str]:
        name = Path(filename).name
        return (ORDER.index(name) if name in ORDER else len(ORDER), name)

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"
