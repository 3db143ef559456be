# Independent reference values for the multiple-group ITS (externalize.models.panel, Stata itsa with
# treatid()/contid()), computed with R from tests/models/data/cigsales.csv (Abadie et al. 2010 smoking panel).
#
# Run from the repository root:   Rscript tests/models/references/make_references_panel.R
# Needs: sandwich (Debian r-cran-sandwich). Writes, next to this script:
#   ref_panel.csv         case, cov, term, estimate, std_error, p_value
#   ref_panel_match.csv   state_id, cov, p_level, p_trend (itsamatch's two-state fits, one per control)
# The tests read the CSV only, so the test run needs no R.
#
# Model (Linden 2015, Stata Journal 15(2):480-500, eq. 2), OLS on the stacked panel, rows sorted by state id
# then year (Stata's tsset order):
#   y = b0 + b1 t + b2 x + b3 xt + b4 z + b5 zt + b6 zx + b7 zxt
# t = year - 1970; x = year >= trperiod; xt = (year - trperiod) * x; z = treated state (California, id 3).
# Covariances (n = stacked rows, k = 8 columns, G = states, L = lag):
#   newey_stacked   sandwich::NeweyWest(fit, lag = L, prewhite = FALSE, adjust = TRUE): the stacked rows as
#                   one series (Bartlett 1 - j/(L+1), factor n/(n-k))
#   newey_panel     sandwich::vcovPL(fit, cluster = ~state_id, order.by = ~year, lag = L, kernel = "Bartlett",
#                   aggregate = FALSE, adjust = TRUE): Newey-West meat summed over states, lags only within a
#                   state, factor n/(n-k); checked (stopifnot) against the textbook formula written out below:
#                   sum_i [ sum_t h_it h_it' + sum_j w_j sum_t (h_it h_i,t-j' + h_i,t-j h_it') ], h_it = x_it e_it
#   driscoll_kraay  sandwich::vcovPL(..., aggregate = TRUE, adjust = TRUE): H_t = sum_i h_it, Newey-West over
#                   years, factor n/(n-k); checked against the textbook formula below
#   cluster         sandwich::vcovCL(fit, cluster = ~state, type = "HC1"): G/(G-1) (n-1)/(n-k), p from t(G-1)
# p-values: t(n - k) except cluster, t(G - 1). Post-period trends (itsa posttrend): lincoms
#   treated = b1 + b3 + b5 + b7, controls = b1 + b3, difference = b5 + b7 (summed over interventions).

suppressPackageStartupMessages(library(sandwich))

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
d0 <- read.csv(file.path(dirname(here), "data", "cigsales.csv"))
d0 <- d0[order(d0$state_id, d0$year), ]

bread_inv <- function(X) solve(crossprod(X))
nw_w <- function(j, L) 1 - j / (L + 1)

meat_within <- function(H, unit, L) {
  S <- crossprod(H)
  for (u in unique(unit)) {
    h <- H[unit == u, , drop = FALSE]
    if (L >= 1) for (j in 1:L) {
      g <- crossprod(h[(j + 1):nrow(h), , drop = FALSE], h[1:(nrow(h) - j), , drop = FALSE])
      S <- S + nw_w(j, L) * (g + t(g))
    }
  }
  S
}
meat_dk <- function(H, time, L) {
  Ht <- rowsum(H, time)                  # one row per period, in increasing period order
  S <- crossprod(Ht)
  if (L >= 1) for (j in 1:L) {
    g <- crossprod(Ht[(j + 1):nrow(Ht), , drop = FALSE], Ht[1:(nrow(Ht) - j), , drop = FALSE])
    S <- S + nw_w(j, L) * (g + t(g))
  }
  S
}

rows <- list()
add <- function(case, cov, est, V, df) {
  se <- sqrt(pmax(diag(V), 0))   # a variance of ~0 may come out at -1e-17
  p <- 2 * pt(abs(est / se), df, lower.tail = FALSE)
  rows[[length(rows) + 1]] <<- data.frame(case = case, cov = cov, term = names(est), estimate = unname(est),
                                          std_error = unname(se), p_value = unname(p))
}

