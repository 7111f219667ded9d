"""MLPRegressor and MLPClassifier: scikit-learn's MLPs with the loss as a parameter."""

from __future__ import annotations

import functools
import types

import numpy as np
from sklearn.base import ClassifierMixin, RegressorMixin, _fit_context
from sklearn.metrics import accuracy_score, r2_score
from sklearn.preprocessing import LabelBinarizer
from sklearn.utils._param_validation import StrOptions
from sklearn.utils.class_weight import compute_class_weight, compute_sample_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import (
    _check_partial_fit_first_call,
    check_classification_targets,
    type_of_target,
    unique_labels,
)
from sklearn.utils.validation import (
    check_array,
    check_consistent_length,
    column_or_1d,
    validate_data,
)

from ._base import _STOCHASTIC_SOLVERS, BaseMLP


class _if_probabilistic:
    """A method that exists only for losses with class probabilities.

    Like scikit-learn's ``available_if`` (``hasattr`` is False otherwise), but the
    AttributeError says why and what to use instead.
    """

    def __init__(self, method):
        self.method = method
        functools.update_wrapper(self, method)

    def __get__(self, obj, owner=None):
        if obj is None:
            return self.method
        obj._check_proba(self.method.__name__)
        return types.MethodType(self.method, obj)


_COMMON_PARAMETERS = """
    hidden_layer_sizes : array-like of shape (n_layers - 2,), default=(100,)
        Units of each hidden layer.
    activation : {"identity", "logistic", "tanh", "relu"}, default="relu"
        Activation of the hidden layers.
    solver : {"lbfgs", "sgd", "adam"}, default="adam"
        SciPy's L-BFGS-B on the full batch with the exact gradient (as
        scikit-learn's MLP runs it), ``torch.optim.SGD`` or ``torch.optim.Adam``.
    alpha : float, default=0.0001
        Strength of the L2 penalty on the weight matrices, as in scikit-learn: the
        batch objective is ``(sum_i w_i l_i + alpha / 2 ||W||^2) / sum_i w_i``.
    batch_size : int or "auto", default="auto"
        Mini-batch size; "auto" is ``min(200, n_samples)``. Ignored by lbfgs.
    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        SGD learning-rate schedule, with scikit-learn's rules.
    learning_rate_init : float, default=0.001
        Initial learning rate (sgd, adam).
    power_t : float, default=0.5
        Exponent of the "invscaling" schedule.
    max_iter : int, default=200
        Epochs for sgd and adam, iterations for lbfgs.
    shuffle : bool, default=True
        Shuffle the samples every epoch (sgd, adam).
    random_state : int, RandomState instance or None, default=None
        Seeds the torch generator used for initialisation, shuffling and the
        early-stopping split. Same seed, same data: same model on CPU.
    tol : float, default=1e-4
        Tolerance of the stopping rules.
    verbose : bool, default=False
        Print one line per epoch (loss, validation score, time).
    warm_start : bool, default=False
        Continue from the previous weights at the next ``fit``.
    momentum : float, default=0.9
        SGD momentum.
    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum (SGD with momentum > 0).
    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the data and stop when the validation
        score stops improving; the best weights are restored.
    validation_fraction : float, default=0.1
        Fraction held out for early stopping.
    beta_1, beta_2 : float, default=0.9, 0.999
        Adam's decay rates.
    epsilon : float, default=1e-8
        Adam's numerical stability term.
    n_iter_no_change : int, default=10
        Epochs without improvement by ``tol`` before stopping.
    max_fun : int, default=15000
        Maximum loss evaluations for lbfgs.
    device : str or torch.device, default="cpu"
        Where to train and predict, e.g. "cuda".
    module : callable or None, default=None
        None builds the MLP from ``hidden_layer_sizes`` and ``activation``. Otherwise a
        ``torch.nn.Module`` class or factory called as ``module(n_features, n_outputs)``
        that returns raw outputs; the loss adds the output activation. With sparse
        ``X`` the module receives each batch as a dense tensor (the built-in MLP
        multiplies the sparse matrix directly).
    callbacks : list or None, default=None
        skorch callbacks to train with, as ``skorch.NeuralNet(callbacks=...)`` takes
        them: callback objects or ``(name, callback)`` tuples, e.g.
        ``[ProgressBar(), LRScheduler(StepLR, step_size=10),
        Checkpoint(dirname=...)]``. Each fit trains with fresh copies (the list is
        never changed); ``warm_start`` and ``partial_fit`` continue with the copies
        of the fit they continue, and a saved model's callbacks come back as fresh
        copies. They run after the estimator's own training rules (callbacks
        named ``"sklearn_*"``), so the history row of each epoch holds
        ``train_loss`` and ``train_loss_best``, and with a validation set
        (``early_stopping`` or ``validation_data``) ``valid_loss`` (the loss
        without the L2 term), ``valid_score`` (as ``score``) and their ``*_best``
        flags, the keys skorch's ``Checkpoint`` and ``EarlyStopping`` monitor by
        default. Callbacks see batches as ``(X, y)`` with ``y``
        the encoded target (what the loss sees) and the network's raw outputs as
        ``y_pred``; the validation set is skorch's ``dataset_valid``, seen as one
        batch, so ``EpochScoring`` scores it by default (``on_train=True`` scores
        the training batches), with ``net.predict`` giving raw outputs. Callbacks
        with per-batch hooks make training take torch's general step, which is
        slower. sgd and adam train through skorch's loop; lbfgs trains in SciPy
        and does not run them.
"""

