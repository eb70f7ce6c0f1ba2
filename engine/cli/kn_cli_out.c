/* engine/cli/kn_cli_out.c: the in-memory answer of a command, text or JSON (kn_cli_out.h). */
#include "kn_cli_out.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "kn_json_out.h"

void kn_cli_out_init(kn_cli_out *o) {
    memset(o, 0, sizeof *o);
    o->ok = true;
}

void kn_cli_outf(kn_cli_out *o, const char *fmt, ...) {
    if (!o->ok) return;
    va_list ap;
    va_start(ap, fmt);
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !kn_buf_reserve(&o->b, (size_t)n + 1)) {
        o->ok = false;
        va_end(ap2);
        return;
    }
    vsnprintf((char *)o->b.data + o->b.len, (size_t)n + 1, fmt, ap2);
    va_end(ap2);
    o->b.len += (size_t)n;
}

void kn_cli_out_bytes(kn_cli_out *o, const void *p, size_t n) {
    if (o->ok && !kn_buf_append(&o->b, p, n)) o->ok = false;
}

void kn_cli_j_key(kn_cli_out *o, const char *key) {
    if (o->depth > 0) {
        if (!o->first[o->depth]) kn_cli_out_bytes(o, ",", 1);
        o->first[o->depth] = false;
    }
    if (key) {
        if (o->ok && !kn_json_append_string(&o->b, key, strlen(key))) o->ok = false;
        kn_cli_out_bytes(o, ":", 1);
    }
}

void kn_cli_j_open(kn_cli_out *o, const char *key, char c) {
    kn_cli_j_key(o, key);
    kn_cli_out_bytes(o, &c, 1);
    if (o->depth + 1 < (int)(sizeof o->first / sizeof o->first[0])) o->depth++;
    o->first[o->depth] = true;
}

void kn_cli_j_close(kn_cli_out *o, char c) {
    kn_cli_out_bytes(o, &c, 1);
    if (o->depth > 0) o->depth--;
}

void kn_cli_j_str_n(kn_cli_out *o, const char *key, const char *s, size_t n) {
    kn_cli_j_key(o, key);
    if (!s) kn_cli_out_bytes(o, "null", 4);
    else if (o->ok && !kn_json_append_string(&o->b, s, n)) o->ok = false;
}

void kn_cli_j_str(kn_cli_out *o, const char *key, const char *s) { kn_cli_j_str_n(o, key, s, s ? strlen(s) : 0); }

void kn_cli_j_int(kn_cli_out *o, const char *key, int64_t v) {
    kn_cli_j_key(o, key);
    kn_cli_outf(o, "%" PRId64, v);
}

void kn_cli_j_opt_int(kn_cli_out *o, const char *key, bool has, int64_t v) {
    if (has) kn_cli_j_int(o, key, v);
    else kn_cli_j_str(o, key, NULL);
}

void kn_cli_j_bool(kn_cli_out *o, const char *key, bool v) {
    kn_cli_j_key(o, key);
    kn_cli_out_bytes(o, v ? "true" : "false", v ? 4 : 5);
}
