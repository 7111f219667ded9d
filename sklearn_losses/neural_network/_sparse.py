"""Sparse input: the built-in MLP multiplies the sparse matrix, never densifies it.

A scipy CSR matrix stays on the scipy side until a batch is drawn; each batch is then
converted on its own, so the dense ``n_samples x n_features`` matrix never exists.

The first layer's weight ``W`` is stored ``(n_hidden, n_features)`` like every
``nn.Linear`` weight (the dense path and torch's fused optimizers want it contiguous
that way), so a feature's weights are a strided column. A batch of a few hundred
sparse rows touches only some of the features: :class:`SparseBatch` keeps the rows
restricted to those columns (``compact``), and the first layer gathers just those
columns of ``W`` for its forward pass and scatters its weight gradient back into
them. Both products are torch sparse CSR matrix products with contiguous dense
operands, the fast case of torch's kernels.

A user's ``module=`` gets each batch as a dense tensor (``batch_size x n_features``):
a module may apply any operation to its input, and most have no sparse kernel.
"""

from __future__ import annotations

import warnings

import numpy as np
import scipy.sparse as sp
import torch

from ._fused import MLPPass
from ._module import MLPModule

# Rows per chunk when predicting with the built-in MLP (as the dense path).
_PREDICT_CHUNK = 65536
# Dense chunks for a user's module hold at most this many elements (32 MiB in float64).
_DENSE_CHUNK_ELEMENTS = 2**22


def canonical_csr(X: sp.spmatrix | sp.sparray) -> sp.csr_matrix:
    """``X`` as a CSR matrix with sorted, unique column indices per row.

    CSC input is converted once. The caller's matrix is never modified: one without
    canonical format (duplicate entries, unsorted indices) is copied first.
    """
    X = sp.csr_matrix(X)  # no copy for a CSR matrix; also turns sparse arrays into one
    if not X.has_canonical_format:
        X = X.copy()
        X.sum_duplicates()
    return X


def csr_tensor(X: sp.csr_matrix, dtype: torch.dtype, device) -> torch.Tensor:
    """A scipy CSR matrix as a torch sparse CSR tensor."""
    values = torch.from_numpy(np.ascontiguousarray(X.data))
    crow = torch.from_numpy(X.indptr.astype(np.int64))
    col = torch.from_numpy(X.indices.astype(np.int64))
    with warnings.catch_warnings():
        # torch calls its sparse CSR support "beta" (once per process); its matrix
        # products, which is all this module uses, are stable public API.
        warnings.filterwarnings("ignore", "Sparse CSR tensor support", UserWarning)
        tensor = torch.sparse_csr_tensor(
            crow, col, values, size=X.shape, dtype=dtype, check_invariants=False
        )
    return tensor.to(device)


def coo_tensor(X: sp.csr_matrix, dtype: torch.dtype, device) -> torch.Tensor:
    """A canonical scipy CSR matrix as a coalesced torch sparse COO tensor."""
    rows = np.repeat(np.arange(X.shape[0], dtype=np.int64), np.diff(X.indptr))
    indices = np.vstack([rows, X.indices.astype(np.int64)])
    values = torch.from_numpy(np.ascontiguousarray(X.data))
    arguments = dict(size=X.shape, dtype=dtype, check_invariants=False)
    try:  # row-major order, no duplicates: a canonical CSR's entries are coalesced
        tensor = torch.sparse_coo_tensor(
            torch.from_numpy(indices), values, is_coalesced=True, **arguments
        )
    except TypeError:  # torch without the is_coalesced argument
        tensor = torch.sparse_coo_tensor(
            torch.from_numpy(indices), values, **arguments
        ).coalesce()
    return tensor.to(device)