_COMMON_ATTRIBUTES = """
    loss_ : float
        The final training loss (sgd, adam: mean over the last epoch's batches).
        For multi-label targets it sums over labels, as scikit-learn's does.
    best_loss_ : float or None
        Lowest training loss (None with early stopping or lbfgs).
    loss_curve_ : list of float
        Training loss per epoch (sgd, adam).
    validation_scores_ : list of float or None
        Score (``score``: R^2 or accuracy) on the validation set per epoch, with
        early stopping or ``validation_data``.
    validation_loss_curve_ : list of float or None
        Loss on the validation set per epoch (the training loss without the L2
        term).
    best_validation_score_ : float or None
        Best validation score with early stopping.
    t_ : int
        Training samples seen.
    coefs_ : list of ndarray
        Weight matrices of the linear layers, ``(n_in, n_out)`` each.
    intercepts_ : list of ndarray
        Bias vectors of the linear layers.
    n_features_in_ : int
        Number of input features.
    feature_names_in_ : ndarray of str
        Names of the input features, when ``X`` has string column names.
    n_iter_ : int
        Epochs run (sgd, adam) or iterations (lbfgs) in the last call.
    n_layers_ : int
        Number of layers, input and output included.
    n_outputs_ : int
        Number of output units.
    out_activation_ : str
        The output activation the loss chose.
    net_ : skorch.NeuralNet
        The fitted skorch net; ``net_.module_`` is the torch module.
"""


