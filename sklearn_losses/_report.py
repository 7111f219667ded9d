"""The report of a comparison on a user's data: a Markdown page and its images.

The page holds the ranking table with its notes, what was done to the data, the
learning curves of every compared loss (training and validation, loss and metric) and
the per-fold scores of every loss and of the floor, as PNG images beside it.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
from sklearn.base import clone, is_classifier
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import StandardScaler

from ._epochs import fit_watching_validation_loss, patience_epochs
from .compare import LossComparison


def curves(
    model,
    preprocess,
    X,
    y,
    *,
    loss,
    scale_target,
    validation_fraction,
    patience,
    seed,
    sample_weight=None,
):
    """Learning curves of one loss: train and validation, loss and score, per epoch.

    ``X, y`` (one cross-validation training fold) are split into a training and a
    validation part; the model is trained until the validation loss stops improving,
    then trained again from the same start for the same number of epochs, scoring
    the training part after each epoch (the estimators record the loss of the
    mini-batches as they go, not the score on the training set). The epoch of the
    lowest validation loss is the one the comparison would keep.

    Parameters
    ----------
    model : MLPRegressor or MLPClassifier
        The estimator, unfitted, as the comparison trains it.
    preprocess : transformer
        The feature preprocessing, unfitted.
    X, y : data
        The rows to learn the curves on.
    loss : str or Loss
        The loss.
    scale_target : bool
        Whether to standardise the target (the comparison's choice for the loss).
    validation_fraction : float
        Share of the rows held out for validation.
    patience : int or "auto"
        Epochs without a better validation loss before training stops (see
        :func:`._epochs.patience_epochs`).
    seed : int
        Seed of the split.
    sample_weight : array-like of shape (n_samples,), default=None
        Row weights, for training and for the validation loss and score.

    Returns
    -------
    curves : dict
        ``train_loss``, ``validation_loss``, ``train_score``, ``validation_score``
        (lists, one value per epoch) and ``best_epoch``.
    """
    y = np.asarray(y)
    stratify = y if is_classifier(model) else None
    weights = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
    X_train, X_val, y_train, y_val, w_train, w_val = train_test_split(
        X,
        y,
        weights,
        test_size=validation_fraction,
        random_state=seed,
        stratify=stratify,
    )
    preprocess = clone(preprocess).fit(X_train, y_train)
    X_train, X_val = preprocess.transform(X_train), preprocess.transform(X_val)
    if scale_target:
        scaler = StandardScaler().fit(y_train.reshape(len(y_train), -1))
        y_train = scaler.transform(y_train.reshape(len(y_train), -1)).reshape(
            y_train.shape
        )
        y_val = scaler.transform(y_val.reshape(len(y_val), -1)).reshape(y_val.shape)
    model = clone(model).set_params(loss=loss)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        patience = patience_epochs(model, len(y_train), patience)
        held_out = fit_watching_validation_loss(
            model,
            X_train,
            y_train,
            (X_val, y_val, w_val),
            patience,
            sample_weight=w_train,
        )
        seen = clone(model).set_params(early_stopping=False, max_iter=held_out.n_iter_)
        seen.fit(
            X_train,
            y_train,
            sample_weight=w_train,
            validation_data=(X_train, y_train, w_train),
        )
    return {
        "train_loss": list(seen.validation_loss_curve_),
        "validation_loss": list(held_out.validation_loss_curve_),
        "train_score": list(seen.validation_scores_),
        "validation_score": list(held_out.validation_scores_),
        "best_epoch": int(np.nanargmin(held_out.validation_loss_curve_)) + 1,
    }


def plot_curves(all_curves: dict[str, dict], path: Path, *, loss_note: str, score_name):
    """One column per loss: the loss curves above, the score curves below."""
    import matplotlib.pyplot as plt

    from .plotting import LossCurveDisplay

    n = len(all_curves)
    fig, axes = plt.subplots(2, n, figsize=(4.2 * n, 6.5), squeeze=False)
    for column, (name, curve) in enumerate(all_curves.items()):
        display = LossCurveDisplay(
            loss_curve=curve["train_loss"],
            validation_loss_curve=curve["validation_loss"],
            train_scores=curve["train_score"],
            validation_scores=curve["validation_score"],
            loss_name=f"{name} loss{loss_note.get(name, '')}",
            score_name=score_name,
        ).plot(ax=axes[:, column])
        for ax in axes[:, column]:
            ax.axvline(curve["best_epoch"], color="grey", linewidth=0.8, linestyle=":")
        display.ax_.set_title(name)
    fig.suptitle(
        "Training and validation curves (dotted: the epoch of the lowest validation loss)"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def plot_fold_scores(result: LossComparison, path: Path) -> Path:
    """The per-fold scores of every loss and of the floor, folds joined by lines."""
    import matplotlib.pyplot as plt

    key = f"test_{result.rank_by}"
    names = list(result.ranking) + list(result.baseline)
    scores = [
        np.asarray((result.cv_results.get(n) or result.baseline[n])[key], dtype=float)
        for n in names
    ]
    fig, ax = plt.subplots(figsize=(max(5.0, 1.3 * len(names) + 1.5), 4.2))
    positions = np.arange(len(names))
    matrix = np.vstack(scores)
    for fold in range(matrix.shape[1]):
        ax.plot(positions, matrix[:, fold], color="lightgrey", linewidth=0.8, zorder=1)
    for position, values in zip(positions, scores):
        ax.scatter(np.full(values.size, position), values, s=18, zorder=2)
        ax.hlines(np.nanmean(values), position - 0.25, position + 0.25, color="black")
    ax.set_xticks(positions)
    ax.set_xticklabels(names, rotation=30, ha="right")
    ax.set_ylabel(f"{result.rank_by} (greater is better)")
    ax.set_title("Score of each fold (grey lines join one fold; black: the mean)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path


def write_markdown(path: Path, *, title: str, facts: list[str], result, images) -> Path:
    """The report page: facts about the run, the table and notes, the images."""
    lines = [f"# {title}", ""]
    lines += [f"- {fact}" for fact in facts]
    lines += ["", "## Ranking", "", result.to_markdown(), ""]
    for heading, image in images:
        lines += [f"## {heading}", "", f"![{heading}]({Path(image).name})", ""]
    path.write_text("\n".join(lines))
    return path
