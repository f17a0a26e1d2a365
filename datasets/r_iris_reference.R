# r_iris_reference.R — R's lm(Sepal.Length ~ ., iris): the reference figures for
# datasets/iris.csv in datasets/README.md (run once with R 4.2.2; tests do not call R).
#   Rscript datasets/r_iris_reference.R
m <- lm(Sepal.Length ~ ., data = iris)
s <- summary(m)
cat(sprintf("%-20s %.15g %.15g\n", rownames(s$coefficients), s$coefficients[, 1],
            s$coefficients[, 2]), sep = "")
cat(sprintf("R2 %.15g\n", s$r.squared))
