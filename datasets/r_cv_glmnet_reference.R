# cv.glmnet's cross-validated elastic-net path (gaussian family, standardize = TRUE,
# intercept = TRUE, glmnet's default lambda sequence) on shipped data: the reference for
# tests/integration/cv.sh, which runs `linreg_mpi --cv K --folds column:fold` on the same
# rows with the fold column added (row i, counting from 0, in fold i %% K + 1, glmnet's
# foldid), and `--folds files` on mtcars split into three files (foldid: the file). Converged to thresh = 1e-24 (glmnet's own test stops on the squared change, so
# thresh = 1e-14 leaves coefficients about 3e-6 from the optimum).
# Run from datasets/: Rscript r_cv_glmnet_reference.R > r_cv_glmnet_reference.tsv
# Per case, tab-separated: "case lambda VALUE cvm cvsd" per lambda; "case choice min 1se";
# "case coef.min b w1 w2 ..." and "case coef.1se ..." (the intercept, then the
# coefficients on the data's scale, in the columns' order); for one case also
# "case path b w1 w2 ..." per lambda, coef() along the whole data's path.
suppressMessages(library(glmnet))
out <- c()
run <- function(case, x, y, alpha, K, weights = NULL,
                foldid = (seq_len(nrow(x)) - 1) %% K + 1, path = FALSE) {
  f <- cv.glmnet(x, y, foldid = foldid, alpha = alpha, weights = weights, standardize = TRUE,
                 thresh = 1e-24, maxit = 1e8)
  for (k in seq_along(f$lambda))
    out <<- c(out, sprintf("%s\tlambda\t%.17g\t%.17g\t%.17g", case, f$lambda[k], f$cvm[k],
                           f$cvsd[k]))
  out <<- c(out, sprintf("%s\tchoice\t%.17g\t%.17g", case, f$lambda.min, f$lambda.1se))
  for (s in c("lambda.min", "lambda.1se"))
    out <<- c(out, sprintf("%s\tcoef.%s\t%s", case, sub("lambda.", "", s),
                           paste(sprintf("%.17g", as.matrix(coef(f, s = s))[, 1]),
                                 collapse = " ")))
  if (path) {  # coef() of the whole data's fit at every lambda of the path
    B <- as.matrix(coef(f$glmnet.fit))
    for (k in seq_len(ncol(B)))
      out <<- c(out, sprintf("%s\tpath\t%s", case,
                             paste(sprintf("%.17g", B[, k]), collapse = " ")))
  }
}
mt <- read.csv("mtcars.csv")
x <- as.matrix(mt[, names(mt) != "mpg"])
run("mtcars:alpha=1:K=4", x, mt$mpg, 1, 4)
run("mtcars:alpha=0.5:K=5", x, mt$mpg, 0.5, 5, path = TRUE)
run("mtcars:alpha=0:K=4", x, mt$mpg, 0, 4)
run("mtcars-weights-drat:alpha=0.5:K=5", x[, colnames(x) != "drat"], mt$mpg, 0.5, 5,
    weights = mt$drat)
# --folds files: mtcars as three files of rows 1-10, 11-21 and 22-32, each file a fold
run("mtcars-files:alpha=1:K=3", x, mt$mpg, 1, 3, foldid = rep(1:3, c(10, 11, 11)))
sw <- read.csv("swiss.csv")
run("swiss:alpha=1:K=5", as.matrix(sw[, names(sw) != "fertility"]), sw$fertility, 1, 5)
ir <- read.csv("iris.csv", stringsAsFactors = TRUE)
xi <- model.matrix(Sepal.Length ~ ., ir)[, -1]  # treatment contrasts: setosa the reference
run("iris-species:alpha=1:K=3", xi, ir$Sepal.Length, 1, 3)
writeLines(out)
cat(R.version.string, "; glmnet", as.character(packageVersion("glmnet")), "\n", file = stderr())
