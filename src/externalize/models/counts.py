"""Count models for monthly event counts: Poisson, quasi-Poisson and negative binomial (NB2), log link.

* `poisson`: GLM Poisson, model-based (Fisher) standard errors, normal inference. Warns
  (`OverdispersionWarning`) when Pearson chi2 / df > 1.5.
* `quasipoisson`: the same point estimates, covariance scaled by the Pearson dispersion chi2 / (n - k)
  (statsmodels `scale="X2"`; R `glm(family = quasipoisson)`), t(n - k) inference as in R's summary.glm.
* `negbin`: NB2 (Var = mu + alpha mu^2), alpha by maximum likelihood, then the GLM at that alpha for the
  coefficient covariance (R `MASS::glm.nb`, theta = 1 / alpha), normal inference.
* `robust="hac"`: Newey-West HAC sandwich on the GLM score (Bartlett, lag as in `fit_its`), normal inference.

`offset` is an exposure series (e.g. the families' total activity): log(offset) enters the linear predictor
with coefficient 1, so level/slope terms are changes in the rate per unit of exposure (the share) rather
than in volume. Counterfactuals keep the observed exposure.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy.optimize import minimize_scalar
from statsmodels.tools.sm_exceptions import ConvergenceWarning

from externalize.errors import ModelSpecError
from externalize.models.design import Design, hac_lag_rule
from externalize.models.estimability import check_estimable
from externalize.models.results import ITSResult, OverdispersionWarning, residual_checks, single_series_result

COUNT_MODELS = ("poisson", "quasipoisson", "negbin")
OVERDISPERSION_THRESHOLD = 1.5


def check_counts(y: pd.Series, name: str = "y") -> None:
    v = y.to_numpy(dtype=float)
    if (v < 0).any():
        raise ModelSpecError(f"{name} has negative values; count models need counts >= 0")
    if (v == 0).all():
        raise ModelSpecError(f"{name} is zero in every period: there is nothing to model")


def log_offset(offset: pd.Series | None, index: pd.PeriodIndex) -> np.ndarray | None:
    """log of an exposure series aligned to `index`; refuses missing or non-positive values."""
    if offset is None:
        return None
    from externalize.models.design import as_regular

    off = as_regular(offset, name="offset")
    if not off.index.equals(index):
        try:
            off = off.reindex(index)
        except (ValueError, TypeError) as exc:
            raise ModelSpecError("offset must cover every period of y") from exc
        if off.isna().any():
            raise ModelSpecError("offset must cover every period of y")
    if (off.to_numpy() <= 0).any():
        raise ModelSpecError("offset values must be > 0 (it enters as log(offset))")
    return np.log(off.to_numpy(dtype=float))


def glm_cov_kwargs(robust: str | None, n: int, hac_maxlags: int | None,
                   small_sample: bool = True) -> tuple[dict, int | None, str]:
    """statsmodels fit keywords for the requested covariance: model-based, or Newey-West HAC (Bartlett, lag
    `hac_maxlags` or the Newey-West 1994 rule, factor n/(n-k) unless `small_sample=False`)."""
    if robust is None:
        return {}, None, "nonrobust"
    if robust != "hac":
        raise ModelSpecError(f"robust must be None or 'hac', got {robust!r}")
    lag = hac_lag_rule(n) if hac_maxlags is None else int(hac_maxlags)
    return ({"cov_type": "HAC", "cov_kwds": {"maxlags": lag, "use_correction": bool(small_sample)}}, lag,
            "HAC (Newey-West, Bartlett" + (", n/(n-k))" if small_sample else ", no small-sample factor)"))


def _profile_negbin_alpha(y: np.ndarray, X: pd.DataFrame, offset: np.ndarray | None) -> tuple[float, bool]:
    """ML alpha by maximising the NB2 profile likelihood over log(alpha) (bounded, so alpha stays > 0).

    Used when the joint Newton fit fails, which happens when the counts are not overdispersed and the
    optimum lies at (or near) the Poisson boundary alpha -> 0."""
    def negloglik(log_alpha: float) -> float:
        fam = sm.families.NegativeBinomial(alpha=float(np.exp(log_alpha)))
        return -float(sm.GLM(y, X, family=fam, offset=offset).fit().llf)

    res = minimize_scalar(negloglik, bounds=(-16.0, 5.0), method="bounded", options={"xatol": 1e-8})
    return float(np.exp(res.x)), bool(res.success)


def fit_negbin_alpha(y: np.ndarray, X: pd.DataFrame, offset: np.ndarray | None) -> tuple[float, bool]:
    """ML estimate of the NB2 dispersion alpha (joint with the coefficients), falling back to the profile
    likelihood over log(alpha) when the joint fit strays to alpha <= 0 or fails numerically."""
    start = sm.GLM(y, X, family=sm.families.Poisson(), offset=offset).fit()
    mu = np.asarray(start.fittedvalues)
    a0 = max(float(((y - mu) ** 2 - mu).sum() / (mu ** 2).sum()), 1e-3)  # moment estimate as start
    try:
        with warnings.catch_warnings():
            # the discrete NB optimiser reports non-convergence through warnings; we read mle_retvals instead
            warnings.simplefilter("ignore", ConvergenceWarning)
            # a log of a negative alpha during the search means the joint fit is leaving the parameter space
            warnings.simplefilter("error", RuntimeWarning)
            res = sm.NegativeBinomial(y, X, loglike_method="nb2", offset=offset).fit(
                start_params=np.r_[np.asarray(start.params), a0], method="newton", maxiter=200, disp=0)
        alpha = float(res.params.iloc[-1] if hasattr(res.params, "iloc") else res.params[-1])
        converged = bool(res.mle_retvals.get("converged", False))
    except (RuntimeWarning, ValueError, np.linalg.LinAlgError):
        return _profile_negbin_alpha(y, X, offset)
    if not np.isfinite(alpha) or alpha <= 0 or not converged:
        return _profile_negbin_alpha(y, X, offset)
    return alpha, converged


def fit_quasi(glm: sm.GLM):
    """GLM with the scale fixed at Pearson chi2 / df_resid (R's quasi families). Computed explicitly because
    statsmodels' scale="X2" is wrong for a binomial with a (successes, failures) response."""
    base = glm.fit()
    phi = float(base.pearson_chi2) / float(base.df_resid)
    return glm.fit(scale=phi)


def fit_count(y: pd.Series, design: Design, model: str, *, offset: pd.Series | None = None,
              robust: str | None = None, hac_maxlags: int | None = None,
              hac_small_sample: bool = True) -> ITSResult:
    """Poisson / quasi-Poisson / NB2 fit on a segmented design (see the module docstring). Raises FitError
    when the model is not estimable on these counts (separation: e.g. 0 in every period before an
    intervention), before any fitting."""
    if model not in COUNT_MODELS:
        raise ModelSpecError(f"count model must be one of {COUNT_MODELS}")
    if not hac_small_sample and robust is None:
        raise ModelSpecError("hac_small_sample applies to the Newey-West covariance: use it with robust='hac'")
    check_counts(y)
    mask = design.fit_mask
    logoff_full = log_offset(offset, y.index)
    yf = y.to_numpy(dtype=float)[mask]
    Xf = design.X.reset_index(drop=True).loc[mask]
    off = None if logoff_full is None else logoff_full[mask]
    n, k = Xf.shape
    check_estimable(Xf.to_numpy(), yf, y.index[mask], design.interventions, model)
    cov_kw, lag, cov_label = glm_cov_kwargs(robust, n, hac_maxlags, hac_small_sample)
    notes: list[str] = []
    extra: dict = {}
    if model == "negbin":
        alpha_nb, conv_a = fit_negbin_alpha(yf, Xf, off)
        family = sm.families.NegativeBinomial(alpha=alpha_nb)
        extra = {"nb_alpha": alpha_nb, "nb_theta": 1.0 / alpha_nb}
        notes.append(f"NB2 alpha = {alpha_nb:.6g} (theta = {1 / alpha_nb:.6g})")
    else:
        family = sm.families.Poisson()
        conv_a = True
    glm = sm.GLM(yf, Xf, family=family, offset=off)
    use_t = False
    if model == "quasipoisson" and robust is None:
        res = fit_quasi(glm)
        use_t = True
        cov_label = "quasi-Poisson (Pearson chi2/df scale)"
    else:
        res = glm.fit(**cov_kw)
    pearson = float(res.pearson_chi2) / float(res.df_resid)
    # a robust (HAC) sandwich already accounts for overdispersion in the standard errors
    if model == "poisson" and robust is None and pearson > OVERDISPERSION_THRESHOLD:
        warnings.warn(OverdispersionWarning(
            f"Poisson fit is overdispersed (Pearson chi2/df = {pearson:.2f} > {OVERDISPERSION_THRESHOLD}): its "
            "standard errors are too small. Use model='quasipoisson' or model='negbin' (or robust='hac')."),
            stacklevel=3)
    params = pd.Series(np.asarray(res.params), index=Xf.columns)
    cov = pd.DataFrame(np.asarray(res.cov_params()), index=Xf.columns, columns=Xf.columns)
    # likelihood-based criteria: a quasi-likelihood has none, report the Poisson ones with a note
    llf = float(res.llf)
    n_par = k + (1 if model == "negbin" else 0)
    if model == "quasipoisson":
        notes.append("llf/AIC are those of the Poisson likelihood (quasi-Poisson has no likelihood)")
    if (~mask).any():
        notes.append("washout months dropped from the fit")
    stats_ = {"n": n, "n_params": n_par, "aic": -2 * llf + 2 * n_par, "bic": -2 * llf + np.log(n) * n_par,
              "llf": llf, "dispersion": pearson, "cov_type": cov_label,
              "hac_maxlags": np.nan if lag is None else lag,
              **residual_checks(np.asarray(res.resid_pearson)),
              "converged": bool(res.converged) and conv_a, "notes": "; ".join(notes), **extra}
    header = [f"{model}: log link{'' if off is None else ', offset log(exposure)'}; "
              f"Pearson chi2/df = {pearson:.4f}; covariance: {cov_label}"
              + (f", lag {lag}" if lag is not None else "")]
    return single_series_result(model=model, design=design, y=y, raw=res, params=params, cov=cov,
                                use_t=use_t, df_resid=res.df_resid, link="log", offset=logoff_full,
                                stats_=stats_, header=header)
