"""Key drivers from sufficient statistics: Johnson's relative weights, quadrants, stability.

Definitions are docs/data-formats.md, "Key drivers". Everything here is a function of the
per-pattern `Moments` of one scope, never of response rows, so its cost does not grow with the
number of responses.

Relative weights (Johnson 2000): with R the correlation matrix of the attributes, r their
correlations with satisfaction and R = V diag(λ) Vᵀ, the orthogonal counterparts of the
attributes have loadings Λ = R^½ and regression weights β = R^-½ r; attribute j's raw weight is
Σ_k Λ_jk² β_k², and the raw weights sum to the model's R². Importance is each as a % of R².

Stability is a parametric bootstrap: rows are not kept, so instead of resampling respondents we
draw the sample covariance matrix itself from its sampling distribution under normality, a
Wishart with n − 1 degrees of freedom around the observed covariance (Bartlett's construction,
numpy only). That costs the same at any n and, for ratings that are roughly normal, matches a
case bootstrap (tests/test_drivers_math.py compares the two).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from bot.drivers.statistics import Moments

MINIMUM_N = 30
TENTATIVE_BELOW = 0.8  # share of bootstrap draws in which the top driver stays top
BOOTSTRAP_DRAWS = 1000
BOOTSTRAP_SEED = 13

FIX_FIRST = "fix_first"
STRENGTH = "strength"
MONITOR = "monitor"
MAINTAIN = "maintain"


@dataclass(frozen=True)
class Driver:
    attribute: str
    importance: float | None  # % of R²; None when there is not enough data to claim it
    performance: float | None  # mean rating over everyone in scope who rated it
    quadrant: str | None


@dataclass(frozen=True)
class DriverAnalysis:
    segment: str | None
    cycle: str | None
    n: int  # complete cases
    r_squared: float | None
    enough_data: bool
    drivers: list[Driver]  # most important first (by name when importance is not claimed)
    stability: float | None = None  # how often the top driver stays top in the bootstrap
    minimum_n: int = MINIMUM_N

    @property
    def tentative(self) -> bool | None:
        if self.stability is None:
            return None
        return self.stability < TENTATIVE_BELOW

    @property
    def ranked(self) -> list[Driver]:
        """The drivers whose importance is claimed; empty below `minimum_n`."""
        return [d for d in self.drivers if d.importance is not None]

    @property
    def top(self) -> Driver | None:
        return self.ranked[0] if self.ranked else None

    def to_json(self) -> dict[str, Any]:
        """The shape docs/interface.md promises for `voc drivers --json`."""
        return {
            "segment": self.segment,
            "cycle": self.cycle,
            "n": self.n,
            "r_squared": self.r_squared,
            "enough_data": self.enough_data,
            "minimum_n": self.minimum_n,
            "drivers": [asdict(d) for d in self.drivers],
            "stability": self.stability,
            "tentative": self.tentative,
        }


def analyse(
    patterns: Iterable[Moments],
    *,
    segment: str | None,
    cycle: str | None,
    with_stability: bool = True,
) -> DriverAnalysis:
    """The key-driver analysis of one scope from its per-pattern moments.

    `with_stability=False` skips the bootstrap (a few milliseconds), for callers that use the
    quadrants only, like the account report's "Fix first".
    """
    patterns = list(patterns)
    respondents = sum(p.n for p in patterns)
    counts, sums = _attribute_counts_and_sums(patterns)
    considered = sorted(a for a, c in counts.items() if respondents and 2 * c >= respondents)
    performance = {a: sums[a] / counts[a] for a in considered}
    complete = _complete_cases(patterns, considered)
    n = complete.n if complete else 0
    weights = None
    if considered and complete is not None and n >= MINIMUM_N:
        weights = relative_weights(covariance(complete))
    if weights is None:
        drivers = [Driver(a, None, performance[a], None) for a in considered]
        return DriverAnalysis(segment, cycle, n, None, False, drivers)
    importance, r_squared = weights
    drivers = _with_quadrants(considered, importance, performance)
    stability = top_driver_stability(covariance(complete), n) if with_stability else None
    return DriverAnalysis(segment, cycle, n, r_squared, True, drivers, stability)


def _attribute_counts_and_sums(
    patterns: list[Moments],
) -> tuple[dict[str, int], dict[str, float]]:
    counts: dict[str, int] = {}
    sums: dict[str, float] = {}
    for part in patterns:
        for i, name in enumerate(part.attributes):
            counts[name] = counts.get(name, 0) + part.n
            sums[name] = sums.get(name, 0.0) + float(part.sums[i + 1])
    return counts, sums


def _complete_cases(patterns: list[Moments], attributes: list[str]) -> Moments | None:
    """The moments of the respondents who rated every one of `attributes`."""
    total: Moments | None = None
    wanted = set(attributes)
    for part in patterns:
        if not wanted <= set(part.attributes):
            continue
        piece = part.restricted(attributes)
        if total is None:
            total = piece.copy()
        else:
            total.add(piece)
    return total


def covariance(moments: Moments) -> np.ndarray:
    """Sample covariance of (satisfaction, *attributes) from n, sums and cross-products."""
    n = moments.n
    mean = moments.sums / n
    return (moments.cross - n * np.outer(mean, mean)) / (n - 1)


def relative_weights(cov: np.ndarray) -> tuple[np.ndarray, float] | None:
    """(importance as % of R² per attribute, R²), or None when nothing varies.

    An attribute that does not vary among the complete cases explains nothing: weight 0.
    """
    result = _raw_weights(cov[np.newaxis])
    if result is None:
        return None
    raw = result[0]
    r_squared = float(raw.sum())
    if not np.isfinite(r_squared) or r_squared <= 1e-12:
        return None
    return 100.0 * raw / r_squared, r_squared


def _raw_weights(covs: np.ndarray) -> np.ndarray | None:
    """Johnson's raw relative weights for a stack of covariance matrices, shape (B, k)."""
    variances = np.diagonal(covs, axis1=1, axis2=2)
    if np.any(variances[:, 0] <= 1e-12):
        return None
    varying = np.all(variances[:, 1:] > 1e-12, axis=0)
    raw = np.zeros(variances[:, 1:].shape)
    if not varying.any():
        return raw
    keep = np.concatenate([[0], 1 + np.flatnonzero(varying)])
    sub = covs[:, keep][:, :, keep]
    scale = 1.0 / np.sqrt(np.diagonal(sub, axis1=1, axis2=2))
    corr = sub * scale[:, :, np.newaxis] * scale[:, np.newaxis, :]
    rxx, rxy = corr[:, 1:, 1:], corr[:, 1:, 0]
    eigenvalues, vectors = np.linalg.eigh(rxx)
    eigenvalues = np.clip(eigenvalues, 1e-12, None)
    root = vectors * np.sqrt(eigenvalues)[:, np.newaxis, :] @ np.swapaxes(vectors, 1, 2)
    inverse_root = vectors / np.sqrt(eigenvalues)[:, np.newaxis, :] @ np.swapaxes(vectors, 1, 2)
    beta = np.einsum("bij,bj->bi", inverse_root, rxy)
    raw[:, varying] = np.einsum("bjk,bk->bj", root**2, beta**2)
    return raw


