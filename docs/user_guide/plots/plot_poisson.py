"""Poisson deviance against the predicted rate, for three observed counts."""

import matplotlib.pyplot as plt
import torch

from sklearn_losses.losses import Poisson

rate = torch.linspace(0.05, 12, 400, dtype=torch.float64).reshape(-1, 1)

fig, ax = plt.subplots(figsize=(4.8, 3.4))
for count in (0, 2, 6):
    y_true = torch.full_like(rate, float(count))
    ax.plot(
        rate.ravel().numpy(),
        Poisson().loss(rate, y_true).numpy(),
        label=f"observed count y = {count}",
    )
ax.set(xlabel="predicted rate  y_pred", ylabel="Poisson deviance", ylim=(0, 12))
ax.legend(frameon=False)
