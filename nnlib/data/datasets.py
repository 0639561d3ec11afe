"""Small real tabular datasets shipped in ``data/``: handwritten digits and diabetes progression.

Parsed with NumPy only; every file is SHA-256 verified by :func:`nnlib.data.files.verified_path`.
"""
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from nnlib.data.files import verified_path

__all__ = ["Dataset", "load_digits", "load_diabetes"]


@dataclass(frozen=True)
class Dataset:
    """A loaded dataset: ``data`` (N, features) and ``target`` (N,), plus what a learner needs to cite it.

    ``images`` is (N, H, W) for image data and ``None`` otherwise; ``target_names`` lists the
    class names of a classification task (``None`` for regression).
    """

    data: np.ndarray
    target: np.ndarray
    feature_names: list
    description: str
    licence: str
    target_names: Optional[list] = None
    images: Optional[np.ndarray] = None
    citation: str = ""
    files: list = field(default_factory=list)

    def __repr__(self):
        kind = f"{len(self.target_names)} classes" if self.target_names is not None else "regression"
        return f"Dataset({self.description.splitlines()[0]!r}, data={self.data.shape}, {kind}, licence={self.licence!r})"

    def __iter__(self):
        # lets ``X, y = load_digits()`` unpack like sklearn's return_X_y
        return iter((self.data, self.target))


DIGITS_FILE = "digits/digits.csv.gz"
DIABETES_DATA_FILE = "diabetes/diabetes_data_raw.csv.gz"
DIABETES_TARGET_FILE = "diabetes/diabetes_target.csv.gz"


def load_digits() -> Dataset:
    """UCI Optical Recognition of Handwritten Digits (test part): 1797 images 8x8, pixel counts 0..16.

    Returns a :class:`Dataset` with ``images`` (1797, 8, 8) float64, ``data`` (1797, 64) float64
    (the images flattened row by row), ``target`` (1797,) int64 in 0..9.
    """
    path = verified_path(DIGITS_FILE)
    table = np.loadtxt(path, delimiter=",", dtype=np.float64)  # 65 columns: 64 pixels, then the label
    data, target = table[:, :-1], table[:, -1].astype(np.int64)
    return Dataset(
        data=data,
        target=target,
        images=data.reshape(-1, 8, 8),
        feature_names=[f"pixel_{r}_{c}" for r in range(8) for c in range(8)],
        target_names=[str(d) for d in range(10)],
        description=(
            "Optical Recognition of Handwritten Digits (UCI, E. Alpaydin and C. Kaynak, 1998)\n"
            "1797 handwritten digits from 13 writers; each 32x32 bitmap reduced to 8x8 blocks of\n"
            "on-pixel counts 0..16. Copy of the file scikit-learn ships (sklearn/datasets/data)."
        ),
        licence="CC BY 4.0",
        citation=(
            "Alpaydin, E. & Kaynak, C. (1998). Optical Recognition of Handwritten Digits [Dataset]. "
            "UCI Machine Learning Repository. https://doi.org/10.24432/C50P49"
        ),
        files=[DIGITS_FILE],
    )


def load_diabetes() -> Dataset:
    """Diabetes progression (Efron et al. 2004): 442 patients x 10 raw baseline variables -> a number.

    ``data`` (442, 10) float64 in original units (age in years, sex coded 1/2, BMI, blood
    pressure, six serum measurements s1..s6), unscaled; ``target`` (442,) float64, a
    quantitative measure of disease progression one year after baseline (25..346).
    """
    data = np.loadtxt(verified_path(DIABETES_DATA_FILE), dtype=np.float64)
    target = np.loadtxt(verified_path(DIABETES_TARGET_FILE), dtype=np.float64)
    return Dataset(
        data=data,
        target=target,
        feature_names=["age", "sex", "bmi", "bp", "s1", "s2", "s3", "s4", "s5", "s6"],
        description=(
            "Diabetes progression (Efron, Hastie, Johnstone & Tibshirani 2004)\n"
            "442 patients: age, sex, body mass index, average blood pressure and six blood serum\n"
            "measurements (s1 tc, s2 ldl, s3 hdl, s4 tch, s5 ltg, s6 glu); target: disease progression\n"
            "one year after baseline. Raw (unscaled) files as scikit-learn ships them."
        ),
        licence="BSD-3-Clause (distributed with scikit-learn; original data from B. Efron et al.)",
        citation=(
            "Efron, B., Hastie, T., Johnstone, I. & Tibshirani, R. (2004). Least Angle Regression. "
            "Annals of Statistics 32(2), 407-499."
        ),
        files=[DIABETES_DATA_FILE, DIABETES_TARGET_FILE],
    )
