/* comm.c — MPI collectives behind one small interface; see comm.h. */
#include "comm.h"

#include <limits.h>
#include <mpi.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int g_rank, g_size = 1, g_node_size = 1;
static MPI_Comm g_node = MPI_COMM_NULL;

int comm_mpi_versions(char *built, size_t built_cap, char *running, size_t running_cap)
{
    char lib[MPI_MAX_LIBRARY_VERSION_STRING] = "";
    int len = 0;
    MPI_Get_library_version(lib, &len);
    lib[strcspn(lib, "\n")] = '\0';
    snprintf(running, running_cap, "%s", lib);
#ifdef OMPI_MAJOR_VERSION
    char v[32], now[32] = "";
    snprintf(v, sizeof v, "%d.%d.%d", OMPI_MAJOR_VERSION, OMPI_MINOR_VERSION, OMPI_RELEASE_VERSION);
    snprintf(built, built_cap, "Open MPI %s", v);
    /* Open MPI's string starts "Open MPI vX.Y.Z" (then a comma or more of the version) */
    return sscanf(lib, "Open MPI v%31[0-9.]", now) == 1 && strcmp(now, v) == 0;
#else
    snprintf(built, built_cap, "MPI %d.%d (mpi.h)", MPI_VERSION, MPI_SUBVERSION);
    return 1;
#endif
}

/* lr_fatal's way out: the other ranks may be waiting in a collective for this one. */
static void abort_job(int code) { MPI_Abort(MPI_COMM_WORLD, code); }

void comm_init(int *argc, char ***argv)
{
    int provided;
    MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
    MPI_Comm_rank(MPI_COMM_WORLD, &g_rank);
    MPI_Comm_size(MPI_COMM_WORLD, &g_size);
    MPI_Comm_split_type(MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, g_rank, MPI_INFO_NULL, &g_node);
    MPI_Comm_size(g_node, &g_node_size);
    lr_on_fatal(abort_job);
}

int comm_node_size(void) { return g_node_size; }

double comm_node_sum(double v)
{
    double r;
    MPI_Allreduce(&v, &r, 1, MPI_DOUBLE, MPI_SUM, g_node);
    return r;
}

int comm_node_sharers(const cpu_set_t *mine)
{
    cpu_set_t *all = lr_malloc((size_t)g_node_size * sizeof *all);
    MPI_Allgather(mine, (int)sizeof *mine, MPI_BYTE, all, (int)sizeof *mine, MPI_BYTE, g_node);
    int n = 0;
    for (int r = 0; r < g_node_size; r++) {
        cpu_set_t both;
        CPU_AND(&both, mine, &all[r]);
        n += CPU_COUNT(&both) > 0;
    }
    free(all);
    return n > 0 ? n : 1;
}

void comm_finalize(void)
{
    if (g_node != MPI_COMM_NULL)
        MPI_Comm_free(&g_node);
    MPI_Finalize();
}
int comm_rank(void) { return g_rank; }

const char *comm_where(char *buf, size_t cap)
{
    char host[256] = "unknown";
    if (gethostname(host, sizeof host - 1) < 0)
        strcpy(host, "unknown");
    snprintf(buf, cap, "rank %d on host %s", g_rank, host);
    return buf;
}
int comm_size(void) { return g_size; }
double comm_wtime(void) { return MPI_Wtime(); }

int comm_agree(struct lr_error *e)
{
    /* Not the smallest line: a rank that failed counted only part of its lines, so the
       line numbers of the ranks above it are too small. */
    int key = e->code == LR_OK ? INT_MAX : e->line > 0 ? g_size + g_rank : g_rank, who;
    MPI_Allreduce(&key, &who, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD);
    if (who == INT_MAX)
        return LR_OK;
    MPI_Bcast(e, (int)sizeof *e, MPI_BYTE, who % g_size, MPI_COMM_WORLD);
    return e->code;
}

void comm_sum(double *buf, int n)
{
    MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
}

void comm_min(double *buf, int n)
{
    MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_MIN, MPI_COMM_WORLD);
}

void comm_max(double *buf, int n)
{
    MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
}

