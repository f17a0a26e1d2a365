# The most influential rows with R's cooks.distance, hatvalues and rstandard on mtcars,
# swiss and iris: the reference for the influence part of tests/integration/diagnostics.sh.
# Run from datasets/: Rscript r_influence_reference.R > r_influence_reference.tsv
# Each line: case, rank (1 = largest Cook's distance), the row (1-based, in file order),
# Cook's distance, leverage, studentized residual; ten per case (mtcars_w: weights drat, as
# cooks.distance weighs residuals, sqrt(w) e; mtcars_0: without intercept). Then, as case
# "mtcars-rows", every row of the mtcars fit in file order with, after those, its fitted
# value, residual and normal quantile (qqnorm of the studentized residuals): the rows of
# --diagnostics-sample. Last, as case "lev1", lm(mpg ~ factor(carb) + wt): carb 6 and 8 have
# one car each (rows 30 and 31), fitted alone, of leverage 1 (hatvalues 1, cooks.distance
# and rstandard NaN): its ten, then as "lev1-rows" every row as "mtcars-rows" gives them
# (qqnorm leaves the NaN out), NaN written "nan".
out <- c()
emit <- function(case, m) {
  d <- cooks.distance(m); h <- hatvalues(m); r <- rstandard(m)
  o <- order(-d, seq_along(d))[1:10]
  for (a in seq_along(o))
    out <<- c(out, sprintf("%s\t%d\t%d\t%.17g\t%.17g\t%.17g", case, a, o[a], d[[o[a]]],
                           h[[o[a]]], r[[o[a]]]))
}
mt <- read.csv("mtcars.csv")
m <- lm(mpg ~ hp + wt + qsec, data = mt)
emit("mtcars", m)
emit("mtcars_w", lm(mpg ~ hp + wt + qsec, data = mt, weights = drat))
emit("mtcars_0", lm(mpg ~ 0 + hp + wt + qsec, data = mt))
emit("swiss", lm(fertility ~ ., data = read.csv("swiss.csv")))
ir <- read.csv("iris.csv")
emit("iris", lm(Sepal.Length ~ Sepal.Width + Petal.Length + Petal.Width + Species, data = ir))
d <- cooks.distance(m); h <- hatvalues(m); r <- rstandard(m); q <- qqnorm(r, plot.it = FALSE)$x
for (i in seq_along(d))
  out <- c(out, sprintf("mtcars-rows\t%d\t%d\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g", i, i,
                        d[[i]], h[[i]], r[[i]], fitted(m)[[i]], resid(m)[[i]], q[[i]]))
lv <- lm(mpg ~ factor(carb) + wt, data = mt)
emit("lev1", lv)
d <- cooks.distance(lv); h <- hatvalues(lv); r <- rstandard(lv); q <- qqnorm(r, plot.it = FALSE)$x
for (i in seq_along(d))
  out <- c(out, gsub("NaN|NA", "nan",
                     sprintf("lev1-rows\t%d\t%d\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g\t%.17g", i, i,
                             d[[i]], h[[i]], r[[i]], fitted(lv)[[i]], resid(lv)[[i]], q[[i]])))
writeLines(out)
