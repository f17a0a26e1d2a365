/* train.c — placeholder until the trainer lands. */
#include "train.h"

int train_run(const struct options *o, struct lr_error *e)
{
    (void)o;
    return lr_fail(e, LR_EUSAGE, "training is not implemented yet");
}
