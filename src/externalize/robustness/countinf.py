"""Intervals for one coefficient of a log-linear count model that stay honest when monthly counts are
overdispersed and autocorrelated. Vectorised over a batch of series (B, n) so the simulation study can run the
very estimators the primary table reports.

Point estimate: the Poisson quasi-maximum-likelihood coefficient (the same as `fit_its(model="quasipoisson")`),
except for `negbin_hac`, which uses the NB2 GLM coefficient. Inference methods (`METHODS`):

* `quasipoisson`: covariance scaled by the Pearson dispersion phi = chi2 / (n - k), t(n - k) inference
  (R `glm(family = quasipoisson)`). phi < 1 narrows the interval below the Poisson one.
* `quasipoisson_floor`: the same with phi floored at 1, max(phi, 1): under-dispersed counts get Poisson,
  never narrower, intervals (the floor R's `glm` does not apply; cf. McCullagh & Nelder 1989, s. 6.2).
* `negbin_hac`: NB2 GLM (Var = mu + alpha mu^2) at alpha from the Cameron & Trivedi (1990) auxiliary
  regression on the Poisson fit, ((y - mu)^2 - y) / mu = alpha mu + e, i.e.
  alpha = sum((y - mu)^2 - y) / sum mu^2 (floored at 1e-8), with a Newey-West HAC sandwich on its score
  (Bartlett kernel, lag floor(4 (n/100)^(2/9)), factor n/(n - k), observed-information bread, normal
  inference; statsmodels `GLM(..., NegativeBinomial(alpha)).fit(cov_type="HAC", use_correction=True)`).
* `nb_ar1_boot`: parametric bootstrap-t from a fitted negative binomial with AR(1) dependence: counts
  y*_t ~ Poisson(mu_hat_t g_t), g_t = F^-1_Gamma(Phi(z_t)) with shape 1/alpha and mean 1 (so y*_t is NB2 with
  the fitted alpha, marginally exact), z_t a stationary Gaussian AR(1) with coefficient rho (a Gaussian
  copula on the gamma frailty). rho is matched to the lag-1 autocorrelation r of the NB Pearson residuals of
  the fit: for gamma-Poisson counts corr(y_t, y_t-1) = r_g alpha mu / (1 + alpha mu), so
  rho = clip(r (1 + alpha m) / (alpha m), 0, 0.95) with m the mean fitted count (rho ~ r_g; the copula
  shrinks correlations slightly). Each draw is refitted; t* = (b* - b_hat) / se*(floored quasi-Poisson).
  p-value: (1 + #{|t*| >= |t_hat|}) / (1 + B). Interval: b_hat -/+ c se, c the k-th largest |t*| with
  k = ceil(a (1 + B)) - 1: the symmetric percentile-t interval (Hall 1992, s. 3.6: coverage error O(n^-2)
  against O(n^-1) for the equal-tailed one), cut exactly where the test rejects, so it is the set of values
  the test does not reject (null coverage = 1 - size).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import special, stats

from externalize.errors import ExternalizeError
from externalize.models.design import hac_lag_rule
from externalize.robustness.fastfit import _hac_meat, batch_poisson

METHODS = ("quasipoisson", "quasipoisson_floor", "negbin_hac", "nb_ar1_boot")


class InferenceError(ExternalizeError, ValueError):
    """A count-model interval could not be computed for this series (all zeros, no convergence, ...)."""


@dataclass(frozen=True)
class TermInference:
    """One coefficient's inference for a batch of B series: arrays of shape (B,).

    estimate: log rate ratio; std_error; ci_low / ci_high (log scale, level 1 - alpha); p_value (two-sided,
    null 0); ok: the fit converged and every number is finite; dispersion: Pearson chi2 / (n - k) of the
    Poisson fit (before any floor); extra: method-specific arrays (alpha, rho, lag).
    """

    method: str
    estimate: np.ndarray
    std_error: np.ndarray
    ci_low: np.ndarray
    ci_high: np.ndarray
    p_value: np.ndarray
    ok: np.ndarray
    dispersion: np.ndarray
    extra: dict[str, np.ndarray]


def _as_batch(X: np.ndarray, Y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    Y = np.atleast_2d(np.asarray(Y, dtype=float))
    X = np.asarray(X, dtype=float)
    if X.ndim == 2:
        X = np.broadcast_to(X, (Y.shape[0], *X.shape))
    elif Y.shape[0] == 1 and X.shape[0] > 1:  # one series, many designs
        Y = np.broadcast_to(Y, X.shape[:2])
    if X.shape[:2] != Y.shape:
        raise InferenceError(f"design {X.shape} and responses {Y.shape} do not match")
    if (Y < 0).any():
        raise InferenceError("count models need y >= 0")
    if (Y.sum(axis=1) == 0).any():
        raise InferenceError("a series is zero in every month: there is no rate to model")
    return X, Y


def quasi_poisson(X: np.ndarray, Y: np.ndarray, j: int, *, floor: bool = True, alpha: float = 0.05,
                  terms: Sequence[str] | None = None) -> TermInference:
    """Quasi-Poisson inference for column j of X (see module docstring); floor=True applies max(phi, 1)."""
    X, Y = _as_batch(X, Y)
    k = X.shape[2]
    fit = batch_poisson(X, Y, terms=terms or [f"x{i}" for i in range(k)])
    phi = fit.dispersion
    scale = np.maximum(phi, 1.0) if floor else phi
    se = np.sqrt(np.clip(fit.cov[:, j, j], 0, None) * scale)
    est = fit.params[:, j]
    df = fit.df_resid
    q = stats.t.ppf(1 - alpha / 2, df)
    with np.errstate(divide="ignore", invalid="ignore"):
        tval = est / se
    p = 2 * stats.t.sf(np.abs(tval), df)
    ok = fit.converged & np.isfinite(est) & np.isfinite(se) & (se > 0)
    return TermInference("quasipoisson_floor" if floor else "quasipoisson", est, se, est - q * se, est + q * se,
                         p, ok, phi, {"scale": scale})


def ct_alpha(Y: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Cameron & Trivedi (1990) auxiliary-regression estimate of the NB2 alpha, floored at 1e-8: (B,)."""
    num = np.sum((Y - mu) ** 2 - Y, axis=-1)
    den = np.sum(mu ** 2, axis=-1)
    return np.maximum(num / den, 1e-8)


