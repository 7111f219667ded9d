"""The types to trust when loading a model with skops."""

from __future__ import annotations

from ..losses import CustomLoss, get_loss, loss_names
from ._multilayer_perceptron import MLPClassifier, MLPRegressor


def skops_trusted_types() -> list[str]:
    """Names of this package's types to trust when loading a model with :mod:`skops.io`.

    They are the two estimators and every registered loss class (losses registered
    later included). Loading a model stored with a custom loss *function* also needs
    that function's name, which only you can vouch for.

    Returns
    -------
    list of str
        Fully qualified type names, for ``skops.io.load(..., trusted=...)``.

    Examples
    --------
    >>> import skops.io as sio
    >>> from sklearn.datasets import make_blobs
    >>> from sklearn_losses import MLPClassifier, skops_trusted_types
    >>> X, y = make_blobs(n_samples=30, random_state=0)
    >>> clf = MLPClassifier(loss="hinge", max_iter=5, random_state=0).fit(X, y)
    >>> data = sio.dumps(clf)
    >>> set(sio.get_untrusted_types(data=data)) <= set(skops_trusted_types())
    True
    >>> restored = sio.loads(data, trusted=skops_trusted_types())
    >>> bool((restored.predict(X) == clf.predict(X)).all())
    True
    """
    losses = [type(get_loss(name)) for name in loss_names()]
    classes = [MLPClassifier, MLPRegressor, CustomLoss, *losses]
    return sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in classes)
