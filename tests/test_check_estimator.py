"""scikit-learn's full estimator check suite, for every loss of each estimator's task."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_losses import MLPClassifier, MLPRegressor
from sklearn_losses.losses import SquaredLogError, get_loss, loss_names

CLASSIFICATION_LOSSES = sorted(
    set(loss_names("binary")) | set(loss_names("multiclass"))
)
# Like scikit-learn's own per-estimator check parameters: settings that suit the
# checks' data. check_regressors_train fits positive targets between 1 and 7.5 (the
# positive_only tag of these two losses) with 200 full-batch steps: the default
# learning rate gets Poisson to R^2 = 0.44 only, and MSLE's linear output stalls
# once predictions fall below zero, where the clipped log has no gradient. Its exp
# output is the configuration MSLE is meant for on such targets.
CHECK_PARAMS = {
    "poisson": dict(learning_rate_init=0.01),
    "squared_log_error": dict(
        loss=SquaredLogError(out_activation="exp"), learning_rate_init=0.01
    ),
}
ESTIMATORS = [
    MLPRegressor(**{"loss": name, **CHECK_PARAMS.get(name, {})})
    for name in loss_names("regression")
] + [MLPClassifier(loss=name) for name in CLASSIFICATION_LOSSES]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_every_loss_is_checked():
    checked = {get_loss(est.loss).name for est in ESTIMATORS}
    assert checked == set(loss_names())
