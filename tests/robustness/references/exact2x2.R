# Reference values for externalize.robustness.exact2x2 (ratio of rate ratios on a 2x2 table of counts)
# and externalize.robustness.multiplicity.holm, from base R's fisher.test and p.adjust.
#   Rscript tests/robustness/references/exact2x2.R   (writes exact2x2.csv and holm.csv beside this file)
# Table rows: clash, external; columns: post, pre.
args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("--file=", "", args[grep("--file=", args)])))
cases <- data.frame(
  case = c("balanced", "clash_fell", "zero_clash_post", "zero_external_pre", "large", "yearly_like",
           "two_zeros", "small"),
  a = c(10, 3, 0, 40, 503, 179, 0, 1),
  b = c(12, 30, 7, 12, 3, 3, 5, 2),
  c = c(9, 20, 25, 30, 170, 95, 8, 3),
  d = c(11, 10, 20, 0, 44, 49, 0, 1))
out <- do.call(rbind, lapply(seq_len(nrow(cases)), function(i) {
  r <- cases[i, ]
  m <- matrix(c(r$a, r$c, r$b, r$d), nrow = 2)   # rows clash/external, cols post/pre
  ft <- fisher.test(m, conf.level = 0.95)
  ft90 <- fisher.test(m, conf.level = 0.90)
  data.frame(case = r$case, a = r$a, b = r$b, c = r$c, d = r$d, estimate = unname(ft$estimate),
             ci_low = ft$conf.int[1], ci_high = ft$conf.int[2], p_value = ft$p.value,
             ci90_low = ft90$conf.int[1], ci90_high = ft90$conf.int[2])
}))
write.csv(out, file.path(here, "exact2x2.csv"), row.names = FALSE)
p <- c(0.01, 0.04, 0.03, 0.005, NA, 0.5)
write.csv(data.frame(p = p, holm = p.adjust(p, method = "holm")), file.path(here, "holm.csv"),
          row.names = FALSE)
cat(R.version.string, "\n")
