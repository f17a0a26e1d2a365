# Wald F tests that a robust covariance cannot give, with R's sandwich and car, on
# mtcars.csv: the reference for the NA cases of tests/integration/robust.sh.
# Run from datasets/: Rscript r_robust_na_reference.R > r_robust_na_reference.tsv
# Each case: one line per coefficient (its standard error; NA where sandwich gives NaN),
# one line per term and one for all terms but the intercept ("(all)"): q, the rank of the
# coefficients' covariance (the QR rank of its correlation matrix, tolerance 1e-10; 0 where
# it is not finite), and car::linearHypothesis's F (NA where solve() refuses). Where the
# rank is below q the covariance is singular there and F is rounding noise (R prints it,
# e.g. 1e16, when solve()'s reciprocal condition test lets it through): NA is expected.
suppressMessages({library(sandwich); library(car)})
out <- c()
emit <- function(case, m, V) {
  b <- coef(m)
  se <- suppressWarnings(sqrt(diag(V)))
  for (t in names(b))
    out <<- c(out, sprintf("%s\tse\t%s\t%s", case, t, if (is.finite(se[[t]])) sprintf("%.17g", se[[t]]) else "NA"))
  asg <- attr(model.matrix(m), "assign")
  labels <- c("(Intercept)", attr(terms(m), "term.labels"))
  tests <- c(lapply(seq_along(labels), function(i) which(asg == i - 1)), list(which(asg > 0)))
  names(tests) <- c(labels, "(all)")
  for (t in names(tests)) {
    idx <- tests[[t]]
    Vq <- V[idx, idx, drop = FALSE]
    rank <- if (all(is.finite(Vq))) qr(cov2cor(Vq), tol = 1e-10)$rank else 0
    L <- diag(length(b))[idx, , drop = FALSE]
    f <- tryCatch(suppressWarnings(linearHypothesis(m, L, vcov. = V, test = "F")$F[2]),
                  error = function(e) NA)
    out <<- c(out, sprintf("%s\ttest\t%s\t%d\t%d\t%s", case, t, length(idx), rank,
                           if (is.finite(f)) sprintf("%.17g", f) else "NA"))
  }
}
mt <- read.csv("mtcars.csv")
m <- lm(mpg ~ factor(cyl) + wt, data = mt)
emit("cyl+wt:cluster:am", m, vcovCL(m, cluster = ~am))  # 2 clusters for 3 coefficients
emit("cyl+wt:cluster:cyl", m, vcovCL(m, cluster = ~cyl))  # the cyl levels' scores sum to 0
mw <- lm(mpg ~ factor(gear) * wt + poly(hp, 2) + log(disp), data = mt, weights = carb)
emit("gear*wt:weights-carb:cluster:cyl", mw, vcovCL(mw, cluster = ~cyl))
m <- lm(mpg ~ factor(carb) + wt, data = mt)  # carb 6 and 8: one car each, leverage 1
emit("carb+wt:HC3", m, suppressWarnings(vcovHC(m, type = "HC3")))
emit("carb+wt:HC2", m, suppressWarnings(vcovHC(m, type = "HC2")))
emit("carb+wt:HC1", m, vcovHC(m, type = "HC1"))
writeLines(out)
