/* kernels/kn_parse_double.c: JSON numbers to correctly rounded doubles.
 *
 * The fast path is Clinger's: when the significant digits fit in 53 bits and the power of ten
 * is exact in a double (10^0..10^22), one IEEE multiply or divide rounds correctly. Everything
 * else (more than 19 digits, large exponents, subnormals) goes through strtod_l in the "C"
 * locale on a normalized copy in a stack buffer, so the result never depends on the process
 * locale and no memory is allocated. */
#include <errno.h>
#include <locale.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "kn_parse_number.h"

static const double exact_pow10[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                       1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                       1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static locale_t c_locale;
static pthread_once_t c_locale_once = PTHREAD_ONCE_INIT;
static void make_c_locale(void) { c_locale = newlocale(LC_ALL_MASK, "C", (locale_t)0); }

/* Digits kept before the rest only counts as "something nonzero follows". 768 significant
 * digits decide the rounding of any double; a sticky 1 stands for whatever was cut. */
#define KN_MAX_KEPT_DIGITS 780

static kn_num_status slow_path(const kn_num_parts *p, double *out) {
    char buf[KN_MAX_KEPT_DIGITS + 40];
    size_t n = 0;
    if (p->negative) buf[n++] = '-';
    size_t kept = 0;
    int64_t dropped = 0; /* significant digits cut off the end */
    bool sticky = false, started = false;
    for (int part = 0; part < 2; part++) {
        const char *d = part ? p->frac_digits : p->int_digits;
        size_t len = part ? p->frac_len : p->int_len;
        for (size_t i = 0; i < len; i++) {
            if (!started && d[i] == '0') continue;
            started = true;
            if (kept < KN_MAX_KEPT_DIGITS) {
                buf[n++] = d[i];
                kept++;
            } else {
                dropped++;
                sticky |= d[i] != '0';
            }
        }
    }
    if (!started) {
        *out = p->negative ? -0.0 : 0.0;
        return KN_NUM_OK;
    }
    int64_t e = p->exp - (int64_t)p->frac_len + dropped;
    if (sticky) {
        buf[n++] = '1';
        e--;
    }
    n += (size_t)snprintf(buf + n, sizeof buf - n, "e%lld", (long long)e);
    pthread_once(&c_locale_once, make_c_locale);
    char *end;
    double v = c_locale ? strtod_l(buf, &end, c_locale) : strtod(buf, &end);
    if (isinf(v)) return KN_NUM_RANGE;
    *out = v;
    return KN_NUM_OK;
}

kn_num_status kn_parse_double(const char *s, size_t n, double *out) {
    kn_num_parts p;
    kn_num_status st = kn_num_split(s, n, &p);
    if (st != KN_NUM_OK) return st;
    uint64_t w = 0;
    int nd = 0;
    int64_t e = 0;
    for (size_t i = 0; i < p.int_len; i++) {
        if (nd == 19) return slow_path(&p, out);
        w = w * 10 + (unsigned)(p.int_digits[i] - '0');
        if (w) nd++;
    }
    for (size_t i = 0; i < p.frac_len; i++) {
        if (nd == 19) {
            /* Trailing zeros of the fraction change nothing. */
            size_t j = i;
            while (j < p.frac_len && p.frac_digits[j] == '0') j++;
            if (j == p.frac_len) break;
            return slow_path(&p, out);
        }
        w = w * 10 + (unsigned)(p.frac_digits[i] - '0');
        if (w) nd++;
        e--;
    }
    e += p.exp;
    if (w == 0) {
        *out = p.negative ? -0.0 : 0.0;
        return KN_NUM_OK;
    }
    if (w <= (1ull << 53)) {
        double d = (double)w, r;
        if (e >= 0 && e <= 22) {
            r = d * exact_pow10[e];
        } else if (e < 0 && e >= -22) {
            r = d / exact_pow10[-e];
        } else if (e > 22 && e <= 22 + 15) {
            /* w * 10^(e-22) may still be an exact integer below 2^53. */
            double t = d * exact_pow10[e - 22];
            if (t >= 9007199254740992.0) return slow_path(&p, out);
            r = t * 1e22;
        } else {
            return slow_path(&p, out);
        }
        if (isinf(r)) return KN_NUM_RANGE;
        *out = p.negative ? -r : r;
        return KN_NUM_OK;
    }
    return slow_path(&p, out);
}
