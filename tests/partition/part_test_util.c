/* tests/partition/part_test_util.c: the partition tests' helpers (part_test_util.h). */
#include "part_test_util.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kn_file.h"

static char *slurp_fd(int fd) {
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (len + 1 >= cap) buf = realloc(buf, cap *= 2);
        ssize_t n = read(fd, buf + len, cap - len - 1);
        if (n <= 0) break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    return buf;
}

static void build_argv(const char *const *args, const char **argv, size_t cap) {
    size_t n = 0;
    argv[n++] = KN_TEST_KILN;
    for (size_t i = 0; args[i] && n + 1 < cap; i++) argv[n++] = args[i];
    argv[n] = NULL;
}

void pt_kiln(pt_run *r, const char *const *args) {
    const char *argv[64];
    build_argv(args, argv, 64);
    char out_tmpl[] = "/tmp/kn-pt-out-XXXXXX", err_tmpl[] = "/tmp/kn-pt-err-XXXXXX";
    int out_fd = mkstemp(out_tmpl), err_fd = mkstemp(err_tmpl);
    unlink(out_tmpl);
    unlink(err_tmpl);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out_fd, 1);
        dup2(err_fd, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    r->code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    lseek(out_fd, 0, SEEK_SET);
    lseek(err_fd, 0, SEEK_SET);
    r->out = slurp_fd(out_fd);
    r->err = slurp_fd(err_fd);
    close(out_fd);
    close(err_fd);
}

pid_t pt_kiln_start(const char *const *args) {
    const char *argv[64];
    build_argv(args, argv, 64);
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 1);
        dup2(null, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    return pid;
}

void pt_run_free(pt_run *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

const char *pt_last_line(const pt_run *r) {
    static char line[1 << 20];
    const char *s = r->out;
    size_t len = strlen(s);
    while (len && s[len - 1] == '\n') len--;
    size_t start = len;
    while (start && s[start - 1] != '\n') start--;
    size_t n = len - start < sizeof line - 1 ? len - start : sizeof line - 1;
    memcpy(line, s + start, n);
    line[n] = '\0';
    return line;
}

bool pt_json_u64(const char *json, const char *key, uint64_t *out) {
    char pat[128];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    if (!p) return false;
    p += strlen(pat);
    char *end;
    unsigned long long v = strtoull(p, &end, 10);
    if (end == p) return false;
    *out = v;
    return true;
}

/* ---- trees --------------------------------------------------------------------------------- */

static void add_file(pt_files *f, const char *rel) {
    f->rel = realloc(f->rel, (f->n + 1) * sizeof *f->rel);
    f->rel[f->n++] = strdup(rel);
}

static void walk(const char *root, const char *rel, pt_files *out) {
    char path[4096];
    snprintf(path, sizeof path, "%s%s%s", root, rel[0] ? "/" : "", rel);
    DIR *d = opendir(path);
    if (!d) return;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char child_rel[4096], child[4096];
        snprintf(child_rel, sizeof child_rel, "%s%s%s", rel, rel[0] ? "/" : "", e->d_name);
        snprintf(child, sizeof child, "%s/%s", root, child_rel);
        struct stat sb;
        if (lstat(child, &sb) != 0) continue;
        if (S_ISDIR(sb.st_mode)) walk(root, child_rel, out);
        else add_file(out, child_rel);
    }
    closedir(d);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

void pt_walk(const char *dir, pt_files *out) {
    out->rel = NULL;
    out->n = 0;
    walk(dir, "", out);
    if (out->n) qsort(out->rel, out->n, sizeof *out->rel, cmp_str);
}

void pt_files_free(pt_files *f) {
    for (size_t i = 0; i < f->n; i++) free(f->rel[i]);
    free(f->rel);
    f->rel = NULL;
    f->n = 0;
}

bool pt_is_readable_name(const char *rel) {
    const char *p = rel;
    for (;;) {
        if (*p == '_' || *p == '.') return false;
        const char *slash = strchr(p, '/');
        if (!slash) return true;
        p = slash + 1;
    }
}

void pt_data_files(const char *dir, pt_files *out) {
    pt_files all;
    pt_walk(dir, &all);
    out->rel = NULL;
    out->n = 0;
    for (size_t i = 0; i < all.n; i++) {
        size_t n = strlen(all.rel[i]);
        if (pt_is_readable_name(all.rel[i]) && n > 8 && !strcmp(all.rel[i] + n - 8, ".parquet")) add_file(out, all.rel[i]);
    }
    pt_files_free(&all);
}

uint64_t pt_file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (uint64_t)sb.st_size : UINT64_MAX;
}

bool pt_par1_both_ends(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char a[4] = {0}, b[4] = {0};
    bool ok = fread(a, 1, 4, f) == 4 && fseek(f, -4, SEEK_END) == 0 && fread(b, 1, 4, f) == 4;
    fclose(f);
    return ok && !memcmp(a, "PAR1", 4) && !memcmp(b, "PAR1", 4);
}