class MLPRegressor(RegressorMixin, BaseMLP):
    """Multi-layer perceptron regressor trained with a loss of your choice.

    A drop-in replacement for :class:`sklearn.neural_network.MLPRegressor` (same
    parameters, defaults and fitted attributes) that trains a PyTorch network through
    skorch. ``loss`` picks the loss and, with it, the output activation.

    Parameters
    ----------
    loss : str, Loss or callable, default="squared_error"
        A registered loss name or alias (``"squared_error"``, ``"mae"``, ``"huber"``,
        ``"poisson"``...), a loss object (``Huber(delta=2.0)``), or a torch function
        ``f(y_pred, y_true)``. See :func:`sklearn_losses.losses.loss_names`.
    {parameters}
    Attributes
    ----------
    {attributes}
    See Also
    --------
    MLPClassifier : The classifier.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn_losses import MLPRegressor
    >>> X, y = make_regression(n_samples=200, n_features=5, noise=1, random_state=0)
    >>> reg = MLPRegressor(loss="huber", hidden_layer_sizes=(20,), max_iter=500,
    ...                    learning_rate_init=0.01, random_state=0).fit(X, y)
    >>> reg.out_activation_
    'identity'
    >>> bool(reg.score(X, y) > 0.9)
    True

    Several quantiles from one network (they never cross), or a predictive mean and
    standard deviation:

    >>> from sklearn_losses.losses import Quantile
    >>> reg = MLPRegressor(loss=Quantile(alpha=[0.1, 0.5, 0.9]), max_iter=20)
    >>> reg.fit(X, y).predict_quantiles(X[:4]).shape  # one column per level
    (4, 3)
    >>> reg = MLPRegressor(loss="gaussian_nll", max_iter=20).fit(X, y / y.std())
    >>> mean, std = reg.predict(X[:4], return_std=True)
    >>> mean.shape, std.shape
    ((4,), (4,))
    """

    def __init__(
        self,
        loss="squared_error",
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        device="cpu",
        module=None,
        callbacks=None,
    ):
        self.loss = loss
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.device = device
        self.module = module
        self.callbacks = callbacks

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the model to ``X`` and target(s) ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        validation_data : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), \
default=None
            A validation set evaluated after every epoch: its loss goes to
            ``validation_loss_curve_`` and its score (R^2) to ``validation_scores_``.
            With ``early_stopping=True`` it replaces the internal split.

        Returns
        -------
        self : MLPRegressor
            The fitted model.
        """
        return self._fit(
            X, y, sample_weight=sample_weight, validation_data=validation_data
        )

    @available_if(lambda est: est.solver in _STOCHASTIC_SOLVERS)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None):
        """Train for one epoch on ``X``, ``y``, continuing from the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.

        Returns
        -------
        self : MLPRegressor
            The updated model.
        """
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def predict(self, X, return_std=False):
        """Predict with the network and the loss's output activation.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.
        return_std : bool, default=False
            Also return the standard deviation of the predictive distribution, as
            :class:`~sklearn.gaussian_process.GaussianProcessRegressor` does. Only
            for a loss that predicts a distribution (``"gaussian_nll"``).

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Predicted values: the mean for ``"gaussian_nll"``, the level nearest 0.5
            for a quantile loss with several levels (see :meth:`predict_quantiles`).
        y_std : ndarray of shape (n_samples,) or (n_samples, n_targets)
            Standard deviations, only with ``return_std=True``.
        """
        if return_std and not self._predicts_std():
            raise ValueError(
                f"return_std=True needs a loss that predicts a distribution, such as "
                f"'gaussian_nll'; this model was trained with {self._loss_name()!r}. "
                "For intervals from quantile losses use predict_quantiles."
            )
        y_act = self._activated(self._raw_output(X))
        y_pred = self._single_column(self._loss.point_prediction(y_act))
        if return_std:
            return y_pred, self._single_column(self._loss.predictive_std(y_act))
        return y_pred

    @available_if(lambda est: est._predicts_quantiles())
    def predict_quantiles(self, X):
        """Predict every quantile level of a quantile loss, lowest level first.

        Available with ``loss="quantile"`` (or a :class:`~sklearn_losses.losses.Quantile`
        object); with several levels (``Quantile(alpha=[0.05, 0.5, 0.95])``) one
        network predicts them all, and they never cross.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        quantiles : ndarray of shape (n_samples, n_levels) or \
