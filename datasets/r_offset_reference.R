# Least squares with an offset (lm(offset =)) and predict.lm's intervals on swiss and mtcars,
# with and without a formula:
# the reference for tests/integration/offset.sh.
# Run from datasets/: Rscript r_offset_reference.R > r_offset_reference.tsv
# (stdout alone: R's warning that predict.lm assumes a constant prediction variance for the
# weighted fit goes to stderr and must stay out of the file, whose every line the test reads).
# Lines: case, "coef", term, estimate, standard error; case, "fit", the row's fit, lwr, upr
# of predict.lm(interval = "prediction") on the training file (the offset included); case,
# "anova", the F test against the intercept-only fit with the same offset, its p-value
# (R 4.2's summary.lm leaves the offset out of R² and F; anova compares the two fits).
out <- c()
emit <- function(case, m, m0, data) {
  s <- summary(m)$coefficients
  for (t in rownames(s))
    out <<- c(out, sprintf("%s\tcoef\t%s\t%.17g\t%.17g", case, t, s[t, 1], s[t, 2]))
  p <- predict(m, data, interval = "prediction")
  for (i in seq_len(nrow(p)))
    out <<- c(out, sprintf("%s\tfit\t%d\t%.17g\t%.17g\t%.17g", case, i, p[i, 1], p[i, 2], p[i, 3]))
  a <- anova(m0, m)
  out <<- c(out, sprintf("%s\tanova\t%.17g\t%.17g", case, a$F[2], a$`Pr(>F)`[2]))
}
sw <- read.csv("swiss.csv")
emit("swiss", lm(fertility ~ agriculture + examination + education + infant_mortality, sw,
                 offset = catholic), lm(fertility ~ 1, sw, offset = catholic), sw)
mt <- read.csv("mtcars.csv")
emit("mtcars-weights", lm(mpg ~ hp + wt, mt, offset = qsec, weights = drat),
     lm(mpg ~ 1, mt, offset = qsec, weights = drat), mt)
# --formula: the offset taken off the response as the formula makes it (log(mpg) - drat),
# a column both a regressor and the offset (R allows it: qsec's coefficient is one less), and
# a weights column that `. - carb` leaves out of the right-hand side
emit("formula", lm(mpg ~ wt + hp, mt, offset = qsec), lm(mpg ~ 1, mt, offset = qsec), mt)
emit("formula-log", lm(log(mpg) ~ log(hp) + wt + factor(am), mt, offset = drat),
     lm(log(mpg) ~ 1, mt, offset = drat), mt)
emit("formula-shared", lm(mpg ~ wt + qsec, mt, offset = qsec), lm(mpg ~ 1, mt, offset = qsec), mt)
emit("formula-dot-weights", lm(mpg ~ . - carb, mt, weights = carb), lm(mpg ~ 1, mt, weights = carb), mt)
writeLines(out)
