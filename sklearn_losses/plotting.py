"""Learning curves of the MLP estimators, in scikit-learn's Display style."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from sklearn.base import is_classifier
from sklearn.utils.validation import check_is_fitted

__all__ = ["LossCurveDisplay"]


def _final_estimator(estimator):
    """The last step of a pipeline (or the estimator itself)."""
    steps = getattr(estimator, "steps", None)
    return steps[-1][1] if steps else estimator


def _loss_label(estimator) -> str:
    from .losses import get_loss

    try:
        return f"{get_loss(estimator.loss).name} loss"
    except (AttributeError, TypeError, ValueError):
        return "loss"


def _curve(values) -> np.ndarray | None:
    return None if values is None else np.asarray(values, dtype=float).ravel()


class LossCurveDisplay:
    """Learning curves: the loss per epoch and, in a second panel, the score.

    The training curve comes from the estimator's ``loss_curve_``; the validation
    curves from ``validation_loss_curve_`` and ``validation_scores_``, which the
    estimators record when fitted with ``validation_data=(X_val, y_val)`` or with
    ``early_stopping=True``. Use :meth:`from_estimator` to build the display from a
    fitted estimator, or create it from arrays (for example curves averaged over
    several runs) and call :meth:`plot`.

    Parameters
    ----------
    loss_curve : array-like of shape (n_epochs,)
        Training loss per epoch.
    validation_loss_curve : array-like of shape (n_epochs,), default=None
        Validation loss per epoch.
    train_scores : array-like of shape (n_epochs,), default=None
        Score on the training set per epoch (the estimators do not record it; a
        second fit with ``validation_data=(X_train, y_train)`` and the same
        ``random_state`` gives it).
    validation_scores : array-like of shape (n_epochs,), default=None
        Score on the validation set per epoch.
    loss_name : str, default="loss"
        Label of the loss axis.
    score_name : str, default="score"
        Label of the score axis.
    estimator_name : str, default=None
        Name used in the legend; None labels the lines "train" and "validation" only.

    Attributes
    ----------
    ax_ : matplotlib Axes
        The panel with the loss curves.
    score_ax_ : matplotlib Axes or None
        The panel with the score curves; None when there is no score to plot or
        only one Axes was given.
    figure_ : matplotlib Figure
        The figure holding the panels.
    lines_ : dict of str to matplotlib Line2D
        The plotted lines, under the keys ``"train_loss"``, ``"validation_loss"``,
        ``"train_score"`` and ``"validation_score"`` (those that were drawn).

    See Also
    --------
    sklearn.model_selection.LearningCurveDisplay : Scores against the training set size.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_losses import LossCurveDisplay, MLPClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = MLPClassifier(loss="hinge", hidden_layer_sizes=(10,), max_iter=20,
    ...                     random_state=0)
    >>> clf = clf.fit(X[:150], y[:150], validation_data=(X[150:], y[150:]))
    >>> display = LossCurveDisplay.from_estimator(clf, name="hinge")
    >>> display.ax_.get_ylabel(), display.score_ax_.get_ylabel()
    ('hinge loss', 'accuracy')
    >>> sorted(display.lines_)
    ['train_loss', 'validation_loss', 'validation_score']
    """

    def __init__(
        self,
        *,
        loss_curve,
        validation_loss_curve=None,
        train_scores=None,
        validation_scores=None,
        loss_name: str = "loss",
        score_name: str = "score",
        estimator_name: str | None = None,
    ):
        self.loss_curve = loss_curve
        self.validation_loss_curve = validation_loss_curve
        self.train_scores = train_scores
        self.validation_scores = validation_scores
        self.loss_name = loss_name
        self.score_name = score_name
        self.estimator_name = estimator_name

    def _has_scores(self) -> bool:
        return self.train_scores is not None or self.validation_scores is not None

    def plot(
        self,
        ax=None,
        *,
        name: str | None = None,
        train_kw: dict | None = None,
        validation_kw: dict | None = None,
    ) -> LossCurveDisplay:
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes or sequence of two Axes, default=None
            Where to draw. One Axes receives the loss curves only; two Axes receive
            the loss and the score curves. None creates a figure with one panel, or
            two side by side when there are scores.
        name : str, default=None
            Name used in the legend, overriding ``estimator_name``.
        train_kw : dict, default=None
            Keyword arguments for the training lines (``matplotlib.axes.Axes.plot``).
            By default training lines are solid.
        validation_kw : dict, default=None
            Keyword arguments for the validation lines; dashed by default, in the
            colour of the training line.

        Returns
        -------
        display : LossCurveDisplay
            The display, with ``ax_``, ``score_ax_``, ``figure_`` and ``lines_`` set.
        """
        import matplotlib.pyplot as plt

        name = self.estimator_name if name is None else name
        if ax is None:
            n_panels = 2 if self._has_scores() else 1
            _, axes = plt.subplots(1, n_panels, figsize=(5 * n_panels, 3.8))
            axes = np.atleast_1d(axes)
        elif isinstance(ax, (Sequence, np.ndarray)):
            axes = np.asarray(ax, dtype=object).ravel()
            if not 1 <= len(axes) <= 2:
                raise ValueError(f"ax must hold one or two Axes, got {len(axes)}.")
        else:
            axes = np.array([ax], dtype=object)

        prefix = f"{name} " if name else ""
        train_kw = {"linestyle": "-", **(train_kw or {})}
        validation_kw = {"linestyle": "--", **(validation_kw or {})}
        panels = [("loss", self.loss_curve, self.validation_loss_curve, axes[0])]
        if len(axes) == 2 and self._has_scores():
            panels.append(("score", self.train_scores, self.validation_scores, axes[1]))

        self.lines_ = {}
        for kind, train, validation, panel in panels:
            color = None
            for split, values, kw in (
                ("train", _curve(train), train_kw),
                ("validation", _curve(validation), validation_kw),
            ):
                if values is None:
                    continue
                kw = {"label": f"{prefix}{split}", **kw}
                if color is not None:
                    kw.setdefault("color", color)
                epochs = np.arange(1, len(values) + 1)
                (line,) = panel.plot(epochs, values, **kw)
                color = line.get_color()
                self.lines_[f"{split}_{kind}"] = line
            panel.set_xlabel("epoch")
            panel.set_ylabel(self.loss_name if kind == "loss" else self.score_name)
            panel.legend()

        self.ax_ = axes[0]
        self.score_ax_ = axes[1] if len(panels) == 2 else None
        self.figure_ = self.ax_.figure
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        *,
        ax=None,
        name: str | None = None,
        loss_name: str | None = None,
        score_name: str | None = None,
        train_kw: dict | None = None,
        validation_kw: dict | None = None,
    ) -> LossCurveDisplay:
        """Plot the learning curves recorded by a fitted estimator.

        Parameters
        ----------
        estimator : MLPRegressor, MLPClassifier or Pipeline ending in one
            A model fitted with a stochastic solver (``"sgd"`` or ``"adam"``). Its
            ``loss_curve_`` is the training curve; ``validation_loss_curve_`` and
            ``validation_scores_``, when recorded, the validation curves.
        ax : matplotlib Axes or sequence of two Axes, default=None
            Where to draw; see :meth:`plot`.
        name : str, default=None
            Name used in the legend.
        loss_name : str, default=None
            Label of the loss axis; None uses the name of the estimator's loss.
        score_name : str, default=None
            Label of the score axis; None uses "accuracy" for classifiers and "R^2"
            for regressors (what their ``score`` method returns).
        train_kw, validation_kw : dict, default=None
            Keyword arguments for the lines; see :meth:`plot`.

        Returns
        -------
        display : LossCurveDisplay
            The display, drawn.
        """
        model = _final_estimator(estimator)
        check_is_fitted(model)
        if getattr(model, "loss_curve_", None) is None:
            raise ValueError(
                f"{type(model).__name__} has no loss_curve_: learning curves are "
                "recorded by the stochastic solvers ('sgd', 'adam'), not by 'lbfgs'."
            )
        if score_name is None:
            score_name = "accuracy" if is_classifier(model) else "R^2"
        display = cls(
            loss_curve=model.loss_curve_,
            validation_loss_curve=getattr(model, "validation_loss_curve_", None),
            validation_scores=getattr(model, "validation_scores_", None),
            loss_name=_loss_label(model) if loss_name is None else loss_name,
            score_name=score_name,
            estimator_name=name,
        )
        return display.plot(ax=ax, train_kw=train_kw, validation_kw=validation_kw)
