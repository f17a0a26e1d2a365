# Confidence and prediction intervals of R's predict.lm(interval = , level = ) on mtcars,
# iris (a factor), a rank-deficient fit (a duplicated column), a weighted fit and a fit
# without intercept: the reference for tests/integration/interval.sh.
# Run from datasets/: Rscript r_predict_interval_reference.R > r_predict_interval_reference.tsv
# Each case: its new data as CSV lines (CASE, "new", then the header and one line per row:
# training rows and rows beyond them), then per interval and level one line per row: CASE,
# interval, level, row (1-based), fit, lwr, upr.
out <- c()
emit <- function(case, m, nd) {
  out <<- c(out, sprintf("%s\tnew\t%s", case, paste(names(nd), collapse = ",")),
            sprintf("%s\tnew\t%s", case, do.call(paste, c(lapply(nd, as.character), sep = ","))))
  for (interval in c("confidence", "prediction"))
    for (level in c(0.95, 0.90)) {
      # a weighted fit: new rows have weight 1, as predict.lm assumes (and warns)
      p <- suppressWarnings(predict(m, newdata = nd, interval = interval, level = level))
      out <<- c(out, sprintf("%s\t%s\t%.2f\t%d\t%.17g\t%.17g\t%.17g", case, interval, level,
                             seq_len(nrow(p)), p[, "fit"], p[, "lwr"], p[, "upr"]))
    }
}
mt <- read.csv("mtcars.csv")
new <- data.frame(wt = c(2.5, 3.2, 5.5, 1.5, 4), hp = c(100, 150, 300, 60, 200),
                  qsec = c(18, 17, 15, 20, 16.5))
emit("mtcars", lm(mpg ~ wt + hp + qsec, data = mt), rbind(mt[, c("wt", "hp", "qsec")], new))
# a duplicated column: R gives wt_copy NA and predicts as if it were 0 (with a warning);
# in the new rows wt_copy = wt, and then rows where it is not (not estimable)
mt$wt_copy <- mt$wt
new$wt_copy <- c(2.5, 3.2, 5.5, 2, 3)
emit("mtcars-duplicate", lm(mpg ~ wt + hp + wt_copy + qsec, data = mt),
     rbind(mt[, c("wt", "hp", "wt_copy", "qsec")], new[, c("wt", "hp", "wt_copy", "qsec")]))
emit("mtcars-weights-drat", lm(mpg ~ wt + hp, data = mt, weights = drat),
     rbind(mt[, c("wt", "hp")], new[, c("wt", "hp")]))
ir <- read.csv("iris.csv", stringsAsFactors = TRUE)
newi <- data.frame(Sepal.Width = c(3, 2.8, 3.1, 3.6, 2), Petal.Length = c(1.5, 4.5, 5.8, 6.5, 3),
                   Petal.Width = c(0.2, 1.4, 2.2, 0.5, 1),
                   Species = factor(c("setosa", "versicolor", "virginica", "setosa", "virginica"),
                                    levels = levels(ir$Species)))
emit("iris", lm(Sepal.Length ~ ., data = ir), rbind(ir[seq(1, 150, by = 7), -1], newi))
tr <- read.csv("trees.csv")
emit("trees-no-intercept", lm(Volume ~ Girth + Height - 1, data = tr),
     rbind(tr[, 1:2], data.frame(Girth = c(10, 25), Height = c(60, 90))))
writeLines(out)
cat(R.version.string, "\n", file = stderr())
