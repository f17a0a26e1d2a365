# The formula references: R's terms() and model.matrix() for the formulas below over iris.csv
# and formula_gen.csv (which this script writes first), with poly()'s coefficients.
# Run in datasets/: Rscript r_formula_reference.R > r_formula_reference.tsv
# Lines (tab-separated; lists joined by '|'):
#   case NAME DATASET FORMULA
#   terms NAME INTERCEPT LABELS                   attr(terms, "term.labels"), "intercept"
#   columns NAME NAMES                            colnames(model.matrix()), a level written
#                                                 NAME=LEVEL where R writes NAMELEVEL
#   levels NAME VARIABLE LEVELS                   every factor of the model frame
#   poly NAME VARIABLE ALPHA NORM2                attr(, "coefs") of each orthogonal poly()
#   row NAME LINE SOURCE DESIGN                   a data row (its header order; a factor's
#                                                 value as its 0-based level) and its design row
#   polypredict NAME VARIABLE X VALUES            predict() of the poly at new values
set.seed(20261206)
n <- 40
gen <- data.frame(g = sample(c("a", "b", "c"), n, replace = TRUE),
                  h = sample(c("lo", "hi"), n, replace = TRUE),
                  x1 = round(rnorm(n), 3), x2 = round(runif(n, 0.5, 4), 3),
                  x3 = round(rnorm(n, 1, 2), 3), n = sample(1:4, n, replace = TRUE))
gen$y <- round(exp(0.5 + 0.3 * gen$x1 + 0.2 * log(gen$x2) + (gen$g == "b") * 0.4 +
                   rnorm(n, 0, 0.1)), 4)
write.csv(gen, "formula_gen.csv", row.names = FALSE, quote = FALSE, eol = "\n")

sets <- list(iris = read.csv("iris.csv", stringsAsFactors = TRUE),
             gen = read.csv("formula_gen.csv", stringsAsFactors = TRUE))
cases <- list(
  c("iris_dot", "iris", "Sepal.Length ~ ."),
  c("iris_dot_minus", "iris", "Sepal.Length ~ . - Petal.Width"),
  c("iris_cross", "iris", "Sepal.Length ~ Petal.Length * Species"),
  c("iris_no_margin", "iris", "Sepal.Length ~ Petal.Length:Species"),
  c("iris_factor_no_intercept", "iris", "Sepal.Length ~ Species - 1"),
  c("iris_interaction_no_intercept", "iris", "Sepal.Length ~ Petal.Length:Species - 1"),
  c("iris_log", "iris", "log(Sepal.Length) ~ log(Petal.Length) + I(Sepal.Width^2) + sqrt(Petal.Width)"),
  c("iris_poly", "iris", "Sepal.Length ~ poly(Sepal.Width, 3) + Species"),
  c("iris_poly_raw", "iris", "Sepal.Length ~ poly(Petal.Length, 2, raw = TRUE) * Species"),
  c("iris_power", "iris", "Sepal.Length ~ (Sepal.Width + Petal.Length + Petal.Width)^2"),
  c("gen_ff", "gen", "y ~ g * h"),
  c("gen_ff_only", "gen", "y ~ g:h"),
  c("gen_power_mixed", "gen", "y ~ (g + h + x1)^2"),
  c("gen_nnn", "gen", "y ~ x1 * x2 * x3"),
  c("gen_log_dot", "gen", "log(y) ~ . - x3"),
  c("gen_nested", "gen", "y ~ g + g:x1"),
  c("gen_three_way", "gen", "y ~ x1:g:h"),
  c("gen_factor_calls", "gen", "y ~ factor(n) + C(g) + x1"),
  c("gen_zero", "gen", "y ~ 0 + g:h + x1"),
  c("gen_slash", "gen", "y ~ g/x1"),
  c("gen_functions", "gen", "y ~ log10(x2) + log2(x2) + log1p(x2) + exp(x1) + abs(x3) + I(x1 * x2 - 3) + I(1/x2)"),
  c("gen_numeric_no_intercept", "gen", "y ~ x1 + x1:x2 - 1"),
  c("gen_appearance", "gen", "y ~ x3:x1 + x2 + x1"),
  c("gen_reversed", "gen", "y ~ h:g + x1"),
  c("gen_leading_minus", "gen", "y ~ -1 + x1 + g"),
  c("gen_poly_factor", "gen", "sqrt(y) ~ poly(x1, 2):g + poly(x2, 2, raw = TRUE) + I((x3 + 1)^2)"),
  c("gen_relevel", "gen", "y ~ relevel(g, ref = 'b') * x1 + relevel(factor(n), \"3\")"),
  c("iris_relevel", "iris", "Sepal.Length ~ relevel(Species, ref = \"virginica\"):Petal.Width"),
  c("gen_dot_power", "gen", "y ~ .^2 - n - x3"),
  c("iris_dot_log", "iris", "log(Sepal.Length) ~ . + log(Petal.Width) - Sepal.Width"))

j <- function(x) paste(x, collapse = "|")
num <- function(x) sprintf("%.17g", x)
out <- "# written by r_formula_reference.R (R 4.2.2, Debian r-base-core); the line kinds are described there"
for (cs in cases) {
  name <- cs[1]; d <- sets[[cs[2]]]; f <- as.formula(cs[3])
  tt <- terms(f, data = d)
  mf <- model.frame(f, d)
  mm <- model.matrix(f, d)
  fac <- names(mf)[vapply(mf, is.factor, TRUE)]
  cn <- vapply(strsplit(colnames(mm), ":", fixed = TRUE), function(parts) {
    j2 <- vapply(parts, function(p) {
      for (v in fac) for (l in levels(mf[[v]])) if (p == paste0(v, l)) return(paste0(v, "=", l))
      p
    }, "")
    paste(j2, collapse = ":")
  }, "")
  out <- c(out, paste("case", name, cs[2], cs[3], sep = "\t"),
           paste("terms", name, attr(tt, "intercept"), j(attr(tt, "term.labels")), sep = "\t"),
           paste("columns", name, j(cn), sep = "\t"))
  for (v in fac) out <- c(out, paste("levels", name, v, j(levels(mf[[v]])), sep = "\t"))
  for (v in names(mf)) {
    cf <- attr(mf[[v]], "coefs")
    if (!is.null(cf)) out <- c(out, paste("poly", name, v, j(num(cf$alpha)), j(num(cf$norm2)), sep = "\t"))
  }
  for (i in c(1, 2, 17, nrow(d))) {
    src <- vapply(d[i, ], function(x) if (is.factor(x)) as.integer(x) - 1 else as.numeric(x), 0)
    out <- c(out, paste("row", name, i + 1, j(num(src)), j(num(mm[i, ])), sep = "\t"))
  }
}
p <- poly(sets$iris$Sepal.Length, 3)
newx <- c(4, 5.55, 8.5, 10)
pr <- predict(p, newx)
for (k in seq_along(newx))
  out <- c(out, paste("polypredict", "iris_sl3", "poly(Sepal.Length, 3)", num(newx[k]), j(num(pr[k, ])), sep = "\t"))
out <- c(out, paste("poly", "iris_sl3", "poly(Sepal.Length, 3)", j(num(attr(p, "coefs")$alpha)), j(num(attr(p, "coefs")$norm2)), sep = "\t"))
writeLines(out)
cat(R.version.string, "\n", file = stderr())
