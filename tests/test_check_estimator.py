"""scikit-learn's full estimator check suite, for every loss of each estimator's task,
with default parameters."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses.losses import get_loss, loss_names

CLASSIFICATION_LOSSES = sorted(
    set(loss_names("binary")) | set(loss_names("multiclass"))
)
ESTIMATORS = [MLPRegressor(loss=name) for name in loss_names("regression")] + [
    MLPClassifier(loss=name) for name in CLASSIFICATION_LOSSES
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_every_loss_is_checked():
    checked = {get_loss(est.loss).name for est in ESTIMATORS}
    assert checked == set(loss_names())
