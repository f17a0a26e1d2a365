/*
 * comm.h — the thin seam over MPI.
 *
 * Every collective the project makes goes through here, so the core modules stay
 * MPI-free and unit tests can run them serially (a singleton MPI job is one rank).
 * Owns nothing but MPI_COMM_WORLD's rank and size. Never exits, except lr_fatal paths.
 */
#ifndef LINREG_COMM_H
#define LINREG_COMM_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

void comm_init(int *argc, char ***argv);
void comm_finalize(void);
int comm_rank(void);
/* "rank R on host H" into buf: where a rank's own failure happened (in a job across
   nodes an input may be missing on one of them only). */
const char *comm_where(char *buf, size_t cap);
int comm_size(void);
int comm_node_size(void);       /* ranks on this rank's node (sharing its memory) */
double comm_node_sum(double v); /* sum over the ranks of this node */
/* Collective: the ranks of this node (this one included) that may run on any of the cores
   in mine (this rank's affinity). */
int comm_node_sharers(const cpu_set_t *mine);
double comm_wtime(void);
/* The MPI the program was compiled against (mpi.h) and the one it runs with (the first line
   of MPI_Get_library_version); returns 0 when they are known to differ. */
int comm_mpi_versions(char *built, size_t built_cap, char *running, size_t running_cap);

/*
 * Make every rank agree on the outcome of a phase, so that no rank exits while another
 * waits in a collective: returns the agreed code (LR_OK when no rank failed). When some
 * rank failed, the error reported is the
 * lowest rank's among those without a line, else the lowest rank's: the one earliest in
 * the file, since ranks hold consecutive ranges. It is copied into *e on every rank, so
 * every rank exits with the same code and rank 0 can print it.
 */
int comm_agree(struct lr_error *e);

void comm_sum(double *buf, int n);                  /* in-place Allreduce SUM */
void comm_min(double *buf, int n);                  /* in-place Allreduce MIN */
void comm_max(double *buf, int n);                  /* in-place Allreduce MAX */
int64_t comm_sum_i64(int64_t v);
void comm_sum_u64(uint64_t *buf, int n);             /* in-place, wrapping */
int64_t comm_max_i64(int64_t v);
int64_t comm_min_i64(int64_t v);
int64_t comm_exscan_i64(int64_t v);                 /* sum over lower ranks; 0 on rank 0 */
void comm_bcast(void *buf, size_t n, int root);     /* bytes */
void comm_allgather(const void *send, void *recv, size_t n);  /* n bytes per rank */
void comm_gather(const void *send, void *recv, size_t n);     /* n bytes per rank to rank 0 */
/* Every rank's n bytes (n may differ) to every rank, concatenated in rank order: *recv is
   allocated; lens[r] (comm_size() entries) says how many came from rank r. */
void comm_allgatherv_bytes(const void *send, int64_t n, char **recv, int64_t *lens);
/* Point to point, any size: a length then the bytes; comm_recv_bytes allocates *buf. */
/* One piece of data moving between ranks: n bytes at src in rank from's send buffer to dst
   in rank to's receive buffer. */
struct comm_move {
    int from, to;
    int64_t src, dst, n;
};
/* Collective: every rank passes the same list; each sends its pieces and receives its own
   (a piece to itself is copied). Sizes are 64-bit. */
void comm_moves(const struct comm_move *m, int64_t n_moves, const void *send, void *recv);
/* Collective all-to-all of records of `item` bytes: send holds, in rank order, send_n[r]
   records for rank r; *recv (allocated) receives recv_n[r] records from each rank r, in rank
   order. Counts fit an int (a larger exchange is a fatal error). */
void comm_alltoallv(const void *send, const int64_t *send_n, size_t item, char **recv,
                    int64_t *recv_n);
void comm_send_bytes(int to, const void *buf, int64_t n);
void comm_recv_bytes(int from, char **buf, int64_t *n);

#endif
