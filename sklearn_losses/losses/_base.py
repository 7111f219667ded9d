"""The loss base class: a pointwise loss composed with an output activation.

A loss object carries everything that the choice of a loss fixes in a network:

* its name and aliases: defining a subclass with a ``name`` registers it;
* the tasks it accepts and the domain of its targets and predictions, each stated once
  as an :class:`Interval` (``interval_y_true``, ``interval_y_pred``), from which the
  estimators' target check (:meth:`Loss.check_target`), their ``positive_only`` tag and
  the metric's input check are derived;
* the output activation applied at prediction time (:meth:`Loss.activation`);
* the number of output units and the target encoding (:meth:`Loss.n_outputs`,
  :meth:`Loss.encode_target`);
* the per-sample loss, defined once on torch tensors in prediction space
  (:meth:`Loss.loss`) and, where it is more stable, on the network's raw outputs
  (:meth:`Loss.raw_loss`);
* its gradient with respect to the raw outputs (:meth:`Loss.raw_loss_gradient`),
  which training uses: autograd by default, a closed form for the built-in losses;
* its own hyperparameters, as constructor arguments (``get_params``/``set_params``).

The estimators weight and average the per-sample values; the metrics evaluate the same
:meth:`Loss.loss` in float64 on what ``predict``/``predict_proba``/``decision_function``
return, so training criterion and metric cannot drift apart.
"""

from __future__ import annotations

import functools
import warnings
from typing import ClassVar

import numpy as np
import scipy.optimize
import torch
from sklearn.base import BaseEstimator
from sklearn.utils.multiclass import type_of_target, unique_labels
from sklearn.utils.validation import check_array, check_consistent_length, column_or_1d

from ._activation import ACTIVATIONS, Activation
from ._interval import REAL_LINE, Interval
from ._names import add_loss

#: Keras' epsilon, used where a loss follows the Keras definition.
KERAS_EPSILON = 1e-7

#: The tasks a loss can declare. ``binary``, ``multiclass`` and ``multilabel`` follow
#: :func:`sklearn.utils.multiclass.type_of_target`; ``regression`` covers one or more
#: continuous outputs.
TASKS = ("regression", "binary", "multiclass", "multilabel")


