/* engine/cli/kn_cli_out.h: an answer built in memory before any of it is printed, as text or as
 * JSON, so that a command that fails half-way prints nothing half-done (`kiln inspect`). Memory
 * running out turns `ok` false and every later call into a no-op: one check at the end. */
#ifndef KN_CLI_OUT_H
#define KN_CLI_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_buf.h"

typedef struct kn_cli_out {
    kn_buf b;
    bool ok;
    /* JSON: whether the container at each depth still awaits its first member. */
    bool first[32];
    int depth;
} kn_cli_out;

/* Zeroes `o` and makes it ok; free its buffer with kn_buf_free(&o->b). */
void kn_cli_out_init(kn_cli_out *o);

void kn_cli_outf(kn_cli_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void kn_cli_out_bytes(kn_cli_out *o, const void *p, size_t n);

/* JSON. `key` is a member name, or NULL for an array element; commas come by themselves. */
void kn_cli_j_key(kn_cli_out *o, const char *key);
void kn_cli_j_open(kn_cli_out *o, const char *key, char c); /* '{' or '[' */
void kn_cli_j_close(kn_cli_out *o, char c);
void kn_cli_j_str_n(kn_cli_out *o, const char *key, const char *s, size_t n); /* s NULL: null */
void kn_cli_j_str(kn_cli_out *o, const char *key, const char *s);
void kn_cli_j_int(kn_cli_out *o, const char *key, int64_t v);
void kn_cli_j_opt_int(kn_cli_out *o, const char *key, bool has, int64_t v); /* null unless has */
void kn_cli_j_bool(kn_cli_out *o, const char *key, bool v);

#endif
