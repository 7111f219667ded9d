"""
=================================================================
Binary classification: cross-entropy, hinge and squared hinge
=================================================================

The reference binary experiment compares three losses on two concentric circles:
binary cross-entropy with a sigmoid output and {0, 1} targets, and the hinge and
squared hinge losses with a tanh output and {-1, +1} targets. With
``sklearn_losses.MLPClassifier`` only ``loss=`` changes: the loss picks the output
activation and encodes the labels itself.

Settings as in the reference: ``make_circles`` with 1,000 samples, the first 500 for
training, 50 ReLU units (He-uniform), SGD with momentum 0.9, learning rate 0.01,
batches of 32, 200 epochs.
"""

# %%
import warnings
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_circles
from sklearn.exceptions import ConvergenceWarning

from sklearn_losses import LossCurveDisplay, MLPClassifier
from sklearn_losses.neural_network import MLPModule

# The reference trains for a fixed number of epochs; scikit-learn's notice that
# the optimiser has not converged is expected and silenced here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_circles(n_samples=1000, noise=0.1, random_state=1)
X_train, X_test, y_train, y_test = X[:500], X[500:], y[:500], y[500:]

settings = dict(
    module=partial(MLPModule, hidden_layer_sizes=(50,), init="he_uniform"),
    solver="sgd",
    learning_rate_init=0.01,
    momentum=0.9,
    nesterovs_momentum=False,
    batch_size=32,
    alpha=0.0,
    max_iter=200,
    n_iter_no_change=201,
    random_state=0,
)

# %%
# Train one model per loss
# ------------------------
# The labels stay 0 and 1 for every loss; the hinge losses see them as -1 and +1.
models = {}
for loss in ["binary_crossentropy", "hinge", "squared_hinge"]:
    model = MLPClassifier(loss=loss, **settings)
    models[loss] = model.fit(X_train, y_train, validation_data=(X_test, y_test))
    print(
        f"{loss:20s} output {model.out_activation_:8s} "
        f"train {model.score(X_train, y_train):.3f}  "
        f"test {model.score(X_test, y_test):.3f}"
    )

# %%
# All three reach about the same accuracy. The reference reports lower figures for
# the hinge losses (0.740 and 0.646 on the test half). Its accuracy metric rounded
# the tanh output and compared it with the -1/+1 label, so an output between -0.5
# and 0.5 counted as an error even on the right side of zero. Measured that way, our
# hinge models land near the published figures:
for loss in ["hinge", "squared_hinge"]:
    scores = models[loss].decision_function(X_test)
    labels = np.where(y_test == 1, 1, -1)
    rounded = np.mean(np.round(scores) == labels)
    print(f"{loss:20s} rounded-output accuracy on the test half: {rounded:.3f}")

# %%
# Squared hinge pushes outputs less far from zero once a sample is on the right
# side, so its rounded figure is the lowest: a property of the metric, not of the
# decision boundary.
#
# Learning curves
# ---------------
fig, axes = plt.subplots(2, 3, figsize=(13, 7))
for column, (loss, model) in enumerate(models.items()):
    display = LossCurveDisplay.from_estimator(model, ax=axes[:, column])
    display.ax_.set_title(loss)
fig.tight_layout()
plt.show()
