"""Focal loss against the probability given to the true class, for several gamma."""

import matplotlib.pyplot as plt
import torch

from sklearn_losses.losses import BinaryFocal

p_true = torch.linspace(0.01, 1.0, 300, dtype=torch.float64).reshape(-1, 1)
label = torch.ones_like(p_true)

fig, ax = plt.subplots(figsize=(4.8, 3.4))
for gamma in (0.0, 0.5, 1.0, 2.0, 5.0):
    name = "log_loss" if gamma == 0 else f"gamma = {gamma:g}"
    ax.plot(
        p_true.ravel().numpy(),
        BinaryFocal(gamma=gamma).loss(p_true, label).numpy(),
        label=name,
    )
ax.set(xlabel="predicted probability of the true class", ylabel="loss", ylim=(0, 4))
ax.legend(frameon=False)
