/* formats/xml/kn_xml_seams.c: the elements around records, chained across morsels
 * (kn_xml_seams.h). */
#include "kn_xml_seams.h"

#include <pthread.h>
#include <stdarg.h>
#include <string.h>

#include "kn_alloc.h"

typedef struct name {
    char *p; /* owned */
    size_t n;
    uint64_t at;
} name;

typedef struct pending {
    uint64_t start, end;
    name *closes, *opens; /* owned */
    size_t num_closes, num_opens;
    bool content_after, root_closed;
} pending;

struct kn_xml_seams {
    pthread_mutex_t lock;
    const char *root;
    uint64_t next;  /* where the next morsel to chain starts */
    name *stack;    /* the elements open there, outermost first (owned names) */
    size_t depth, stack_cap;
    bool closed;    /* the document element has closed */
    bool failed;    /* reported once */
    pending *wait;  /* morsels read ahead of the chain */
    size_t num_wait, wait_cap;
};

kn_xml_seams *kn__xml_seams_create(uint64_t data_start, const char *root) {
    kn_xml_seams *s = kn_calloc(1, sizeof *s);
    if (!s) return NULL;
    pthread_mutex_init(&s->lock, NULL);
    s->root = root;
    s->next = data_start;
    return s;
}

static void free_names(name *v, size_t n) {
    for (size_t i = 0; i < n; i++) kn_free(v[i].p);
    kn_free(v);
}

static void free_pending(pending *p) {
    free_names(p->closes, p->num_closes);
    free_names(p->opens, p->num_opens);
}

void kn__xml_seams_free(kn_xml_seams *s) {
    if (!s) return;
    for (size_t i = 0; i < s->num_wait; i++) free_pending(&s->wait[i]);
    kn_free(s->wait);
    free_names(s->stack, s->depth);
    pthread_mutex_destroy(&s->lock);
    kn_free(s);
}

static name *copy_names(const kn__xml_seam_name *v, size_t n, bool *ok) {
    *ok = true;
    if (!n) return NULL;
    name *out = kn_calloc(n, sizeof *out);
    for (size_t i = 0; out && i < n; i++) {
        out[i] = (name){kn_strndup((const char *)v[i].p, v[i].n), v[i].n, v[i].at};
        if (!out[i].p) {
            free_names(out, i);
            out = NULL;
        }
    }
    *ok = out != NULL;
    return out;
}

static kn_status broken(kn_xml_seams *s, kn_error *err, const char *file, uint64_t at, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static kn_status broken(kn_xml_seams *s, kn_error *err, const char *file, uint64_t at, const char *fmt, ...) {
    s->failed = true;
    va_list ap;
    va_start(ap, fmt);
    kn_error_setv(err, KN_E_FORMAT, fmt, ap);
    va_end(ap);
    kn_error_locate(err, file, -1, -1, (int64_t)at);
    return KN_E_FORMAT;
}

/* Applies one morsel at the chain's end; its opens move onto the stack. */
static kn_status apply(kn_xml_seams *s, pending *m, uint64_t file_len, const char *file, kn_error *err) {
    for (size_t i = 0; i < m->num_closes; i++) {
        const name *c = &m->closes[i];
        if (s->closed) return broken(s, err, file, c->at, "an end tag after the end of the document element");
        if (!s->depth) return broken(s, err, file, c->at, "end tag </%s> with no start tag", c->p);
        const name *top = &s->stack[s->depth - 1];
        if (top->n != c->n || memcmp(top->p, c->p, c->n) != 0)
            return broken(s, err, file, c->at, "end tag </%s> does not match <%s> (opened at byte %llu)", c->p, top->p,
                          (unsigned long long)top->at);
        kn_free(s->stack[--s->depth].p);
        if (!s->depth) s->closed = true;
    }
    if (s->closed && (m->content_after || m->num_opens))
        return broken(s, err, file, m->start, "content after the end of the document element");
    if (s->depth + m->num_opens > s->stack_cap) {
        size_t cap = s->depth + m->num_opens + 16;
        name *v = kn_realloc(s->stack, cap * sizeof *v);
        if (!v) return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
        s->stack = v;
        s->stack_cap = cap;
    }
    if (m->num_opens) memcpy(s->stack + s->depth, m->opens, m->num_opens * sizeof *m->opens);
    s->depth += m->num_opens;
    kn_free(m->opens); /* the names now belong to the stack */
    m->opens = NULL;
    m->num_opens = 0;
    if (m->root_closed) s->closed = true;
    s->next = m->end;
    if (file_len != UINT64_MAX && m->end >= file_len && !s->closed)
        return broken(s, err, file, file_len, "the data ends before the document element <%s> is closed", s->root);
    return KN_OK;
}

kn_status kn__xml_seams_add(kn_xml_seams *s, const kn__xml_seam *m, uint64_t file_len, const char *file,
                            kn_error *err) {
    bool ok_c, ok_o;
    pending p = {m->start, m->end, copy_names(m->closes, m->num_closes, &ok_c), copy_names(m->opens, m->num_opens, &ok_o),
                 m->num_closes, m->num_opens, m->content_after, m->root_closed};
    if (!ok_c || !ok_o) {
        free_pending(&p);
        return kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
    }
    pthread_mutex_lock(&s->lock);
    kn_status st = KN_OK;
    if (s->num_wait == s->wait_cap) {
        size_t cap = s->wait_cap ? s->wait_cap * 2 : 16;
        pending *v = kn_realloc(s->wait, cap * sizeof *v);
        if (!v) st = kn_error_set(err, KN_E_NOMEM, "out of memory reading XML");
        else s->wait = v, s->wait_cap = cap;
    }
    if (st != KN_OK) {
        pthread_mutex_unlock(&s->lock);
        free_pending(&p);
        return st;
    }
    s->wait[s->num_wait++] = p;
    for (bool moved = true; moved && st == KN_OK && !s->failed;) {
        moved = false;
        for (size_t i = 0; i < s->num_wait; i++) {
            if (s->wait[i].start != s->next || s->wait[i].end <= s->next) continue;
            pending w = s->wait[i];
            s->wait[i] = s->wait[--s->num_wait];
            st = apply(s, &w, file_len, file, err);
            free_pending(&w);
            moved = true;
            break;
        }
    }
    pthread_mutex_unlock(&s->lock);
    return st;
}
