"""Regression losses and their gradients against the error ``e = y_pred - y_true``.

Every curve is computed by the package's own loss classes, so the figure shows what
the estimators train on.
"""

import matplotlib.pyplot as plt
import torch

from sklearn_losses.losses import AbsoluteError, Huber, LogCosh, SquaredError

error = torch.linspace(-3, 3, 601, dtype=torch.float64, requires_grad=True)
target = torch.zeros_like(error)
losses = {
    "squared_error": SquaredError(),
    "absolute_error": AbsoluteError(),
    "huber (delta=1)": Huber(delta=1.0),
    "log_cosh": LogCosh(),
}

fig, (ax_loss, ax_grad) = plt.subplots(1, 2, figsize=(9, 3.6))
for label, loss in losses.items():
    values = loss.pointwise(error, target)
    (gradient,) = torch.autograd.grad(values.sum(), error)
    x = error.detach().numpy()
    ax_loss.plot(x, values.detach().numpy(), label=label)
    ax_grad.plot(x, gradient.numpy(), label=label)
ax_loss.set(xlabel="error  y_pred - y_true", ylabel="loss", ylim=(-0.1, 4))
ax_grad.set(xlabel="error  y_pred - y_true", ylabel="gradient of the loss")
ax_loss.set_title("penalty")
ax_grad.set_title("pull on the prediction")
for ax in (ax_loss, ax_grad):
    ax.axhline(0, color="0.8", linewidth=0.8, zorder=0)
    ax.axvline(0, color="0.8", linewidth=0.8, zorder=0)
ax_loss.legend(frameon=False)
