/* kernels/kn_parse_time.c: civil-date arithmetic and the ISO-8601 parsers. */
#include "kn_parse_time.h"

int64_t kn_days_from_civil(int64_t y, unsigned m, unsigned d) {
    /* Shift the year to start in March so the leap day is the last day of the "year". */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

unsigned kn_days_in_month(int64_t year, unsigned month) {
    static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (month == 2) {
        bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
        return leap ? 29 : 28;
    }
    return month >= 1 && month <= 12 ? days[month - 1] : 0;
}

/* Exactly `k` digits at s[*i]; false when any is missing. */
static inline bool digits(const char *s, size_t n, size_t *i, int k, unsigned *out) {
    if (n - *i < (size_t)k) return false;
    unsigned v = 0;
    for (int j = 0; j < k; j++) {
        unsigned d = (unsigned)(s[*i + (size_t)j] - '0');
        if (d > 9) return false;
        v = v * 10 + d;
    }
    *i += (size_t)k;
    *out = v;
    return true;
}

static kn_time_status date_part(const char *s, size_t n, size_t *i, int64_t *days) {
    unsigned y, m, d;
    if (!digits(s, n, i, 4, &y) || *i >= n || s[*i] != '-') return KN_TIME_SYNTAX;
    (*i)++;
    if (!digits(s, n, i, 2, &m) || *i >= n || s[*i] != '-') return KN_TIME_SYNTAX;
    (*i)++;
    if (!digits(s, n, i, 2, &d)) return KN_TIME_SYNTAX;
    if (m < 1 || m > 12 || d < 1 || d > kn_days_in_month(y, m)) return KN_TIME_RANGE;
    *days = kn_days_from_civil(y, m, d);
    return KN_TIME_OK;
}

kn_time_status kn_parse_iso_date(const char *s, size_t n, int32_t *days) {
    size_t i = 0;
    int64_t d;
    kn_time_status st = date_part(s, n, &i, &d);
    if (st != KN_TIME_OK) return st;
    if (i != n) return KN_TIME_SYNTAX;
    *days = (int32_t)d;
    return KN_TIME_OK;
}

/* Z, +HH:MM, +HHMM or +HH at s[*i]. */
static kn_time_status offset_part(const char *s, size_t n, size_t *i, int32_t *seconds) {
    if (s[*i] == 'Z' || s[*i] == 'z') {
        (*i)++;
        *seconds = 0;
        return KN_TIME_OK;
    }
    if (s[*i] != '+' && s[*i] != '-') return KN_TIME_SYNTAX;
    int sign = s[*i] == '-' ? -1 : 1;
    (*i)++;
    unsigned hh, mm = 0;
    if (!digits(s, n, i, 2, &hh)) return KN_TIME_SYNTAX;
    if (*i < n) {
        if (s[*i] == ':') (*i)++;
        if (!digits(s, n, i, 2, &mm)) return KN_TIME_SYNTAX;
    }
    if (hh > 23 || mm > 59) return KN_TIME_RANGE;
    *seconds = sign * (int32_t)(hh * 3600 + mm * 60);
    return KN_TIME_OK;
}

kn_time_status kn_parse_iso_timestamp(const char *s, size_t n, bool allow_date, kn_time_value *out) {
    size_t i = 0;
    int64_t days;
    kn_time_status st = date_part(s, n, &i, &days);
    if (st != KN_TIME_OK) return st;
    out->offset_seconds = 0;
    out->has_offset = false;
    if (i == n) {
        if (!allow_date) return KN_TIME_NO_TIME;
        out->wall_micros = days * 86400000000LL;
        out->has_time = false;
        return KN_TIME_OK;
    }
    if (s[i] != 'T' && s[i] != 't' && s[i] != ' ') return KN_TIME_SYNTAX;
    i++;
    unsigned hh, mi, ss = 0, micros = 0;
    if (!digits(s, n, &i, 2, &hh) || i >= n || s[i] != ':') return KN_TIME_SYNTAX;
    i++;
    if (!digits(s, n, &i, 2, &mi)) return KN_TIME_SYNTAX;
    if (i < n && s[i] == ':') {
        i++;
        if (!digits(s, n, &i, 2, &ss)) return KN_TIME_SYNTAX;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            i++;
            size_t start = i;
            while (i < n && (unsigned)(s[i] - '0') < 10 && i - start < 9) {
                if (i - start < 6) micros = micros * 10 + (unsigned)(s[i] - '0');
                i++;
            }
            size_t k = i - start;
            if (k == 0 || (i < n && (unsigned)(s[i] - '0') < 10)) return KN_TIME_SYNTAX;
            for (; k < 6; k++) micros *= 10;
        }
    }
    if (hh > 23 || mi > 59 || ss > 59) return KN_TIME_RANGE;
    if (i < n) {
        st = offset_part(s, n, &i, &out->offset_seconds);
        if (st != KN_TIME_OK) return st;
        if (i != n) return KN_TIME_SYNTAX;
        out->has_offset = true;
    }
    out->has_time = true;
    out->wall_micros = days * 86400000000LL + ((int64_t)hh * 3600 + mi * 60 + ss) * 1000000LL + micros;
    return KN_TIME_OK;
}
