"""Squared logarithmic error against the ratio of prediction to target."""

import matplotlib.pyplot as plt
import torch

from sklearn_losses.losses import SquaredError, SquaredLogError

ratio = torch.linspace(0.0, 3.0, 301, dtype=torch.float64)

fig, (ax_log, ax_sq) = plt.subplots(1, 2, figsize=(9, 3.4))
for target in (1.0, 10.0, 100.0):
    y_true = torch.full_like(ratio, target)
    y_pred = ratio * target
    ax_log.plot(
        ratio.numpy(),
        SquaredLogError().pointwise(y_pred, y_true).numpy(),
        label=f"y_true = {target:g}",
    )
    ax_sq.plot(
        ratio.numpy(),
        SquaredError().pointwise(y_pred, y_true).numpy(),
        label=f"y_true = {target:g}",
    )
ax_log.set(
    xlabel="y_pred / y_true", ylabel="loss", title="squared_log_error", ylim=(0, 3)
)
ax_sq.set(xlabel="y_pred / y_true", ylabel="loss", title="squared_error", yscale="log")
ax_log.legend(frameon=False)
