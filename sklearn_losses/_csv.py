"""A user's CSV file as features, a target and a preprocessing step, with pandas.

The command line reads the file with :func:`pandas.read_csv` (quoting, dtypes, missing
cells), decides the task by a stated rule (:func:`decide_task`), and builds the
preprocessing a careful practitioner would use: numeric columns imputed by the median
and standardised, other columns imputed by the most frequent value and one-hot
encoded (:func:`preprocessor`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

#: read as missing in every column, besides pandas' own tokens (NA, N/A, null, ...)
NA_TOKENS = ("?",)
#: a text column whose non-missing cells are numbers at this rate or more is suspicious
_MOSTLY_NUMBERS = 0.8


@dataclass
class Table:
    """A CSV file read for a comparison."""

    X: object  # pandas.DataFrame of the features
    y: np.ndarray
    numeric: list[str]
    categorical: list[str]
    task: str
    task_reason: str
    notes: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """One sentence on the features and what the preprocessing does to them."""
        parts = []
        if self.numeric:
            missing = int(self.X[self.numeric].isna().sum().sum())
            parts.append(
                f"{len(self.numeric)} numeric (standardised"
                + (f"; {missing} missing cells set to the median" if missing else "")
                + ")"
            )
        if self.categorical:
            levels = sum(self.X[c].nunique() for c in self.categorical)
            missing = int(self.X[self.categorical].isna().sum().sum())
            parts.append(
                f"{len(self.categorical)} categorical (one-hot, {levels} levels"
                + (
                    f"; {missing} missing cells set to the most frequent"
                    if missing
                    else ""
                )
                + ")"
            )
        return f"{len(self.X)} rows; features: " + ", ".join(parts or ["none"])


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def read_table(
    path: Path, target: str, *, task: str = "auto", na_values=(), min_rows: int = 4
) -> Table:
    """Read ``path`` and split it into features and a target.

    Parameters
    ----------
    path : Path
        A CSV file with a header row.
    target : str
        The column to predict.
    task : {"auto", "regression", "classification"}, default="auto"
        The task; "auto" decides with :func:`decide_task`.
    na_values : sequence of str, default=()
        More cell values that mean "missing", besides pandas' tokens and ``?``.
    min_rows : int, default=4
        Fewer rows than this is an error.

    Returns
    -------
    table : Table
        Features (a DataFrame), target, column kinds, the task and why.

    Raises
    ------
    ValueError
        For an empty file, a missing target column, missing target cells, or a
        non-numeric target with ``task="regression"``.

    Examples
    --------
    >>> import io, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "d.csv"
    >>> _ = path.write_text("a,colour,y\\n1.5,red,0\\nNA,blue,1\\n2,red,1\\n?,,0\\n")
    >>> table = read_table(path, "y")
    >>> table.numeric, table.categorical, table.task
    (['a'], ['colour'], 'classification')
    """
    import pandas as pd

    try:
        frame = pd.read_csv(
            path,
            na_values=[*NA_TOKENS, *na_values],
            skipinitialspace=True,
            low_memory=False,
        )
    except pd.errors.EmptyDataError:
        raise ValueError(f"{path} is empty.") from None
    except pd.errors.ParserError as exc:
        raise ValueError(f"{path} is not a CSV file pandas can read: {exc}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if target not in frame.columns:
        raise ValueError(
            f"{path} has no column {target!r}; its columns are "
            f"{', '.join(frame.columns)}."
        )
    if len(frame) < min_rows:
        raise ValueError(f"{path} has {len(frame)} rows; a comparison needs more.")
    y = frame.pop(target)
    missing = np.flatnonzero(y.isna().to_numpy())
    if missing.size:
        lines = ", ".join(str(i + 2) for i in missing[:5])  # line 1 is the header
        raise ValueError(
            f"the target column {target!r} has {missing.size} empty or missing "
            f"cell(s) (file line {lines}{', ...' if missing.size > 5 else ''}); "
            "drop those rows or fill them in."
        )
    notes = []
    empty = [c for c in frame.columns if frame[c].isna().all()]
    if empty:
        notes.append(f"dropped the empty column(s) {', '.join(empty)}")
        frame = frame.drop(columns=empty)
    numeric, categorical = [], []
    for column in frame.columns:
        values = frame[column]
        if pd.api.types.is_bool_dtype(values):
            frame[column] = values.astype(str)
            categorical.append(column)
        elif pd.api.types.is_numeric_dtype(values):
            numeric.append(column)
        else:
            frame[column] = values.astype(object).where(values.notna(), np.nan)
            categorical.append(column)
            cells = values.dropna().astype(str)
            as_numbers = cells.map(_is_number)
            if len(cells) and as_numbers.mean() >= _MOSTLY_NUMBERS:
                odd = sorted(set(cells[~as_numbers]))[:5]
                notes.append(
                    f"column {column!r} holds numbers but also {odd}: read as "
                    "categories; if these mean 'missing', pass --na-values "
                    + ",".join(odd)
                )
    task, reason = decide_task(y, task)
    if task == "regression":
        if not pd.api.types.is_numeric_dtype(y) or pd.api.types.is_bool_dtype(y):
            raise ValueError(
                f"--task regression needs a numeric target, but {target!r} holds "
                f"text such as {y.iloc[0]!r}."
            )
        target_values = y.to_numpy(dtype=float)
    else:
        target_values = y.to_numpy()
        if pd.api.types.is_float_dtype(y) and np.all(
            target_values == np.round(target_values)
        ):
            target_values = target_values.astype(np.int64)
    return Table(frame, target_values, numeric, categorical, task, reason, notes)


def decide_task(y, task: str = "auto") -> tuple[str, str]:
    """The task for a target column, and the reason in words.

    The rule: text or true/false labels are classes; numbers with a fractional part
    are a regression target; whole numbers are classes when there are exactly two
    values (0/1, 1/2, ...), and counts or amounts (regression) when there are more,
    since whole numbers with a few values can be either and counts are the more
    common. ``task`` overrides the rule.

    Parameters
    ----------
    y : pandas.Series
        The target column.
    task : {"auto", "regression", "classification"}, default="auto"
        "auto" applies the rule; the others are returned as they are.

    Returns
    -------
    task : {"regression", "classification"}
        The decision.
    reason : str
        What was decided and why, to print.

    Examples
    --------
    >>> import pandas as pd
    >>> decide_task(pd.Series([0, 3, 1, 9, 2]))[0]
    'regression'
    >>> decide_task(pd.Series(["cat", "dog"]))[0]
    'classification'
    """
    import pandas as pd

    n_values = y.nunique()
    if task != "auto":
        return task, f"{task}, as asked with --task ({n_values} distinct values)"
    if pd.api.types.is_bool_dtype(y) or not pd.api.types.is_numeric_dtype(y):
        return "classification", (
            f"classification: text labels, {n_values} classes "
            "(--task regression needs numbers)"
        )
    values = y.to_numpy(dtype=float)
    if not np.all(values == np.round(values)):
        return "regression", (
            f"regression: numbers with a fractional part, {n_values} distinct "
            f"values from {values.min():.4g} to {values.max():.4g}"
        )
    if n_values == 2:
        return "classification", (
            f"classification: two whole-number values ({values.min():.0f} and "
            f"{values.max():.0f}) are read as two classes (--task regression "
            "changes this)"
        )
    return "regression", (
        f"regression: {n_values} distinct whole numbers from {values.min():.0f} to "
        f"{values.max():.0f} are read as counts or amounts; if they are class codes, "
        "pass --task classification"
    )


def preprocessor(numeric: list[str], categorical: list[str]):
    """The preprocessing step: numbers imputed and scaled, categories one-hot.

    Parameters
    ----------
    numeric, categorical : list of str
        Column names of each kind.

    Returns
    -------
    step : sklearn.compose.ColumnTransformer
        Median imputation and standardisation for numbers; most-frequent imputation
        and one-hot encoding (unknown levels ignored) for categories.

    Examples
    --------
    >>> preprocessor(["a"], ["b"]).transformers[0][0]
    'numeric'
    """
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    transformers = []
    if numeric:
        transformers.append(
            (
                "numeric",
                make_pipeline(SimpleImputer(strategy="median"), StandardScaler()),
                numeric,
            )
        )
    if categorical:
        transformers.append(
            (
                "categorical",
                make_pipeline(
                    SimpleImputer(strategy="most_frequent"),
                    OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                ),
                categorical,
            )
        )
    return ColumnTransformer(transformers)