(n_samples, n_targets, n_levels)
            Quantiles in the order of the levels (``loss.alpha``), for each target.
        """
        y_act = self._activated(self._raw_output(X))
        n_levels = len(self._loss.quantile_levels())
        quantiles = y_act.reshape(len(y_act), -1, n_levels)
        return quantiles[:, 0, :] if quantiles.shape[1] == 1 else quantiles

    @staticmethod
    def _single_column(y):
        return y.ravel() if y.shape[1] == 1 else y

    def _fitted_or_configured_loss(self):
        return self._loss if hasattr(self, "_loss") else self._loss_or_none()

    def _predicts_std(self) -> bool:
        return hasattr(self._fitted_or_configured_loss(), "predictive_std")

    def _predicts_quantiles(self) -> bool:
        return hasattr(self._fitted_or_configured_loss(), "quantile_levels")

    def _loss_name(self) -> str:
        loss = self._fitted_or_configured_loss()
        return getattr(loss, "name", None) or repr(self.loss)

    # -- hooks of BaseMLP -------------------------------------------------------------
    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            y_numeric=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        return X, y

    def _target_task(self, y):
        return "regression"

    def _encode_targets(self, y):
        return np.asarray(y, dtype=np.float64).reshape(len(y), -1)

    def _check_validation_targets(self, y, X):
        y = check_array(y, ensure_2d=False, dtype="numeric", input_name="y_val")
        check_consistent_length(X, y)
        return y

    def _classes(self):
        return ()

    def _stratify_validation(self, y):
        return False

    def _score_raw(self, raw, y, sample_weight):
        y_pred = self._loss.point_prediction(self._activated(raw))
        return r2_score(y, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        loss = self._loss_or_none()
        tags.target_tags.positive_only = bool(loss is not None and loss.positive_target)
        # Every loss trains on several outputs, but scikit-learn's multi-output check
        # feeds negative targets whatever positive_only says: a loss that refuses them
        # (Poisson) leaves the tag at its default, as scikit-learn's own MLP does.
        tags.target_tags.multi_output = not (loss and loss.rejects_negative_targets)
        return tags


class MLPClassifier(ClassifierMixin, BaseMLP):
    """Multi-layer perceptron classifier trained with a loss of your choice.

    A drop-in replacement for :class:`sklearn.neural_network.MLPClassifier` (same
    parameters, defaults and fitted attributes; ``loss`` is an added keyword) that
    trains a PyTorch network through skorch. The loss fixes the output layer and the
    target encoding: ``"log_loss"`` uses one sigmoid unit for two classes, softmax for
    more and one sigmoid per label for a multi-label indicator ``y``; ``"hinge"`` uses
    tanh units and ``{{-1, +1}}`` targets; and so on (see the loss classes).

    Parameters
    ----------
    {parameters}
    loss : str, Loss or callable, default="log_loss"
        A registered loss name or alias (``"log_loss"``, ``"hinge"``,
        ``"sparse_categorical_crossentropy"``, ``"kld"``...), a loss object
        (``LogLoss(label_smoothing=0.1)``) or a torch function ``f(y_pred, y_true)``
        receiving probabilities and one-hot targets.
    class_weight : dict, list of dict or "balanced", default=None
        Weights of the classes, as scikit-learn's linear models and trees take them:
        ``{{class_label: weight}}`` (classes left out weigh one); for a multi-label
        indicator ``y``, a list of such dicts, one per label column (keys 0 and 1);
        ``"balanced"`` weighs each class by ``n_samples / (n_classes *
        np.bincount(y))``, computed on the ``y`` given to ``fit`` (per column for
        multi-label ``y``, the columns' weights multiplied). The weights multiply
        ``sample_weight`` (so ``class_weight=cw`` trains the same network as
        ``sample_weight=compute_sample_weight(cw, y)``), for every loss, and weigh
        the validation score and loss of early stopping and ``validation_data``
        the same way. ``"balanced"`` is not supported by ``partial_fit``.

    Attributes
    ----------
    classes_ : ndarray or list of ndarray
        Class labels.
    {attributes}
    See Also
    --------
    MLPRegressor : The regressor.

    Examples
    --------
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_losses import MLPClassifier
    >>> X, y = make_classification(n_samples=200, random_state=0)
    >>> clf = MLPClassifier(loss="hinge", max_iter=300, random_state=0).fit(X, y)
    >>> clf.out_activation_
    'tanh'
    >>> hasattr(clf, "predict_proba")
    False
    >>> bool(clf.score(X, y) > 0.9)
    True

    With ``class_weight="balanced"``, errors on a rare class cost as much in total
    as errors on a frequent one:

    >>> X, y = make_classification(n_samples=300, weights=[0.9], random_state=0)
    >>> clf = MLPClassifier(class_weight="balanced", max_iter=300, random_state=0)
    >>> clf = clf.fit(X, y)
    """

    _parameter_constraints: dict = {
        **BaseMLP._parameter_constraints,
        "class_weight": [dict, list, StrOptions({"balanced"}), None],
    }

    def __init__(
        self,
        hidden_layer_sizes=(100,),
        activation="relu",
        *,
        solver="adam",
        alpha=0.0001,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=0.001,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        loss="log_loss",
        class_weight=None,
        device="cpu",
        module=None,
        callbacks=None,
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.loss = loss
        self.class_weight = class_weight
        self.device = device
        self.module = module
        self.callbacks = callbacks

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y, sample_weight=None, validation_data=None):
        """Fit the model to ``X`` and labels ``y``.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels, or a multi-label indicator matrix.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        validation_data : tuple (X_val, y_val) or (X_val, y_val, sample_weight_val), \
default=None
            A validation set evaluated after every epoch: its loss goes to
            ``validation_loss_curve_`` and its accuracy to ``validation_scores_``.
            With ``early_stopping=True`` it replaces the internal split.

        Returns
        -------
        self : MLPClassifier
            The fitted model.
        """
        return self._fit(
            X, y, sample_weight=sample_weight, validation_data=validation_data
        )

    @available_if(lambda est: est.solver in _STOCHASTIC_SOLVERS)
    @_fit_context(prefer_skip_nested_validation=True)
    def partial_fit(self, X, y, sample_weight=None, classes=None):
        """Train for one epoch on ``X``, ``y``, continuing from the current weights.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Training data.
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Class labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative sample weights.
        classes : array-like of shape (n_classes,), default=None
            All classes; required at the first call, ignored afterwards.

        Returns
        -------
        self : MLPClassifier
            The updated model.
        """
        if _check_partial_fit_first_call(self, classes):
            self._label_binarizer = LabelBinarizer()
            if type_of_target(y).startswith("multilabel"):
                self._label_binarizer.fit(y)
            else:
                self._label_binarizer.fit(classes)
            self.classes_ = self._label_binarizer.classes_
        return self._fit(X, y, sample_weight=sample_weight, incremental=True)

    def decision_function(self, X):
        """Scores the loss is applied to: logits for probabilistic losses, otherwise
        the activated outputs (e.g. tanh for the hinge family).

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_classes)
            One score per sample for binary targets (positive means ``classes_[1]``),
            one per class or label otherwise.
        """
        return self._decision_from_raw(self._raw_output(X))

    def predict(self, X):
        """Predict class labels.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_labels)
            Predicted labels (an indicator matrix for multi-label targets).
        """
        return self._predict_from_raw(self._raw_output(X))

    @_if_probabilistic
    def predict_proba(self, X):
        """Class probabilities, for losses that define them.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_`` (per label for multi-label).
        """
        raw = self._raw_output(X)
        if not self._loss.probabilistic:  # an estimate from decision values
            return self._loss.decision_proba(self._decision_from_raw(raw), self._task)
        proba = self._activated(raw)
        if self._task == "binary" and proba.shape[1] == 1:
            return np.hstack([1.0 - proba, proba])
        return proba

    @_if_probabilistic
    def predict_log_proba(self, X):
        """Logarithm of :meth:`predict_proba`.

        Parameters
        ----------
        X : {array-like, sparse matrix} of shape (n_samples, n_features)
            Input data.

        Returns
        -------
        log_proba : ndarray of shape (n_samples, n_classes)
            Log-probabilities in the order of ``classes_``.
        """
        proba = self.predict_proba(X)
        with np.errstate(divide="ignore"):
            return np.log(proba)

    # -- raw outputs to answers -------------------------------------------------------
    def _check_proba(self, method: str) -> bool:
        """True where the loss gives probabilities; otherwise an AttributeError
        saying why (``hasattr`` stays False)."""
        if self._has_proba():
            return True
        loss = self._loss if hasattr(self, "_loss") else self._loss_or_none()
        raise AttributeError(
            f"This {type(self).__name__} has no {method}: the {loss.name!r} loss does "
            "not define class probabilities. Use decision_function for scores, "
            "choose a probabilistic loss such as 'log_loss', or calibrate the scores "
            "with sklearn.calibration.CalibratedClassifierCV."
        )

    def _has_proba(self) -> bool:
        loss = self._loss if hasattr(self, "_loss") else self._loss_or_none()
        return loss is None or loss.has_proba

    def _decision_from_raw(self, raw: np.ndarray) -> np.ndarray:
        scores = raw if self._loss.probabilistic else self._activated(raw)
        if self._task == "binary":
            return (
                scores[:, 1] - scores[:, 0] if scores.shape[1] == 2 else scores.ravel()
            )
        return scores

    def _predict_from_raw(self, raw: np.ndarray) -> np.ndarray:
        if self._task == "multilabel":
            return (raw > 0).astype(int)
        if len(self.classes_) == 1:
            return self.classes_[np.zeros(len(raw), dtype=np.intp)]
        if raw.shape[1] == 1:
            return self.classes_[(raw[:, 0] > 0).astype(np.intp)]
        return self.classes_[raw.argmax(axis=1)]

    # -- hooks of BaseMLP -------------------------------------------------------------
    def _validate_input(self, X, y, incremental, reset):
        X, y = validate_data(
            self,
            X,
            y,
            accept_sparse=["csr", "csc"],
            multi_output=True,
            dtype=(np.float64, np.float32),
            reset=reset,
        )
        if y.ndim == 2 and y.shape[1] == 1:
            y = column_or_1d(y, warn=True)
        check_classification_targets(y)
        if not incremental and (not hasattr(self, "classes_") or not self.warm_start):
            self._label_binarizer = LabelBinarizer().fit(y)
            self.classes_ = self._label_binarizer.classes_
        else:
            classes = unique_labels(y)
            if self.warm_start and not incremental:
                if set(classes) != set(self.classes_):
                    raise ValueError(
                        "warm_start can only be used where `y` has the same classes as "
                        f"in the previous call to fit. Previously got {self.classes_}, "
                        f"`y` has {classes}."
                    )
            elif len(np.setdiff1d(classes, self.classes_, assume_unique=True)):
                raise ValueError(
                    f"`y` has classes not in `self.classes_`. `self.classes_` has "
                    f"{self.classes_}. 'y' has {classes}."
                )
        return X, y

    def _weight_classes(self, y, sample_weight, incremental):
        if self.class_weight is None:
            return sample_weight
        if incremental:
            if self.class_weight == "balanced":
                raise ValueError(
                    "class_weight 'balanced' is not supported for partial_fit. In "
                    "order to use 'balanced' weights, use compute_class_weight("
                    "'balanced', classes=classes, y=y). In place of y you can use a "
                    "large enough sample of the full training set target to properly "
                    "estimate the class frequency distributions. Pass the resulting "
                    "weights as the class_weight parameter."
                )
            multilabel = self._label_binarizer.y_type_.startswith("multilabel")
            self._class_weight_tables = self._weight_tables(
                y, [0, 1] if multilabel else self.classes_
            )
            class_weight = self._weights_from_tables(y)
        else:
            self._class_weight_tables = self._weight_tables(y)
            # scikit-learn's own function, so that class_weight=cw is
            # sample_weight=compute_sample_weight(cw, y) bit for bit.
            class_weight = compute_sample_weight(self.class_weight, y)
        return (sample_weight * class_weight).astype(sample_weight.dtype, copy=False)

    def _weight_validation_classes(self, y, sample_weight):
        if self.class_weight is None:
            return sample_weight
        class_weight = self._weights_from_tables(y)
        return (sample_weight * class_weight).astype(sample_weight.dtype, copy=False)

    def _weight_tables(self, y, classes=None) -> list[tuple[np.ndarray, np.ndarray]]:
        """Each target column's classes and their weights, from the training ``y``."""
        columns = y.reshape(len(y), -1).T
        if len(columns) == 1 and isinstance(self.class_weight, list):
            raise ValueError(
                "class_weight must be a dict or 'balanced' for these targets; a list "
                "of dicts (one per label column) is for multi-label targets."
            )
        if len(columns) > 1 and not (
            self.class_weight == "balanced"
            or (
                isinstance(self.class_weight, list)
                and len(self.class_weight) == len(columns)
            )
        ):
            raise ValueError(
                f"For multi-label targets, class_weight must be 'balanced' or a list "
                f"of {len(columns)} dicts, one per label column (keys 0 and 1), got "
                f"{self.class_weight!r}."
            )
        tables = []
        for k, column in enumerate(columns):
            column_classes = np.unique(column) if classes is None else classes
            weights = self.class_weight
            if weights != "balanced" and len(columns) > 1:
                weights = weights[k]
            tables.append(
                (
                    np.asarray(column_classes),
                    compute_class_weight(weights, classes=column_classes, y=column),
                )
            )
        return tables

    def _weights_from_tables(self, y) -> np.ndarray:
        """Class weights of ``y``'s samples; classes unseen in training weigh one."""
        columns = y.reshape(len(y), -1).T
        weights = []
        for (classes, class_weights), column in zip(self._class_weight_tables, columns):
            index = np.searchsorted(classes, column).clip(max=len(classes) - 1)
            known = classes[index] == column
            weights.append(np.where(known, class_weights[index], 1.0))
        return np.prod(weights, axis=0, dtype=np.float64)

    def _target_task(self, y):
        if self._label_binarizer.y_type_.startswith("multilabel"):
            return "multilabel"
        # One class is a binary problem whose positive class never occurs, as in
        # scikit-learn's MLP: it predicts that class (a fold of unshuffled data).
        return "binary" if len(self.classes_) <= 2 else "multiclass"

    def _encode_targets(self, y):
        if self._label_binarizer.y_type_.startswith("multilabel"):
            return self._label_binarizer.transform(y)
        return np.searchsorted(self.classes_, y)

    def _check_validation_targets(self, y, X):
        y = check_array(y, ensure_2d=False, dtype=None, input_name="y_val")
        check_consistent_length(X, y)
        if y.ndim == 1:
            unknown = np.setdiff1d(unique_labels(y), self.classes_)
            if len(unknown):
                raise ValueError(
                    f"validation_data has labels {unknown} that are not in the "
                    f"training classes {self.classes_}."
                )
        return y

    def _classes(self):
        return self.classes_

    def _stratify_validation(self, y):
        return y.ndim == 1

    def _score_raw(self, raw, y, sample_weight):
        y_pred = self._predict_from_raw(raw)
        y_true = self.classes_[y] if y.ndim == 1 else y
        return accuracy_score(y_true, y_pred, sample_weight=sample_weight)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        loss = self._loss_or_none()
        tags.classifier_tags.multi_label = loss is None or "multilabel" in loss.tasks
        # a binary-only loss (exponential), as scikit-learn tags such estimators
        tags.classifier_tags.multi_class = loss is None or "multiclass" in loss.tasks
        return tags


for _estimator in (MLPRegressor, MLPClassifier):
    # The template already indents the placeholder's first line.
    _estimator.__doc__ = _estimator.__doc__.format(
        parameters=_COMMON_PARAMETERS.strip() + "\n",
        attributes=_COMMON_ATTRIBUTES.strip() + "\n",
    )
