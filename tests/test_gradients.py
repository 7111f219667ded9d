"""Closed-form gradients against autograd differentiating the definitions.

Training calls ``Loss.raw_loss_gradient`` and ``Activation.torch_backward``; the
built-in losses write them out by hand. Each is compared here with autograd applied
to the loss's own definition (``raw_loss``) or to the activation's torch function,
at random points and at the kinks (zero error, a margin of exactly one, ties).
"""

import pytest
import torch
from numpy.testing import assert_allclose

from sklearn_losses.losses import (
    ACTIVATIONS,
    BinaryFocal,
    CategoricalHinge,
    CustomLoss,
    Hinge,
    Huber,
    LogLoss,
    Loss,
    Quantile,
    SquaredError,
    SquaredHinge,
    get_loss,
    loss_names,
)
from sklearn_losses.losses._base import one_hot

TOLERANCE = {
    torch.float64: {"rtol": 1e-10, "atol": 1e-12},
    torch.float32: {"rtol": 2e-4, "atol": 1e-5},
}
N_SAMPLES = 24

# Every registered loss with its defaults, and the parameters that change a formula.
VARIANTS = [get_loss(name) for name in loss_names()] + [
    LogLoss(label_smoothing=0.2),
    BinaryFocal(gamma=0.0),
    BinaryFocal(gamma=0.5, alpha=0.25),
    BinaryFocal(gamma=3.0, alpha=0.6),
    Huber(delta=0.3),
    Quantile(alpha=0.8),
    Quantile(alpha=[0.1, 0.5, 0.9]),
    Quantile(alpha=[0.3, 0.6], out_activation="exp"),
    Quantile(alpha=[0.25, 0.75], out_activation="softplus"),
    Hinge(out_activation="identity"),
    SquaredHinge(out_activation="identity"),
    SquaredError(out_activation="exp"),
    get_loss("squared_log_error").set_params(out_activation="softplus"),
    *[get_loss("tweedie").set_params(power=p) for p in (-0.5, 0.0, 1.0, 2.0, 3.0)],
    get_loss("epsilon_insensitive").set_params(epsilon=0.0),
    get_loss("squared_epsilon_insensitive").set_params(epsilon=0.0),
    get_loss("categorical_focal_crossentropy").set_params(alpha=[0.5, 1.0, 2.0]),
    get_loss("categorical_focal_crossentropy").set_params(gamma=0.0),
    get_loss("categorical_generalized_cross_entropy").set_params(q=1.0),
]
CASES = [
    pytest.param(loss, task, id=f"{loss!r}-{task}")
    for loss in VARIANTS
    for task in ("regression", "binary", "multiclass", "multilabel")
    if task in loss.tasks
]


def _outputs_and_targets(loss: Loss, task: str, dtype, seed: int = 0):
    """Raw outputs and encoded targets; a few samples sit on a kink."""
    gen = torch.Generator().manual_seed(seed)
    n_columns = 2 if task == "regression" else 3
    n_units = loss.n_outputs(task, n_columns)
    raw = 2.0 * torch.randn(N_SAMPLES, n_units, generator=gen, dtype=dtype)
    identity = loss.activation(task) == "identity"
    if task == "regression":
        target = torch.randn(N_SAMPLES, n_columns, generator=gen, dtype=dtype)
        if loss.positive_target:
            target = target.abs()
        if identity:
            raw[:3] = target[:3]  # zero error
        return raw, target
    if loss.network_task(task) == "multiclass":
        target = torch.randint(n_units, (N_SAMPLES,), generator=gen)
        raw[:2] = 0.5  # tied scores
        if identity:
            raw[2:4] = 0.0
            raw[2:4].scatter_(1, target[2:4].unsqueeze(1), 1.0)  # margin of exactly 1
        return raw, target
    target = (torch.rand(N_SAMPLES, n_units, generator=gen) < 0.5).to(dtype)
    if loss.column_encoding == "sign":
        target = 2.0 * target - 1.0
        if identity:
            raw[:3] = target[:3]  # margin of exactly 1
    return raw, target