class Loss(BaseEstimator):
    """Base class of all losses.

    A loss class is the whole declaration of a loss: defining a subclass that sets
    ``name`` registers it (with its ``aliases``) for :func:`get_loss`, ``loss=``,
    :func:`loss_names`, the metric functions of :mod:`sklearn_losses.metrics` (named by
    ``metric_names``, else after the loss; their keyword arguments are the loss's
    constructor parameters), the ``neg_<name>`` scorers and the documentation tables.
    A subclass that does not set its own ``name`` (an abstract base, a variant of a
    registered loss) is not registered; ``class MyLoss(Loss, register=False)`` opts
    out explicitly, :func:`~sklearn_losses.losses._registry.unregister_loss` removes a
    registered one.

    The domain of regression targets and predictions is stated once, as
    :class:`Interval` class attributes ``interval_y_true`` and ``interval_y_pred``
    (scikit-learn's ``sklearn._loss`` convention); ``target_domain = "warn"`` makes
    targets outside ``interval_y_true`` a warning at fit (the loss still computes a
    value there) instead of an error.

    Subclasses set the class attributes below and implement :meth:`loss`. Targets reach
    :meth:`loss` already encoded by :meth:`encode_target`:

    * ``regression``: float array of shape ``(n_samples, n_outputs)``;
    * ``binary`` and ``multilabel``: float array ``(n_samples, n_columns)`` holding
      ``{0, 1}`` (``column_encoding = "zero_one"``) or ``{-1, +1}`` (``"sign"``);
    * ``multiclass`` (and ``binary`` for losses with ``two_unit_binary = True``):
      int64 class indices of shape ``(n_samples,)``.

    ``loss`` returns one value per sample (outputs are averaged, classes summed as
    the definition requires).

    Training calls :meth:`raw_loss_gradient`, which differentiates :meth:`raw_loss`
    with autograd unless a subclass writes the gradient out. A subclass that
    redefines ``loss``, ``raw_loss`` or ``pointwise`` without also redefining the
    gradient goes back to autograd, so an inherited closed form never differentiates
    another formula.

    Examples
    --------
    A loss of one's own is a small subclass; :class:`RegressionLoss` supplies the
    regression plumbing, so only the element-wise formula is left to write:

    >>> import torch
    >>> from sklearn_losses import MLPRegressor
    >>> from sklearn_losses.losses import RegressionLoss
    >>> class Cauchy(RegressionLoss):
    ...     name = "cauchy"
    ...     def pointwise(self, y_pred, y_true):
    ...         return torch.log1p((y_pred - y_true) ** 2)
    >>> loss = Cauchy()
    >>> loss.activation("regression"), loss.n_outputs("regression", 2)
    ('identity', 2)
    >>> reg = MLPRegressor(loss=loss, hidden_layer_sizes=(5,), max_iter=5)
    """

    #: canonical name, used by the registry, metrics and scorers
    name: ClassVar[str] = ""
    #: other names accepted by :func:`get_loss` (Keras and older tf.keras names); a
    #: subclass registers only the aliases it declares itself
    aliases: ClassVar[tuple[str, ...]] = ()
    #: tasks this loss accepts, a subset of :data:`TASKS`
    tasks: ClassVar[frozenset[str]] = frozenset()
    #: default output activation per task
    default_activation: ClassVar[dict[str, str]] = {}
    #: activations a user may choose with an ``out_activation`` parameter
    allowed_activations: ClassVar[frozenset[str]] = frozenset()
    #: whether outputs are class probabilities (enables ``predict_proba``)
    probabilistic: ClassVar[bool] = False
    #: binary targets use two softmax-like units and class indices instead of one unit
    two_unit_binary: ClassVar[bool] = False
    #: encoding of binary / multi-label columns: ``"zero_one"`` or ``"sign"``
    column_encoding: ClassVar[str] = "zero_one"
    #: values regression targets may take (scikit-learn's ``interval_y_true``)
    interval_y_true: ClassVar[Interval] = REAL_LINE
    #: values predictions may take, checked by the metric (``interval_y_pred``)
    interval_y_pred: ClassVar[Interval] = REAL_LINE
    #: targets outside ``interval_y_true`` at fit: ``"raise"`` or ``"warn"`` (a loss
    #: that still computes a value there, as MSLE clips); the metric then accepts them
    target_domain: ClassVar[str] = "raise"
    #: what the target-domain message advises instead (a sentence); with
    #: ``target_domain = "warn"`` the whole warning, saying what the loss does there
    target_domain_hint: ClassVar[str] = ""
    #: names of its functions in :mod:`sklearn_losses.metrics`, canonical first;
    #: empty means one function named after the loss
    metric_names: ClassVar[tuple[str, ...]] = ()
    #: keyword arguments the metric's response method is called with (a predictive
    #: distribution's ``predict(X, return_std=True)``)
    response_kwargs: ClassVar[dict] = {}
    #: scikit-learn style constraints of the constructor parameters
    _parameter_constraints: ClassVar[dict] = {}

    # -- the definition ----------------------------------------------------------------
    def loss(self, y_pred: torch.Tensor, y_true: torch.Tensor) -> torch.Tensor:
        """Per-sample loss of predictions (after the output activation)."""
        raise NotImplementedError

    def raw_loss(
        self, raw: torch.Tensor, y_true: torch.Tensor, activation: Activation
    ) -> torch.Tensor:
        """Per-sample loss of raw network outputs; used for training.

        The default applies the activation and calls :meth:`loss`. Losses with a
        numerically better form on raw outputs (logits, log-rates) override it.
        """
        return self.loss(activation.torch_fn(raw), y_true)

    def trains_as(self) -> Loss:
        """The loss whose :meth:`raw_loss_gradient` this one runs: itself, unless
        it is another loss under another name and target encoding.

        Networks whose losses train as equal losses (same class and parameters)
        share one call per step when they train as a stack
        (:mod:`sklearn_losses.model_selection`).
        """
        return self

    def raw_loss_gradient(
        self,
        raw: torch.Tensor,
        y_true: torch.Tensor,
        activation: Activation,
        sample_weight: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Per-sample loss of raw outputs and its gradient with respect to ``raw``.

        As scikit-learn's ``BaseLoss.loss_gradient``: with ``sample_weight`` both
        are weighted, ``loss = w * raw_loss(raw)`` and ``gradient`` is the gradient
        of ``loss.sum()``. The base class differentiates :meth:`raw_loss` with
        autograd; the built-in losses override it with closed forms (the training
        step's hot path), which the tests check against autograd.

        Parameters
        ----------
        raw : Tensor of shape (n_samples, n_outputs)
            Raw network outputs.
        y_true : Tensor
            Encoded targets (see :meth:`encode_target`).
        activation : Activation
            The output activation.
        sample_weight : Tensor of shape (n_samples,), default=None
            Sample weights; None weighs every sample one.

        Returns
        -------
        loss : Tensor of shape (n_samples,)
            The (weighted) per-sample losses; a scalar for a custom loss that
            returns the batch mean.
        gradient : Tensor of shape (n_samples, n_outputs)
            The gradient of ``loss.sum()`` with respect to ``raw``.
        """
        raw = raw.detach().requires_grad_()
        with torch.enable_grad():
            loss = self.raw_loss(raw, y_true, activation)
            if sample_weight is not None and loss.ndim:
                loss = loss * sample_weight
            (gradient,) = torch.autograd.grad(loss.sum(), raw, allow_unused=True)
        if gradient is None:  # a loss that does not depend on the outputs
            gradient = torch.zeros_like(raw)
        return loss.detach(), gradient

    def __init_subclass__(cls, register: bool = True, **kwargs):
        super().__init_subclass__(**kwargs)
        redefined = any(name in vars(cls) for name in _DEFINITIONS)
        if redefined and not any(name in vars(cls) for name in _GRADIENTS):
            # An inherited closed form would differentiate the parent's formula.
            cls.raw_loss_gradient = Loss.raw_loss_gradient
        if redefined and not any(name in vars(cls) for name in _STARTS):
            # Nor would an inherited best constant minimise the new formula.
            cls.fit_intercept_only = Loss.fit_intercept_only
        if register and vars(cls).get("name"):
            add_loss(cls)

    # -- derived from the declaration -------------------------------------------------
    @property
    def positive_target(self) -> bool:
        """Whether regression targets must be >= 0 (from ``interval_y_true``)."""
        return self.interval_y_true.low >= 0

    @property
    def rejects_negative_targets(self) -> bool:
        """Whether negative targets are an error at fit, not only a warning."""
        return self.positive_target and self.target_domain == "raise"

    @classmethod
    def metric_function_names(cls) -> tuple[str, ...]:
        """Names of the loss's functions in :mod:`sklearn_losses.metrics`.

        Returns
        -------
        tuple of str
            The ``metric_names`` the class itself declares (a subclass with a
            name of its own does not inherit them), else the loss's ``name``.
        """
        return tuple(vars(cls).get("metric_names", ())) or (cls.name,)

    @property
    def has_proba(self) -> bool:
        """Whether a classifier trained with this loss has ``predict_proba``."""
        return bool(self.probabilistic) or (
            type(self).decision_proba is not Loss.decision_proba
        )

    def decision_proba(self, decision: np.ndarray, task: str) -> np.ndarray:
        """Class probabilities from decision values, for a loss without
        probability outputs that still defines an estimate (SGD's modified Huber).

        Parameters
        ----------
        decision : ndarray of shape (n_samples,) or (n_samples, n_columns)
            What ``decision_function`` returns.
        task : str
            The task.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            Probabilities in the order of ``classes_`` (per label for multi-label).
        """
        raise NotImplementedError

    # -- what the loss fixes in the network -------------------------------------------
    def network_task(self, task: str) -> str:
        """The task as the network sees it (two-unit losses treat binary as 2 classes)."""
        if task == "binary" and self.two_unit_binary:
            return "multiclass"
        return task

    def activation(self, task: str) -> str:
        """Name of the output activation used for ``task``."""
        chosen = getattr(self, "out_activation", None)
        if chosen is None:
            task = self.network_task(task)
            # A loss that declares no default for the task gets the usual one
            # (linear for regression, probabilities for classification).
            return self.default_activation.get(task, _USUAL_ACTIVATION[task])
        if chosen not in self.allowed_activations:
            raise ValueError(
                f"out_activation={chosen!r} is not valid for the {self.name!r} loss; "
                f"choose one of {sorted(self.allowed_activations)}."
            )
        return chosen

    def output_activation(self, task: str) -> Activation:
        """The output activation for ``task``, as the object training and prediction
        apply (:meth:`activation` gives its name).

        Losses with several outputs per target (quantile levels, a mean and a
        variance) return an activation of their own, not one of :data:`ACTIVATIONS`.
        """
        return ACTIVATIONS[self.activation(task)]

    def point_prediction(self, y_pred: np.ndarray) -> np.ndarray:
        """What ``predict`` returns, from the activated outputs ``(n_samples, units)``.

        The outputs themselves, except for losses with several outputs per target,
        which pick each target's point prediction (a median, a mean).
        """
        return y_pred

    def n_outputs(self, task: str, n_columns: int) -> int:
        """Number of output units for ``task`` with ``n_columns`` targets or classes."""
        task = self.network_task(task)
        if task == "binary":
            return 1
        if task == "multiclass":
            return max(n_columns, 2)
        return n_columns

    def validate(self) -> None:
        """Check the loss's own parameters (called by the estimators at fit)."""
        self._validate_params()

    def check_task(self, task: str) -> None:
        """Raise a ValueError if this loss cannot be trained on ``task``."""
        if not self.tasks:
            raise ValueError(
                f"The loss {type(self).__name__} declares no tasks: set its class "
                "attribute `tasks`, e.g. tasks = frozenset({'regression'}), to the "
                f"tasks it applies to (any of {', '.join(TASKS)})."
            )
        if task not in self.tasks:
            accepted = ", ".join(t for t in TASKS if t in self.tasks)
            # scikit-learn's wording for binary-only classifiers comes first
            only_binary = (
                "Only binary classification is supported. "
                if task == "multiclass" and self.tasks == {"binary"}
                else ""
            )
            raise ValueError(
                f"{only_binary}The {self.name!r} loss does not apply to {task} "
                "targets; it accepts "
                f"{accepted} targets. Choose a loss for {task} targets, for example "
                f"{_EXAMPLE_LOSS[task]!r}."
            )

    def check_target(self, y: np.ndarray, task: str) -> None:
        """Check that targets lie in ``interval_y_true`` (raise or warn)."""
        self.check_task(task)
        domain = self.interval_y_true
        if task != "regression" or domain.is_real_line or domain.includes(y):
            return
        low, high = float(np.min(y)), float(np.max(y))
        hint = self.target_domain_hint or (
            "Use 'squared_error' or 'huber' for targets that can be negative."
            if domain.low >= 0
            else "Choose a loss for targets of this range."
        )
        found = f"the targets range from {low:.3g} to {high:.3g}"
        if self.target_domain == "warn":  # the hint explains what the loss does there
            message = f"{hint} Here {found}."
            warnings.warn(message, UserWarning, stacklevel=3)
            return
        raise ValueError(
            f"The {self.name} loss needs {domain.describe()} targets, but {found}. "
            f"{hint}"
        )

    def encode_target(self, y: np.ndarray, task: str) -> np.ndarray:
        """Encode targets for training and for :meth:`loss`.

        ``y`` is a float array ``(n_samples, n_outputs)`` for regression, class
        indices ``(n_samples,)`` for binary and multiclass, and a ``{0, 1}``
        indicator matrix for multilabel.
        """
        task = self.network_task(task)
        if task == "regression":
            return np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if task == "multiclass":
            return np.asarray(y, dtype=np.int64)
        columns = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
        if self.column_encoding == "sign":
            return 2.0 * columns - 1.0
        return columns

    # -- the best constant prediction: where training starts --------------------------
    def fit_intercept_only(
        self, y_true: np.ndarray, sample_weight: np.ndarray | None, task: str
    ) -> np.ndarray:
        """Raw outputs of the best constant model under this loss.

        The estimators start the built-in network's output bias here, so training
        starts from the baseline (scikit-learn's losses call this
        ``fit_intercept_only``). This default minimises the weighted mean of
        :meth:`raw_loss` over one constant raw vector numerically (L-BFGS-B with the
        gradient of :meth:`raw_loss_gradient`), so any loss gets a start; the
        built-in losses override it with closed forms.

        Parameters
        ----------
        y_true : ndarray
            Targets as :meth:`encode_target` returns them: float ``(n_samples,
            n_columns)``, or int64 class indices ``(n_samples,)`` for multi-class
            (and two-unit binary) targets.
        sample_weight : ndarray of shape (n_samples,) or None
            Sample weights; None weighs every sample one.
        task : {"regression", "binary", "multiclass", "multilabel"}
            The task.

        Returns
        -------
        ndarray of shape (n_outputs,)
            Raw outputs (before the output activation), float64 and finite. For
            class indices the length is ``max(y_true) + 1`` (at least 2): classes
            above the largest index seen are unknown here; the estimators give them
            the lowest value returned.

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_losses.losses import LogLoss, Poisson, SquaredError
        >>> y = np.array([[1.0], [2.0], [6.0]])
        >>> SquaredError().fit_intercept_only(y, None, "regression")  # the mean
        array([3.])
        >>> Poisson().fit_intercept_only(y, None, "regression")  # log of the mean
        array([1.09861229])
        >>> LogLoss().fit_intercept_only(np.array([0, 0, 1, 2]), None, "multiclass")
        array([ 0.46209812, -0.23104906, -0.23104906])
        """
        n_outputs = _n_intercepts(y_true, self.network_task(task))
        if len(y_true) > _NUMERICAL_START_ROWS:  # evenly spaced rows estimate it
            step = -(-len(y_true) // _NUMERICAL_START_ROWS)
            y_true = np.asarray(y_true)[::step]
            if sample_weight is not None:
                sample_weight = np.asarray(sample_weight)[::step]
        target, weight = _as_tensors(y_true, sample_weight)
        activation = self.output_activation(task)
        # A loss's own activation (several outputs per target) has no bounds and
        # no inverse here: its search starts at zero.
        known = activation.name in _RAW_BOUNDS
        low, high = _RAW_BOUNDS.get(activation.name, (None, None))
        if self.network_task(task) == "regression":
            n_outputs = self.n_outputs(task, n_outputs)
        total = float(weight.sum()) if weight is not None else float(len(y_true))

        def objective(z: np.ndarray) -> tuple[float, np.ndarray]:
            raw = torch.as_tensor(z, dtype=torch.float64).expand(len(y_true), -1)
            values, gradient = self.raw_loss_gradient(
                raw.contiguous(), target, activation, weight
            )
            if values.ndim == 0:  # a custom loss's batch mean: already divided
                value, grad = float(values), gradient.sum(0)
            else:
                value, grad = float(values.sum()) / total, gradient.sum(0) / total
            return value, grad.numpy().astype(np.float64)

        zero = np.zeros(n_outputs)
        start = (
            _fallback_start(self, y_true, sample_weight, task, activation.name)
            if known
            else zero
        )
        result = scipy.optimize.minimize(
            objective,
            start,
            jac=True,
            method="L-BFGS-B",
            bounds=[(low, high)] * n_outputs,
            options={"maxiter": 200},
        )
        best = np.asarray(result.x, dtype=np.float64)
        # Never start worse than a network that outputs zero.
        if not np.isfinite(best).all() or not result.fun <= objective(zero)[0]:
            return zero
        return best

    # -- the metric: the same definition, evaluated on NumPy inputs --------------------
    @property
    def response_method(self) -> str:
        """The estimator method whose output :meth:`metric` takes as ``y_pred``.

        ``"predict"`` for regression losses, ``"predict_proba"`` for losses that define
        class probabilities, ``"decision_function"`` for the others (the hinge family,
        whose decision values are the activated outputs the loss is applied to).
        """
        return self.response_method_for(
            "binary" if self.tasks - {"regression"} else "regression"
        )

    def response_method_for(self, task: str) -> str:
        """The estimator method whose output the metric takes for ``task``."""
        if task == "regression":
            return "predict"
        return "predict_proba" if self.probabilistic else "decision_function"

    def metric(
        self,
        y_true,
        y_pred,
        *,
        sample_weight=None,
        labels=None,
        multioutput="uniform_average",
    ) -> float | np.ndarray:
        """The loss as a metric: mean of :meth:`loss` over samples, in float64.

        It evaluates the very expression used for training (:meth:`loss`) on what the
        estimator's :attr:`response_method` returns, so metric and training criterion
        cannot drift apart. The functions of :mod:`sklearn_losses.metrics` call it.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Regression targets; class labels (any type scikit-learn accepts,
            strings included); or a multi-label indicator matrix.
        y_pred : array-like of shape (n_samples,) or (n_samples, n_columns)
            What :attr:`response_method` returns: predictions (regression),
            probabilities (``predict_proba``; for two classes either the
            ``(n_samples, 2)`` matrix or the positive class's column) or decision
            values (``decision_function``). Columns follow the sorted labels.
        sample_weight : array-like of shape (n_samples,), default=None
            Sample weights; the result is ``sum(w * l) / sum(w)``.
        labels : array-like, default=None
            All the class labels. Needed when ``y_true`` misses some classes (a
            cross-validation fold): each label is then encoded by its position in
            the sorted ``labels``, never guessed from ``y_true``. Ignored for
            regression and multi-label targets.
        multioutput : {"raw_values", "uniform_average"} or array-like, default="uniform_average"
            How several regression outputs are combined, as in
            :mod:`sklearn.metrics`: ``"raw_values"`` returns one value per output,
            ``"uniform_average"`` their mean, an array their weighted average.
            Regression targets only.

        Returns
        -------
        float or ndarray of shape (n_outputs,)
            The weighted mean of the per-sample losses (outputs averaged), or one
            value per output for ``multioutput="raw_values"``.

        Notes
        -----
        The task is read from ``y_true`` with
        :func:`~sklearn.utils.multiclass.type_of_target`. For a loss that accepts
        both regression and classification targets (a :class:`CustomLoss`),
        integer-valued ``y_true`` is taken for class labels; the scorers of
        :mod:`sklearn_losses.scoring` tell regressors apart themselves.
        """
        return self._evaluate(
            y_true,
            y_pred,
            sample_weight=sample_weight,
            labels=labels,
            multioutput=multioutput,
        )

    def _evaluate(
        self,
        y_true,
        y_pred,
        *,
        sample_weight=None,
        labels=None,
        task=None,
        multioutput="uniform_average",
    ) -> float | np.ndarray:
        """:meth:`metric`, with the task given (scorers know it from the estimator)."""
        if not (isinstance(multioutput, str) and multioutput == "uniform_average"):
            return self._evaluate_per_output(
                y_true, y_pred, sample_weight, labels, task, multioutput
            )
        values = self._metric_values(y_true, y_pred, labels=labels, task=task)
        if sample_weight is None:
            return float(np.mean(values))
        if values.ndim == 0:
            raise ValueError(
                f"The {self.name!r} loss returns one value for the whole batch, so it "
                "cannot weight samples; call it without sample_weight or make the "
                "function return one value per sample."
            )
        sample_weight = check_array(
            sample_weight, ensure_2d=False, dtype=np.float64, input_name="sample_weight"
        )
        if sample_weight.ndim != 1:
            raise ValueError(
                f"sample_weight must be 1-D, got shape {sample_weight.shape}."
            )
        check_consistent_length(values, sample_weight)
        return float(np.average(values, weights=sample_weight))

    def _evaluate_per_output(
        self, y_true, y_pred, sample_weight, labels, task, multioutput
    ) -> float | np.ndarray:
        """:meth:`metric` with scikit-learn's ``multioutput`` for regression."""
        if task is None:
            task = self._metric_task(y_true, labels)
        if task != "regression":
            raise ValueError(
                f"multioutput={multioutput!r} applies to regression targets only; "
                f"the {self.name!r} metric got {task} targets."
            )
        columns = self._metric_values(y_true, y_pred, task=task, per_output=True)
        if sample_weight is not None:
            sample_weight = check_array(
                sample_weight,
                ensure_2d=False,
                dtype=np.float64,
                input_name="sample_weight",
            )
            check_consistent_length(columns, sample_weight)
        per_output = np.average(columns, axis=0, weights=sample_weight)
        if isinstance(multioutput, str):
            if multioutput == "raw_values":
                return per_output
            raise ValueError(
                f"multioutput must be 'raw_values', 'uniform_average' or an array of "
                f"weights, got {multioutput!r}."
            )
        weights = check_array(
            multioutput, ensure_2d=False, dtype=np.float64, input_name="multioutput"
        )
        if weights.shape != per_output.shape:
            raise ValueError(
                f"There must be as many multioutput weights as outputs: got "
                f"{weights.shape[0] if weights.ndim else 1} weights for "
                f"{per_output.shape[0]} outputs."
            )
        return float(np.average(per_output, weights=weights))

    def _metric_values(
        self, y_true, y_pred, *, labels=None, task=None, per_output=False
    ) -> np.ndarray:
        """Per-sample values of :meth:`loss` on NumPy inputs, in float64.

        With ``per_output`` (regression), one column per output: :meth:`loss` of
        each output alone.
        """
        y_pred = check_array(
            y_pred, ensure_2d=False, dtype=np.float64, input_name="y_pred"
        )
        if y_pred.ndim not in (1, 2):
            raise ValueError(f"y_pred must be 1-D or 2-D, got shape {y_pred.shape}.")
        if task is None:
            task = self._metric_task(y_true, labels)
        self.check_task(task)
        if task in ("regression", "multilabel"):
            y_true = check_array(
                y_true, ensure_2d=False, dtype=np.float64, input_name="y_true"
            )
            check_consistent_length(y_true, y_pred)
            y_true = y_true.reshape(len(y_true), -1)
            y_pred = y_pred.reshape(len(y_pred), -1)
            if y_true.shape != y_pred.shape:
                raise ValueError(
                    f"y_true and y_pred have different numbers of outputs: "
                    f"{y_true.shape[1]} and {y_pred.shape[1]}."
                )
            if task == "multilabel" and not np.isin(y_true, (0.0, 1.0)).all():
                raise ValueError(
                    "A multi-label y_true must be an indicator matrix of 0 and 1."
                )
            target = self.encode_target(y_true, task)
        else:
            index, n_classes = _class_index(y_true, labels)
            check_consistent_length(index, y_pred)
            y_pred = self._class_columns(y_pred, task, n_classes, labels is not None)
            target = self.encode_target(index, task)
        self._check_metric_domain(y_true, y_pred, task)
        y_pred = torch.as_tensor(y_pred, dtype=torch.float64)
        target = torch.as_tensor(target)
        with torch.no_grad():
            if per_output:
                values = torch.stack(
                    [
                        self.loss(y_pred[:, k : k + 1], target[:, k : k + 1])
                        for k in range(y_pred.shape[1])
                    ],
                    dim=1,
                )
            else:
                values = self.loss(y_pred, target)
                if task == "multilabel":
                    # Summed over labels, as the estimators train (and scikit-learn's
                    # MLP): each label weighs as much as one binary problem.
                    values = values * y_pred.shape[1]
        return values.detach().cpu().numpy().astype(np.float64, copy=False)

    def _metric_task(self, y_true, labels) -> str:
        """The task of the metric's inputs, as :func:`type_of_target` sees it."""
        if not self.tasks - {"regression"}:
            return "regression"
        y_type = type_of_target(y_true, input_name="y_true")
        if y_type == "multilabel-indicator":
            return "multilabel"
        if y_type in ("continuous", "continuous-multioutput"):
            if "regression" in self.tasks:
                return "regression"
            raise ValueError(
                f"The {self.name!r} metric compares class labels with "
                f"{self.response_method} outputs, but y_true holds continuous values. "
                "Pass the true class labels as y_true (and the scores as y_pred)."
            )
        if y_type not in ("binary", "multiclass"):
            raise ValueError(
                f"The {self.name!r} metric does not support {y_type} y_true."
            )
        n_classes = len(unique_labels(y_true if labels is None else labels))
        return "binary" if n_classes <= 2 else "multiclass"

    def _class_columns(
        self, y_pred: np.ndarray, task: str, n_classes: int, labels_given: bool
    ) -> np.ndarray:
        """The response as the network's prediction space: one column per unit."""
        found = "in labels" if labels_given else "in y_true (pass labels= to give all)"
        if self.network_task(task) == "multiclass":
            if y_pred.ndim == 1 and n_classes == 2 and self.probabilistic:
                # the positive class's probability, as scikit-learn's scorers give it
                y_pred = np.column_stack([1.0 - y_pred, y_pred])
            if y_pred.ndim == 2 and y_pred.shape[1] == n_classes:
                return y_pred
            raise ValueError(
                f"y_pred must have one column per class ({self.response_method} "
                f"output), but it has shape {y_pred.shape} and there are "
                f"{n_classes} classes {found}."
            )
        if y_pred.ndim == 1:
            return y_pred.reshape(-1, 1)
        if y_pred.shape[1] == 1:
            return y_pred
        if y_pred.shape[1] == 2 and self.probabilistic:
            return y_pred[:, 1:]  # predict_proba of two classes: the positive column
        raise ValueError(
            f"For binary targets y_pred must hold one score per sample (or, for "
            f"probabilities, the (n_samples, 2) predict_proba matrix), but it has shape "
            f"{y_pred.shape} and there are {n_classes} classes {found}."
        )

    def _check_metric_domain(
        self, y_true: np.ndarray, y_pred: np.ndarray, task: str
    ) -> None:
        """Raise a ValueError for inputs outside the metric's domain.

        Regression: ``y_true`` in ``interval_y_true`` (unless ``target_domain`` is
        ``"warn"``: the loss is defined outside it) and ``y_pred`` in
        ``interval_y_pred``, as scikit-learn's deviances check them. Classification:
        class probabilities in ``[0, 1]``.
        """
        if task == "regression":
            true_ok = self.target_domain == "warn" or self.interval_y_true.includes(
                y_true
            )
            if not (true_ok and self.interval_y_pred.includes(y_pred)):
                raise ValueError(
                    f"The {self.name!r} metric needs "
                    f"{self.interval_y_true.describe()} y_true and "
                    f"{self.interval_y_pred.describe()} y_pred, but y_true ranges "
                    f"from {np.min(y_true):.4g} to {np.max(y_true):.4g} and y_pred "
                    f"from {np.min(y_pred):.4g} to {np.max(y_pred):.4g}. Score the "
                    f"predictions of a model trained with loss={self.name!r}, or "
                    "use another metric."
                )
            return
        if not self.probabilistic:
            return
        low, high = float(np.min(y_pred)), float(np.max(y_pred))
        if low < 0.0 or high > 1.0:
            raise ValueError(
                f"The {self.name!r} metric takes probabilities (predict_proba), but "
                f"y_pred ranges from {low:.4g} to {high:.4g}. Decision values and "
                "logits are not probabilities: score with predict_proba."
            )


#: Methods that define a loss's value, and those that write out its gradient.
_DEFINITIONS = ("loss", "raw_loss", "pointwise")
_GRADIENTS = ("raw_loss_gradient", "pointwise_loss_gradient")
#: Methods that give a loss's best constant prediction in closed form.
_STARTS = ("fit_intercept_only", "best_constant")

_EXAMPLE_LOSS = {
    "regression": "squared_error",
    "binary": "log_loss",
    "multiclass": "log_loss",
    "multilabel": "log_loss",
}


def _class_index(y_true, labels) -> tuple[np.ndarray, int]:
    """Class index of each label in the sorted ``labels`` (or classes of ``y_true``)."""
    y_true = column_or_1d(y_true)
    if labels is None:
        classes = unique_labels(y_true)
        if len(classes) < 2:
            raise ValueError(
                f"y_true contains only one label ({classes.tolist()[0]!r}). Pass all the "
                "class labels with labels= (a scorer passes estimator.classes_), so that "
                "each label is encoded by its position among them."
            )
    else:
        classes = unique_labels(labels)
        if len(classes) < 2:
            raise ValueError(
                f"labels must hold at least two classes, got {classes.tolist()}."
            )
    try:
        index = np.searchsorted(classes, y_true)
        known = index < len(classes)
        known[known] = classes[index[known]] == y_true[known]
    except TypeError:  # labels and y_true of different types
        index, known = (
            np.zeros(len(y_true), dtype=np.int64),
            np.zeros(len(y_true), bool),
        )
    if not known.all():
        unknown = unique_labels(y_true[~known])
        raise ValueError(
            f"y_true contains labels {unknown.tolist()} that are not among the "
            f"classes {classes.tolist()}."
        )
    return index.astype(np.int64), len(classes)


def one_hot(
    index: torch.Tensor, n_classes: int, dtype: torch.dtype, off_value: float = 0.0
) -> torch.Tensor:
    """Float one-hot rows of class indices: 1 at the class, ``off_value`` elsewhere."""
    if n_classes > _CACHED_ROWS:
        rows = torch.nn.functional.one_hot(index, n_classes).to(dtype)
        return rows.clamp_min_(off_value) if off_value else rows
    # Rows of a small constant matrix: one gather, where one_hot scatters and casts.
    return _class_rows(n_classes, dtype, index.device, off_value).index_select(0, index)


# Class-row matrices up to this many classes are kept (128 KiB each at most).
_CACHED_ROWS = 128


@functools.lru_cache(maxsize=16)
def _class_rows(
    n: int, dtype: torch.dtype, device: torch.device, off_value: float
) -> torch.Tensor:
    return torch.eye(n, dtype=dtype, device=device).clamp_min_(off_value)


def true_class_column(values: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """``values[i, index[i]]`` for every row ``i``."""
    return values.gather(1, index.unsqueeze(1)).squeeze(1)


def per_sample(
    values: torch.Tensor,
    gradient: torch.Tensor,
    sample_weight: torch.Tensor | None,
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-sample losses (the mean over columns) and their gradient, weighted.

    ``values`` and ``gradient`` are element-wise, of shape ``(n_samples, n_columns)``;
    ``gradient`` is modified in place.
    """
    n_columns = values.shape[1]
    if n_columns == 1:
        values = values.squeeze(1)  # the mean of one column, without a reduction
    else:
        values = values.mean(dim=1)
        gradient /= n_columns
    return weighted(values, gradient, sample_weight)


def weighted(
    values: torch.Tensor, gradient: torch.Tensor, sample_weight: torch.Tensor | None
) -> tuple[torch.Tensor, torch.Tensor]:
    """``(w * values, w * gradient)`` row by row; ``gradient`` is modified in place."""
    if sample_weight is None:
        return values, gradient
    gradient *= sample_weight.unsqueeze(1)
    return values * sample_weight, gradient


def activation_by_name(name: str) -> Activation:
    """Look up an output activation."""
    return ACTIVATIONS[name]


#: The output activation of a loss that does not declare one for a task.
_USUAL_ACTIVATION = {
    "regression": "identity",
    "binary": "logistic",
    "multilabel": "logistic",
    "multiclass": "softmax",
}

#: Rows the numerical best constant is computed on (evenly spaced beyond this).
_NUMERICAL_START_ROWS = 10000

#: Predictions of a constant start are kept this far inside an open range (as
#: scikit-learn's ``fit_intercept_only`` does), so raw outputs stay finite.
PREDICTION_EPSILON = 10 * np.finfo(np.float64).eps

#: Raw outputs a constant start may take, per activation: beyond these the
#: activation saturates (or overflows) in float32 and the gradient vanishes.
_RAW_BOUNDS: dict[str, tuple[float | None, float | None]] = {
    "identity": (None, None),
    "exp": (-36.0, 700.0),
    "softplus": (-36.0, None),
    "logistic": (-36.0, 36.0),
    "tanh": (-18.0, 18.0),
    "softmax": (-36.0, 36.0),
}


def _as_tensors(y_true, sample_weight):
    target = torch.as_tensor(np.asarray(y_true))
    if target.dtype.is_floating_point:
        target = target.to(torch.float64)
    weight = None
    if sample_weight is not None:
        weight = torch.as_tensor(np.asarray(sample_weight, dtype=np.float64))
    return target, weight


def _n_intercepts(y_true: np.ndarray, network_task: str) -> int:
    if network_task == "multiclass":
        return max(int(np.max(y_true, initial=0)) + 1, 2)
    return np.asarray(y_true).reshape(len(y_true), -1).shape[1]


def _fallback_start(loss, y_true, sample_weight, task, activation: str) -> np.ndarray:
    """Where the numerical search starts: the weighted mean target, through the
    inverse activation, for regression and column targets; zero for class indices."""
    y_true = np.asarray(y_true)
    if y_true.ndim == 1 or activation == "softmax":
        return np.zeros(_n_intercepts(y_true, loss.network_task(task)))
    mean = np.average(y_true.reshape(len(y_true), -1), axis=0, weights=sample_weight)
    if activation == "logistic" and loss.column_encoding == "sign":
        mean = (mean + 1.0) / 2.0
    return inverse_activation(activation, mean)


def inverse_activation(name: str, y_pred: np.ndarray) -> np.ndarray:
    """Raw outputs that the output activation ``name`` maps to ``y_pred``.

    Predictions outside the activation's open range are first clipped to
    :data:`PREDICTION_EPSILON` inside it, so the result is finite. For softmax,
    ``y_pred`` is a probability vector and the result sums to zero.
    """
    y_pred = np.asarray(y_pred, dtype=np.float64)
    eps = PREDICTION_EPSILON
    if name == "identity":
        return y_pred.copy()
    if name == "exp":
        return np.log(np.clip(y_pred, eps, None))
    if name == "softplus":
        p = np.clip(y_pred, eps, None)
        return p + np.log(-np.expm1(-p))  # log(exp(p) - 1), without overflow
    if name == "logistic":
        p = np.clip(y_pred, eps, 1.0 - eps)
        return np.log(p) - np.log1p(-p)
    if name == "tanh":
        return np.arctanh(np.clip(y_pred, -1.0 + eps, 1.0 - eps))
    if name == "softmax":
        log_p = np.log(np.clip(y_pred, eps, None))
        return log_p - log_p.mean()
    raise ValueError(f"Unknown output activation {name!r}.")


def clip_raw(name: str, raw: np.ndarray) -> np.ndarray:
    """``raw`` clipped to the range where the activation ``name`` keeps a gradient."""
    low, high = _RAW_BOUNDS[name]
    raw = np.asarray(raw, dtype=np.float64)
    if low is None and high is None:  # NumPy < 1.25 refuses np.clip without bounds
        return raw.copy()
    return np.clip(raw, low, high)


def weighted_quantile(
    y: np.ndarray, sample_weight: np.ndarray | None, quantile: float
) -> np.ndarray:
    """Per column, a minimiser of the weighted pinball loss of ``quantile``.

    The smallest value whose cumulative weight reaches ``quantile`` of the total
    (the inverted CDF); where the cumulative weight equals it exactly, every value
    up to the next one minimises the loss and the midpoint is returned (the median
    of an even number of values, as :func:`numpy.median` gives it).
    """
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    weight = np.ones(len(y)) if sample_weight is None else np.asarray(sample_weight)
    out = np.empty(y.shape[1])
    for j in range(y.shape[1]):
        keep = weight > 0
        order = np.argsort(y[keep, j], kind="stable")
        values, cumulative = y[keep, j][order], np.cumsum(weight[keep][order])
        level = quantile * cumulative[-1]
        k = int(np.searchsorted(cumulative, level, side="left"))
        k = min(k, len(values) - 1)
        tie = np.isclose(cumulative[k], level, rtol=1e-12, atol=0.0)
        if tie and k + 1 < len(values):
            out[j] = 0.5 * (values[k] + values[k + 1])
        else:
            out[j] = values[k]
    return out


def class_frequencies(
    index: np.ndarray, sample_weight: np.ndarray | None, n_classes: int
) -> np.ndarray:
    """Weighted share of each class among class indices."""
    counts = np.bincount(index, weights=sample_weight, minlength=n_classes)
    return counts / counts.sum()


def column_means(y: np.ndarray, sample_weight: np.ndarray | None) -> np.ndarray:
    """Weighted mean of each target column."""
    y = np.asarray(y, dtype=np.float64).reshape(len(y), -1)
    return np.average(y, axis=0, weights=sample_weight)
