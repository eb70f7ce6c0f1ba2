/* engine/exec/kn_run_plan.c: the plan of a run's inputs and morsels (kn_run.h): each input
 * opened once, mapped and cut in place, or read front to back (decoded first when compressed,
 * member by member when an archive) and cut as it comes (kn_seq_cut.h); and morsels handed out
 * in order. */
#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_decompress.h"
#include "kn_exec_reader.h"
#include "kn_log.h"
#include "kn_run.h"
#include "kn_sched.h"
#include "kn_store_local.h"

/* Streamed inputs are read this many files ahead of the feed, at most this many morsels each:
 * bounded memory (AHEAD_FILES x AHEAD_MORSELS morsels, AHEAD_FILES decoders) whatever the
 * number of files. */
#define AHEAD_FILES 4
#define AHEAD_MORSELS 2

/* A morsel read before its turn, and the archive member it is from (NULL: the input's own). */
typedef struct queued {
    kn_seq_morsel sm;
    kn_run_input *member;
} queued;

/* A streamed input's morsels read before their turn, and when it is an archive its members,
 * each an input of its own (with its own format view), cut one after another. */
typedef struct ahead {
    queued q[AHEAD_MORSELS]; /* a ring: q[(head + k) % AHEAD_MORSELS], k < count */
    size_t head, count;
    kn_archive *archive;
    kn_run_input *member;    /* the member being cut; NULL between members */
    kn_run_input **members;  /* every member met: they live as long as the plan */
    size_t num_members, cap_members;
    bool busy;        /* a thread reads this input now, the lock let go */
    bool spent;       /* its last morsel was read, or reading it failed */
    kn_status status; /* the failure, reported at its turn like a bad record */
    kn_error error;
} ahead;

struct kn_run_plan {
    const kn_run *run; /* borrowed: for opening streamed inputs when the feed reaches them */
    kn_run_input *inputs;
    size_t num_inputs;
    /* Every input mapped: every morsel numbered up front. */
    kn_run_morsel *morsels;
    size_t num_morsels;
    /* Some input read front to back: morsels are numbered as they are taken, in order, each
     * taker waiting for its turn (the morsel before it taken). A taker waiting reads ahead
     * meanwhile: the next morsels of the streamed inputs from the feed's on, so several files
     * decode at once. */
    bool feed;
    ahead *ahead; /* per input */
    pthread_mutex_t mu;
    pthread_cond_t cv;
    size_t turn;         /* the morsel whose turn it is */
    size_t input, index; /* where the next morsel comes from */
    bool warned_ignored; /* the input columns not in the schema were logged */
    bool failed;         /* a cut failed: no morsel after the one that carries it */
    kn_error error;      /* its error */
};

/* Logs, once a run, the input columns the schema leaves out. */
static void note_ignored(kn_run_plan *p, const kn_run_input *in) {
    const char *ignored;
    size_t num_ignored = p->run->fmt->file_ignored(in->file, &ignored);
    if (num_ignored && !p->warned_ignored) {
        kn_log(KN_LOG_INFO, "%s: input column '%s'%s not in the schema: ignored", in->path, ignored,
               num_ignored > 1 ? " and others are" : " is");
        p->warned_ignored = true;
    }
}

/* A cutter over `src` (taken), named in->path, into in->cut and its format view. */
static kn_status cut_input(const kn_run *r, kn_seq_source *src, kn_run_input *in, kn_error *err) {
    kn_seq_cut_options co;
    kn_seq_cut_options_init(&co);
    co.morsel_bytes = r->opt->morsel_bytes;
    co.count_lines = true; /* bad records' lines are found at parse, before the bytes go */
    KN_TRY(kn_seq_cut_create(r->fmt, r->fopts, r->schema, src, in->path, &co, &in->cut, err));
    kn_seq_cut_prologue(in->cut, &in->data_start);
    in->file = (kn_format_file *)kn_seq_cut_file(in->cut);
    in->verified_end = in->data_start;
    return KN_OK;
}

static kn_decompress_options decompress_options(const kn_run *r) {
    return (kn_decompress_options){r->opt->max_input_expansion};
}

/* Opens a streamed input when the feed reaches it: decoded when compressed, cut as it comes,
 * or read member by member when it is an archive. Opening them all up front would hold a
 * morsel's worth of each (the cutter reads one to find the prologue) and a decoder per file,
 * whatever their number. */
static kn_status open_stream(kn_run_plan *p, size_t i, kn_error *err) {
    kn_seq_source *src;
    kn_decompress_options dopt = decompress_options(p->run);
    KN_TRY(kn_exec_open_stream(p->inputs[i].path, p->run->fmt, &dopt, &src, &p->ahead[i].archive, err));
    return src ? cut_input(p->run, src, &p->inputs[i], err) : KN_OK;
}

