# Independent reference values for the Model API v2 options (tests/models/test_api_v2.py), computed with R.
#
# Run from the repository root:   Rscript tests/models/references/make_references_v2.R
# Needs: sandwich, lmtest, forecast, strucchange (Debian: r-cran-sandwich r-cran-lmtest r-cran-forecast
# r-cran-strucchange). Writes, next to this script:
#   ../data/seatbelts.csv  R datasets::Seatbelts (monthly, 1969-01 .. 1984-12), written unchanged
#   ../data/nile.csv       R datasets::Nile (yearly flow at Aswan, 1871 .. 1970), written unchanged
#   ref_v2_coefs.csv       case, term, estimate, std_error, p_value
#   ref_v2_stats.csv       case, stat, value
# The tests read the CSVs only, so the test run needs no R.
#
# Design convention (externalize.models.design): time t0 = 0, 1, ... periods; level = 1 from the first
# treated period; slope = periods since it (0 there; 1 with slope_start = 1). Seat-belt law: 31 Jan 1983,
# first treated month 1983-02 (Harvey & Durbin 1986, JRSS A 149:187). Nile: Aswan dam, level shift from
# 1899 (Cobb 1978; strucchange's breakpoint after 1898).

suppressPackageStartupMessages({
  library(sandwich); library(lmtest); library(forecast); library(strucchange)
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
  if (length(value) != 1) stop(paste("bad stat", case, stat))
  stats[[length(stats) + 1]] <<- data.frame(case = case, stat = stat, value = value)
}
nw_rule <- function(n) floor(4 * (n / 100)^(2 / 9))

# ------------------------------------------------------------------------------------------------ data
sb <- as.data.frame(Seatbelts)
tt <- time(Seatbelts)
sb$period <- sprintf("%d-%02d", floor(tt + 1e-9), round((tt - floor(tt + 1e-9)) * 12) + 1)
sb <- sb[, c("period", setdiff(names(sb), "period"))]
write.csv(sb, file.path(data_dir, "seatbelts.csv"), row.names = FALSE, quote = FALSE)
nile <- data.frame(year = as.integer(time(Nile)), flow = as.numeric(Nile))
write.csv(nile, file.path(data_dir, "nile.csv"), row.names = FALSE, quote = FALSE)

# ------------------------------------------------------------------------ Seatbelts, monthly, covariates
n <- nrow(sb)
sb$t0 <- 0:(n - 1)
T0 <- which(sb$period == "1983-02")
sb$level <- as.numeric(sb$t0 >= T0 - 1)
sb$slope <- pmax(0, sb$t0 - (T0 - 1))
sb$ramp1 <- ifelse(sb$level == 1, sb$slope + 1, 0)
sb$lfront <- log(sb$front)
sb$lkms <- log(sb$kms)
sb$lpetrol <- log(sb$PetrolPrice)
L <- nw_rule(n)
add_stat("seatbelts", "nw_lag", L)

ols <- lm(lfront ~ t0 + level + slope + lkms + lpetrol, data = sb)
V <- NeweyWest(ols, lag = L, prewhite = FALSE, adjust = TRUE)
ct <- coeftest(ols, vcov. = V)
add_coefs("seatbelts_ols_nw_cov", ct[, 1], ct[, 2], ct[, 4])
# the same fit without the small-sample factor and with normal (z) inference
V0 <- NeweyWest(ols, lag = L, prewhite = FALSE, adjust = FALSE)
ct0 <- coeftest(ols, vcov. = V0, df = Inf)
add_coefs("seatbelts_ols_nw_noadj_z", ct0[, 1], ct0[, 2], ct0[, 4])
ct0t <- coeftest(ols, vcov. = V0)
add_coefs("seatbelts_ols_nw_noadj_t", ct0t[, 1], ct0t[, 2], ct0t[, 4])
# linear combination: the post-law trend t0 + slope (Stata lincom / itsa posttrend), NW covariance
w <- c(0, 1, 0, 1, 0, 0)
est <- sum(w * coef(ols)); se <- sqrt(drop(t(w) %*% V %*% w))
add_stat("seatbelts_lincom_posttrend", "estimate", est)
add_stat("seatbelts_lincom_posttrend", "std_error", se)
add_stat("seatbelts_lincom_posttrend", "p_value", 2 * pt(-abs(est / se), df = ols$df.residual))
# any contrast: level + 12 * slope (the effect 12 months after the law, on the log scale)
w2 <- c(0, 0, 1, 12, 0, 0)
est2 <- sum(w2 * coef(ols)); se2 <- sqrt(drop(t(w2) %*% V %*% w2))
add_stat("seatbelts_lincom_level_12slope", "estimate", est2)
add_stat("seatbelts_lincom_level_12slope", "std_error", se2)

# ramp coded 1 in the first treated month
olsr <- lm(lfront ~ t0 + level + ramp1 + lkms + lpetrol, data = sb)
ctr <- coeftest(olsr, vcov. = NeweyWest(olsr, lag = L, prewhite = FALSE, adjust = TRUE))
rownames(ctr)[rownames(ctr) == "ramp1"] <- "slope"
add_coefs("seatbelts_ols_nw_ramp1", ctr[, 1], ctr[, 2], ctr[, 4])

# Prais-Winsten and Cochrane-Orcutt by the textbook formula (Stata prais, rhotype(regress)), iterated and
# two-step; the transformed regression's own lm() covariance
X <- model.matrix(~ t0 + level + slope + lkms + lpetrol, data = sb)
y <- sb$lfront
pw <- function(y, X, corc, twostep) {
  b <- coef(lm.fit(X, y)); rho_old <- Inf
  for (it in 1:1000) {
    e <- y - X %*% b
    rho <- sum(e[-1] * e[-length(e)]) / sum(e[-length(e)]^2)
    ys <- y[-1] - rho * y[-length(y)]; Xs <- X[-1, , drop = FALSE] - rho * X[-nrow(X), , drop = FALSE]
    if (!corc) { ys <- c(sqrt(1 - rho^2) * y[1], ys); Xs <- rbind(sqrt(1 - rho^2) * X[1, ], Xs) }
    f <- lm(ys ~ Xs - 1)
    b <- coef(f)
    if (twostep || abs(rho - rho_old) < 1e-10) break
    rho_old <- rho
  }
  names(b) <- colnames(X)
  s <- summary(f)$coefficients
  list(rho = rho, est = b, se = s[, 2], p = s[, 4])
}
for (cfg in list(list("seatbelts_prais", FALSE, FALSE), list("seatbelts_corc", TRUE, FALSE),
                 list("seatbelts_prais_twostep", FALSE, TRUE))) {
  r <- pw(y, X, cfg[[2]], cfg[[3]])
  add_coefs(cfg[[1]], r$est, r$se, r$p)
  add_stat(cfg[[1]], "rho", r$rho)
}

# ARIMA with seasonal differencing: constant differenced away, t0 becomes the drift (d + D = 1)
xr <- cbind(t0 = sb$t0, level = sb$level, slope = sb$slope, lkms = sb$lkms, lpetrol = sb$lpetrol)
a <- Arima(ts(y, frequency = 12), order = c(1, 0, 0), seasonal = c(1, 1, 0), xreg = xr, method = "ML")
se <- sqrt(diag(a$var.coef))
add_coefs("seatbelts_arima_100_110", coef(a), se, 2 * pnorm(-abs(coef(a) / se)))
add_stat("seatbelts_arima_100_110", "loglik", a$loglik)

# ARIMA(2,1,0) errors: non-seasonal differencing, t0 becomes the drift (d + D = 1)
a210 <- Arima(y, order = c(2, 1, 0), xreg = xr, method = "ML")
se <- sqrt(diag(a210$var.coef))
add_coefs("seatbelts_arima_210", coef(a210), se, 2 * pnorm(-abs(coef(a210) / se)))
add_stat("seatbelts_arima_210", "loglik", a210$loglik)

# ARIMA(0,1,1) errors with t0 (drift): the reduced form of a local level model with these regressors
a011 <- Arima(y, order = c(0, 1, 1), xreg = xr, method = "ML")
se <- sqrt(diag(a011$var.coef))
add_coefs("seatbelts_arima_011", coef(a011), se, 2 * pnorm(-abs(coef(a011) / se)))
add_stat("seatbelts_arima_011", "loglik", a011$loglik)

# counterfactual from a model of the pre-period only (CausalPy's approach): lm on the pre-law months,
# predicted for the post months with confidence and prediction intervals (95%)
pre <- sb[sb$level == 0, ]
post <- sb[sb$level == 1, ]
m0 <- lm(lfront ~ t0 + lkms + lpetrol, data = pre)
pc <- predict(m0, newdata = post, interval = "confidence", level = 0.95)
pp <- predict(m0, newdata = post, interval = "prediction", level = 0.95)
for (i in c(1, 2, 12, nrow(post))) {
  key <- post$period[i]
  add_stat("seatbelts_pre_forecast", paste0("fit_", key), pc[i, "fit"])
  add_stat("seatbelts_pre_forecast", paste0("cf_low_", key), pc[i, "lwr"])
  add_stat("seatbelts_pre_forecast", paste0("cf_high_", key), pc[i, "upr"])
  add_stat("seatbelts_pre_forecast", paste0("pi_low_", key), pp[i, "lwr"])
  add_stat("seatbelts_pre_forecast", paste0("pi_high_", key), pp[i, "upr"])
}
add_coefs("seatbelts_pre_forecast", coef(m0), sqrt(diag(vcov(m0))), summary(m0)$coefficients[, 4])

# ------------------------------------------------------------------------ Seatbelts, quarterly
q <- data.frame(quarter = paste0(floor(time(Seatbelts) + 1e-9), "Q", cycle(Seatbelts) %/% 3.0001 + 1),
                front = sb$front)
q <- aggregate(front ~ quarter, data = q, FUN = sum)
q <- q[order(q$quarter), ]
nq <- nrow(q)
q$t0 <- 0:(nq - 1)
q$qtr <- as.integer(substr(q$quarter, 6, 6))
q$sin1 <- sin(2 * pi * q$qtr / 4); q$cos1 <- cos(2 * pi * q$qtr / 4)
Tq <- which(q$quarter == "1983Q1")
q$level <- as.numeric(q$t0 >= Tq - 1)
q$slope <- pmax(0, q$t0 - (Tq - 1))
oq <- lm(front ~ t0 + level + slope + sin1 + cos1, data = q)
Lq <- nw_rule(nq)
add_stat("seatbelts_q", "nw_lag", Lq)
ctq <- coeftest(oq, vcov. = NeweyWest(oq, lag = Lq, prewhite = FALSE, adjust = TRUE))
add_coefs("seatbelts_q_ols_nw", ctq[, 1], ctq[, 2], ctq[, 4])

# ------------------------------------------------------------------------ Nile, yearly, no trend
nile$level <- as.numeric(nile$year >= 1899)
on <- lm(flow ~ level, data = nile)
Ln <- nw_rule(nrow(nile))
add_stat("nile", "nw_lag", Ln)
ctn <- coeftest(on, vcov. = NeweyWest(on, lag = Ln, prewhite = FALSE, adjust = TRUE))
add_coefs("nile_ols_nw_notrend", ctn[, 1], ctn[, 2], ctn[, 4])
# regression with AR(1) errors, mean-only with a level shift
an <- Arima(nile$flow, order = c(1, 0, 0), xreg = cbind(level = nile$level), include.mean = TRUE, method = "ML")
se <- sqrt(diag(an$var.coef))
add_coefs("nile_arima_100_level", coef(an), se, 2 * pnorm(-abs(coef(an) / se)))
add_stat("nile_arima_100_level", "loglik", an$loglik)
# ARIMA(0,1,1) with the level shift: the reduced form of the local level model with a regressor. Once the
# shift is modelled the Nile is close to white noise, so this model is over-differenced: R reports an MA
# coefficient of -0.9999995 (a boundary fit) with an ordinary-looking standard error; the tests check that
# the package flags it instead.
a011 <- Arima(nile$flow, order = c(0, 1, 1), xreg = cbind(level = nile$level), method = "ML")
se <- sqrt(diag(a011$var.coef))
add_coefs("nile_arima_011_level", coef(a011), se, 2 * pnorm(-abs(coef(a011) / se)))
add_stat("nile_arima_011_level", "loglik", a011$loglik)

# mean-only break test: strucchange Fstats(y ~ 1), default trimming from = 0.15
fs <- Fstats(Nile ~ 1)
add_stat("nile_fstats", "sup_f", max(fs$Fstats))
add_stat("nile_fstats", "breakpoint", fs$breakpoint)          # last observation of the first segment
add_stat("nile_fstats", "break_year", as.integer(time(Nile))[fs$breakpoint])
add_stat("nile_fstats", "p_value", sctest(fs, type = "supF")$p.value)
from_obs <- tsp(fs$Fstats)[1] - tsp(Nile)[1] + 1   # first candidate breakpoint (observation number)
add_stat("nile_fstats", "from", from_obs)
for (i in seq_along(fs$Fstats)) add_stat("nile_fstats", paste0("F_", from_obs + i - 1), as.numeric(fs$Fstats[i]))
# a series with a small break, for the p-value (Hansen 1997 approximation in strucchange)
set.seed(20240515)
ysmall <- c(rnorm(40, 0, 1), rnorm(40, 0.45, 1))
write.csv(data.frame(year = 1901:1980, y = ysmall), file.path(data_dir, "small_break.csv"), row.names = FALSE,
          quote = FALSE)
fs2 <- Fstats(ysmall ~ 1)
add_stat("small_break_fstats", "sup_f", max(fs2$Fstats))
add_stat("small_break_fstats", "breakpoint", fs2$breakpoint)
add_stat("small_break_fstats", "p_value", sctest(fs2, type = "supF")$p.value)

out_c <- do.call(rbind, coefs)
out_s <- do.call(rbind, stats)
write.csv(out_c, file.path(here, "ref_v2_coefs.csv"), row.names = FALSE, quote = FALSE)
write.csv(out_s, file.path(here, "ref_v2_stats.csv"), row.names = FALSE, quote = FALSE)
cat("wrote", nrow(out_c), "coefficient rows and", nrow(out_s), "stat rows\n")
