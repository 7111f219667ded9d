"""Train a network for as many epochs as a validation split says, then on every row.

The estimators' own early stopping watches the validation *score* (accuracy, R^2) and
keeps the weights of the epoch where it first peaked. On small tables that is a poor
rule for classifiers: accuracy on a few dozen rows moves in coarse steps, peaks within
the first epochs and stops training long before the loss has converged. A careful
practitioner watches the validation *loss* instead, which moves with every step, and
then trains again on all the rows for the number of epochs it chose (the rows held out
for validation are not lost). :class:`EpochsFromValidation` does exactly that, so every
loss in a comparison is trained to its own best length.
"""

from __future__ import annotations

import math
import warnings
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

#: patience="auto" waits for this many optimizer steps, and at least as many epochs
_PATIENCE_STEPS = 200
_MIN_PATIENCE_EPOCHS = 10


def patience_epochs(estimator, n_rows: int, patience="auto") -> int:
    """Patience in epochs: ``patience`` itself, or for "auto" 200 steps' worth.

    Parameters
    ----------
    estimator : MLPRegressor or MLPClassifier
        The network (its ``batch_size`` gives the steps per epoch).
    n_rows : int
        Rows it trains on.
    patience : int or "auto", default="auto"
        The patience asked for.

    Returns
    -------
    epochs : int
        At least 10, and enough epochs for 200 optimizer steps.
    """
    if isinstance(patience, Integral):
        return int(patience)
    batch = estimator.get_params().get("batch_size", "auto")
    batch = min(200, n_rows) if batch == "auto" else min(int(batch), n_rows)
    steps_per_epoch = math.ceil(n_rows / max(batch, 1))
    return max(_MIN_PATIENCE_EPOCHS, math.ceil(_PATIENCE_STEPS / steps_per_epoch))


def _inner_has(method: str):
    def check(self) -> bool:
        inner = getattr(self, "estimator_", self.estimator)
        return hasattr(inner, method)

    return check


class EpochsFromValidation(MetaEstimatorMixin, BaseEstimator):
    """Choose the number of epochs on a validation split, then refit on all rows.

    ``fit`` holds out ``validation_fraction`` of the rows (stratified for a
    classifier), trains a clone of ``estimator`` with early stopping on them and
    ``patience`` epochs of patience, takes the epoch of the lowest validation loss,
    and trains a fresh clone on all the rows for that many epochs.

    Parameters
    ----------
    estimator : MLPRegressor or MLPClassifier
        The network to train; its ``max_iter`` bounds the first fit.
    validation_fraction : float, default=0.2
        Share of the rows held out to choose the number of epochs.
    patience : int or "auto", default="auto"
        Epochs without a better validation score before the first fit stops.
        "auto" waits for at least 200 optimizer steps and 10 epochs: 200 epochs on a
        table that fits in one mini-batch, 10 on one of 4,000 rows in batches of 200.

    Attributes
    ----------
    estimator_ : estimator
        The network trained on all the rows.
    n_iter_ : int
        The number of epochs chosen (and trained on all the rows).
    validation_estimator_ : estimator
        The network trained on the rest while watching the held-out rows; its
        ``loss_curve_``, ``validation_loss_curve_`` and ``validation_scores_`` are
        the learning curves.
    patience_ : int
        The patience used, in epochs.
    reached_max_iter_ : bool
        Whether the first fit ran to ``max_iter`` without stopping: the loss might
        have improved further.
    classes_ : ndarray
        The class labels (classifiers).

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn_losses import MLPClassifier
    >>> from sklearn_losses._epochs import EpochsFromValidation
    >>> X, y = load_iris(return_X_y=True)
    >>> model = EpochsFromValidation(
    ...     MLPClassifier(hidden_layer_sizes=(8,), max_iter=300, random_state=0),
    ...     patience=20,
    ... ).fit(X, y)
    >>> 1 <= model.n_iter_ <= 300
    True
    """

    def __init__(self, estimator, *, validation_fraction: float = 0.2, patience="auto"):
        self.estimator = estimator
        self.validation_fraction = validation_fraction
        self.patience = patience

    def fit(self, X, y, sample_weight=None):
        """Choose the number of epochs, then train on all the rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights, for both fits.

        Returns
        -------
        self : EpochsFromValidation
            The fitted model.
        """
        y = np.asarray(y)
        seed = self.estimator.get_params().get("random_state")
        seed = seed if isinstance(seed, (int, np.integer)) else 0
        arrays = [X, y] + ([] if sample_weight is None else [sample_weight])
        try:
            parts = train_test_split(
                *arrays,
                test_size=self.validation_fraction,
                random_state=seed,
                stratify=y if is_classifier(self.estimator) else None,
            )
        except ValueError:  # a class too rare to stratify
            parts = train_test_split(
                *arrays, test_size=self.validation_fraction, random_state=seed
            )
        X_train, X_val, y_train, y_val = parts[:4]
        patience = patience_epochs(self.estimator, len(y_train), self.patience)
        weights = {} if sample_weight is None else {"sample_weight": parts[4]}
        validation = (X_val, y_val) if not weights else (X_val, y_val, parts[5])
        first = clone(self.estimator).set_params(
            early_stopping=True, n_iter_no_change=patience
        )
        first.fit(X_train, y_train, validation_data=validation, **weights)
        losses = np.asarray(first.validation_loss_curve_, dtype=float)
        finite = np.where(np.isfinite(losses), losses, np.inf)
        self.n_iter_ = int(np.argmin(finite)) + 1
        self.reached_max_iter_ = first.n_iter_ >= first.max_iter
        self.validation_estimator_ = first
        final = clone(self.estimator).set_params(
            early_stopping=False, max_iter=self.n_iter_, n_iter_no_change=patience
        )
        with warnings.catch_warnings():
            # stopping at the chosen epoch is the point, not a failure to converge
            warnings.simplefilter("ignore", ConvergenceWarning)
            final.fit(
                X,
                y,
                **({} if sample_weight is None else {"sample_weight": sample_weight}),
            )
        self.estimator_ = final
        self.patience_ = patience
        if hasattr(final, "classes_"):
            self.classes_ = final.classes_
        return self

    def predict(self, X):
        """Predict with the network trained on all the rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        y : ndarray
            The predictions.
        """
        check_is_fitted(self)
        return self.estimator_.predict(X)

    @available_if(_inner_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities, where the loss defines them.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            The probabilities.
        """
        check_is_fitted(self)
        return self.estimator_.predict_proba(X)

    @available_if(_inner_has("decision_function"))
    def decision_function(self, X):
        """Decision values of the network trained on all the rows.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.

        Returns
        -------
        scores : ndarray
            The decision values.
        """
        check_is_fitted(self)
        return self.estimator_.decision_function(X)

    def score(self, X, y, sample_weight=None):
        """The inner estimator's score (accuracy or R^2).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            The data.
        y : array-like
            The targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights.

        Returns
        -------
        score : float
            The score.
        """
        check_is_fitted(self)
        return self.estimator_.score(X, y, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        return self.estimator.__sklearn_tags__()
