"""Polynomial least-squares fit with numpy.linalg and goodness-of-fit statistics."""
from typing import List, Optional

import numpy as np
import numpy.typing as npt


def fit_polynomial(x: List[float], y: List[float], degree: int = 1, predict_at: Optional[List[float]] = None) -> dict:
    xs = np.asarray(x, dtype=np.float64)
    ys = np.asarray(y, dtype=np.float64)
    if xs.shape != ys.shape or xs.ndim != 1:
        raise ValueError("x and y must be 1-D and the same length")
    A = design_matrix(xs, degree)
    coef, residuals, rank, sv = np.linalg.lstsq(A, ys, rcond=None)
    fitted = A @ coef
    ss_res = float(np.sum((ys - fitted) ** 2))
    ss_tot = float(np.sum((ys - ys.mean()) ** 2))
    n, p = len(xs), degree + 1
    cov = np.linalg.pinv(A.T @ A) * (ss_res / max(n - p, 1))
    result = {
        "coefficients": np.round(coef, 6).tolist(),
        "std_errors": np.round(np.sqrt(np.clip(np.diag(cov), 0, None)), 6).tolist(),
        "r_squared": round(1 - ss_res / ss_tot, 6) if ss_tot else 1.0,
        "rank": int(rank),
        "condition_number": float(sv.max() / sv.min()) if sv.min() > 0 else None,
    }
    if predict_at:
        result["predictions"] = (design_matrix(np.asarray(predict_at, float), degree) @ coef).round(4).tolist()
    return result


def design_matrix(x: npt.NDArray[np.float64], degree: int) -> npt.NDArray[np.float64]:
    return np.vander(x, degree + 1, increasing=True)


if __name__ == "__main__":
    xs = list(range(10))
    print(fit_polynomial(xs, [2 * v + 1 + (0.1 if v % 2 else -0.1) for v in xs], predict_at=[10, 11]))