def batch_negbin(X: np.ndarray, Y: np.ndarray, alpha: np.ndarray, *, maxiter: int = 100,
                 tol: float = 1e-10) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NB2 GLM (log link) at a fixed alpha per series, by IRLS. Returns (params (B, k), mu (B, n), converged)."""
    X, Y = _as_batch(X, Y)
    B, n, k = X.shape
    a = np.asarray(alpha, dtype=float).reshape(B, 1)
    mu = (Y + Y.mean(axis=1, keepdims=True)) / 2.0
    eta = np.log(mu)
    beta = np.zeros((B, k))
    converged = np.zeros(B, dtype=bool)
    for _ in range(maxiter):
        w = mu / (1.0 + a * mu)
        z = eta + (Y - mu) / mu
        XtW = np.swapaxes(X * w[..., None], 1, 2)
        with np.errstate(all="ignore"):
            new = np.linalg.solve(XtW @ X, np.einsum("bkn,bn->bk", XtW, z)[..., None])[..., 0]
        step = np.max(np.abs(new - beta) / (np.abs(new) + 1.0), axis=1)
        beta = np.where(np.isfinite(new), new, beta)
        converged = np.isfinite(step) & (step < tol)
        eta = np.einsum("bnk,bk->bn", X, beta)
        mu = np.exp(np.clip(eta, -700.0, 700.0))
        if converged.all():
            break
    return beta, mu, converged


def negbin_hac(X: np.ndarray, Y: np.ndarray, j: int, *, alpha: float = 0.05,
               hac_maxlags: int | None = None) -> TermInference:
    """NB2 with a Newey-West HAC sandwich for column j (see module docstring)."""
    X, Y = _as_batch(X, Y)
    B, n, k = X.shape
    pois = batch_poisson(X, Y, terms=[f"x{i}" for i in range(k)])
    mu0 = np.exp(np.einsum("bnk,bk->bn", X, pois.params))
    a = ct_alpha(Y, mu0)
    beta, mu, conv = batch_negbin(X, Y, a)
    # observed information of the NB2 log-link likelihood (log is not its canonical link)
    w = mu * (1.0 + a[:, None] * Y) / (1.0 + a[:, None] * mu) ** 2
    info = np.swapaxes(X * w[..., None], 1, 2) @ X
    lag = hac_lag_rule(n) if hac_maxlags is None else int(hac_maxlags)
    scores = X * ((Y - mu) / (1.0 + a[:, None] * mu))[..., None]
    with np.errstate(all="ignore"):
        bread = np.linalg.inv(info)
        cov = bread @ _hac_meat(scores, lag) @ bread * (n / (n - k))
    se = np.sqrt(np.clip(cov[:, j, j], 0, None))
    est = beta[:, j]
    z = stats.norm.ppf(1 - alpha / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = 2 * stats.norm.sf(np.abs(est / se))
    ok = conv & pois.converged & np.isfinite(est) & np.isfinite(se) & (se > 0)
    return TermInference("negbin_hac", est, se, est - z * se, est + z * se, p, ok, pois.dispersion,
                         {"nb_alpha": a, "hac_lag": np.full(B, lag)})


def ar1_gaussian(rng: np.random.Generator, rho: np.ndarray, shape: tuple[int, int, int]) -> np.ndarray:
    """Stationary Gaussian AR(1) paths with unit variance: (S, D, n) with one rho per S."""
    S, D, n = shape
    e = rng.standard_normal(shape)
    r = np.asarray(rho, dtype=float).reshape(S, 1)
    s = np.sqrt(1.0 - r ** 2)
    z = np.empty(shape)
    z[:, :, 0] = e[:, :, 0]
    for t in range(1, n):
        z[:, :, t] = r * z[:, :, t - 1] + s * e[:, :, t]
    return z


def nb_ar1_draws(mu: np.ndarray, alpha: np.ndarray, rho: np.ndarray, n_draws: int,
                 rng: np.random.Generator) -> np.ndarray:
    """(S, n_draws, n) counts from NB2(mu, alpha) margins with a Gaussian-copula AR(1) gamma frailty."""
    S, n = mu.shape
    z = ar1_gaussian(rng, rho, (S, n_draws, n))
    shape = 1.0 / np.asarray(alpha, dtype=float).reshape(S, 1, 1)
    u = np.clip(special.ndtr(z), 1e-12, 1 - 1e-12)
    g = special.gammaincinv(shape, u) / shape  # gamma(shape, scale 1/shape): mean 1, variance alpha
    return rng.poisson(mu[:, None, :] * g).astype(float)


def nb_ar1_bootstrap(X: np.ndarray, Y: np.ndarray, j: int, *, n_boot: int = 999, alpha: float = 0.05,
                     rng: np.random.Generator) -> TermInference:
    """Parametric NB-AR(1) bootstrap-t for column j of X, for each of the B series in Y (see docstring)."""
    X, Y = _as_batch(X, Y)
    B, n, k = X.shape
    base = quasi_poisson(X, Y, j, floor=True, alpha=alpha)
    pois = batch_poisson(X, Y, terms=[f"x{i}" for i in range(k)])
    mu = np.exp(np.clip(np.einsum("bnk,bk->bn", X, pois.params), -700, 700))
    a = ct_alpha(Y, mu)
    pr = (Y - mu) / np.sqrt(mu + a[:, None] * mu ** 2)
    pr = pr - pr.mean(axis=1, keepdims=True)
    r = np.sum(pr[:, 1:] * pr[:, :-1], axis=1) / np.sum(pr ** 2, axis=1)
    m = mu.mean(axis=1)
    rho = np.clip(r * (1 + a * m) / (a * m), 0.0, 0.95)
    rho = np.where(np.isfinite(rho), rho, 0.0)
    draws = nb_ar1_draws(mu, a, rho, n_boot, rng)  # (B, n_boot, n)
    Xb = np.broadcast_to(X[:, None], (B, n_boot, n, k)).reshape(B * n_boot, n, k)
    refit = quasi_poisson(Xb, draws.reshape(B * n_boot, n), j, floor=True, alpha=alpha)
    est_b = refit.estimate.reshape(B, n_boot)
    se_b = refit.std_error.reshape(B, n_boot)
    good = refit.ok.reshape(B, n_boot) & (draws.sum(axis=2) > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        tstar = (est_b - base.estimate[:, None]) / se_b
        t_hat = base.estimate / base.std_error
    tstar = np.where(good, tstar, np.nan)
    n_ok = good.sum(axis=1)
    # the interval is the set of b0 the bootstrap test does not reject: (1 + #{|t*| >= |t(b0)|}) / (1 + n) >= alpha
    # holds iff |t(b0)| <= the k-th largest |t*|, k = ceil(alpha (1 + n)) - 1 (at least 1)
    k = np.maximum(np.ceil(alpha * (1 + n_ok) - 1e-9).astype(int) - 1, 1)
    abs_sorted = -np.sort(-np.where(good, np.abs(tstar), -np.inf), axis=1)
    q_abs = abs_sorted[np.arange(B), np.minimum(k, n_boot) - 1]
    exceed = np.sum(np.where(good, np.abs(tstar) >= np.abs(t_hat)[:, None], False), axis=1)
    p = (1 + exceed) / (1 + n_ok)
    ci_low = base.estimate - q_abs * base.std_error
    ci_high = base.estimate + q_abs * base.std_error
    ok = base.ok & (n_ok >= 0.9 * n_boot) & np.isfinite(ci_low) & np.isfinite(ci_high)
    return TermInference("nb_ar1_boot", base.estimate, base.std_error, ci_low, ci_high, p, ok, base.dispersion,
                         {"nb_alpha": a, "rho": rho, "n_boot_ok": n_ok.astype(float)})


def infer(method: str, X: np.ndarray, Y: np.ndarray, j: int, *, alpha: float = 0.05, n_boot: int = 999,
          rng: np.random.Generator | None = None) -> TermInference:
    """Dispatch to one of `METHODS`; `rng` (numpy Generator) is required by the bootstrap."""
    if method == "quasipoisson":
        return quasi_poisson(X, Y, j, floor=False, alpha=alpha)
    if method == "quasipoisson_floor":
        return quasi_poisson(X, Y, j, floor=True, alpha=alpha)
    if method == "negbin_hac":
        return negbin_hac(X, Y, j, alpha=alpha)
    if method == "nb_ar1_boot":
        if rng is None:
            raise InferenceError("the bootstrap needs a seeded numpy Generator (rng=)")
        return nb_ar1_bootstrap(X, Y, j, n_boot=n_boot, alpha=alpha, rng=rng)
    raise InferenceError(f"method must be one of {METHODS}, got {method!r}")
