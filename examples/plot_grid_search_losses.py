"""
==========================================
Searching over losses with GridSearchCV
==========================================

The loss is an ordinary hyperparameter of ``MLPRegressor`` and ``MLPClassifier``, so
scikit-learn's search tools choose it like any other. Loss objects carry their own
parameters, which the search reaches with the ``loss__`` prefix: here the threshold
``delta`` of the Huber loss is tuned in the same search as the choice of loss.
The search ranks by the metric that matters to the user, not by any loss.
"""

# %%
# Data with heavy-tailed noise
# ----------------------------
# Student-t noise with 2 degrees of freedom produces occasional large errors.
import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, KFold
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_losses import MLPRegressor
from sklearn_losses.losses import Huber

# The search trains many small models; some use all 300 epochs and say so. That is
# not the subject here.
warnings.filterwarnings("ignore", category=ConvergenceWarning)

rng = np.random.default_rng(0)
X = rng.normal(size=(300, 4))
y = X @ np.array([1.5, -2.0, 0.5, 0.0]) + np.tanh(X[:, 0] * X[:, 1])
y += rng.standard_t(df=2, size=300)

pipe = make_pipeline(
    StandardScaler(),
    MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01, max_iter=300,
                 random_state=0),
)  # fmt: skip

# %%
# The grid
# --------
# Two plain losses, and the Huber loss at three values of ``delta``. A list of dicts
# keeps ``loss__delta`` away from the losses that have no such parameter.
param_grid = [
    {"mlpregressor__loss": ["squared_error", "absolute_error"]},
    {"mlpregressor__loss": [Huber()], "mlpregressor__loss__delta": [0.3, 1.0, 3.0]},
]
search = GridSearchCV(
    pipe,
    param_grid,
    scoring="neg_mean_absolute_error",
    cv=KFold(3, shuffle=True, random_state=0),
)
search.fit(X, y)

# %%
# Results
# -------
# Every candidate with its mean score over the folds, best first.
ranked = np.argsort(search.cv_results_["rank_test_score"])
for i in ranked:
    params = search.cv_results_["params"][i]
    loss = params["mlpregressor__loss"]
    name = (
        f"huber(delta={params['mlpregressor__loss__delta']})"
        if isinstance(loss, Huber)
        else loss
    )
    mean = search.cv_results_["mean_test_score"][i]
    std = search.cv_results_["std_test_score"][i]
    print(f"{name:22s} MAE {-mean:.3f} +- {std:.3f}")
print("best:", search.best_params_)

# %%
# The refitted pipeline uses the winning loss; its output layer and the rest of the
# model follow from it:
best = search.best_estimator_[-1]
print(best.loss, best.out_activation_, f"stopped after {best.n_iter_} epochs")

# %%
# For a ranking with spreads and a paired test of every loss against the best,
# see :func:`sklearn_losses.compare_losses`.
