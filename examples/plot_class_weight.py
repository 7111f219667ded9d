"""
======================================================
Class weights for a rare class: self-rated poor health
======================================================

scikit-learn's linear models and trees take ``class_weight``; its MLP does not.
:class:`sklearn_losses.MLPClassifier` does, for every classification loss: the
weights multiply ``sample_weight`` and weigh the early-stopping validation score too.

The data are the RAND Health Insurance Experiment, shipped with statsmodels
(:func:`statsmodels.datasets.randhie.load_pandas`): 20,190 person-years with the
number of outpatient visits, the insurance plan, a physical limitation and the number
of chronic diseases. The task: spot the 9% who rate their own health "fair" or "poor".
A network trained without weights predicts "good" almost always, right 91% of the
time and useless; weighting the rare class trades some accuracy for finding the
people the task is about.
"""

# %%
# The data: 9% positives
# ----------------------
import warnings

import matplotlib.pyplot as plt
import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import balanced_accuracy_score, confusion_matrix
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.class_weight import compute_sample_weight
from statsmodels.datasets import randhie

from sklearn_losses import MLPClassifier

warnings.filterwarnings("ignore", category=ConvergenceWarning)

data = randhie.load_pandas().data
features = ["mdvis", "lncoins", "idp", "lpi", "fmde", "physlm", "disea"]
X = data[features].to_numpy()
y = np.where(data["hlthf"] + data["hlthp"] > 0, "fair/poor", "good")
print(f"{len(y)} samples, {np.mean(y == 'fair/poor'):.1%} in fair or poor health")

X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.3, stratify=y, random_state=0
)

# %%
# Three weightings of the same network
# ------------------------------------
# ``"balanced"`` weighs each class by ``n_samples / (n_classes * count)``: here
# about 0.55 for "good" and 5.4 for "fair/poor", so both classes weigh the same in
# total. A dict sets the weights by hand; classes left out weigh one. Early stopping
# holds out 10% of the training set and scores it with the same weights, so the
# epoch it keeps is the best one for the weighted task.
weightings = {"no weights": None, "{'fair/poor': 3}": {"fair/poor": 3.0}}
weightings["balanced"] = "balanced"
results = {}
for label, class_weight in weightings.items():
    model = make_pipeline(
        StandardScaler(),
        MLPClassifier(
            hidden_layer_sizes=(32,),
            class_weight=class_weight,
            early_stopping=True,
            random_state=0,
        ),
    ).fit(X_train, y_train)
    y_pred = model.predict(X_test)
    matrix = confusion_matrix(y_test, y_pred, labels=["fair/poor", "good"])
    recall = matrix.diagonal() / matrix.sum(axis=1)
    results[label] = recall
    print(
        f"{label:>17}: balanced accuracy {balanced_accuracy_score(y_test, y_pred):.3f}, "
        f"accuracy {np.mean(y_test == y_pred):.3f}, "
        f"fair/poor found {recall[0]:.1%}, good kept {recall[1]:.1%}"
    )

# %%
# What the weights buy
# --------------------
# Without weights the network finds almost nobody in poor health. Weighting the rare
# class finds far more of them, for a modest loss on the frequent class: the balanced
# accuracy (the mean of the two recalls) goes up, the plain accuracy down.
fig, ax = plt.subplots(figsize=(6, 3.5))
positions = np.arange(len(results))
for offset, (name, column) in zip((-0.2, 0.2), (("fair/poor", 0), ("good", 1))):
    ax.bar(
        positions + offset,
        [recall[column] for recall in results.values()],
        width=0.4,
        label=f"recall of '{name}'",
    )
ax.set_xticks(positions, list(results))
ax.set_ylim(0, 1.2)
ax.set_ylabel("recall on the test set")
ax.legend(loc="upper center", ncol=2)
ax.set_title("class_weight on MLPClassifier (RAND health data)")
fig.tight_layout()
plt.show()

# %%
# The same as sample weights
# --------------------------
# ``class_weight=cw`` trains exactly the network that
# ``sample_weight=compute_sample_weight(cw, y)`` trains, bit for bit with the same
# seed; ``class_weight`` also weighs the validation data, which ``sample_weight``
# alone cannot reach. It works with every classification loss (here the focal loss)
# and with multi-label targets (a list of dicts, one per label, or ``"balanced"``).
params = dict(hidden_layer_sizes=(8,), max_iter=20, loss="binary_focal", random_state=0)
by_class = MLPClassifier(class_weight="balanced", **params).fit(X_train, y_train)
by_sample = MLPClassifier(**params).fit(
    X_train, y_train, sample_weight=compute_sample_weight("balanced", y_train)
)
print(
    "same weights:",
    all(np.array_equal(a, b) for a, b in zip(by_class.coefs_, by_sample.coefs_)),
)
