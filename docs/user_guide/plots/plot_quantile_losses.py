"""Pinball losses of three quantiles against the residual ``y_true - y_pred``."""

import matplotlib.pyplot as plt
import torch

from sklearn_losses.losses import Quantile

residual = torch.linspace(-2, 2, 401, dtype=torch.float64)
prediction = torch.zeros_like(residual)

fig, ax = plt.subplots(figsize=(4.8, 3.4))
for alpha in (0.1, 0.5, 0.9):
    values = Quantile(alpha=alpha).pointwise(prediction, residual)
    ax.plot(residual.numpy(), values.numpy(), label=f"alpha = {alpha}")
ax.set(xlabel="residual  y_true - y_pred", ylabel="pinball loss")
ax.axvline(0, color="0.8", linewidth=0.8, zorder=0)
ax.legend(frameon=False)