def _autograd(loss: Loss, raw, target, activation, weight):
    raw = raw.clone().requires_grad_()
    values = loss.raw_loss(raw, target, activation)
    if weight is not None:
        values = values * weight
    values.sum().backward()
    return values.detach(), raw.grad


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("loss, task", CASES)
def test_closed_form_gradient_equals_autograd(loss, task, weighted, dtype):
    # the built-in losses do not fall back to the base class's autograd version
    assert type(loss).raw_loss_gradient is not Loss.raw_loss_gradient
    raw, target = _outputs_and_targets(loss, task, dtype)
    activation = loss.output_activation(task)
    weight = None
    if weighted:
        weight = torch.linspace(0.0, 2.0, N_SAMPLES, dtype=dtype)
    values, gradient = loss.raw_loss_gradient(raw, target, activation, weight)
    expected_values, expected_gradient = _autograd(
        loss, raw, target, activation, weight
    )
    assert values.shape == (N_SAMPLES,) and gradient.shape == raw.shape
    assert values.dtype == gradient.dtype == dtype
    assert_allclose(values.numpy(), expected_values.numpy(), **TOLERANCE[dtype])
    assert_allclose(gradient.numpy(), expected_gradient.numpy(), **TOLERANCE[dtype])


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_activation_backward_equals_autograd(name, dtype):
    activation = ACTIVATIONS[name]
    gen = torch.Generator().manual_seed(1)
    raw = torch.randn(10, 4, generator=gen, dtype=dtype).requires_grad_()
    grad = torch.randn(10, 4, generator=gen, dtype=dtype)
    output = activation.torch_fn(raw)
    (expected,) = torch.autograd.grad(output, raw, grad)
    result = activation.torch_backward(grad, output.detach(), raw.detach())
    assert_allclose(result.numpy(), expected.numpy(), **TOLERANCE[dtype])


def test_a_subclass_that_redefines_the_loss_is_differentiated_by_autograd():
    class Cubed(SquaredError):
        def pointwise(self, y_pred, y_true):
            return (y_pred - y_true).abs() ** 3

    class Renamed(SquaredError):
        name = "renamed_squared_error"

    class WithGradient(Cubed):
        def pointwise_loss_gradient(self, y_pred, y_true):
            error = y_pred - y_true
            return error.abs() ** 3, 3.0 * error * error.abs()

    assert Cubed.raw_loss_gradient is Loss.raw_loss_gradient
    assert Renamed.raw_loss_gradient is SquaredError.raw_loss_gradient
    assert WithGradient.raw_loss_gradient is SquaredError.raw_loss_gradient
    y_pred = torch.tensor([[1.0, -2.0], [0.5, 3.0]], dtype=torch.float64)
    y_true = torch.zeros_like(y_pred)
    identity = ACTIVATIONS["identity"]
    expected = 3.0 * y_pred * y_pred.abs() / 2  # d/dy mean over 2 outputs of |y|^3
    for loss in (Cubed(), WithGradient()):
        values, gradient = loss.raw_loss_gradient(y_pred, y_true, identity)
        assert_allclose(values.numpy(), (y_pred.abs() ** 3).mean(dim=1).numpy())
        assert_allclose(gradient.numpy(), expected.numpy())


def test_custom_loss_functions_are_differentiated_by_autograd():
    def mean_cubed_error(y_pred, y_true):
        return (y_pred - y_true).abs().pow(3).mean(dim=1)

    def batch_mean(y_pred, y_true):  # one value for the whole batch
        return (y_pred - y_true).square().mean()

    identity = ACTIVATIONS["identity"]
    y_pred = torch.tensor([[1.0], [-2.0], [0.5]], dtype=torch.float64)
    y_true = torch.zeros_like(y_pred)
    values, gradient = get_loss(mean_cubed_error).raw_loss_gradient(
        y_pred, y_true, identity
    )
    assert type(get_loss(mean_cubed_error)) is CustomLoss
    assert_allclose(values.numpy(), [1.0, 8.0, 0.125])
    assert_allclose(gradient.numpy(), 3.0 * y_pred * y_pred.abs())
    values, gradient = get_loss(batch_mean).raw_loss_gradient(y_pred, y_true, identity)
    assert values.ndim == 0 and float(values) == pytest.approx(5.25 / 3)
    assert_allclose(gradient.numpy(), 2.0 * y_pred / 3)


@pytest.mark.parametrize("n_classes", [3, 300])
@pytest.mark.parametrize("off_value", [0.0, 1e-7])
def test_one_hot_rows(n_classes, off_value):
    index = torch.tensor([0, n_classes - 1, 1, 1])
    rows = one_hot(index, n_classes, torch.float64, off_value=off_value)
    expected = torch.full((4, n_classes), off_value, dtype=torch.float64)
    expected[torch.arange(4), index] = 1.0
    assert torch.equal(rows, expected)
    rows[0, 0] = 5.0  # the rows are a copy: the next call is unaffected
    assert torch.equal(one_hot(index, n_classes, torch.float64, off_value), expected)
    with pytest.raises((IndexError, RuntimeError)):
        one_hot(torch.tensor([n_classes]), n_classes, torch.float64)


def test_categorical_hinge_gradient_when_every_wrong_score_is_negative():
    # The best "wrong" score is then the true class's zero, a constant: only the
    # true score gets a gradient.
    raw = torch.tensor([[0.2, -1.0, -3.0]], dtype=torch.float64)
    _, gradient = CategoricalHinge().raw_loss_gradient(
        raw, torch.tensor([0]), ACTIVATIONS["identity"]
    )
    assert_allclose(gradient.numpy(), [[-1.0, 0.0, 0.0]])
