"""ITSResult: identities on every model, closed forms, hand-computed Newey-West, delta-method intervals,
determinism."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from models_helpers import monthly

from externalize.models import ITSResult, OverdispersionWarning, fit_comparative, fit_its, fit_share


def _fit_all(sicily: pd.DataFrame, sim: pd.DataFrame) -> dict[str, ITSResult]:
    iv = {"ban": "2005-01"}
    out = {
        "ols_hac": fit_its(sicily["rate"], iv, "ols_hac", seasonality=1),
        "ols_hac_washout": fit_its(sicily["rate"], iv, "ols_hac", washout=3),
        "gls_ar": fit_its(sicily["rate"], iv, "gls_ar", ar_order=2),
        "arima": fit_its(sicily["rate"], iv, "arima", ar_order=1, washout=2),
        "quasipoisson": fit_its(sicily["aces"], iv, "quasipoisson", offset=sicily["stdpop"], seasonality=2),
        "negbin": fit_its(sim["clash"], {"iv": "2014-07"}, "negbin", offset=sim["total"]),
        "poisson_hac": fit_its(sim["clash"], {"iv": "2014-07"}, "poisson", robust="hac"),
        "two_interventions": fit_its(sim["external"], {"a": "2014-07", "b": "2015-01"}, "quasipoisson"),
        "comparative": fit_comparative({s: sim[s] for s in ("clash", "joint", "external")}, {"iv": "2014-07"},
                                       reference="clash", model="negbin"),
        "comparative_ols": fit_comparative({s: sim[s] for s in ("clash", "external")}, {"iv": "2014-07"},
                                           reference="clash", model="ols_hac"),
        "share": fit_share(sim["joint"] + sim["external"], sim["joint"] + sim["external"] + sim["clash"],
                           {"iv": "2014-07"}, model="quasibinomial"),
    }
    with pytest.warns(OverdispersionWarning):
        out["poisson"] = fit_its(sim["clash"], {"iv": "2014-07"}, "poisson")
    return out


@pytest.fixture(scope="module")
def fits(sicily, sim_counts) -> dict[str, ITSResult]:
    return _fit_all(sicily, sim_counts)


MODEL_KEYS = ["ols_hac", "ols_hac_washout", "gls_ar", "arima", "quasipoisson", "negbin", "poisson_hac",
              "two_interventions", "comparative", "comparative_ols", "share", "poisson"]


@pytest.mark.parametrize("key", MODEL_KEYS)
def test_identities(fits, key: str) -> None:
    res = fits[key]
    cf = res.counterfactual()
    groups = [cf] if "series" not in cf.columns else [g for _, g in cf.groupby("series", sort=False)]
    first = next(iter(res.interventions.values()))
    for g in groups:
        pre = g[~g["post"]]
        # fitted equals counterfactual before the (first) intervention
        np.testing.assert_allclose(pre["fitted"], pre["counterfactual"], rtol=1e-13, atol=1e-13)
        assert (pre["period"] < first).all() and (g.loc[g["post"], "period"] >= first).all()
        np.testing.assert_allclose(g["effect"], g["fitted"] - g["counterfactual"], rtol=0, atol=1e-12)
        assert (g["fitted_low"] <= g["fitted"] + 1e-12).all() and (g["fitted"] <= g["fitted_high"] + 1e-12).all()
        assert (g["cf_low"] <= g["counterfactual"] + 1e-12).all()
        assert (g["counterfactual"] <= g["cf_high"] + 1e-12).all()
    cum = res.cumulative_effect()
    for gkey, g in (cf.groupby("series", sort=False) if "series" in cf.columns else [(None, cf)]):
        post = g[g["period"] >= first]
        c = cum if gkey is None else cum[cum["series"] == gkey]
        # cumulative effect = running sum of monthly effects
        np.testing.assert_allclose(c["cum_effect"].to_numpy(), np.cumsum(post["effect"].to_numpy()),
                                   rtol=1e-12, atol=1e-9)
        obs_minus_cf = np.nan_to_num((post["observed"] - post["counterfactual"]).to_numpy(), nan=0.0)
        np.testing.assert_allclose(c["cum_observed_effect"].to_numpy(), np.cumsum(obs_minus_cf),
                                   rtol=1e-12, atol=1e-9)
        assert (c["obs_ci_low"] <= c["cum_observed_effect"] + 1e-9).all()
        assert list(c["period"]) == list(post["period"])
    # effect(k) is the frame's effect at that month
    for name, p in res.interventions.items():
        e = res.effect(4, intervention=name)
        for _, row in e.iterrows():
            g = cf if "series" not in cf.columns else cf[cf["series"] == row["series"]]
            assert row["estimate"] == pytest.approx(float(g.loc[g["period"] == p + 4, "effect"].iloc[0]),
                                                    abs=1e-10)
            assert row["ci_low"] <= row["estimate"] <= row["ci_high"]


@pytest.mark.parametrize("key", MODEL_KEYS)
def test_tidy_fit_stats_and_summary_shape(fits, key: str) -> None:
    res = fits[key]
    t = res.tidy()
    assert list(t.columns[:7]) == ["term", "estimate", "std_error", "statistic", "p_value", "ci_low", "ci_high"]
    assert (t["ci_low"] <= t["estimate"]).all() and (t["estimate"] <= t["ci_high"]).all()
    if res.link != "identity":
        reg = t["term"].isin(res.X.columns)
        np.testing.assert_allclose(t.loc[reg, "ratio"], np.exp(t.loc[reg, "estimate"]))
    st = res.fit_stats()
    assert st.shape[0] == 1
    for col in ["model", "n", "n_params", "aic", "bic", "llf", "dispersion", "cov_type", "hac_maxlags",
                "durbin_watson", "ljung_box_lag", "ljung_box_p", "converged", "notes"]:
        assert col in st.columns, col
    assert 0.0 <= st["ljung_box_p"].iloc[0] <= 1.0 and 0.0 < st["durbin_watson"].iloc[0] < 4.0
    text = res.summary()
    assert "Interventions (first treated month)" in text and "coef" in text and "std err" in text
    ci = res.conf_int(alpha=0.10)
    assert list(ci.columns) == ["lower", "upper"] and (ci["upper"] - ci["lower"] > 0).all()
    ci95 = res.conf_int()
    np.testing.assert_allclose(ci95["lower"].to_numpy(), t["ci_low"].to_numpy(), rtol=1e-14)
    np.testing.assert_allclose(ci95["upper"].to_numpy(), t["ci_high"].to_numpy(), rtol=1e-14)
    assert ((ci["upper"] - ci["lower"]).to_numpy() < (t["ci_high"] - t["ci_low"]).to_numpy()).all()


def test_deterministic_byte_identical_tables(sicily, sim_counts) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", OverdispersionWarning)
        a = _fit_all(sicily, sim_counts)
        b = _fit_all(sicily, sim_counts)
    for key in a:
        assert a[key].tidy().to_csv(index=False) == b[key].tidy().to_csv(index=False), key
        assert a[key].counterfactual().to_csv(index=False) == b[key].counterfactual().to_csv(index=False), key
        assert a[key].fit_stats().to_csv(index=False) == b[key].fit_stats().to_csv(index=False), key


# ------------------------------------------------------------------------------------------ closed forms
def test_noise_free_series_recovered_exactly_with_effects_in_closed_form() -> None:
    t = np.arange(48.0)
    lev = (t >= 24).astype(float)
    slo = np.where(t >= 24, t - 24, 0.0)
    noise = np.tile([0.5, -0.5], 24)  # alternating, orthogonal to const and time, tiny vs signal
    y = monthly(10 + 0.5 * t + 3.0 * lev - 0.2 * slo + 1e-9 * noise)
    res = fit_its(y, {"iv": "2014-01"}, "ols_hac")
    np.testing.assert_allclose(res.params[["const", "time", "level_iv", "slope_iv"]], [10, 0.5, 3.0, -0.2],
                               atol=1e-7)
    # effect k months after: level + slope * k; cumulative to k: sum_j (3 - 0.2 j)
    for k in (0, 1, 5, 23):
        assert res.effect(k)["estimate"].iloc[0] == pytest.approx(3.0 - 0.2 * k, abs=1e-6)
    cum = res.cumulative_effect(k=10)
    assert len(cum) == 11
    assert cum["cum_effect"].iloc[-1] == pytest.approx(sum(3.0 - 0.2 * j for j in range(11)), abs=1e-5)
    cf = res.counterfactual()
    np.testing.assert_allclose(cf["counterfactual"], 10 + 0.5 * t, atol=1e-6)


def test_newey_west_by_hand() -> None:
    rng = np.random.default_rng(7)
    n, L = 30, 2
    y = monthly(5 + rng.normal(size=n).cumsum() * 0.3 + rng.normal(size=n))
    res = fit_its(y, {"iv": "2013-04"}, "ols_hac", hac_maxlags=L)
    X = res.X.to_numpy()
    b = np.linalg.solve(X.T @ X, X.T @ y.to_numpy())
    u = y.to_numpy() - X @ b
    S = (X * u[:, None]).T @ (X * u[:, None])
    for lag in range(1, L + 1):
        w = 1 - lag / (L + 1)                      # Bartlett weight
        G = (X[lag:] * u[lag:, None]).T @ (X[:-lag] * u[:-lag, None])
        S += w * (G + G.T)
    bread = np.linalg.inv(X.T @ X)
    k = X.shape[1]
    V = bread @ S @ bread * n / (n - k)            # Stata newey small-sample factor
    np.testing.assert_allclose(res.params.to_numpy(), b, rtol=1e-10)
    np.testing.assert_allclose(res.bse.to_numpy(), np.sqrt(np.diag(V)), rtol=1e-10)
    # t(n - k) inference
    from scipy import stats
    tval = res.params.iloc[2] / res.bse.iloc[2]
    assert res.pvalues.iloc[2] == pytest.approx(2 * stats.t.sf(abs(tval), n - k), rel=1e-10)


def test_ols_effect_interval_is_exact_linear_combination(fits) -> None:
    res = fits["ols_hac"]
    V = res.cov.loc[res.X.columns, res.X.columns].to_numpy()
    c = np.zeros(len(res.X.columns))
    c[list(res.X.columns).index("level_ban")] = 1
    c[list(res.X.columns).index("slope_ban")] = 6
    e = res.effect(6)
    from scipy import stats
    crit = stats.t.ppf(0.975, res.df_resid)
    se = float(np.sqrt(c @ V @ c))
    assert e["std_error"].iloc[0] == pytest.approx(se, rel=1e-12)
    assert e["ci_high"].iloc[0] - e["estimate"].iloc[0] == pytest.approx(crit * se, rel=1e-12)
    # cumulative over months 0..K: coefficient vector (K+1, sum k)
    K = 5
    c2 = np.zeros_like(c)
    c2[list(res.X.columns).index("level_ban")] = K + 1
    c2[list(res.X.columns).index("slope_ban")] = K * (K + 1) / 2
    cum = res.cumulative_effect(k=K)
    assert cum["std_error"].iloc[-1] == pytest.approx(float(np.sqrt(c2 @ V @ c2)), rel=1e-12)
    # observed-minus-counterfactual sum: its interval is that of the summed counterfactual rows
    rows = np.flatnonzero(res.post)[: K + 1]
    c3 = res.X_cf.to_numpy()[rows].sum(axis=0)
    half = cum["obs_ci_high"].iloc[-1] - cum["cum_observed_effect"].iloc[-1]
    assert half == pytest.approx(crit * float(np.sqrt(c3 @ V @ c3)), rel=1e-10)


def test_count_effect_delta_method_against_parameter_simulation(fits) -> None:
    """Delta-method SE of a count effect vs the SD of the effect over draws from N(beta, V): agree within 3%
    (the effect is smooth in beta and V is small, so the linearisation is accurate)."""
    res = fits["negbin"]
    names = list(res.X.columns)
    b = res.params[names].to_numpy()
    V = res.cov.loc[names, names].to_numpy()
    rng = np.random.default_rng(11)
    draws = rng.multivariate_normal(b, V, size=40000)
    i = int(np.flatnonzero((res.rows["period"] == res.interventions["iv"] + 6).to_numpy())[0])
    x, xc, off = res.X.to_numpy()[i], res.X_cf.to_numpy()[i], res.offset[i]
    eff = np.exp(draws @ x + off) - np.exp(draws @ xc + off)
    e = res.effect(6)
    assert e["std_error"].iloc[0] == pytest.approx(eff.std(), rel=0.03)
    assert e["estimate"].iloc[0] == pytest.approx(np.exp(b @ x + off) - np.exp(b @ xc + off), rel=1e-12)


def test_offset_separates_share_from_volume() -> None:
    """Counts = share x volume. Volume doubles at the intervention, the share does not move: without the
    offset the level rate ratio is ~2, with log(volume) as offset it is ~1 (exact data, no noise)."""
    t = np.arange(48.0)
    vol = 100 * np.where(t >= 24, 2.0, 1.0) * np.exp(0.01 * t)
    share = 0.2
    y = monthly(np.round(share * vol, 6))
    off = monthly(vol)
    no_off = fit_its(y, {"iv": "2014-01"}, "quasipoisson")
    with_off = fit_its(y, {"iv": "2014-01"}, "quasipoisson", offset=off)
    assert np.exp(no_off.params["level_iv"]) == pytest.approx(2.0, rel=1e-4)
    assert np.exp(with_off.params["level_iv"]) == pytest.approx(1.0, abs=1e-4)
    assert np.exp(with_off.params["const"]) == pytest.approx(share, rel=1e-4)


def test_share_drops_zero_denominator_months(sim_counts) -> None:
    num = sim_counts["joint"].copy()
    den = (sim_counts["joint"] + sim_counts["clash"]).copy()
    num.iloc[[3, 40]] = 0
    den.iloc[[3, 40]] = 0
    res = fit_share(num, den, {"iv": "2014-07"}, model="quasibinomial")
    st = res.fit_stats().iloc[0]
    assert st["n_zero_denominator"] == 2 and st["n"] == len(num) - 2
    cf = res.counterfactual()
    assert np.isnan(cf["observed"].iloc[3]) and not cf["in_fit"].iloc[3]
    assert 0 < cf["fitted"].iloc[3] < 1  # still predicted


def test_effect_arguments_are_checked(fits) -> None:
    res = fits["ols_hac"]
    with pytest.raises(ValueError, match="unknown intervention"):
        res.effect(1, intervention="nope")
    with pytest.raises(ValueError, match="after the end of the window"):
        res.effect(500)
    with pytest.raises(ValueError, match="k must be >= 0"):
        res.effect(-1)


def test_frames_for_figures_and_report(fits) -> None:
    fr = fits["comparative"].frames()
    assert set(fr) == {"estimates", "fit_stats", "counterfactual", "cumulative_effect"}
    assert (fr["estimates"]["model"] == "comparative_negbin").all()
    assert {"series", "period", "observed", "fitted", "counterfactual", "effect"} <= set(fr["counterfactual"])
    # periods serialise as YYYY-MM
    csv = fr["counterfactual"].to_csv(index=False)
    assert "\ncomparative_negbin,clash,2012-01," in csv
