/* engine/io/kn_list.c: listing inputs. */
#include "kn_list.h"

#include <dirent.h>
#include <errno.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kn_alloc.h"
#include "kn_archive.h"
#include "kn_decompress.h"

static kn_status add_file(kn_input_list *l, const char *path, uint64_t size, kn_error *err) {
    if (l->count == l->cap_) {
        size_t cap = l->cap_ ? l->cap_ * 2 : 16;
        kn_input_file *f = kn_realloc(l->files, cap * sizeof *f);
        if (!f) return kn_error_set(err, KN_E_NOMEM, "out of memory listing inputs");
        l->files = f;
        l->cap_ = cap;
    }
    char *copy = kn_strdup(path);
    if (!copy) return kn_error_set(err, KN_E_NOMEM, "out of memory listing inputs");
    l->files[l->count].path = copy;
    l->files[l->count].size = size;
    l->count++;
    l->total_bytes += size;
    return KN_OK;
}

static bool ends_with_one(const char *name, size_t n, const char *const *extensions) {
    for (const char *const *e = extensions; *e; e++) {
        size_t m = strlen(*e);
        if (n > m && memcmp(name + n - m, *e, m) == 0) return true;
    }
    return false;
}

/* `name` ends in one of `extensions` or an archive's, alone or followed by a compression's
 * (".ndjson.gz", ".tar.zst"). */
static bool has_extension(const char *name, const char *const *extensions) {
    size_t n = kn_compression_strip(name);
    return ends_with_one(name, n, extensions) || ends_with_one(name, n, kn_archive_extensions());
}

static kn_status walk(kn_input_list *l, const char *dir, const char *const *extensions, int depth,
                      kn_error *err) {
    if (depth > 64) return kn_error_set(err, KN_E_USAGE, "folders nest more than 64 deep under '%s'", dir);
    DIR *d = opendir(dir);
    if (!d) {
        kn_error_locate(err, dir, -1, -1, -1);
        return kn_error_set(err, KN_E_IO, "cannot list the folder: %s", strerror(errno));
    }
    kn_status st = KN_OK;
    struct dirent *ent;
    while (st == KN_OK && (ent = readdir(d))) {
        if (ent->d_name[0] == '.' || ent->d_name[0] == '_') continue;
        size_t need = strlen(dir) + strlen(ent->d_name) + 2;
        char *path = kn_malloc(need);
        if (!path) {
            st = kn_error_set(err, KN_E_NOMEM, "out of memory listing inputs");
            break;
        }
        snprintf(path, need, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", ent->d_name);
        struct stat sb;
        if (stat(path, &sb) == 0) {
            if (S_ISDIR(sb.st_mode))
                st = walk(l, path, extensions, depth + 1, err);
            else if (S_ISREG(sb.st_mode) && has_extension(ent->d_name, extensions))
                st = add_file(l, path, (uint64_t)sb.st_size, err);
        }
        kn_free(path);
    }
    closedir(d);
    return st;
}

static kn_status add_arg(kn_input_list *l, const char *arg, const char *const *extensions,
                         kn_error *err) {
    struct stat sb;
    if (stat(arg, &sb) == 0) {
        if (S_ISDIR(sb.st_mode)) return walk(l, arg, extensions, 0, err);
        return add_file(l, arg, (uint64_t)sb.st_size, err);
    }
    if (strpbrk(arg, "*?[")) {
        glob_t g;
        int rc = glob(arg, 0, NULL, &g);
        if (rc == GLOB_NOMATCH) {
            globfree(&g);
            kn_error_locate(err, arg, -1, -1, -1);
            return kn_error_set(err, KN_E_USAGE, "the pattern matches no file");
        }
        kn_status st = rc == 0 ? KN_OK : kn_error_set(err, KN_E_IO, "cannot expand the pattern '%s'", arg);
        for (size_t i = 0; st == KN_OK && i < g.gl_pathc; i++) {
            if (stat(g.gl_pathv[i], &sb) != 0) continue;
            if (S_ISDIR(sb.st_mode))
                st = walk(l, g.gl_pathv[i], extensions, 0, err);
            else if (S_ISREG(sb.st_mode))
                st = add_file(l, g.gl_pathv[i], (uint64_t)sb.st_size, err);
        }
        globfree(&g);
        return st;
    }
    kn_error_locate(err, arg, -1, -1, -1);
    return kn_error_set(err, KN_E_USAGE, "no such file or folder");
}

static int by_path(const void *a, const void *b) {
    return strcmp(((const kn_input_file *)a)->path, ((const kn_input_file *)b)->path);
}

kn_status kn_input_list_build(const char *const *args, size_t nargs, const char *const *extensions,
                              kn_input_list *out, kn_error *err) {
    memset(out, 0, sizeof *out);
    for (size_t i = 0; i < nargs; i++) {
        kn_status st = add_arg(out, args[i], extensions, err);
        if (st != KN_OK) {
            kn_input_list_free(out);
            return st;
        }
    }
    if (out->count) qsort(out->files, out->count, sizeof *out->files, by_path);
    /* Drop duplicates (a file named twice, or inside a folder also named). */
    size_t w = 0;
    for (size_t r = 0; r < out->count; r++) {
        if (w && strcmp(out->files[w - 1].path, out->files[r].path) == 0) {
            out->total_bytes -= out->files[r].size;
            kn_free(out->files[r].path);
            continue;
        }
        out->files[w++] = out->files[r];
    }
    out->count = w;
    return KN_OK;
}

void kn_input_list_free(kn_input_list *list) {
    for (size_t i = 0; i < list->count; i++) kn_free(list->files[i].path);
    kn_free(list->files);
    memset(list, 0, sizeof *list);
}
