out <- c()
for (f in c("trees.csv", "stackloss.csv", "swiss.csv", "longley.csv")) {
  d <- read.csv(f)
  m <- lm(as.formula(paste(names(d)[ncol(d)], "~ .")), data = d)
  s <- summary(m)
  cf <- s$coefficients; ci <- confint(m)
  for (i in seq_len(nrow(cf))) {
    term <- rownames(cf)[i]
    out <- c(out, sprintf("%s\t%s\t%.15g\t%.15g\t%.15g\t%.15g\t%.15g\t%.15g", f, term, cf[i,1], cf[i,2], cf[i,3], cf[i,4], ci[i,1], ci[i,2]))
  }
  fs <- s$fstatistic
  out <- c(out, sprintf("%s\t(fit)\tsigma=%.15g df=%d r2=%.15g adj_r2=%.15g F=%.15g F_p=%.15g logLik=%.15g AIC=%.15g BIC=%.15g", f,
     s$sigma, m$df.residual, s$r.squared, s$adj.r.squared, fs[1], pf(fs[1], fs[2], fs[3], lower.tail=FALSE), as.numeric(logLik(m)), AIC(m), BIC(m)))
  m0 <- lm(as.formula(paste(names(d)[ncol(d)], "~ . - 1")), data = d)
  s0 <- summary(m0); cf0 <- s0$coefficients; fs0 <- s0$fstatistic; ci0 <- confint(m0)
  for (i in seq_len(nrow(cf0))) out <- c(out, sprintf("%s:no-intercept\t%s\t%.15g\t%.15g\t%.15g\t%.15g\t%.15g\t%.15g", f, rownames(cf0)[i], cf0[i,1], cf0[i,2], cf0[i,3], cf0[i,4], ci0[i,1], ci0[i,2]))
  out <- c(out, sprintf("%s:no-intercept\t(fit)\tsigma=%.15g df=%d r2=%.15g adj_r2=%.15g F=%.15g F_p=%.15g logLik=%.15g AIC=%.15g BIC=%.15g", f,
     s0$sigma, m0$df.residual, s0$r.squared, s0$adj.r.squared, fs0[1], pf(fs0[1], fs0[2], fs0[3], lower.tail=FALSE), as.numeric(logLik(m0)), AIC(m0), BIC(m0)))
}
writeLines(out)
cat(R.version.string, "\n", file=stderr())
