"""Shared test setup: a loss registered by a test or a doctest does not outlive it."""

import pytest

from sklearn_losses.losses import _registry


@pytest.fixture(autouse=True)
def _restore_loss_registry():
    """Put the registry of losses back as it was before each test and doctest."""
    registry, aliases = dict(_registry._REGISTRY), dict(_registry._ALIASES)
    yield
    _registry._REGISTRY.clear()
    _registry._REGISTRY.update(registry)
    _registry._ALIASES.clear()
    _registry._ALIASES.update(aliases)
