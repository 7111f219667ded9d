"""
=====================================================
Huber versus squared error on data with outliers
=====================================================

The squared error grows with the square of a residual, so a few wild targets pull
the whole fit towards them. The Huber loss is quadratic for small residuals and
linear beyond ``delta``, and the absolute error is linear everywhere: both give
outliers a bounded pull. This example corrupts a tenth of the targets of a smooth
1-D problem and lets :func:`sklearn_losses.compare_losses` settle the question with
repeated cross-validation and a paired test.
"""

# %%
# Data: a sine wave, with one target in ten pushed far up
# --------------------------------------------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning

from sklearn_losses import MLPRegressor, compare_losses

# Every model trains for a fixed number of epochs; the notice that they have not
# converged is expected.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.default_rng(0)
X = np.sort(rng.uniform(-3, 3, size=150)).reshape(-1, 1)
clean = np.sin(X).ravel()
y = clean + rng.normal(scale=0.1, size=150)
outlier = rng.random(150) < 0.1
y[outlier] += rng.uniform(3, 6, size=outlier.sum())

model = MLPRegressor(
    hidden_layer_sizes=(16,),
    learning_rate_init=0.03,
    max_iter=150,
    n_iter_no_change=150,
    random_state=0,
)

# %%
# Compare the losses
# ------------------
# The first metric ranks: the median absolute error describes the typical sample
# and ignores the outliers. The mean squared error is reported beside it. Five folds
# repeated twice give ten paired differences per loss for the corrected t-test.
result = compare_losses(
    model,
    X,
    y,
    losses=["squared_error", "huber", "absolute_error"],
    scoring=["neg_median_absolute_error", "neg_mean_squared_error"],
    cv=5,
    n_repeats=2,
    random_state=0,
)
print(result)

# %%
# The absolute error and Huber win by a wide margin on the typical error, and the
# paired test finds the gap to the squared error significant despite the overlap
# of the training folds. On the mean squared error the three are within noise of
# each other: that metric is dominated by the outliers, which no loss can predict,
# so it is a poor guide for choosing here. With pandas installed the same table is
# a data frame:
result.to_frame()[["neg_median_absolute_error_mean", "p_value"]]

# %%
# What the fits look like
# -----------------------
# Trained on all the data, the squared-error network is lifted towards the outliers
# wherever they cluster; the robust losses follow the sine.
fig, ax = plt.subplots(figsize=(7, 4))
ax.scatter(X[~outlier], y[~outlier], s=8, color="0.6", label="data")
ax.scatter(X[outlier], y[outlier], s=12, color="tab:red", label="outliers")
ax.plot(X, clean, color="black", linewidth=1, label="sin(x)")
for loss in ["squared_error", "huber", "absolute_error"]:
    fitted = MLPRegressor(**{**model.get_params(), "loss": loss}).fit(X, y)
    ax.plot(X, fitted.predict(X), linewidth=2, label=loss)
ax.legend(ncol=2)
ax.set_xlabel("x")
ax.set_ylabel("y")
plt.show()
