"""scikit-learn's MLP training rules as single-purpose skorch callbacks.

The estimators train through skorch's loop and put these callbacks on the net, in
this order: :class:`LossCurve`, :class:`ValidationScores`, :class:`BestWeights`,
:class:`EpochPrinter`, :class:`LearningRateRule`, then the user's ``callbacks``, then
:class:`NoImprovementStopping`, which decides last, so that the user's callbacks see
every epoch, the one that stops training included.

Each callback's constructor arguments are the estimator parameters it follows (the
estimator updates them before every ``fit``/``partial_fit``, so a warm start follows
the current parameters); its fitted state lives in attributes ending in ``_``, which
skorch's ``get_params`` does not list. ``initialize`` (skorch calls it when the net is
built) starts a new model; ``on_train_begin`` prepares one more call of ``fit`` or
``partial_fit``.

The net's validation phase (``Net.validate``) records ``valid_loss`` and
``valid_score`` in the history before ``on_epoch_end``; these callbacks add
``train_loss_best``, ``valid_loss_best`` and ``valid_score_best`` so that skorch's
``Checkpoint`` and ``EarlyStopping`` find the keys they monitor by default.
"""

from __future__ import annotations

import copy
import math
import time

from skorch.callbacks import Callback

from ._net import NON_FINITE_WEIGHTS, last_row


def _rule(net, cls):
    """The net's callback of type ``cls``, or None."""
    for _, cb in net.callbacks_:
        if type(cb) is cls:
            return cb
    return None


class LossCurve(Callback):
    """The training loss per epoch, the epochs of this call and the samples seen.

    A non-finite training loss ends training: with early stopping the best weights
    seen are restored afterwards (as scikit-learn finishes with them), so training
    just stops; otherwise it is an error.
    """

    def __init__(self, early_stopping: bool = False):
        self.early_stopping = early_stopping

    def initialize(self):
        self.loss_curve_ = []
        self.t_ = 0
        self.best_train_loss_ = math.inf
        self.n_iter_ = 0
        self.diverged_ = False
        return self

    def on_train_begin(self, net, **kwargs):
        self.n_iter_ = 0
        self.diverged_ = False

    def on_epoch_end(self, net, dataset_train=None, **kwargs):
        row = last_row(net.history)
        loss = float(row["train_loss"])
        self.n_iter_ += 1
        if not math.isfinite(loss):
            if not self.early_stopping:
                raise ValueError(
                    f"{NON_FINITE_WEIGHTS} Training diverged: the loss is {loss} "
                    f"after epoch {self.n_iter_}. Lower learning_rate_init, scale the "
                    "inputs (e.g. StandardScaler) or the targets, or choose a more "
                    "robust loss."
                )
            # No better weights can follow; the other rules skip this epoch.
            self.t_ += len(dataset_train)
            self.loss_curve_.append(loss)
            self.diverged_ = True
            raise KeyboardInterrupt
        self.t_ += len(dataset_train)
        self.loss_curve_.append(loss)
        row["train_loss_best"] = loss < self.best_train_loss_
        self.best_train_loss_ = min(self.best_train_loss_, loss)


class ValidationScores(Callback):
    """The validation loss and score of every epoch with a validation set.

    The lists start (empty) at the first call of ``fit`` that has a validation set,
    and continue over warm starts.
    """

    def initialize(self):
        self.validation_losses_ = None
        self.validation_scores_ = None
        self.best_validation_score_ = None
        self.best_validation_loss_ = None
        return self

    def on_train_begin(self, net, **kwargs):
        if net.validation_set_ is not None and self.validation_scores_ is None:
            self.validation_losses_, self.validation_scores_ = [], []
            self.best_validation_score_ = -math.inf
            self.best_validation_loss_ = math.inf

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        if dataset_valid is None:
            return
        row = last_row(net.history)
        loss, score = row["valid_loss"], row["valid_score"]
        self.validation_losses_.append(loss)
        self.validation_scores_.append(score)
        row["valid_loss_best"] = loss < self.best_validation_loss_
        row["valid_score_best"] = score > self.best_validation_score_
        self.best_validation_loss_ = min(self.best_validation_loss_, loss)
        if score > self.best_validation_score_:
            self.best_validation_score_ = score


