# glmnet's elastic-net path (gaussian family, standardize = TRUE, intercept = TRUE, its
# default lambda sequence and early stop) on mtcars.csv and swiss.csv: the reference for
# tests/unit/test_path.c. Run from datasets/: Rscript r_glmnet_reference.R > r_glmnet_reference.tsv
# Each case: one line per lambda: case, lambda, then the intercept and the coefficients on
# the data's own scale, converged to thresh = 1e-24.
suppressMessages(library(glmnet))
out <- c()
emit <- function(case, x, y, alpha, weights = NULL) {
  f <- glmnet(x, y, alpha = alpha, weights = weights, thresh = 1e-24, maxit = 1e8)
  b <- as.matrix(coef(f))
  for (k in seq_along(f$lambda))
    out <<- c(out, sprintf("%s\t%.17g\t%s", case, f$lambda[k],
                           paste(sprintf("%.17g", b[, k]), collapse = " ")))
}
mt <- read.csv("mtcars.csv")
x <- as.matrix(mt[, c("cyl", "disp", "hp", "drat", "wt", "qsec", "vs", "am", "gear", "carb")])
for (a in c(1, 0.5, 0)) emit(sprintf("mtcars:alpha=%g", a), x, mt$mpg, a)
emit("mtcars-weights-drat:alpha=0.5", x[, -4], mt$mpg, 0.5, weights = mt$drat)
sw <- read.csv("swiss.csv")
xs <- as.matrix(sw[, names(sw) != "fertility"])
emit("swiss:alpha=1", xs, sw$fertility, 1)
writeLines(out)
cat(R.version.string, "; glmnet", as.character(packageVersion("glmnet")), "\n", file = stderr())
