# r_exports.R — CSV files as R users write them (write.csv keeps the row names as a first
# column with an empty header field), and R's own fits and predictions on them, for the
# tests of index columns and of predict with missing values. Run once here:
#   cd datasets/r_exports && Rscript r_exports.R
# (R 4.2.2, Debian r-base-core; the outputs are committed beside this script.)
write.csv(trees, "trees.csv")                           # row names 1..31
write.csv(na.omit(airquality), "airquality_na_omit.csv")  # row names 1,2,3,4,7,... (gaps)
write.csv(airquality, "airquality.csv")                 # row names 1..153, NA values
write.csv(mtcars, "mtcars.csv")                         # character row names ("Mazda RX4")

# the fits the tests compare with: lm() on the data as R holds them (no row names)
out <- c()
fit <- function(name, f, d) {
  m <- lm(f, data = d)
  cf <- coef(m)
  for (i in seq_along(cf)) out <<- c(out, sprintf("%s\t%s\t%.15g", name, names(cf)[i], cf[i]))
  m
}
invisible(fit("trees", Volume ~ ., trees))
invisible(fit("mtcars", mpg ~ ., mtcars))
m <- fit("airquality", Ozone ~ ., airquality)  # na.action = na.omit: rows with an NA left out
writeLines(out, "r_lm_coefficients.tsv")
# predict() on every row: NA where a feature is NA
p <- predict(m, newdata = airquality)
writeLines(ifelse(is.na(p), "NA", sprintf("%.15g", p)), "airquality_predict.txt")
cat(R.version.string, "\n", file = stderr())