int64_t comm_sum_i64(int64_t v)
{
    int64_t r;
    MPI_Allreduce(&v, &r, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    return r;
}

void comm_sum_u64(uint64_t *buf, int n)
{
    MPI_Allreduce(MPI_IN_PLACE, buf, n, MPI_UINT64_T, MPI_SUM, MPI_COMM_WORLD);
}

int64_t comm_min_i64(int64_t v)
{
    int64_t r;
    MPI_Allreduce(&v, &r, 1, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD);
    return r;
}

int64_t comm_max_i64(int64_t v)
{
    int64_t r;
    MPI_Allreduce(&v, &r, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD);
    return r;
}

int64_t comm_exscan_i64(int64_t v)
{
    int64_t r = 0;
    MPI_Exscan(&v, &r, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD);
    return g_rank == 0 ? 0 : r;  /* MPI leaves rank 0's result undefined */
}

/* MPI counts are int: move large buffers in pieces. */
void comm_bcast(void *buf, size_t n, int root)
{
    char *p = buf;
    while (n > 0) {
        int k = n > (size_t)INT_MAX ? INT_MAX : (int)n;
        MPI_Bcast(p, k, MPI_BYTE, root, MPI_COMM_WORLD);
        p += k;
        n -= (size_t)k;
    }
}

void comm_allgather(const void *send, void *recv, size_t n)
{
    MPI_Allgather(send, (int)n, MPI_BYTE, recv, (int)n, MPI_BYTE, MPI_COMM_WORLD);
}

void comm_gather(const void *send, void *recv, size_t n)
{
    MPI_Gather(send, (int)n, MPI_BYTE, recv, (int)n, MPI_BYTE, 0, MPI_COMM_WORLD);
}

void comm_allgatherv_bytes(const void *send, int64_t n, char **recv, int64_t *lens)
{
    int p = g_size;
    MPI_Allgather(&n, 1, MPI_INT64_T, lens, 1, MPI_INT64_T, MPI_COMM_WORLD);
    int64_t total = 0;
    for (int r = 0; r < p; r++)
        total += lens[r];
    *recv = lr_malloc((size_t)(total ? total : 1));
    /* as broadcasts in pieces of at most INT_MAX bytes: counts of MPI_Allgatherv are int */
    int64_t at = 0;
    for (int r = 0; r < p; r++) {
        if (r == g_rank && n > 0)  /* send may be NULL when n is 0 */
            memcpy(*recv + at, send, (size_t)n);
        for (int64_t k = 0; k < lens[r]; k += INT_MAX) {
            int m = lens[r] - k > INT_MAX ? INT_MAX : (int)(lens[r] - k);
            MPI_Bcast(*recv + at + k, m, MPI_BYTE, r, MPI_COMM_WORLD);
        }
        at += lens[r];
    }
}

void comm_alltoallv(const void *send, const int64_t *send_n, size_t item, char **recv,
                    int64_t *recv_n)
{
    int p = g_size;
    MPI_Alltoall(send_n, 1, MPI_INT64_T, recv_n, 1, MPI_INT64_T, MPI_COMM_WORLD);
    int *sc = lr_malloc(4 * (size_t)p * sizeof *sc), *sd = sc + p, *rc = sd + p, *rd = rc + p;
    int64_t so = 0, ro = 0;
    for (int r = 0; r < p; r++) {
        if (so > INT_MAX || ro > INT_MAX || send_n[r] > INT_MAX - so || recv_n[r] > INT_MAX - ro)
            LR_FATAL("all-to-all exchange of more than %d records on one rank", INT_MAX);
        sc[r] = (int)send_n[r], sd[r] = (int)so, so += send_n[r];
        rc[r] = (int)recv_n[r], rd[r] = (int)ro, ro += recv_n[r];
    }
    *recv = lr_malloc((ro ? (size_t)ro : 1) * item);
    MPI_Datatype t;
    MPI_Type_contiguous((int)item, MPI_BYTE, &t);
    MPI_Type_commit(&t);
    MPI_Alltoallv(send, sc, sd, t, *recv, rc, rd, t, MPI_COMM_WORLD);
    MPI_Type_free(&t);
    free(sc);
}

void comm_moves(const struct comm_move *m, int64_t n_moves, const void *send, void *recv)
{
    enum { PIECE = 1 << 30 };  /* MPI counts are int */
    int64_t n_req = 0;
    for (int64_t k = 0; k < n_moves; k++)
        if ((m[k].from == g_rank) != (m[k].to == g_rank))
            n_req += (m[k].n + PIECE - 1) / PIECE;
    MPI_Request *req = lr_malloc((size_t)(n_req ? n_req : 1) * sizeof *req);
    int64_t r = 0;
    for (int64_t k = 0; k < n_moves; k++) {
        const struct comm_move *x = &m[k];
        if (x->from == g_rank && x->to == g_rank) {
            memmove((char *)recv + x->dst, (const char *)send + x->src, (size_t)x->n);
            continue;
        }
        for (int64_t at = 0; at < x->n && (x->from == g_rank || x->to == g_rank); at += PIECE) {
            int c = x->n - at > PIECE ? PIECE : (int)(x->n - at);
            if (x->to == g_rank)  /* pieces between two ranks match in the order posted */
                MPI_Irecv((char *)recv + x->dst + at, c, MPI_BYTE, x->from, 2, MPI_COMM_WORLD,
                          &req[r++]);
            else
                MPI_Isend((const char *)send + x->src + at, c, MPI_BYTE, x->to, 2,
                          MPI_COMM_WORLD, &req[r++]);
        }
    }
    MPI_Waitall((int)r, req, MPI_STATUSES_IGNORE);
    free(req);
}

void comm_send_bytes(int to, const void *buf, int64_t n)
{
    MPI_Send(&n, 1, MPI_INT64_T, to, 0, MPI_COMM_WORLD);
    for (int64_t at = 0; at < n; at += INT_MAX) {
        int k = n - at > INT_MAX ? INT_MAX : (int)(n - at);
        MPI_Send((const char *)buf + at, k, MPI_BYTE, to, 1, MPI_COMM_WORLD);
    }
}

void comm_recv_bytes(int from, char **buf, int64_t *n)
{
    MPI_Recv(n, 1, MPI_INT64_T, from, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    *buf = lr_malloc((size_t)*n + 1);
    for (int64_t at = 0; at < *n; at += INT_MAX) {
        int k = *n - at > INT_MAX ? INT_MAX : (int)(*n - at);
        MPI_Recv(*buf + at, k, MPI_BYTE, from, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
    }
}
