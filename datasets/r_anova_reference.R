# Type III tests of whole terms, as car::Anova(type = "III") reports them for lm, with the
# classical covariance and with sandwich's HC3, on mtcars.csv (cyl and gear, 3 levels each,
# as factors), iris.csv (Species, 3 levels) and chickwts.csv (feed, 6 levels): the reference for
# tests/integration/robust.sh's term tests. Run from datasets/:
#   Rscript r_anova_reference.R > r_anova_reference.tsv
# One line per term: case, term ("(Intercept)", a column's name), df, F, p.
suppressMessages({library(car); library(sandwich)})
out <- c()
# both tables of model m: the classical and the HC3 covariance
emit <- function(data, m) {
  for (cov in c("classical", "HC3")) {
    a <- if (cov == "classical") Anova(m, type = "III")
         else Anova(m, type = "III", vcov. = vcovHC(m, type = "HC3"))
    names(a)[names(a) == "F value"] <- "F"
    for (t in setdiff(rownames(a), "Residuals"))
      out <<- c(out, sprintf("%s:%s\t%s\t%d\t%.17g\t%.17g", data, cov, t, a[t, "Df"],
                             a[t, "F"], a[t, "Pr(>F)"]))
  }
}
mt <- read.csv("mtcars.csv")
mt$cyl <- factor(mt$cyl); mt$gear <- factor(mt$gear)
emit("mtcars", lm(mpg ~ cyl + hp + wt + gear, data = mt))
ir <- read.csv("iris.csv")
ir$Species <- factor(ir$Species)
emit("iris", lm(Sepal.Length ~ Sepal.Width + Petal.Length + Petal.Width + Species, data = ir))
cw <- read.csv("chickwts.csv")
cw$feed <- factor(cw$feed)
emit("chickwts", lm(weight ~ feed, data = cw))
writeLines(out)
cat(R.version.string, "; car", as.character(packageVersion("car")), "; sandwich",
    as.character(packageVersion("sandwich")), "\n", file = stderr())