/* The archive's next member to cut into a->member, or *done. */
static kn_status next_member(kn_run_plan *p, ahead *a, bool *done, kn_error *err) {
    const kn_run *r = p->run;
    kn_seq_source *src;
    kn_decompress_options dopt = decompress_options(r);
    KN_TRY(kn_exec_archive_next(a->archive, r->fmt, r->opt->format != NULL, &dopt, &src, done, err));
    if (*done) return KN_OK;
    kn_run_input *m = kn_calloc(1, sizeof *m);
    char *path = kn_strdup(src->name);
    if (a->num_members == a->cap_members) {
        size_t cap = a->cap_members ? 2 * a->cap_members : 8;
        kn_run_input **grown = kn_realloc(a->members, cap * sizeof *grown);
        if (grown) {
            a->members = grown;
            a->cap_members = cap;
        }
    }
    if (!m || !path || a->num_members == a->cap_members) {
        kn_free(m);
        kn_free(path);
        kn_seq_source_free(src);
        return kn_error_set(err, KN_E_NOMEM, "out of memory");
    }
    m->path = path; /* owned here, unlike an input's */
    m->regular = m->streamed = true;
    a->members[a->num_members++] = m;
    KN_TRY(cut_input(r, src, m, err));
    a->member = m;
    return KN_OK;
}

/* The next morsel of streamed input i (opened), and the member it is from. */
static kn_status next_morsel(kn_run_plan *p, size_t i, queued *out, bool *done, kn_error *err) {
    ahead *a = &p->ahead[i];
    out->member = NULL;
    if (!a->archive) return kn_seq_cut_next(p->inputs[i].cut, &out->sm, done, err);
    for (;;) {
        if (!a->member) {
            KN_TRY(next_member(p, a, done, err));
            if (*done) return KN_OK;
        }
        KN_TRY(kn_seq_cut_next(a->member->cut, &out->sm, done, err));
        if (!*done) {
            out->member = a->member;
            return KN_OK;
        }
        a->member = NULL; /* spent; its input stays for the morsels being parsed */
    }
}

/* Plans an input: mapped and opened now, or marked to be streamed (a pipe, --input-mode stream,
 * a compressed file, an archive) and opened when the feed reaches it. On failure leaves nothing to free in
 * `in`. */
static kn_status plan_input(kn_run_plan *p, const char *path, bool stream, kn_run_input *in, kn_error *err) {
    const kn_run *r = p->run;
    in->path = path;
    kn_store_info info;
    KN_TRY(kn_store_stat(kn_store_local(), path, &info, err));
    in->regular = info.kind == KN_ENTRY_FILE;
    in->streamed = stream || !in->regular;
    if (in->streamed) return KN_OK;
    KN_TRY(kn_store_map(kn_store_local(), path, &in->map, err));
    if (kn_exec_is_packed(r->fmt, in->map.data, in->map.len)) {
        kn_store_unmap(kn_store_local(), &in->map);
        in->streamed = true;
        return KN_OK;
    }
    kn_status st = r->fmt->file_open(r->fopts, r->schema, in->map.data, in->map.len, true, path, &in->file, err);
    if (st != KN_OK) {
        kn_store_unmap(kn_store_local(), &in->map);
        return st;
    }
    in->data_start = r->fmt->file_data_start(in->file);
    in->verified_end = in->data_start;
    in->num_morsels = in->map.len ? (in->map.len + r->opt->morsel_bytes - 1) / r->opt->morsel_bytes : 0;
    note_ignored(p, in);
    return KN_OK;
}

