# The reference of tests/integration/formula.sh for levels of rows left out: R's lm(formula,
# data) over formula_levels.csv, which this script writes first. Four of its rows have a
# negative x, whose log() R makes NaN (na.omit drops the row, as --on-bad-row skip does),
# one a missing x (NA: dropped, as --missing skip does); model.frame(drop.unused.levels =
# TRUE) then drops the levels no fitted row holds: c's 'zz' (only in rows log() cannot
# take) and 'w' (only in the row with the missing x), g's 'p' (its first level, the
# reference, so 'q' becomes it) and factor(k)'s 7; c's 'd' stays, held by rows near the
# end of the file while its row near the start is dropped (a level kept by one rank's rows
# and only dropped by another's).
# Run in datasets/: Rscript r_formula_levels_reference.R > r_formula_levels_reference.tsv
# Lines (tab-separated):
#   case NAME FORMULA
#   coef NAME COLUMN ESTIMATE STD_ERROR       every column of model.matrix, in its order, a
#                                             level written NAME=LEVEL where R writes
#                                             NAMELEVEL
set.seed(20261208)
n <- 36
c <- sample(c("a", "b"), n, replace = TRUE)
g <- sample(c("q", "r"), n, replace = TRUE)
k <- sample(1:3, n, replace = TRUE)
x <- round(runif(n, 0.5, 6), 3)
c[c(2, 5, 20)] <- c("d", "zz", "zz")   # rows dropped by log(): 2, 5, 11, 20
c[c(30, 34)] <- "d"
g[c(2, 5, 11, 20)] <- "p"
k[11] <- 7
x[c(2, 5, 11, 20)] <- -round(runif(4, 0.5, 3), 3)
c[27] <- "w"                            # the row with the missing x
d <- data.frame(c = c, g = g, k = k, x = x)
d$y <- round(1 + (c == "b") * 0.8 + (c == "d") * 1.5 + (g == "r") * 0.6 + k * 0.3 +
             1.2 * log(abs(x)) + rnorm(n, 0, 0.3), 4)
d$x[27] <- NA
write.csv(d, "formula_levels.csv", row.names = FALSE, quote = FALSE, na = "", eol = "\n")

d <- read.csv("formula_levels.csv", stringsAsFactors = TRUE)
cases <- list(
  c("lv_add", "y ~ c + log(x)"),
  c("lv_cross", "y ~ c * log(x) + g"),
  c("lv_margin", "y ~ log(x):c + g + factor(k)"),
  c("lv_pairs", "y ~ 0 + c:g + log(x)"))
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
out <- "# written by r_formula_levels_reference.R (R 4.2.2, Debian r-base-core); the line kinds are described there"
for (cs in cases) {
  fit <- suppressWarnings(lm(as.formula(cs[2]), d))   # "NaNs produced" by log()
  mf <- model.frame(fit)
  fac <- names(mf)[vapply(mf, is.factor, TRUE)]
  cn <- vapply(strsplit(names(coef(fit)), ":", fixed = TRUE), function(parts) {
    j2 <- vapply(parts, function(p) {
      for (v in fac) for (l in levels(mf[[v]])) if (p == paste0(v, l)) return(paste0(v, "=", l))
      p
    }, "")
    paste(j2, collapse = ":")
  }, "")
  s <- coef(summary(fit))
  out <- c(out, paste("case", cs[1], cs[2], sep = "\t"))
  out <- c(out, paste("coef", cs[1], cn, num(coef(fit)), num(s[names(coef(fit)), 2]), sep = "\t"))
}
writeLines(out)
cat(R.version.string, "\n", file = stderr())
