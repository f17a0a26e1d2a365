# glmnet's elastic-net path (gaussian family, standardize = TRUE, intercept = TRUE, its
# default lambda sequence and early stop) and cv.glmnet's cross-validation of it on
# mtcars.csv and swiss.csv: the reference for tests/unit/test_path.c.
# Run from datasets/: Rscript r_glmnet_reference.R > r_glmnet_reference.tsv
# A path: one line per lambda: case, lambda, then the intercept and the coefficients on the
# data's own scale, converged to thresh = 1e-24. A cross-validation (case "cv:..."; folds
# given as foldid, row i in fold (i - 1) %% K + 1): one line per lambda: case, lambda, cvm,
# cvsd; then "case<TAB>choice<TAB>lambda.min lambda.1se".
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
cv <- function(case, x, y, alpha, K, weights = NULL) {
  foldid <- rep(seq_len(K), length.out = nrow(x))
  f <- cv.glmnet(x, y, foldid = foldid, alpha = alpha, weights = weights, thresh = 1e-24,
                 maxit = 1e8)
  stopifnot(isTRUE(f$grouped) || is.null(f$grouped))
  for (k in seq_along(f$lambda))
    out <<- c(out, sprintf("%s\t%.17g\t%.17g\t%.17g", case, f$lambda[k], f$cvm[k], f$cvsd[k]))
  out <<- c(out, sprintf("%s\tchoice\t%.17g %.17g", case, f$lambda.min, f$lambda.1se))
}
cv("cv:mtcars:alpha=1:K=4", x, mt$mpg, 1, 4)
cv("cv:mtcars-weights-drat:alpha=0.5:K=5", x[, -4], mt$mpg, 0.5, 5, weights = mt$drat)
cv("cv:swiss:alpha=1:K=5", xs, sw$fertility, 1, 5)
writeLines(out)
cat(R.version.string, "; glmnet", as.character(packageVersion("glmnet")), "\n", file = stderr())