def _used_columns(X: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    """The columns holding a non-zero (sorted) and each entry's position among them."""
    n_features = X.shape[1]
    if X.nnz * 8 < n_features:  # a few rows of a wide matrix: sort the few indices
        columns, positions = np.unique(X.indices, return_inverse=True)
        return columns, positions.reshape(-1)
    # Many non-zeros: mark the columns instead of sorting every index.
    used = np.zeros(n_features, dtype=bool)
    used[X.indices] = True
    position = np.cumsum(used, dtype=np.intp) - 1
    return np.flatnonzero(used), position[X.indices]


class SparseBatch:
    """Rows of a sparse matrix, prepared for the first layer of the built-in MLP.

    ``columns`` are the features with a non-zero in these rows (sorted),
    ``compact`` the rows restricted to them (CSR, ``n_rows x len(columns)``) and
    ``compact_t`` its transpose, for the weight gradient (COO, coalesced: torch's
    CPU kernel multiplies it several times faster than the CSR form; None when
    ``training`` is False).
    """

    __slots__ = ("columns", "compact", "compact_t", "shape")

    def __init__(self, X: sp.csr_matrix, dtype: torch.dtype, device, training=True):
        columns, indices = _used_columns(X)
        compact = sp.csr_matrix(
            (X.data, indices, X.indptr), shape=(X.shape[0], len(columns))
        )
        self.columns = torch.from_numpy(columns.astype(np.int64)).to(device)
        self.compact = csr_tensor(compact, dtype, device)
        self.compact_t = (
            coo_tensor(compact.T.tocsr(), dtype, device) if training else None
        )
        self.shape = X.shape


class SparseRows:
    """A CSR matrix as the input of :class:`~._net.TensorData`, cut into batches.

    ``rows(index)`` gives the batch of those rows: a :class:`SparseBatch` for the
    built-in MLP, a dense tensor for a user's module (``dense=True``). Row indexing a
    CSR matrix copies only the rows' non-zeros.
    """

    def __init__(self, X: sp.csr_matrix, dtype: torch.dtype, device, dense: bool):
        self.X = X
        self.dtype = dtype
        self.device = device
        self.dense = dense

    def __len__(self) -> int:
        return self.X.shape[0]

    def rows(self, index: slice | np.ndarray) -> SparseBatch | torch.Tensor:
        X = self.X[index]
        if self.dense:
            return torch.from_numpy(X.toarray()).to(self.device, self.dtype)
        return SparseBatch(X, self.dtype, self.device)


def sparse_batches(batches):
    """The batches of a :class:`~._net.TensorBatches` whose input is
    :class:`SparseRows`: the same rows in the same order as the dense path (one
    ``randperm`` per shuffled epoch), targets and weights sliced as there."""
    data, n, size = batches.dataset, len(batches.dataset), batches.batch_size
    others = [t for t in (data.target, data.weight) if t is not None]
    if batches.shuffle:
        order = torch.randperm(n, generator=batches.generator)
        for rows in order.split(size):
            index = rows.numpy()
            gathered = [t.index_select(0, rows.to(t.device)) for t in others]
            yield batches._batch([data.X.rows(index), *gathered])
    else:
        for start in range(0, n, size):
            stop = min(start + size, n)
            sliced = [t[start:stop] for t in others]
            yield batches._batch([data.X.rows(slice(start, stop)), *sliced])


class SparseMLPPass(MLPPass):
    """:class:`MLPPass` for a :class:`SparseBatch` input.

    The first layer computes ``X @ W.T + b`` and its weight gradient
    ``grad.T @ X`` on the batch's columns only; the other layers are as in
    :class:`MLPPass`.
    """

    def forward(self, X: SparseBatch) -> tuple[torch.Tensor, list]:
        # The used rows of W.T, gathered into one contiguous block.
        W_t_used = self.weights_t[0].index_select(0, X.columns)
        h = torch.addmm(self.biases[0], X.compact, W_t_used)
        inputs = [X]
        if len(self.weights) == 1:  # no hidden layer
            return h, inputs
        activation = self.activation
        if activation is not None:
            h = activation(h)
        inputs.append(h)
        for W_t, b in zip(self.weights_t[1:-1], self.biases[1:-1]):
            h = torch.addmm(b, h, W_t)
            if activation is not None:
                h = activation(h)
            inputs.append(h)
        return torch.addmm(self.biases[-1], h, self.weights_t[-1]), inputs

    def __init__(self, module: MLPModule):
        super().__init__(module)
        #: The first layer's weight gradient, reused from step to step: a wide
        #: layer's gradient is large, and a fresh allocation costs page faults every
        #: step. The training step may give a buffer of the optimizer step's own.
        self.first_gradient: torch.Tensor | None = None

    def squared_norm(self) -> torch.Tensor:
        """``||W||^2`` without allocating a squared copy of the wide first layer."""
        return sum(torch.dot(W.reshape(-1), W.reshape(-1)) for W in self.weights)

    def first_weight_gradient(self, X: SparseBatch, grad: torch.Tensor, l2):
        """``grad.T @ X`` on the batch's columns only, into the same tensor at every
        call (consumed by the optimizer step before the next)."""
        W = self.weights[0]
        grad_W = self.first_gradient
        if grad_W is None:
            grad_W = self.first_gradient = torch.empty_like(W)
        if l2 is None:
            grad_W.zero_()
        else:
            torch.mul(W, l2, out=grad_W)
        # grad.T @ X, added into the columns of the batch's features only
        grad_W.index_add_(1, X.columns, X.compact_t.mm(grad).t())
        return grad_W


def sparse_forward(
    module: torch.nn.Module, X: sp.csr_matrix, dtype: torch.dtype, device
) -> torch.Tensor:
    """Raw outputs of ``module`` for a CSR matrix, chunk by chunk (no autograd).

    The built-in MLP multiplies each chunk as a :class:`SparseBatch`; a user's
    module gets dense chunks small enough to stay within a few dozen MiB.
    """
    if type(module) is MLPModule:
        mlp, chunk = SparseMLPPass(module), _PREDICT_CHUNK
    else:
        mlp, chunk = None, max(1, _DENSE_CHUNK_ELEMENTS // max(1, X.shape[1]))
        chunk = min(chunk, _PREDICT_CHUNK)
    outputs = []
    with torch.inference_mode():
        for start in range(0, X.shape[0], chunk):
            rows = X[start : start + chunk]
            if mlp is not None:
                batch = SparseBatch(rows, dtype, device, training=False)
                outputs.append(mlp.forward(batch)[0])
            else:
                dense = torch.from_numpy(rows.toarray()).to(device, dtype)
                outputs.append(module(dense))
    return outputs[0] if len(outputs) == 1 else torch.cat(outputs)
