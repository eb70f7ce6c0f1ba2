/* engine/exec/kn_run_plan.c: the plan of a run's inputs and morsels (kn_run.h): each input
 * opened once, mapped and cut in place, or read front to back (decoded first when compressed)
 * and cut as it comes (kn_seq_cut.h); and morsels handed out in order. */
#include <pthread.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_decompress.h"
#include "kn_log.h"
#include "kn_run.h"
#include "kn_sched.h"
#include "kn_store_local.h"

struct kn_run_plan {
    kn_run_input *inputs;
    size_t num_inputs;
    /* Every input mapped: every morsel numbered up front. */
    kn_run_morsel *morsels;
    size_t num_morsels;
    /* Some input read front to back: morsels are numbered as they are taken, in order, each
     * taker waiting for its turn (the morsel before it taken). */
    bool feed;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t turn;         /* the morsel whose turn it is */
    size_t input, index; /* where the next morsel comes from */
    bool failed;         /* a cut failed: no morsel after the one that carries it */
    kn_error error;      /* its error */
};

/* True when the mapped file's first bytes are a compressed stream (kn_decompress.h). */
static bool is_compressed(const kn_store_mapping *m) {
    size_t n = m->len < KN_COMPRESSION_SNIFF_BYTES ? m->len : KN_COMPRESSION_SNIFF_BYTES;
    return kn_compression_sniff(m->data, n) != KN_COMPRESSION_NONE;
}

/* Opens an input read front to back: decoded when compressed, cut as it comes. */
static kn_status open_stream(const kn_run *r, const char *path, kn_run_input *in, kn_error *err) {
    kn_seq_source *raw, *src;
    KN_TRY(kn_store_open_seq(kn_store_local(), path, &raw, err));
    kn_decompress_options dopt = {r->opt->max_input_expansion};
    KN_TRY(kn_decompress_open(raw, &dopt, &src, NULL, err));
    kn_seq_cut_options co;
    kn_seq_cut_options_init(&co);
    co.morsel_bytes = r->opt->morsel_bytes;
    co.count_lines = true; /* bad records' lines are found at parse, before the bytes go */
    KN_TRY(kn_seq_cut_create(r->fmt, r->fopts, r->schema, src, path, &co, &in->cut, err));
    kn_seq_cut_prologue(in->cut, &in->data_start);
    in->file = (kn_format_file *)kn_seq_cut_file(in->cut);
    return KN_OK;
}

/* Opens an input: its format view, and how its bytes are read. On failure leaves nothing to
 * free in `in`. */
static kn_status open_input(const kn_run *r, const char *path, bool stream, kn_run_input *in, kn_error *err) {
    const kn_format *fmt = r->fmt;
    in->path = path;
    kn_store_info info;
    KN_TRY(kn_store_stat(kn_store_local(), path, &info, err));
    /* A pipe (or --input-mode stream): read once, front to back. */
    if (stream || info.kind != KN_ENTRY_FILE) KN_TRY(open_stream(r, path, in, err));
    else {
        KN_TRY(kn_store_map(kn_store_local(), path, &in->map, err));
        if (is_compressed(&in->map)) {
            kn_store_unmap(kn_store_local(), &in->map);
            KN_TRY(open_stream(r, path, in, err));
        } else {
            kn_status st = fmt->file_open(r->fopts, r->schema, in->map.data, in->map.len, path, &in->file, err);
            if (st != KN_OK) {
                kn_store_unmap(kn_store_local(), &in->map);
                return st;
            }
            in->data_start = fmt->file_data_start(in->file);
            in->num_morsels = in->map.len ? (in->map.len + r->opt->morsel_bytes - 1) / r->opt->morsel_bytes : 0;
        }
    }
    in->verified_end = in->data_start;
    return KN_OK;
}

