/* tests/common/kn_test_format.h: a format's options from a spec, for the suites that drive the
 * format interface (test_seq_cut, test_xml). */
#ifndef KN_TEST_FORMAT_H
#define KN_TEST_FORMAT_H

#include <check.h>
#include <stdio.h>
#include <string.h>

#include "kn_format.h"

/* `fmt`'s options from "key=value;flag;..." ("" for the defaults). Options borrow their strings
 * (XML's row tag): these live on, for one set of options at a time (CSV copies what it takes). */
static inline kn_format_opts *kn_test_format_options(const kn_format *fmt, const char *spec) {
    kn_format_option o[8];
    static char keys[8][32], vals[8][32];
    size_t n = 0;
    for (const char *p = spec; *p && n < 8;) {
        const char *end = strchr(p, ';');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        const char *eq = memchr(p, '=', len);
        size_t kl = eq ? (size_t)(eq - p) : len;
        snprintf(keys[n], sizeof keys[n], "%.*s", (int)kl, p);
        o[n].key = keys[n];
        o[n].value = NULL;
        if (eq) {
            snprintf(vals[n], sizeof vals[n], "%.*s", (int)(len - kl - 1), eq + 1);
            o[n].value = vals[n];
        }
        n++;
        p += len + (end ? 1 : 0);
    }
    kn_format_opts *fo = NULL;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(fmt->options_create(o, n, &fo, &e) == KN_OK, "%s", e.what);
    return fo;
}

#endif
