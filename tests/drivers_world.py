"""Survey data with a known structure for the key-driver tests, and the independent maths.

Expected figures come from here, not from the bot: Johnson's relative weights by his original
construction (the orthonormal matrix closest to the standardised attributes, from their SVD, and
two regressions) and R² by least squares, all on the rows the test wrote.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

ATTRIBUTES = ("Support", "Price", "Onboarding", "Reporting")


def survey(
    n: int,
    weights: tuple[float, ...],
    *,
    seed: int,
    segment: str = "Enterprise",
    cycle: str = "2026-Q4",
    noise: float = 1.0,
) -> pd.DataFrame:
    """n respondents whose satisfaction is a known mix of four correlated attributes (0–10)."""
    rng = np.random.default_rng(seed)
    common = rng.normal(size=n)
    raw = 0.6 * common[:, None] + rng.normal(size=(n, len(ATTRIBUTES)))
    ratings = np.clip(np.rint(6.5 + 1.5 * raw), 0, 10)
    satisfaction = ratings @ np.asarray(weights) / sum(weights) + noise * rng.normal(size=n)
    frame = pd.DataFrame(ratings, columns=[f"rating:{a}" for a in ATTRIBUTES])
    frame.insert(0, "satisfaction", np.clip(np.rint(satisfaction), 0, 10))
    frame.insert(0, "respondent", [f"{segment} Person {i}" for i in range(n)])
    frame.insert(0, "cycle", cycle)
    frame.insert(0, "account", [f"{segment} Account {i % 5}" for i in range(n)])
    frame["email"] = [f"p{i}@{segment.lower().replace(' ', '')}.example" for i in range(n)]
    return frame


def roster(*segments: str) -> str:
    rows = [f"{s} Account {i},{s}" for s in segments for i in range(5)]
    return "account,segment\n" + "\n".join(rows) + "\n"


def johnson(frame: pd.DataFrame, attributes: list[str]) -> tuple[dict[str, float], float]:
    """Relative weights (% of R²) and R², by Johnson's (2000) construction on the rows."""
    x = frame[[f"rating:{a}" for a in attributes]].to_numpy(float)
    y = frame["satisfaction"].to_numpy(float)
    z = (x - x.mean(axis=0)) / x.std(axis=0, ddof=1)
    zy = (y - y.mean()) / y.std(ddof=1)
    p, _, qt = np.linalg.svd(z, full_matrices=False)
    orthogonal = p @ qt
    beta = np.linalg.lstsq(orthogonal, zy, rcond=None)[0]
    loadings = np.linalg.lstsq(orthogonal, z, rcond=None)[0]
    raw = (loadings**2).T @ beta**2
    design = np.column_stack([np.ones(len(y)), x])
    residual = y - design @ np.linalg.lstsq(design, y, rcond=None)[0]
    r_squared = 1 - residual @ residual / ((y - y.mean()) @ (y - y.mean()))
    return dict(zip(attributes, 100 * raw / raw.sum(), strict=True)), float(r_squared)


def expected_quadrants(
    importance: dict[str, float], performance: dict[str, float]
) -> dict[str, Any]:
    mean_i = np.mean(list(importance.values()))
    mean_p = np.mean(list(performance.values()))
    words = {(True, True): "fix_first", (True, False): "strength"}
    words |= {(False, True): "monitor", (False, False): "maintain"}
    return {a: words[(importance[a] >= mean_i, performance[a] < mean_p)] for a in importance}