uint64_t pt_file_hash(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return 0;
    uint64_t h = 1469598103934665603ull;
    unsigned char buf[65536];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        for (size_t i = 0; i < n; i++) h = (h ^ buf[i]) * 1099511628211ull;
    fclose(f);
    return h;
}

char *pt_tree_digest(const char *dir, bool (*skip)(const char *rel)) {
    pt_files all;
    pt_walk(dir, &all);
    size_t cap = 64, len = 0;
    char *s = malloc(cap);
    s[0] = '\0';
    for (size_t i = 0; i < all.n; i++) {
        if (skip && skip(all.rel[i])) continue;
        char line[4200];
        int n = snprintf(line, sizeof line, "%s=%016llx\n", all.rel[i],
                         (unsigned long long)pt_file_hash(pt_join(dir, all.rel[i])));
        while (len + (size_t)n + 1 > cap) s = realloc(s, cap *= 2);
        memcpy(s + len, line, (size_t)n + 1);
        len += (size_t)n;
    }
    pt_files_free(&all);
    return s;
}

char *pt_read_text(const char *path, size_t *len) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) return NULL;
    char *s = slurp_fd(fd);
    close(fd);
    if (len) *len = strlen(s);
    return s;
}

bool pt_exists(const char *path) {
    struct stat sb;
    return lstat(path, &sb) == 0;
}

static void rm_rf(const char *path) {
    struct stat sb;
    if (lstat(path, &sb) != 0) return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
            char child[4096];
            snprintf(child, sizeof child, "%s/%s", path, e->d_name);
            rm_rf(child);
        }
        if (d) closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

void pt_rm_rf(const char *path) { rm_rf(path); }

const char *pt_join(const char *a, const char *b) {
    static char ring[8][4096];
    static int next;
    char *s = ring[next++ & 7];
    snprintf(s, 4096, "%s/%s", a, b);
    return s;
}

/* ---- footers ------------------------------------------------------------------------------- */

kn_pqr_meta *pt_footer(const char *path) {
    kn_source *src;
    kn_error e;
    if (kn_file_source_open(path, &src, &e) != KN_OK) return NULL;
    kn_pqr_meta *m = NULL;
    if (kn_pqr_meta_read(src, &m, &e) != KN_OK) m = NULL;
    kn_source_free(src);
    return m;
}

long pt_leaf(const kn_pqr_meta *m, const char *name) {
    for (size_t i = 0; i < m->num_leaves; i++)
        if (!strcmp(m->leaves[i].path, name)) return (long)i;
    return -1;
}

bool pt_stats(const kn_pqr_meta *m, size_t rg, size_t col, kn_pqr_bytes *min, kn_pqr_bytes *max) {
    if (rg >= m->num_row_groups || col >= m->row_groups[rg].num_columns) return false;
    const kn_pqr_stats *s = &m->row_groups[rg].columns[col].meta_data.statistics;
    if (!s->min_value.data || !s->max_value.data) return false;
    *min = s->min_value;
    *max = s->max_value;
    return true;
}

int64_t pt_le_i64(kn_pqr_bytes b) {
    int64_t v = 0;
    if (b.len == 8) memcpy(&v, b.data, 8);
    return v;
}

/* ---- inputs -------------------------------------------------------------------------------- */

bool pt_gen_orders(const char *dir, long rows, int seed, int shards) {
    char r[32], s[32], n[32];
    snprintf(r, sizeof r, "%ld", rows);
    snprintf(s, sizeof s, "%d", seed);
    snprintf(n, sizeof n, "%d", shards);
    const char *argv[] = {KN_TEST_GEN, "--rows", r, "--seed", s, "--shards", n, "--format", "ndjson", "-o", dir, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        int null = open("/dev/null", O_WRONLY);
        dup2(null, 2);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

void pt_write_keyed(const char *path, long rows, long keys) {
    FILE *f = fopen(path, "w");
    if (!f) return;
    for (long i = 0; i < rows; i++) {
        long k = (i * 7919) % keys;
        fprintf(f, "{\"id\":%ld,\"k\":\"k%04ld\",\"ts\":\"2024-%02ld-%02ldT%02ld:%02ld:00\",\"v\":%.1f,\"s\":\"", i, k,
                1 + i % 12, 1 + i % 28, i % 24, i % 60, (double)i * 0.5);
        for (long j = 0; j <= i % 12; j++) fputs("text ", f);
        fputs("\"}\n", f);
    }
    fclose(f);
}

void pt_write_keyed_schema(const char *path) {
    FILE *f = fopen(path, "w");
    if (!f) return;
    fputs("columns:\n"
          "  - name: id\n    type: int64\n    nullable: false\n"
          "  - name: k\n    type: string\n"
          "  - name: ts\n    type: timestamp\n"
          "  - name: v\n    type: float64\n"
          "  - name: s\n    type: string\n",
          f);
    fclose(f);
}
