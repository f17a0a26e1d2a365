# The references of tests/integration/formula.sh for orthogonal poly() with missing values:
# R's lm(formula, airquality) (r_exports/airquality.csv is write.csv(airquality)). R takes
# poly() of the model frame's rows before na.omit drops those with a missing value in
# another column, so the polynomial's coefficients come from more rows than are fitted.
# Where the polynomial's own column has a missing value R stops ("missing values are not
# allowed in 'poly'"); linreg_mpi under --missing skip leaves those rows out of the fit
# and of the polynomial: the reference is then lm() on the rows where that column is
# present, which is that rule.
# Run in datasets/: Rscript r_poly_na_reference.R > r_poly_na_reference.tsv
# Lines (tab-separated):
#   case NAME FORMULA ROWS                    ROWS: the rows lm() fitted
#   coef NAME COLUMN ESTIMATE STD_ERROR       every column of model.matrix, in its order
#   poly NAME VARIABLE ALPHA NORM2            attr(, "coefs") of the poly(), '|'-joined
#   predict NAME LINE VALUE                   predict(fit, airquality) on every row (the
#                                             file's line: the row + 1), on the log scale
cases <- list(
  c("aq_response", "log(Ozone) ~ Wind + poly(Temp, 2)", "all"),
  c("aq_other", "log(Ozone) ~ Solar.R + poly(Temp, 2)", "all"),
  c("aq_own", "log(Ozone) ~ Wind + poly(Solar.R, 2)", "Solar.R"))
num <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
out <- "# written by r_poly_na_reference.R (R 4.2.2, Debian r-base-core); the line kinds are described there"
for (cs in cases) {
  name <- cs[1]; f <- as.formula(cs[2])
  d <- if (cs[3] == "all") airquality else airquality[!is.na(airquality[[cs[3]]]), ]
  fit <- lm(f, d)
  s <- coef(summary(fit))
  out <- c(out, paste("case", name, cs[2], nrow(model.frame(fit)), sep = "\t"))
  out <- c(out, paste("coef", name, rownames(s), num(s[, 1]), num(s[, 2]), sep = "\t"))
  mf <- model.frame(fit)
  for (v in names(mf)) {
    cf <- attr(mf[[v]], "coefs")
    if (!is.null(cf))
      out <- c(out, paste("poly", name, v, paste(num(cf$alpha), collapse = "|"),
                          paste(num(cf$norm2), collapse = "|"), sep = "\t"))
  }
  p <- predict(fit, airquality)
  out <- c(out, paste("predict", name, seq_along(p) + 1, num(p), sep = "\t"))
}
writeLines(out)
cat(R.version.string, "\n", file = stderr())