run_case <- function(case, controls, trperiods, L) {
  d <- if (is.null(controls)) d0 else d0[d0$state_id %in% c(3, controls), ]
  d$t <- d$year - min(d$year)
  d$z <- as.numeric(d$state_id == 3)
  d$zt <- d$z * d$t
  terms_x <- c(); terms_z <- c()
  for (tp in trperiods) {
    x <- paste0("x", tp); xt <- paste0("xt", tp); zx <- paste0("zx", tp); zxt <- paste0("zxt", tp)
    d[[x]] <- as.numeric(d$year >= tp)
    d[[xt]] <- (d$year - tp) * d[[x]]
    d[[zx]] <- d$z * d[[x]]
    d[[zxt]] <- d$z * d[[xt]]
    terms_x <- c(terms_x, x, xt); terms_z <- c(terms_z, zx, zxt)
  }
  f <- as.formula(paste("cigsale ~ t +", paste(terms_x, collapse = " + "), "+ z + zt +",
                        paste(terms_z, collapse = " + ")))
  fit <- lm(f, data = d)
  X <- model.matrix(fit); e <- resid(fit); n <- nrow(X); k <- ncol(X); G <- length(unique(d$state_id))
  H <- X * e
  B <- bread_inv(X)
  V_within <- vcovPL(fit, cluster = ~state_id, order.by = ~year, lag = L, kernel = "Bartlett",
                     aggregate = FALSE, adjust = TRUE)
  V_dk <- vcovPL(fit, cluster = ~state_id, order.by = ~year, lag = L, kernel = "Bartlett",
                 aggregate = TRUE, adjust = TRUE)
  stopifnot(isTRUE(all.equal(unname(V_within), unname(B %*% meat_within(H, d$state_id, L) %*% B * n / (n - k)),
                             tolerance = 1e-10)))
  stopifnot(isTRUE(all.equal(unname(V_dk), unname(B %*% meat_dk(H, d$year, L) %*% B * n / (n - k)),
                             tolerance = 1e-10)))
  covs <- list(
    newey_stacked = list(V = NeweyWest(fit, lag = L, prewhite = FALSE, adjust = TRUE), df = n - k),
    newey_panel = list(V = V_within, df = n - k),
    driscoll_kraay = list(V = V_dk, df = n - k),
    cluster = list(V = vcovCL(fit, cluster = ~state_id, type = "HC1"), df = G - 1)
  )
  b <- coef(fit)
  for (cv in names(covs)) {
    V <- covs[[cv]]$V; df <- covs[[cv]]$df
    add(case, cv, b, V, df)
    slopes <- paste0("xt", trperiods); zslopes <- paste0("zxt", trperiods)
    # post-period trend after the last intervention (itsa posttrend; sums over all interventions)
    W <- rbind(treated = as.numeric(names(b) %in% c("t", "zt", slopes, zslopes)),
               controls = as.numeric(names(b) %in% c("t", slopes)),
               difference = as.numeric(names(b) %in% c("zt", zslopes)))
    est <- drop(W %*% b); names(est) <- paste0("posttrend_", rownames(W))
    add(case, cv, est, W %*% V %*% t(W), df)
  }
  # the single-group model of the treated state alone (itsa cigsale, single treatid(3) ... lag(L))
  s <- d[d$z == 1, ]
  fs <- lm(as.formula(paste("cigsale ~ t +", paste(terms_x, collapse = " + "))), data = s)
  Vs <- NeweyWest(fs, lag = L, prewhite = FALSE, adjust = TRUE)
  add(paste0(case, "_single"), "newey", coef(fs), Vs, nrow(s) - length(coef(fs)))
}

run_case("all_controls", NULL, 1989, 1)
run_case("contid_4_8_19", c(4, 8, 19), 1989, 1)
run_case("two_periods_lag2", NULL, c(1982, 1989), 2)

# itsamatch cigsale, treatid(3) trperiod(1989) pr(0.20) lag(1): the two-state model for every control, p-values
# of z (level difference) and zt (pre-period trend difference), Newey-West on the stacked pair and within state
match_rows <- list()
for (cid in setdiff(sort(unique(d0$state_id)), 3)) {
  d <- d0[d0$state_id %in% c(3, cid), ]
  d$t <- d$year - min(d$year); d$z <- as.numeric(d$state_id == 3); d$zt <- d$z * d$t
  d$x <- as.numeric(d$year >= 1989); d$xt <- (d$year - 1989) * d$x; d$zx <- d$z * d$x; d$zxt <- d$z * d$xt
  fit <- lm(cigsale ~ t + x + xt + z + zt + zx + zxt, data = d)
  df <- nrow(d) - length(coef(fit))
  for (cv in c("newey_stacked", "newey_panel")) {
    V <- if (cv == "newey_stacked") NeweyWest(fit, lag = 1, prewhite = FALSE, adjust = TRUE) else
      vcovPL(fit, cluster = ~state_id, order.by = ~year, lag = 1, kernel = "Bartlett", aggregate = FALSE,
             adjust = TRUE)
    p <- 2 * pt(abs(coef(fit) / sqrt(diag(V))), df, lower.tail = FALSE)
    match_rows[[length(match_rows) + 1]] <- data.frame(state_id = cid, cov = cv, p_level = p[["z"]],
                                                       p_trend = p[["zt"]])
  }
}
write.csv(do.call(rbind, match_rows), file.path(here, "ref_panel_match.csv"), row.names = FALSE)

out <- do.call(rbind, rows)
write.csv(out, file.path(here, "ref_panel.csv"), row.names = FALSE)
cat("wrote", nrow(out), "rows\n")