kn_status kn__plan_open(const kn_run *r, const char *const *paths, size_t n, bool stream, kn_run_plan **out,
                        kn_error *err) {
    kn_run_plan *p = kn_calloc(1, sizeof *p);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    *out = p;
    p->inputs = kn_calloc(n ? n : 1, sizeof *p->inputs);
    if (!p->inputs) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    bool warned_ignored = false;
    for (size_t i = 0; i < n; i++) {
        kn_run_input *in = &p->inputs[i];
        KN_TRY(open_input(r, paths[i], stream, in, err));
        p->num_inputs++;
        p->feed |= in->cut != NULL;
        const char *ignored;
        size_t num_ignored = r->fmt->file_ignored(in->file, &ignored);
        if (num_ignored && !warned_ignored) {
            kn_log(KN_LOG_INFO, "%s: input column '%s'%s not in the schema: ignored", in->path, ignored,
                   num_ignored > 1 ? " and others are" : " is");
            warned_ignored = true;
        }
        in->first_morsel = p->num_morsels;
        p->num_morsels += in->num_morsels;
    }
    if (p->feed) {
        pthread_mutex_init(&p->mu, NULL);
        pthread_cond_init(&p->cv, NULL);
        return KN_OK;
    }
    p->morsels = kn_calloc(p->num_morsels ? p->num_morsels : 1, sizeof *p->morsels);
    if (!p->morsels) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < p->inputs[i].num_morsels; k++)
            p->morsels[p->inputs[i].first_morsel + k] = (kn_run_morsel){.input = (uint32_t)i, .index_in_file = (uint32_t)k};
    return KN_OK;
}

kn_run_input *kn__plan_inputs(kn_run_plan *p, size_t *n) {
    *n = p->num_inputs;
    return p->inputs;
}

size_t kn__plan_num_morsels(const kn_run_plan *p) { return p->feed ? KN_SCHED_OPEN : p->num_morsels; }

/* The next morsel of the feed, at the feed's turn (its lock held, let go while reading). */
static bool feed_next(kn_run_plan *p, kn_run_morsel *mo) {
    while (!p->failed && p->input < p->num_inputs) {
        kn_run_input *in = &p->inputs[p->input];
        if (!in->cut) {
            if (p->index < in->num_morsels) {
                *mo = (kn_run_morsel){.input = (uint32_t)p->input, .index_in_file = (uint32_t)p->index++};
                return true;
            }
        } else {
            kn_seq_morsel sm;
            bool done = false;
            kn_error e;
            kn_error_reset(&e);
            pthread_mutex_unlock(&p->mu);
            kn_status st = kn_seq_cut_next(in->cut, &sm, &done, &e);
            pthread_mutex_lock(&p->mu);
            if (st != KN_OK) {
                /* Reported at this morsel's turn, like a bad record; nothing follows it. */
                p->failed = true;
                p->error = e;
                *mo = (kn_run_morsel){.input = (uint32_t)p->input, .index_in_file = (uint32_t)p->index, .fatal = st};
                return true;
            }
            if (!done) {
                *mo = (kn_run_morsel){.input = (uint32_t)p->input, .index_in_file = (uint32_t)p->index++,
                                      .data = sm.data, .len = sm.len, .offset = sm.offset, .first_line = sm.first_line};
                return true;
            }
        }
        p->input++;
        p->index = 0;
    }
    return false;
}

bool kn__plan_take(kn_run_plan *p, size_t m, kn_run_morsel *out) {
    if (!p->feed) {
        if (m >= p->num_morsels) return false;
        *out = p->morsels[m];
        return true;
    }
    pthread_mutex_lock(&p->mu);
    while (p->turn != m) pthread_cond_wait(&p->cv, &p->mu);
    bool got = feed_next(p, out);
    p->turn++;
    pthread_cond_broadcast(&p->cv);
    pthread_mutex_unlock(&p->mu);
    return got;
}

const kn_error *kn__plan_error(const kn_run_plan *p) { return &p->error; }

void kn__plan_free(kn_run_plan *p, const kn_format *fmt) {
    if (!p) return;
    for (size_t i = 0; i < p->num_inputs; i++) {
        kn_run_input *in = &p->inputs[i];
        if (in->cut) {
            kn_seq_cut_free(in->cut); /* with its file view */
        } else {
            fmt->file_free(in->file);
            kn_store_unmap(kn_store_local(), &in->map);
        }
    }
    if (p->feed) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
    }
    kn_free(p->morsels);
    kn_free(p->inputs);
    kn_free(p);
}