class BestWeights(Callback):
    """With early stopping, a copy of the weights of the best validation score."""

    def __init__(self, early_stopping: bool = False):
        self.early_stopping = early_stopping

    def initialize(self):
        self.best_state_ = None
        return self

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        if self.early_stopping and last_row(net.history)["valid_score_best"]:
            self.best_state_ = copy.deepcopy(net.module_.state_dict())


class EpochPrinter(Callback):
    """scikit-learn's line per epoch: loss, validation loss and score, time."""

    def __init__(self, verbose: bool = False):
        self.verbose = verbose

    def on_epoch_begin(self, net, **kwargs):
        self.epoch_start_ = time.perf_counter()

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        if not self.verbose:
            return
        row = last_row(net.history)
        n_iter = _rule(net, LossCurve).n_iter_
        message = f"Iteration {n_iter}, loss = {row['train_loss']:.8f}"
        if dataset_valid is not None:
            message += (
                f", validation loss = {row['valid_loss']:.8f}"
                f", validation score = {row['valid_score']:.6f}"
            )
        print(f"{message}, time = {time.perf_counter() - self.epoch_start_:.3f}s")


class LearningRateRule(Callback):
    """SGD's ``invscaling`` schedule after every epoch, and the ``adaptive`` rule's
    division by 5 when :class:`NoImprovementStopping` finds no improvement."""

    def __init__(
        self,
        solver: str = "adam",
        learning_rate: str = "constant",
        learning_rate_init: float = 0.001,
        power_t: float = 0.5,
    ):
        self.solver = solver
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t

    def on_epoch_end(self, net, **kwargs):
        if self.solver == "sgd" and self.learning_rate == "invscaling":
            t = _rule(net, LossCurve).t_
            self._set_lr(net, self.learning_rate_init / (t + 1) ** self.power_t)

    def on_plateau(self, net) -> bool:
        """Divide the learning rate by 5 (adaptive SGD above 1e-6): True if done."""
        if self.solver == "sgd" and self.learning_rate == "adaptive":
            lr = net.optimizer_.param_groups[0]["lr"]
            if lr > 1e-6:
                self._set_lr(net, lr / 5.0)
                return True
        return False

    @staticmethod
    def _set_lr(net, lr: float) -> None:
        for group in net.optimizer_.param_groups:
            group["lr"] = lr


class NoImprovementStopping(Callback):
    """scikit-learn's stopping rule: ``n_iter_no_change`` epochs without improving
    by ``tol`` on the best training loss, or with early stopping on the best
    validation score, stop training (after the adaptive learning rate, if any,
    has had its chance) by raising ``KeyboardInterrupt`` as skorch's callbacks do.
    """

    def __init__(
        self,
        tol: float = 1e-4,
        n_iter_no_change: int = 10,
        early_stopping: bool = False,
        verbose: bool = False,
    ):
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.early_stopping = early_stopping
        self.verbose = verbose

    def initialize(self):
        self.no_improvement_count_ = 0
        self.best_loss_ = None if self.early_stopping else math.inf
        # The best validation score before this epoch's (ValidationScores keeps
        # the same maximum, updated before this rule runs).
        self.best_validation_score_ = -math.inf
        self.stopped_ = False
        return self

    def on_train_begin(self, net, **kwargs):
        self.stopped_ = False
        if not self.early_stopping and self.best_loss_ is None:
            self.best_loss_ = math.inf  # early stopping was switched off since

    def on_epoch_end(self, net, dataset_valid=None, **kwargs):
        row = last_row(net.history)
        if dataset_valid is not None:
            score = row["valid_score"]
            best_score = self.best_validation_score_
            if score > best_score:
                self.best_validation_score_ = score
        if self.early_stopping:
            improved = not score < best_score + self.tol
        else:
            loss = row["train_loss"]
            improved = not loss > self.best_loss_ - self.tol
            self.best_loss_ = min(self.best_loss_, loss)
        self.no_improvement_count_ = 0 if improved else self.no_improvement_count_ + 1
        if self.no_improvement_count_ <= self.n_iter_no_change:
            return
        schedule = _rule(net, LearningRateRule)
        if schedule is not None and schedule.on_plateau(net):
            self.no_improvement_count_ = 0
            return
        self.stopped_ = True
        if self.verbose:
            what = "Validation score" if dataset_valid is not None else "Training loss"
            print(
                f"{what} did not improve more than tol={self.tol} for "
                f"{self.n_iter_no_change} consecutive epochs. Stopping."
            )
        raise KeyboardInterrupt
