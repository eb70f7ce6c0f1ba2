/* engine/core/kn_store.c: the store calls with a default, and listing helpers (kn_store.h). */
#include "kn_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"

kn_status kn_store_open_seq(kn_store *s, const char *path, kn_seq_source **out, kn_error *err) {
    *out = NULL;
    if (s->vt->open_seq) return s->vt->open_seq(s, path, out, err);
    /* No streaming read: the random-access source, read front to back. */
    kn_source *src;
    KN_TRY(kn_store_open_source(s, path, &src, err));
    *out = kn_source_seq_create(src, true);
    if (!*out) return kn_error_set(err, KN_E_NOMEM, "out of memory opening '%s'", path);
    return KN_OK;
}

kn_status kn_store_map(kn_store *s, const char *path, kn_store_mapping *out, kn_error *err) {
    out->data = NULL;
    out->len = 0;
    if (s->vt->map) return s->vt->map(s, path, out, err);
    kn_error_locate(err, path, -1, -1, -1);
    return kn_error_set(err, KN_E_UNSUPPORTED, "the %s store cannot map a file; read it through a source", s->name);
}

void kn_store_free(kn_store *s) {
    if (s && s->vt->free) s->vt->free(s);
}

kn_status kn_store_write_file(kn_store *s, const char *path, const void *data, size_t len, unsigned flags,
                              kn_error *err) {
    kn_sink *sink;
    KN_TRY(kn_store_open_sink(s, path, flags, &sink, err));
    kn_status st = kn_sink_write(sink, data, len, err);
    if (st != KN_OK) {
        kn_sink_abort(sink);
        return st;
    }
    return kn_sink_close(sink, err);
}

char *kn_store_join(const char *dir, const char *name) {
    size_t dl = strlen(dir), nl = strlen(name);
    bool slash = dl > 0 && dir[dl - 1] == '/';
    char *p = kn_malloc(dl + nl + 2);
    if (p) snprintf(p, dl + nl + 2, "%s%s%s", dir, slash ? "" : "/", name);
    return p;
}

void kn_store_listing_free(kn_store_listing *l) {
    for (size_t i = 0; i < l->count; i++) kn_free(l->entries[i].name);
    kn_free(l->entries);
    memset(l, 0, sizeof *l);
}

kn_status kn_store_listing_add(kn_store_listing *l, const char *name, size_t len, uint64_t size, kn_entry_kind kind,
                               kn_error *err) {
    if (l->count == l->cap_) {
        size_t cap = l->cap_ ? l->cap_ * 2 : 16;
        kn_store_entry *e = kn_realloc(l->entries, cap * sizeof *e);
        if (!e) return kn_error_set(err, KN_E_NOMEM, "out of memory listing a folder");
        l->entries = e;
        l->cap_ = cap;
    }
    char *copy = kn_malloc(len + 1);
    if (!copy) return kn_error_set(err, KN_E_NOMEM, "out of memory listing a folder");
    memcpy(copy, name, len);
    copy[len] = '\0';
    l->entries[l->count++] = (kn_store_entry){copy, size, kind};
    return KN_OK;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const kn_store_entry *)a)->name, ((const kn_store_entry *)b)->name);
}

void kn_store_listing_sort(kn_store_listing *l) {
    if (l->count > 1) qsort(l->entries, l->count, sizeof *l->entries, by_name);
}