def top_driver_stability(
    cov: np.ndarray, n: int, *, draws: int = BOOTSTRAP_DRAWS, seed: int = BOOTSTRAP_SEED
) -> float:
    """Share of parametric bootstrap draws whose most important attribute is the observed one."""
    observed = _raw_weights(cov[np.newaxis])
    if observed is None or observed.shape[1] < 2:
        return 1.0
    top = int(np.argmax(observed[0]))
    samples = _wishart_covariances(cov, n - 1, draws, np.random.default_rng(seed))
    raw = _raw_weights(samples)
    if raw is None:
        return 0.0
    return float(np.mean(np.argmax(raw, axis=1) == top))


def _wishart_covariances(
    cov: np.ndarray, df: int, draws: int, rng: np.random.Generator
) -> np.ndarray:
    """`draws` sample covariance matrices of df + 1 normal rows with covariance `cov`.

    Bartlett: W = L A Aᵀ Lᵀ with L the Cholesky factor of cov, A lower triangular with
    √χ²(df − i) on the diagonal and standard normals below; W / df is the sample covariance.
    """
    size = cov.shape[0]
    factor = _cholesky(cov)
    lower = np.tril(rng.standard_normal((draws, size, size)), k=-1)
    diagonal = np.sqrt(rng.chisquare(df - np.arange(size), size=(draws, size)))
    lower[:, np.arange(size), np.arange(size)] = diagonal
    product = factor @ lower
    return product @ np.swapaxes(product, 1, 2) / df


def _cholesky(cov: np.ndarray) -> np.ndarray:
    """Cholesky factor, nudging a singular matrix (a constant attribute) just enough to factor."""
    jitter = 1e-9 * max(float(np.trace(cov)), 1.0)
    return np.linalg.cholesky(cov + jitter * np.eye(cov.shape[0]))


def _with_quadrants(
    attributes: list[str], importance: np.ndarray, performance: dict[str, float]
) -> list[Driver]:
    """Quadrants against the mean importance and the mean performance of the attributes."""
    mean_importance = float(np.mean(importance))
    mean_performance = float(np.mean([performance[a] for a in attributes]))
    drivers = [
        Driver(
            a,
            float(importance[i]),
            performance[a],
            quadrant(float(importance[i]), performance[a], mean_importance, mean_performance),
        )
        for i, a in enumerate(attributes)
    ]
    return sorted(drivers, key=lambda d: (-(d.importance or 0.0), d.attribute))


def quadrant(
    importance: float, performance: float, mean_importance: float, mean_performance: float
) -> str:
    """fix_first / strength / monitor / maintain, as data-formats.md defines them."""
    important = importance >= mean_importance - 1e-9
    below = performance < mean_performance
    if important:
        return FIX_FIRST if below else STRENGTH
    return MONITOR if below else MAINTAIN
