"""The lbfgs solver: SciPy's L-BFGS-B on the flattened parameters, as scikit-learn.

scikit-learn's MLP runs ``scipy.optimize.minimize(method="L-BFGS-B")`` with the exact
gradient of the full-batch objective; doing the same gives its stopping rules
(``maxiter``, ``maxfun``, ``gtol``), iteration counts and convergence warnings. The
gradient is the built-in network's hand-written backward (:class:`MLPPass`), or
autograd for a user's module.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.optimize
import torch
from sklearn.exceptions import ConvergenceWarning

from ._fused import MLPPass
from ._module import MLPModule
from ._sparse import SparseBatch, SparseMLPPass


class _FlatParameters:
    """The trainable parameters as one float64 vector, and back."""

    def __init__(self, params: list[torch.Tensor]):
        self.params = params
        sizes = [p.numel() for p in params]
        self.bounds = np.cumsum([0, *sizes])

    def get(self) -> np.ndarray:
        with torch.no_grad():
            flat = torch.cat([p.detach().reshape(-1) for p in self.params])
        return flat.to(torch.float64).cpu().numpy()

    def set(self, x: np.ndarray) -> None:
        with torch.no_grad():
            for p, start, stop in zip(self.params, self.bounds, self.bounds[1:]):
                p.copy_(torch.from_numpy(x[start:stop]).view_as(p))

    @staticmethod
    def flatten(grads: list[torch.Tensor | None], params) -> np.ndarray:
        flat = torch.cat(
            [
                (torch.zeros_like(p) if g is None else g).reshape(-1)
                for g, p in zip(grads, params)
            ]
        )
        return flat.detach().to(torch.float64).cpu().numpy()


def fit_lbfgs(
    net, batch, *, max_iter: int, max_fun: int, tol: float, verbose: bool
) -> scipy.optimize.OptimizeResult:
    """Minimise the net's full-batch objective with L-BFGS-B from its current weights.

    ``batch`` is ``(X, (target, weight))``. The parameters end at the solution;
    the result holds ``fun`` (the final objective), ``nit``, ``status`` and
    ``message`` as SciPy reports them.
    """
    module = net.module_
    net._set_training(True)
    X, target = batch
    mlp_pass = SparseMLPPass if isinstance(X, SparseBatch) else MLPPass
    mlp = mlp_pass(module) if type(module) is MLPModule else None
    params = (
        mlp.parameters
        if mlp is not None
        else [p for p in module.parameters() if p.requires_grad]
    )
    flat = _FlatParameters(params)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        flat.set(x)
        if mlp is not None:
            loss, _, grads = net._mlp_gradients(mlp, batch)
        else:
            for p in params:
                p.grad = None
            with torch.enable_grad():
                loss = net.get_loss(net.infer(X), target, X=X, training=True)
                loss.backward()
            grads = [p.grad for p in params]
        return float(loss), flat.flatten(grads, params)

    def report(intermediate_result):
        # SciPy >= 1.11 passes the result so far; older SciPy passes the point only.
        loss = getattr(intermediate_result, "fun", None)
        if loss is None:
            loss = objective(np.asarray(intermediate_result))[0]
        print(f"Iteration {report.count}, loss = {loss:.8f}")
        report.count += 1

    report.count = 1
    result = scipy.optimize.minimize(
        objective,
        flat.get(),
        method="L-BFGS-B",
        jac=True,
        callback=report if verbose else None,
        options={"maxfun": max_fun, "maxiter": max_iter, "gtol": tol},
    )
    flat.set(result.x)
    for p in params:
        p.grad = None
    return result


def check_lbfgs_result(result, max_iter: int, stacklevel: int = 2) -> int:
    """The iteration count, warning as scikit-learn does when L-BFGS-B stopped
    before converging (at ``max_iter`` or ``max_fun``, or in the line search)."""
    n_iter = min(int(result.nit), max_iter)
    if result.status != 0:
        message = (
            f"lbfgs failed to converge after {n_iter} iteration(s) "
            f"(status={result.status}):\n{result.message}\n"
        )
        if n_iter == max_iter:
            message += (
                "\nIncrease the number of iterations to improve the convergence "
                f"(max_iter={max_iter})."
            )
        message += (
            "\nYou might also want to scale the data as shown in:\n"
            "    https://scikit-learn.org/stable/modules/preprocessing.html"
        )
        warnings.warn(message, ConvergenceWarning, stacklevel=stacklevel + 1)
    return n_iter