kn_status kn__plan_open(const kn_run *r, const char *const *paths, size_t n, bool stream, kn_run_plan **out,
                        kn_error *err) {
    kn_run_plan *p = kn_calloc(1, sizeof *p);
    if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    *out = p;
    p->run = r;
    p->inputs = kn_calloc(n ? n : 1, sizeof *p->inputs);
    if (!p->inputs) return kn_error_set(err, KN_E_NOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        kn_run_input *in = &p->inputs[i];
        KN_TRY(plan_input(p, paths[i], stream, in, err));
        p->num_inputs++;
        p->feed |= in->streamed;
        in->first_morsel = p->num_morsels;
        p->num_morsels += in->num_morsels;
    }
    if (p->feed) {
        p->ahead = kn_calloc(n, sizeof *p->ahead);
        if (!p->ahead) return kn_error_set(err, KN_E_NOMEM, "out of memory");
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

/* Reads the next morsel of streamed input `i` into its queue (opening it first when the feed
 * has not yet): with the lock held on entry and exit, let go while reading. */
static void read_one(kn_run_plan *p, size_t i) {
    kn_run_input *in = &p->inputs[i];
    ahead *a = &p->ahead[i];
    a->busy = true;
    bool opening = !in->cut && !a->archive;
    kn_run_input *member = a->member;
    pthread_mutex_unlock(&p->mu);
    uint64_t t0 = kn_profile_start(p->run->profile);
    kn_error e;
    kn_error_reset(&e);
    kn_status st = opening ? open_stream(p, i, &e) : KN_OK;
    queued sm;
    bool done = false;
    if (st == KN_OK) st = next_morsel(p, i, &sm, &done, &e);
    kn_profile_lap(p->run->profile, KN_STAGE_READ, t0);
    pthread_mutex_lock(&p->mu);
    a->busy = false;
    if (opening && in->cut) note_ignored(p, in);
    if (a->member && a->member != member) note_ignored(p, a->member);
    if (st != KN_OK) {
        a->status = st;
        a->error = e;
        a->spent = true;
    } else if (done) {
        a->spent = true;
    } else {
        a->q[(a->head + a->count++) % AHEAD_MORSELS] = sm;
    }
    pthread_cond_broadcast(&p->cv);
}

/* A streamed input near the feed that a waiting taker may read ahead, or SIZE_MAX. */
static size_t ahead_target(const kn_run_plan *p) {
    if (p->failed) return SIZE_MAX;
    for (size_t i = p->input; i < p->num_inputs && i < p->input + AHEAD_FILES; i++) {
        const ahead *a = &p->ahead[i];
        /* A pipe only at its turn: its writer may be waiting for the pipes before it to drain. */
        if (p->inputs[i].streamed && (p->inputs[i].regular || i == p->input) && !a->busy && !a->spent &&
            a->count < AHEAD_MORSELS)
            return i;
    }
    return SIZE_MAX;
}

/* The next morsel of the feed, at the feed's turn (its lock held, let go while reading). */
static bool feed_next(kn_run_plan *p, kn_run_morsel *mo) {
    while (!p->failed && p->input < p->num_inputs) {
        kn_run_input *in = &p->inputs[p->input];
        if (!in->streamed) {
            if (p->index < in->num_morsels) {
                *mo = (kn_run_morsel){.input = (uint32_t)p->input, .index_in_file = (uint32_t)p->index++};
                return true;
            }
        } else {
            ahead *a = &p->ahead[p->input];
            if (a->count) {
                queued q = a->q[a->head];
                a->head = (a->head + 1) % AHEAD_MORSELS;
                a->count--;
                *mo = (kn_run_morsel){.input = (uint32_t)p->input, .index_in_file = (uint32_t)p->index++,
                                      .member = q.member, .data = q.sm.data, .len = q.sm.len, .offset = q.sm.offset,
                                      .first_line = q.sm.first_line};
                return true;
            }
            if (a->busy) { /* another taker reads its next morsel ahead: wait for it */
                pthread_cond_wait(&p->cv, &p->mu);
                continue;
            }
            if (!a->spent) {
                read_one(p, p->input);
                continue;
            }
            if (a->status != KN_OK) {
                /* Reported at this morsel's turn, like a bad record; nothing follows it. */
                p->failed = true;
                p->error = a->error;
                *mo = (kn_run_morsel){
                    .input = (uint32_t)p->input, .index_in_file = (uint32_t)p->index, .fatal = a->status};
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
    kn_profile *prof = p->run->profile;
    while (p->turn != m) {
        size_t i = ahead_target(p);
        if (i != SIZE_MAX) {
            read_one(p, i);
        } else {
            uint64_t w0 = prof && prof->on ? kn_wall_ns() : 0;
            pthread_cond_wait(&p->cv, &p->mu);
            if (w0) kn_profile_add(prof, KN_STAGE_IDLE, kn_wall_ns() - w0);
        }
    }
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
        if (in->streamed) {
            kn_seq_cut_free(in->cut); /* with its file view */
            ahead *a = p->ahead ? &p->ahead[i] : NULL;
            for (size_t k = 0; a && k < a->count; k++)
                kn_free(a->q[(a->head + k) % AHEAD_MORSELS].sm.data); /* read, never taken */
            for (size_t k = 0; a && k < a->num_members; k++) {
                kn_seq_cut_free(a->members[k]->cut);
                kn_free((char *)a->members[k]->path);
                kn_free(a->members[k]);
            }
            if (a) {
                kn_free(a->members);
                kn_archive_free(a->archive);
            }
        } else {
            fmt->file_free(in->file);
            kn_store_unmap(kn_store_local(), &in->map);
        }
    }
    if (p->feed) {
        pthread_cond_destroy(&p->cv);
        pthread_mutex_destroy(&p->mu);
    }
    kn_free(p->ahead);
    kn_free(p->morsels);
    kn_free(p->inputs);
    kn_free(p);
}
