# Type III tests of whole terms, as car::Anova(type = "III") reports them for lm, with the
# classical covariance and with sandwich's HC3, on mtcars.csv (cyl and gear, 3 levels each,
# as factors), iris.csv (Species, 3 levels) and chickwts.csv (feed, 6 levels): the reference for
# tests/integration/robust.sh's term tests. Run from datasets/:
#   Rscript r_anova_reference.R > r_anova_reference.tsv
# One line per term: case, term ("(Intercept)", a column's name), df, F, p.
suppressMessages({library(car); library(sandwich)})
out <- c()
emit <- function(case, a) {
  for (t in rownames(a)) {
    if (t == "Residuals") next
    out <<- c(out, sprintf("%s\t%s\t%d\t%.17g\t%.17g", case, t, a[t, "Df"], a[t, "F"],
                           a[t, "Pr(>F)"]))
  }
}
mt <- read.csv("mtcars.csv")
mt$cyl <- factor(mt$cyl); mt$gear <- factor(mt$gear)
m <- lm(mpg ~ cyl + hp + wt + gear, data = mt)
a <- Anova(m, type = "III")
names(a)[names(a) == "F value"] <- "F"
emit("mtcars:classical", a)
emit("mtcars:HC3", Anova(m, type = "III", vcov. = vcovHC(m, type = "HC3")))
ir <- read.csv("iris.csv")
ir$Species <- factor(ir$Species)
mi <- lm(Sepal.Length ~ Sepal.Width + Petal.Length + Petal.Width + Species, data = ir)
a <- Anova(mi, type = "III")
names(a)[names(a) == "F value"] <- "F"
emit("iris:classical", a)
emit("iris:HC3", Anova(mi, type = "III", vcov. = vcovHC(mi, type = "HC3")))
cw <- read.csv("chickwts.csv")
cw$feed <- factor(cw$feed)
mc <- lm(weight ~ feed, data = cw)
a <- Anova(mc, type = "III")
names(a)[names(a) == "F value"] <- "F"
emit("chickwts:classical", a)
emit("chickwts:HC3", Anova(mc, type = "III", vcov. = vcovHC(mc, type = "HC3")))
writeLines(out)
cat(R.version.string, "; car", as.character(packageVersion("car")), "; sandwich",
    as.character(packageVersion("sandwich")), "\n", file = stderr())
