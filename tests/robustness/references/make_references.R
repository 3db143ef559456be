# Reference values for tests/robustness/test_breaks.py, computed with strucchange (Zeileis et al. 2002).
# Run from this folder:  Rscript make_references.R
# Writes: break_series.csv (the input series), fstats.csv (Chow F sequence), supf.csv (sup-F and the
# Hansen 1997 p-value from sctest), breakpoints.csv (Bai-Perron optimal partitions, RSS, BIC for m = 0..M).
suppressPackageStartupMessages(library(strucchange))

set.seed(20140808)
n <- 120
t <- 0:(n - 1)
e <- as.numeric(arima.sim(list(ar = 0.3), n = n))
series <- list(
  # level +4 and slope +0.1 from position 80 (0-based), i.e. the first segment is observations 1..80
  shift = 10 + 0.03 * t + ifelse(t >= 80, 4 + 0.1 * (t - 80), 0) + 1.5 * e,
  # no break
  flat = 10 + 0.03 * t + 1.5 * rnorm(n),
  # two breaks (level only), at 40 and 85
  two = 5 + 0.0 * t + ifelse(t >= 40, 6, 0) + ifelse(t >= 85, -5, 0) + rnorm(n)
)
inp <- do.call(rbind, lapply(names(series), function(s) data.frame(series = s, t = t, y = series[[s]])))
write.csv(inp, "break_series.csv", row.names = FALSE)

fst <- list(); sup <- list(); bps <- list()
for (s in names(series)) {
  y <- series[[s]]
  fs <- Fstats(y ~ t, from = 0.15)
  # breakpoint i: the first regime is observations 1..i (1-based), so the new regime starts at 0-based i
  bp_i <- round(as.numeric(time(fs$Fstats)) * n)
  fst[[s]] <- data.frame(series = s, breakpoint = bp_i, f = as.numeric(fs$Fstats))
  tst <- sctest(fs, type = "supF")
  sup[[s]] <- data.frame(series = s, from = min(bp_i), to = max(bp_i), sup_f = unname(tst$statistic),
                         p_hansen = tst$p.value, argmax = fs$breakpoint)
  bp <- breakpoints(y ~ t, h = 0.15)
  sm <- summary(bp)
  M <- ncol(sm$RSS) - 1
  for (m in 0:M) {
    b <- if (m == 0) integer(0) else breakpoints(bp, breaks = m)$breakpoints
    bps[[paste(s, m)]] <- data.frame(series = s, m = m, h = floor(0.15 * n), breakpoints = paste(b, collapse = " "),
                                     rss = sm$RSS["RSS", m + 1], bic = sm$RSS["BIC", m + 1])
  }
}
write.csv(do.call(rbind, fst), "fstats.csv", row.names = FALSE)
write.csv(do.call(rbind, sup), "supf.csv", row.names = FALSE)
write.csv(do.call(rbind, bps), "breakpoints.csv", row.names = FALSE)
cat("strucchange", as.character(packageVersion("strucchange")), "\n")

# Hansen (1997) approximation of the asymptotic sup-F p-value (Andrews 1993 limit) for 2 restrictions and
# trimming 0.15, as used by sctest(), on a grid of statistics
lambda <- ((1 - 0.15) * 0.85) / (0.15 * (1 - 0.85))
grid <- c(4, 6, 8, 10, 12, 14, 16)
write.csv(data.frame(f = grid, k = 2, trim = 0.15,
                     p_hansen = sapply(grid, function(f) strucchange:::pvalue.Fstats(f, type = "supF", k = 2,
                                                                                   lambda = lambda))),
          "hansen_pvalues.csv", row.names = FALSE)
