# The references of tests/integration/formula.sh: R's lm(formula, data) for the formulas
# below over iris.csv and formula_gen.csv (r_formula_reference.R writes it), and predict()
# of a few of the fits on formula_new.csv, which this script writes first.
# Run in datasets/: Rscript r_formula_lm_reference.R > r_formula_lm_reference.tsv
# Lines (tab-separated):
#   case NAME DATASET FORMULA [WEIGHTS]       WEIGHTS: the column of lm(weights = )
#   coef NAME COLUMN ESTIMATE STD_ERROR       every column of model.matrix, in its order, a
#                                             level written NAME=LEVEL where R writes
#                                             NAMELEVEL; NA where R aliases the column
#   predict NAME LINE VALUE                   predict(fit, formula_new.csv) on the line
#                                             (the formula's scale: log(y) ~ ... gives log(y))
#   evaluate NAME ROWS MSE MAE                the response (on the formula's scale) against
#                                             those predictions
#   anova NAME TERM DF F P                    car::Anova(type = "III") of the fits predicted
#                                             (the formula's terms; car 3.1.1)
set.seed(20261207)
m <- 12
new <- data.frame(n = sample(1:4, m, replace = TRUE), x3 = round(rnorm(m, 1, 2), 3),
                  g = sample(c("a", "b", "c"), m, replace = TRUE),
                  x1 = round(rnorm(m), 3), x2 = round(runif(m, 0.5, 4), 3),
                  h = sample(c("lo", "hi"), m, replace = TRUE))
new$y <- round(exp(0.5 + 0.3 * new$x1 + 0.2 * log(new$x2) + rnorm(m, 0, 0.1)), 4)
# another column order than the training file's: predict finds the columns by name
write.csv(new, "formula_new.csv", row.names = FALSE, quote = FALSE, eol = "\n")

sets <- list(iris = read.csv("iris.csv", stringsAsFactors = TRUE),
             gen = read.csv("formula_gen.csv", stringsAsFactors = TRUE))
new <- read.csv("formula_new.csv", stringsAsFactors = TRUE)
cases <- list(
  c("iris_dot", "iris", "Sepal.Length ~ ."),
  c("iris_dot_minus", "iris", "Sepal.Length ~ . - Petal.Width"),
  c("iris_cross", "iris", "Sepal.Length ~ Petal.Length * Species"),
  c("iris_no_margin", "iris", "Sepal.Length ~ Petal.Length:Species"),
  c("iris_factor_no_intercept", "iris", "Sepal.Length ~ Species - 1"),
  c("iris_log", "iris", "log(Sepal.Length) ~ log(Petal.Length) + I(Sepal.Width^2) + sqrt(Petal.Width)"),
  c("iris_poly", "iris", "Sepal.Length ~ poly(Sepal.Width, 3) + Species"),
  c("iris_poly_raw", "iris", "Sepal.Length ~ poly(Petal.Length, 2, raw = TRUE) * Species"),
  c("iris_power", "iris", "Sepal.Length ~ (Sepal.Width + Petal.Length + Petal.Width)^2"),
  c("gen_ff", "gen", "y ~ g * h"),
  c("gen_nnn", "gen", "y ~ x1 * x2 * x3"),
  c("gen_log_dot", "gen", "log(y) ~ . - x3"),
  c("gen_nested", "gen", "y ~ g/x1"),
  c("gen_factor_calls", "gen", "y ~ factor(n) + C(g) + x1"),
  c("gen_zero", "gen", "y ~ 0 + g:h + x1"),
  c("gen_functions", "gen", "y ~ log10(x2) + log2(x2 + 1) + log1p(abs(x3)) + exp(x1/2) + I(x1 * x2 - 3) + I(1/x2)"),
  c("gen_numeric_no_intercept", "gen", "y ~ x1 + x1:x2 - 1"),
  c("gen_relevel", "gen", "y ~ relevel(g, ref = 'b') * x1 + relevel(factor(n), \"3\")"),
  c("gen_poly_factor", "gen", "sqrt(y) ~ poly(x1, 2):g + poly(x2, 2, raw = TRUE) + I((x3 + 1)^2)"),
  c("gen_predict", "gen", "log(y) ~ g * x1 + poly(x2, 2) + factor(n) + h + log(x2)"),
  c("gen_weighted", "gen", "log(y) ~ g * x1 + poly(x3, 2)", "n"),
  c("gen_relevel_two", "gen", "y ~ relevel(g, ref = 'b') + x1 + relevel(h, ref = 'lo')"))
predicted <- c("gen_log_dot", "gen_poly_factor", "gen_predict", "gen_relevel")

num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
out <- "# written by r_formula_lm_reference.R (R 4.2.2, Debian r-base-core); the line kinds are described there"
for (cs in cases) {
  name <- cs[1]; d <- sets[[cs[2]]]; f <- as.formula(cs[3])
  w <- if (length(cs) > 3) d[[cs[4]]] else NULL
  fit <- lm(f, d, weights = w)
  mf <- model.frame(fit)
  fac <- names(mf)[vapply(mf, is.factor, TRUE)]
  cn <- vapply(strsplit(names(coef(fit)), ":", fixed = TRUE), function(parts) {
    j2 <- vapply(parts, function(p) {
      for (v in fac) for (l in levels(mf[[v]])) if (p == paste0(v, l)) return(paste0(v, "=", l))
      p
    }, "")
    paste(j2, collapse = ":")
  }, "")
  se <- rep(NA, length(coef(fit)))
  names(se) <- names(coef(fit))
  s <- coef(summary(fit))
  se[rownames(s)] <- s[, 2]
  out <- c(out, paste("case", name, cs[2], cs[3], if (length(cs) > 3) cs[4] else "", sep = "\t"))
  out <- c(out, paste("coef", name, cn, num(coef(fit)), num(se), sep = "\t"))
  if (name %in% predicted) {
    p <- predict(fit, new)
    out <- c(out, paste("predict", name, seq_along(p) + 1, num(p), sep = "\t"))
    r <- model.response(model.frame(f, new)) - p
    out <- c(out, paste("evaluate", name, length(p), num(mean(r^2)), num(mean(abs(r))), sep = "\t"))
    a <- car::Anova(fit, type = "III")
    a <- a[rownames(a) != "Residuals", ]
    out <- c(out, paste("anova", name, rownames(a), a$Df, num(a[["F value"]]), num(a[["Pr(>F)"]]), sep = "\t"))
  }
}
writeLines(out)
cat(R.version.string, "\n", file = stderr())
