"""Binary classification losses of a positive sample against the raw output ``z``.

``z`` is the network's last linear layer (the logit for the cross-entropies). Each
loss applies its own output activation to it, as the estimators do, and every value
is computed by the package's loss classes.
"""

import matplotlib.pyplot as plt
import torch

from sklearn_losses.losses import ACTIVATIONS, BinaryFocal, Hinge, LogLoss, SquaredHinge

z = torch.linspace(-4, 4, 801, dtype=torch.float64).reshape(-1, 1)
positive = torch.ones_like(z)  # label 1, encoded as 1 (0/1 losses) or +1 (hinges)
curves = {
    "log_loss (sigmoid)": LogLoss().raw_loss(z, positive, ACTIVATIONS["logistic"]),
    "binary_focal, gamma=2 (sigmoid)": BinaryFocal(gamma=2.0).raw_loss(
        z, positive, ACTIVATIONS["logistic"]
    ),
    "hinge (tanh)": Hinge().raw_loss(z, positive, ACTIVATIONS["tanh"]),
    "squared_hinge (tanh)": SquaredHinge().raw_loss(z, positive, ACTIVATIONS["tanh"]),
    "hinge, out_activation='identity'": Hinge(out_activation="identity").raw_loss(
        z, positive, ACTIVATIONS["identity"]
    ),
}

fig, ax = plt.subplots(figsize=(6.4, 3.8))
for label, values in curves.items():
    ax.plot(z.ravel().numpy(), values.numpy(), label=label)
ax.plot(
    z.ravel().numpy(),
    (z.ravel() <= 0).double().numpy(),
    color="0.5",
    linestyle=":",
    label="misclassification (0-1)",
)
ax.set(
    xlabel="raw output z of a sample of the positive class",
    ylabel="loss",
    ylim=(-0.1, 4.5),
)
ax.legend(frameon=False, fontsize=8)
