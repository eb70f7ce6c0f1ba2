/* formats/parquet/kn_pq_pool.c: helper threads for the file writer (kn_pq_pool.h). */
#include "kn_pq_pool.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "kn_alloc.h"

struct kn_pq_pool {
    pthread_t *threads;
    int nthreads;
    pthread_mutex_t mu;
    pthread_cond_t work, done;
    uint64_t gen; /* bumped for each job */
    bool quit;
    /* The job in progress. */
    size_t n, next, finished;
    void (*fn)(void *ctx, size_t i);
    void *ctx;
};

/* Claims and runs indexes until none is left. Called and returns with the lock held. */
static void help(kn_pq_pool *p) {
    while (p->next < p->n) {
        size_t i = p->next++;
        /* The job cannot change before this index is counted finished. */
        void (*fn)(void *, size_t) = p->fn;
        void *ctx = p->ctx;
        pthread_mutex_unlock(&p->mu);
        fn(ctx, i);
        pthread_mutex_lock(&p->mu);
        if (++p->finished == p->n) pthread_cond_signal(&p->done);
    }
}

static void *helper(void *arg) {
    kn_pq_pool *p = arg;
    uint64_t seen = 0;
    pthread_mutex_lock(&p->mu);
    for (;;) {
        while (!p->quit && p->gen == seen) pthread_cond_wait(&p->work, &p->mu);
        if (p->quit) break;
        seen = p->gen;
        help(p);
    }
    pthread_mutex_unlock(&p->mu);
    return NULL;
}

kn_status kn_pq_pool_create(int helpers, kn_pq_pool **out, kn_error *err) {
    *out = NULL;
    KN_RETURN_ERROR_IF(helpers < 1, err, KN_E_USAGE, "a pool needs at least one helper thread");
    kn_pq_pool *p = kn_calloc(1, sizeof *p);
    if (p) p->threads = kn_calloc((size_t)helpers, sizeof *p->threads);
    if (!p || !p->threads) {
        kn_free(p);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    pthread_mutex_init(&p->mu, NULL);
    pthread_cond_init(&p->work, NULL);
    pthread_cond_init(&p->done, NULL);
    for (int i = 0; i < helpers; i++) {
        if (pthread_create(&p->threads[i], NULL, helper, p) != 0) break;
        p->nthreads++;
    }
    if (p->nthreads == 0) {
        kn_pq_pool_free(p);
        return kn_error_set(err, KN_E_IO, "cannot start encoder threads");
    }
    *out = p;
    return KN_OK;
}

void kn_pq_pool_free(kn_pq_pool *p) {
    if (!p) return;
    pthread_mutex_lock(&p->mu);
    p->quit = true;
    pthread_cond_broadcast(&p->work);
    pthread_mutex_unlock(&p->mu);
    for (int i = 0; i < p->nthreads; i++) pthread_join(p->threads[i], NULL);
    pthread_cond_destroy(&p->done);
    pthread_cond_destroy(&p->work);
    pthread_mutex_destroy(&p->mu);
    kn_free(p->threads);
    kn_free(p);
}

void kn_pq_pool_run(kn_pq_pool *p, size_t n, void (*fn)(void *ctx, size_t i), void *ctx) {
    pthread_mutex_lock(&p->mu);
    p->n = n;
    p->next = 0;
    p->finished = 0;
    p->fn = fn;
    p->ctx = ctx;
    p->gen++;
    pthread_cond_broadcast(&p->work);
    help(p);
    while (p->finished < p->n) pthread_cond_wait(&p->done, &p->mu);
    pthread_mutex_unlock(&p->mu);
}
