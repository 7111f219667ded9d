"""
=======================================================================
Multi-class classification: categorical, sparse categorical and KL
=======================================================================

The reference multi-class experiment trains softmax networks on three overlapping
blobs with three losses: categorical cross-entropy (one-hot targets), sparse
categorical cross-entropy (integer targets) and the Kullback-Leibler divergence
(one-hot targets). On one-hot targets the three are the same function up to a
constant, so they should train alike; the reference reports about 0.82 test
accuracy for each.

Settings as in the reference: ``make_blobs`` with 1,000 samples in 2 dimensions,
``cluster_std=2``, the first 500 for training, 50 ReLU units (He-uniform), SGD with
momentum 0.9, learning rate 0.01, batches of 32, 100 epochs.
"""

# %%
import warnings
from functools import partial

import matplotlib.pyplot as plt
import numpy as np
from sklearn.datasets import make_blobs
from sklearn.exceptions import ConvergenceWarning

from sklearn_losses import LossCurveDisplay, MLPClassifier
from sklearn_losses.neural_network import MLPModule

# The reference trains for a fixed number of epochs; scikit-learn's notice that
# the optimiser has not converged is expected and silenced here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

X, y = make_blobs(
    n_samples=1000, centers=3, n_features=2, cluster_std=2, random_state=2
)
X_train, X_test, y_train, y_test = X[:500], X[500:], y[:500], y[500:]

settings = dict(
    module=partial(MLPModule, hidden_layer_sizes=(50,), init="he_uniform"),
    solver="sgd",
    learning_rate_init=0.01,
    momentum=0.9,
    nesterovs_momentum=False,
    batch_size=32,
    alpha=0.0,
    max_iter=100,
    n_iter_no_change=101,
    random_state=0,
)
losses = [
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "kullback_leibler_divergence",
]

# %%
# Train and compare
# -----------------
# The class labels go in as they are; each loss encodes them (one-hot or index).
models = {}
for loss in losses:
    model = MLPClassifier(loss=loss, **settings)
    models[loss] = model.fit(X_train, y_train, validation_data=(X_test, y_test))
    print(
        f"{loss:32s} train {model.score(X_train, y_train):.3f}  "
        f"test {model.score(X_test, y_test):.3f}"
    )

# %%
# With the same seed the two cross-entropies give the same model: they are the same
# loss with a different target format. KL divergence differs from them by the
# entropy of the targets, which is (almost) zero for one-hot targets, so its
# gradients and its model are practically the same too.
proba = {loss: model.predict_proba(X_test) for loss, model in models.items()}
print(
    "largest probability difference, categorical vs KL:",
    f"{np.abs(proba[losses[0]] - proba[losses[2]]).max():.2e}",
)

# %%
# Learning curves
# ---------------
# Unscaled inputs and a large effective step (momentum 0.9) make the curves bumpy.
fig, axes = plt.subplots(2, 3, figsize=(13, 7))
for column, (loss, model) in enumerate(models.items()):
    display = LossCurveDisplay.from_estimator(model, ax=axes[:, column])
    display.ax_.set_title(loss)
fig.tight_layout()
plt.show()
