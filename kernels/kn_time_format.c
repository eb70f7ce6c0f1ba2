/* kernels/kn_time_format.c: strptime-like formats (the subset in kn_parse_time.h), interpreted
 * directly from the format text: formats are a few bytes, so compiling them buys nothing. */
#include <stdio.h>
#include <string.h>

#include "kn_parse_time.h"

bool kn_time_format_check(const char *fmt, char *why, size_t cap) {
    if (!fmt || !fmt[0]) {
        if (why && cap) snprintf(why, cap, "the format is empty");
        return false;
    }
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') continue;
        p++;
        if (!*p) {
            if (why && cap) snprintf(why, cap, "the format ends with a lone '%%'");
            return false;
        }
        if (!strchr("YmdHMSyfbzsFT%", *p)) {
            if (why && cap)
                snprintf(why, cap, "unsupported conversion '%%%c' (supported: %%Y %%m %%d %%H %%M %%S %%y %%b %%f %%z %%s %%F %%T %%%%)", *p);
            return false;
        }
    }
    return true;
}

/* 1..max digits at s[*i]. */
static bool num(const char *s, size_t n, size_t *i, int min_digits, int max_digits, int64_t *out) {
    int64_t v = 0;
    int k = 0;
    while (*i < n && k < max_digits && (unsigned)(s[*i] - '0') < 10) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    *out = v;
    return k >= min_digits;
}

typedef struct fields {
    int64_t year, month, day, hour, minute, second, micros;
    int32_t offset;
    bool has_offset, has_epoch, has_time, has_date;
    int64_t epoch;
} fields;

static kn_time_status conv(char c, const char *s, size_t n, size_t *i, fields *f) {
    int64_t v;
    switch (c) {
    case 'Y':
        if (!num(s, n, i, 4, 4, &f->year)) return KN_TIME_SYNTAX;
        f->has_date = true;
        return KN_TIME_OK;
    case 'y':
        if (!num(s, n, i, 2, 2, &v)) return KN_TIME_SYNTAX;
        f->year = v < 69 ? 2000 + v : 1900 + v;
        f->has_date = true;
        return KN_TIME_OK;
    case 'm': f->has_date = true; return num(s, n, i, 1, 2, &f->month) ? KN_TIME_OK : KN_TIME_SYNTAX;
    case 'd': f->has_date = true; return num(s, n, i, 1, 2, &f->day) ? KN_TIME_OK : KN_TIME_SYNTAX;
    case 'H': f->has_time = true; return num(s, n, i, 1, 2, &f->hour) ? KN_TIME_OK : KN_TIME_SYNTAX;
    case 'M': f->has_time = true; return num(s, n, i, 1, 2, &f->minute) ? KN_TIME_OK : KN_TIME_SYNTAX;
    case 'S': f->has_time = true; return num(s, n, i, 1, 2, &f->second) ? KN_TIME_OK : KN_TIME_SYNTAX;
    case 'f': {
        size_t start = *i;
        int64_t us = 0;
        while (*i < n && *i - start < 9 && (unsigned)(s[*i] - '0') < 10) {
            if (*i - start < 6) us = us * 10 + (s[*i] - '0');
            (*i)++;
        }
        size_t k = *i - start;
        if (k == 0) return KN_TIME_SYNTAX;
        for (; k < 6; k++) us *= 10;
        f->micros = us;
        return KN_TIME_OK;
    }
    case 'b': {
        static const char names[] = "janfebmaraprmayjunjulaugsepoctnovdec";
        if (n - *i < 3) return KN_TIME_SYNTAX;
        char t[3] = {(char)(s[*i] | 0x20), (char)(s[*i + 1] | 0x20), (char)(s[*i + 2] | 0x20)};
        for (int m = 0; m < 12; m++)
            if (memcmp(names + 3 * m, t, 3) == 0) {
                f->month = m + 1;
                f->has_date = true;
                *i += 3;
                return KN_TIME_OK;
            }
        return KN_TIME_SYNTAX;
    }
    case 'z': {
        if (*i >= n) return KN_TIME_SYNTAX;
        if (s[*i] == 'Z' || s[*i] == 'z') {
            (*i)++;
            f->offset = 0;
            f->has_offset = true;
            return KN_TIME_OK;
        }
        if (s[*i] != '+' && s[*i] != '-') return KN_TIME_SYNTAX;
        int sign = s[(*i)++] == '-' ? -1 : 1;
        int64_t hh, mm = 0;
        size_t before = *i;
        if (!num(s, n, i, 2, 2, &hh) || *i - before != 2) return KN_TIME_SYNTAX;
        if (*i < n && s[*i] == ':') {
            (*i)++;
            if (!num(s, n, i, 2, 2, &mm)) return KN_TIME_SYNTAX;
        } else if (n - *i >= 2 && (unsigned)(s[*i] - '0') < 10 && (unsigned)(s[*i + 1] - '0') < 10) {
            num(s, n, i, 2, 2, &mm);
        }
        if (hh > 23 || mm > 59) return KN_TIME_RANGE;
        f->offset = sign * (int32_t)(hh * 3600 + mm * 60);
        f->has_offset = true;
        return KN_TIME_OK;
    }
    case 's': {
        bool neg = *i < n && s[*i] == '-';
        if (neg) (*i)++;
        /* 12 digits reach year 33658: far enough, and no overflow in micros. */
        if (!num(s, n, i, 1, 12, &v) || (*i < n && (unsigned)(s[*i] - '0') < 10)) return KN_TIME_SYNTAX;
        f->epoch = neg ? -v : v;
        f->has_epoch = true;
        return KN_TIME_OK;
    }
    case '%':
        if (*i >= n || s[*i] != '%') return KN_TIME_SYNTAX;
        (*i)++;
        return KN_TIME_OK;
    default: return KN_TIME_SYNTAX;
    }
}

