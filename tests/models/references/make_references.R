# Independent reference values for tests/models, computed with R.
#
# Run from the repository root:   Rscript tests/models/references/make_references.R
# Needs: nlme, sandwich, lmtest, MASS, forecast (Debian: r-cran-nlme r-cran-sandwich r-cran-lmtest
# r-cran-mass r-cran-forecast). Writes, next to this script:
#   sim_counts.csv      a simulated monthly count data set (seeded) used by the Python tests as input
#   ref_coefs.csv       case, term, estimate, std_error, p_value
#   ref_stats.csv       case, stat, value
# The tests read the CSVs only, so the test run needs no R.
#
# Design convention (same as externalize.models.design): time = 0, 1, ... over the window;
# level = 1 from the intervention month on; slope = months since the intervention month (0 in that month).
# Fourier terms use the calendar month: sin(2 pi j m / 12), cos(2 pi j m / 12).

suppressPackageStartupMessages({
  library(nlme); library(sandwich); library(lmtest); library(MASS); library(forecast)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
data_dir <- file.path(dirname(here), "data")

coefs <- list(); stats <- list()
add_coefs <- function(case, est, se, p) {
  coefs[[length(coefs) + 1]] <<- data.frame(case = case, term = names(est), estimate = unname(est),
                                            std_error = unname(se), p_value = unname(p))
}
add_stat <- function(case, stat, value) {
  stats[[length(stats) + 1]] <<- data.frame(case = case, stat = stat, value = value)
}
harm <- function(m, k) {
  out <- NULL
  for (j in seq_len(k)) out <- cbind(out, sin(2 * pi * j * m / 12), cos(2 * pi * j * m / 12))
  colnames(out) <- as.vector(rbind(paste0("sin", 1:k), paste0("cos", 1:k)))
  out
}

# ------------------------------------------------------------------------------------------------- Sicily
sic <- read.csv(file.path(data_dir, "sicily.csv"))
sic$rate <- sic$aces / sic$stdpop * 1e5
sic$t0 <- sic$time - 1
sic$level <- sic$smokban
sic$slope <- pmax(0, sic$time - 37) * sic$smokban
H <- harm(sic$month, 2)
sic <- cbind(sic, H)

# OLS + Newey-West, Stata convention (Bartlett, lag L, no prewhitening, n/(n-k) adjustment)
ols <- lm(rate ~ t0 + level + slope, data = sic)
for (L in c(2, 3)) {
  V <- NeweyWest(ols, lag = L, prewhite = FALSE, adjust = TRUE)
  ct <- coeftest(ols, vcov. = V)
  add_coefs(paste0("sicily_ols_nw_lag", L), ct[, 1], ct[, 2], ct[, 4])
}

# GLS with AR(1) and AR(2) errors, exact ML
for (p in c(1, 2)) {
  g <- gls(rate ~ t0 + level + slope, data = sic, method = "ML",
           correlation = if (p == 1) corAR1(form = ~ t0) else corARMA(p = 2, form = ~ t0))
  tt <- summary(g)$tTable
  add_coefs(paste0("sicily_gls_ar", p), tt[, 1], tt[, 2], tt[, 4])
  phi <- coef(g$modelStruct$corStruct, unconstrained = FALSE)
  for (i in seq_along(phi)) add_stat(paste0("sicily_gls_ar", p), paste0("phi", i), phi[[i]])
  add_stat(paste0("sicily_gls_ar", p), "loglik", as.numeric(logLik(g)))
  add_stat(paste0("sicily_gls_ar", p), "sigma", g$sigma)
}

g_reml <- gls(rate ~ t0 + level + slope, data = sic, method = "REML", correlation = corAR1(form = ~ t0))
tt <- summary(g_reml)$tTable
add_coefs("sicily_gls_ar1_reml", tt[, 1], tt[, 2], tt[, 4])
add_stat("sicily_gls_ar1_reml", "phi1", coef(g_reml$modelStruct$corStruct, unconstrained = FALSE)[[1]])
add_stat("sicily_gls_ar1_reml", "loglik", as.numeric(logLik(g_reml)))

# Regression with AR(1) errors by forecast::Arima (exact ML)
xr <- as.matrix(sic[, c("t0", "level", "slope")])
a1 <- Arima(sic$rate, order = c(1, 0, 0), xreg = xr, include.mean = TRUE, method = "ML")
se <- sqrt(diag(a1$var.coef))
add_coefs("sicily_arima_ar1", coef(a1), se, 2 * pnorm(-abs(coef(a1) / se)))
add_stat("sicily_arima_ar1", "loglik", a1$loglik)
add_stat("sicily_arima_ar1", "sigma2", a1$sigma2)

# Count models with offset log(stdpop) and 2 Fourier pairs
f_cnt <- aces ~ offset(log(stdpop)) + t0 + level + slope + sin1 + cos1 + sin2 + cos2
pois <- glm(f_cnt, family = poisson, data = sic)
sp <- summary(pois)$coefficients
add_coefs("sicily_poisson", sp[, 1], sp[, 2], sp[, 4])
add_stat("sicily_poisson", "pearson_dispersion", sum(residuals(pois, "pearson")^2) / pois$df.residual)
add_stat("sicily_poisson", "aic", AIC(pois))
qp <- glm(f_cnt, family = quasipoisson, data = sic)
sq <- summary(qp)$coefficients
add_coefs("sicily_quasipoisson", sq[, 1], sq[, 2], sq[, 4])
add_stat("sicily_quasipoisson", "dispersion", summary(qp)$dispersion)
nb <- glm.nb(f_cnt, data = sic)
sn <- summary(nb)$coefficients
add_coefs("sicily_negbin", sn[, 1], sn[, 2], sn[, 4])
add_stat("sicily_negbin", "theta", nb$theta)
add_stat("sicily_negbin", "loglik", as.numeric(logLik(nb)))

# The tutorial's own models (Lopez Bernal, Cummins & Gasparrini 2017, Rcode.R in the authors' repository):
# model1 Poisson, model2 quasi-Poisson, model3 quasi-Poisson + harmonic(month, 2, 12), step change only.
m1 <- glm(aces ~ offset(log(stdpop)) + smokban + time, family = poisson, data = sic)
m2 <- glm(aces ~ offset(log(stdpop)) + smokban + time, family = quasipoisson, data = sic)
m3 <- glm(aces ~ offset(log(stdpop)) + smokban + time + sin1 + cos1 + sin2 + cos2, family = quasipoisson,
          data = sic)
for (nm in c("m1", "m2", "m3")) {
  m <- get(nm)
  s <- summary(m)$coefficients
  add_coefs(paste0("bernal_", nm), s[, 1], s[, 2], s[, 4])
  # the tutorial reports exp(coef) with Wald intervals on the normal scale (Epi::ci.exp)
  z <- qnorm(0.975)
  add_stat(paste0("bernal_", nm), "rr_smokban", exp(coef(m)[["smokban"]]))
  add_stat(paste0("bernal_", nm), "rr_low", exp(coef(m)[["smokban"]] - z * s["smokban", 2]))
  add_stat(paste0("bernal_", nm), "rr_high", exp(coef(m)[["smokban"]] + z * s["smokban", 2]))
  add_stat(paste0("bernal_", nm), "dispersion", summary(m)$dispersion)
}

# ------------------------------------------------------------------------------- simulated counts (seeded)
set.seed(20141)
n <- 60; iv <- 31                       # intervention in month 31 (2014-07 for a window from 2012-01)
t0 <- 0:(n - 1); lev <- as.numeric(t0 >= iv - 1); slo <- pmax(0, t0 - (iv - 1))
m <- ((0:(n - 1)) %% 12) + 1
season <- 0.25 * sin(2 * pi * m / 12)
mu_clash <- exp(2.6 + 0.010 * t0 - 0.40 * lev - 0.010 * slo + season)
mu_joint <- exp(1.4 + 0.005 * t0 + 0.30 * lev + 0.015 * slo + season)
mu_ext <- exp(1.9 + 0.000 * t0 + 0.50 * lev + 0.005 * slo + season)
sim <- data.frame(
  period = sprintf("%d-%02d", 2012 + (0:(n - 1)) %/% 12, m),
  clash = rnbinom(n, mu = mu_clash, size = 6),
  joint = rnbinom(n, mu = mu_joint, size = 6),
  external = rnbinom(n, mu = mu_ext, size = 6),
  total = 0
)
sim$total <- sim$clash + sim$joint + sim$external + rpois(n, 40)
write.csv(sim, file.path(here, "sim_counts.csv"), row.names = FALSE, quote = FALSE)

d <- data.frame(t0 = t0, level = lev, slope = slo, harm(m, 1), clash = sim$clash, total = sim$total)
nb2 <- glm.nb(clash ~ t0 + level + slope + sin1 + cos1, data = d)
s <- summary(nb2)$coefficients
add_coefs("sim_negbin_clash", s[, 1], s[, 2], s[, 4])
add_stat("sim_negbin_clash", "theta", nb2$theta)
add_stat("sim_negbin_clash", "loglik", as.numeric(logLik(nb2)))
nb3 <- glm.nb(clash ~ offset(log(total)) + t0 + level + slope, data = d)
s <- summary(nb3)$coefficients
add_coefs("sim_negbin_clash_offset", s[, 1], s[, 2], s[, 4])
add_stat("sim_negbin_clash_offset", "theta", nb3$theta)
qp2 <- glm(clash ~ t0 + level + slope + sin1 + cos1, family = quasipoisson, data = d)
s <- summary(qp2)$coefficients
add_coefs("sim_quasipoisson_clash", s[, 1], s[, 2], s[, 4])
add_stat("sim_quasipoisson_clash", "dispersion", summary(qp2)$dispersion)

# Comparative (stacked) Poisson: clash is the reference, joint and external are compared with it
st <- do.call(rbind, lapply(c("clash", "joint", "external"), function(s) {
  data.frame(series = s, t0 = t0, level = lev, slope = slo, y = sim[[s]])
}))
st$series <- factor(st$series, levels = c("clash", "joint", "external"))
cp <- glm(y ~ t0 + level + slope + series + series:t0 + series:level + series:slope, family = poisson,
          data = st)
s <- summary(cp)$coefficients
add_coefs("sim_comparative_poisson", s[, 1], s[, 2], s[, 4])
cq <- glm(y ~ t0 + level + slope + series + series:t0 + series:level + series:slope, family = quasipoisson,
          data = st)
s <- summary(cq)$coefficients
add_coefs("sim_comparative_quasipoisson", s[, 1], s[, 2], s[, 4])

# Driscoll-Kraay covariance (scores summed over series within a month, then Newey-West over months,
# Bartlett, lag 3, adjust = TRUE): sandwich::vcovPL with the series as cluster and time as order
dk <- function(m) vcovPL(m, cluster = ~ series, order.by = ~ t0, lag = 3, adjust = TRUE, kernel = "Bartlett")
co <- lm(y ~ t0 + level + slope + series + series:t0 + series:level + series:slope, data = st)
ct <- coeftest(co, vcov. = dk(co))
add_coefs("sim_comparative_ols_dk", ct[, 1], ct[, 2], ct[, 4])
ct <- coeftest(cp, vcov. = dk(cp))
add_coefs("sim_comparative_poisson_dk", ct[, 1], ct[, 2], ct[, 4])

# Binomial (logit) model of the externalization share (joint + external) / (joint + external + clash)
d$num <- sim$joint + sim$external; d$den <- d$num + sim$clash
sh <- glm(cbind(num, den - num) ~ t0 + level + slope, family = binomial, data = d)
s <- summary(sh)$coefficients
add_coefs("sim_share_binomial", s[, 1], s[, 2], s[, 4])
shq <- glm(cbind(num, den - num) ~ t0 + level + slope, family = quasibinomial, data = d)
s <- summary(shq)$coefficients
add_coefs("sim_share_quasibinomial", s[, 1], s[, 2], s[, 4])
add_stat("sim_share_quasibinomial", "dispersion", summary(shq)$dispersion)

out_c <- do.call(rbind, coefs); out_s <- do.call(rbind, stats)
out_c$estimate <- signif(out_c$estimate, 15); out_c$std_error <- signif(out_c$std_error, 15)
out_c$p_value <- signif(out_c$p_value, 15); out_s$value <- signif(out_s$value, 15)
write.csv(out_c, file.path(here, "ref_coefs.csv"), row.names = FALSE, quote = FALSE)
write.csv(out_s, file.path(here, "ref_stats.csv"), row.names = FALSE, quote = FALSE)
cat("R", R.version.string, "nlme", as.character(packageVersion("nlme")), "sandwich",
    as.character(packageVersion("sandwich")), "MASS", as.character(packageVersion("MASS")),
    "forecast", as.character(packageVersion("forecast")), "\n")
