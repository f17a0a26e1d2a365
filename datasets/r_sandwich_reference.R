# Robust and clustered standard errors with R's sandwich package (vcovHC, vcovCL with
# their defaults) on swiss.csv and mtcars.csv: the reference for tests/integration/robust.sh.
# Run from datasets/: Rscript r_sandwich_reference.R > r_sandwich_reference.tsv
# Each case: one line per term (estimate, standard error) and one line with the whole
# covariance matrix, row-major, intercept first (NA for an aliased coefficient).
suppressMessages(library(sandwich))
out <- c()
emit <- function(case, m, V) {
  b <- coef(m); full <- matrix(NA_real_, length(b), length(b), dimnames = list(names(b), names(b)))
  full[rownames(V), colnames(V)] <- V
  for (t in names(b))
    out <<- c(out, sprintf("%s\t%s\t%.17g\t%.17g", case, t, b[[t]], sqrt(full[t, t])))
  out <<- c(out, sprintf("%s\t(vcov)\t%s", case, paste(sprintf("%.17g", t(full)), collapse = " ")))
}
sw <- read.csv("swiss.csv")
m <- lm(fertility ~ ., data = sw)
for (type in c("HC0", "HC1", "HC2", "HC3")) emit(paste0("swiss:", type), m, vcovHC(m, type = type))
# an aliased column (twice education): R's lm gives it NA, sandwich leaves it out
sw$education2 <- 2 * sw$education
ma <- lm(fertility ~ agriculture + examination + education + catholic + infant_mortality + education2, data = sw)
emit("swiss-aliased:HC3", ma, vcovHC(ma, type = "HC3"))
mt <- read.csv("mtcars.csv")
m <- lm(mpg ~ wt + hp + qsec, data = mt)
emit("mtcars:HC3", m, vcovHC(m, type = "HC3"))
emit("mtcars:cluster:cyl", m, vcovCL(m, cluster = ~cyl))
emit("mtcars:cluster:cyl,gear", m, vcovCL(m, cluster = ~cyl + gear))
mw <- lm(mpg ~ wt + hp + qsec, data = mt, weights = drat)
emit("mtcars-weights-drat:HC2", mw, vcovHC(mw, type = "HC2"))
emit("mtcars-weights-drat:cluster:cyl,gear", mw, vcovCL(mw, cluster = ~cyl + gear))
writeLines(out)
cat(R.version.string, "; sandwich", as.character(packageVersion("sandwich")), "\n", file = stderr())