kn_time_status kn_parse_time_format(const char *fmt, const char *s, size_t n, kn_time_value *out) {
    fields f = {1970, 1, 1, 0, 0, 0, 0, 0, false, false, false, false, 0};
    size_t i = 0;
    for (const char *p = fmt; *p; p++) {
        if (*p != '%') {
            if (i >= n || s[i] != *p) return KN_TIME_SYNTAX;
            i++;
            continue;
        }
        p++;
        const char *expand = *p == 'F' ? "Y-m-d" : *p == 'T' ? "H:M:S" : NULL;
        if (expand) {
            for (const char *e = expand; *e; e++) {
                if (*e == '-' || *e == ':') {
                    if (i >= n || s[i] != *e) return KN_TIME_SYNTAX;
                    i++;
                    continue;
                }
                kn_time_status st = conv(*e, s, n, &i, &f);
                if (st != KN_TIME_OK) return st;
            }
            continue;
        }
        if (!*p) return KN_TIME_SYNTAX;
        kn_time_status st = conv(*p, s, n, &i, &f);
        if (st != KN_TIME_OK) return st;
    }
    if (i != n) return KN_TIME_SYNTAX;
    if (f.has_epoch) {
        out->wall_micros = f.epoch * 1000000LL + f.micros;
        out->offset_seconds = 0;
        out->has_offset = true;
        out->has_time = true;
        return KN_TIME_OK;
    }
    if (f.month < 1 || f.month > 12 || f.day < 1 || f.day > (int64_t)kn_days_in_month(f.year, (unsigned)f.month) ||
        f.hour > 23 || f.minute > 59 || f.second > 59)
        return KN_TIME_RANGE;
    int64_t days = kn_days_from_civil(f.year, (unsigned)f.month, (unsigned)f.day);
    out->wall_micros = days * 86400000000LL + (f.hour * 3600 + f.minute * 60 + f.second) * 1000000LL + f.micros;
    out->offset_seconds = f.offset;
    out->has_offset = f.has_offset;
    out->has_time = f.has_time;
    return KN_TIME_OK;
}
