"""
=========================================
Writing your own loss as a torch function
=========================================

Any differentiable torch function ``f(y_pred, y_true)`` can be passed as ``loss=``.
For a binary classifier, ``y_pred`` holds the sigmoid outputs and ``y_true`` the
labels as 0.0 and 1.0, both with one column. The function returns one value per
sample, so sample weights keep working.

The example writes binary cross-entropy by hand twice: once correctly, and once with
a classic mistake, keeping only the ``y log p`` term. The broken version is never
penalised for predicting "positive", and cross-validation shows it at once.
"""

# %%
import torch
from sklearn.datasets import make_moons

from sklearn_losses import MLPClassifier, compare_losses

X, y = make_moons(n_samples=300, noise=0.2, random_state=0)


def cross_entropy(p, y):
    """Binary cross-entropy with probabilities kept away from 0 and 1."""
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean(dim=1)


def positive_term_only(p, y):
    """The mistake: without the (1 - y) log(1 - p) term, negatives cost nothing."""
    p = p.clamp(1e-7, 1 - 1e-7)
    return -(y * torch.log(p)).mean(dim=1)


# %%
# Compare them with the built-in loss
# -----------------------------------
# ``compare_losses`` accepts functions as candidates and names them after the
# function.
model = MLPClassifier(hidden_layer_sizes=(20,), learning_rate_init=0.02,
                      max_iter=100, random_state=0)  # fmt: skip
result = compare_losses(
    model,
    X,
    y,
    losses=["log_loss", cross_entropy, positive_term_only],
    scoring=["accuracy", "neg_log_loss"],
    cv=5,
    random_state=0,
)
print(result)

# %%
# The hand-written cross-entropy matches the built-in ``log_loss`` (the built-in
# trains on the logits, which is more stable, but the two agree closely). The
# broken loss drives every output towards 1: its accuracy is the share of the
# positive class.
broken = MLPClassifier(**{**model.get_params(), "loss": positive_term_only}).fit(X, y)
print("predicted positive:", broken.predict(X).mean(), " actual:", y.mean())

# %%
# A loss with its own hyperparameters, or one that should appear in
# ``loss_names()`` and get a metric function and a scorer, is better written as a
# subclass of :class:`sklearn_losses.losses.Loss` with a ``name``: defining the class
# registers it.
