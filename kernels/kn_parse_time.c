/* kernels/kn_parse_time.c: civil-date arithmetic and the ISO-8601 parsers.
 *
 * The parsers first try the shapes nearly every data file writes (YYYY-MM-DD, and
 * YYYY-MM-DDTHH:MM:SS with an optional fraction and an optional Z) with word-at-a-time checks
 * and no loops; anything else, and anything out of range, goes to the general field-by-field
 * parser, which alone decides failures and their status. Tests compare the two on random
 * inputs. */
#include "kn_parse_time.h"

#include <string.h>

#include "kn_parse_number.h"

/* Inlined into the parsers below; kn_days_from_civil is its public face. */
static inline int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
    /* Shift the year to start in March so the leap day is the last day of the "year". */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

int64_t kn_days_from_civil(int64_t y, unsigned m, unsigned d) { return days_from_civil(y, m, d); }

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

kn_time_status kn__parse_iso_date_general(const char *s, size_t n, int32_t *days) {
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

kn_time_status kn__parse_iso_timestamp_general(const char *s, size_t n, bool allow_date, kn_time_value *out) {
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

/* ---- the fast shapes --------------------------------------------------------------------- */

static inline uint64_t load8(const char *s) {
    uint64_t x;
    memcpy(&x, s, 8);
    return x;
}

/* Nonzero unless every byte of `x` under `digit_mask` (0xFF per byte) is an ASCII digit and
 * every byte under `fixed_mask` equals the same byte of `fixed`. A byte is a digit when its
 * high nibble is 3 and adding 6 keeps it so (low nibble <= 9). Adding 6 to a byte of 0xFA or
 * more carries into the next byte, but such a byte already fails its own check. Callers OR
 * several words' results and branch once. */
static inline uint64_t word_mismatch(uint64_t x, uint64_t digit_mask, uint64_t fixed_mask, uint64_t fixed) {
    const uint64_t hi = 0xF0F0F0F0F0F0F0F0ull, threes = 0x3030303030303030ull, sixes = 0x0606060606060606ull;
    uint64_t bad = ((x & hi) ^ threes) | (((x + sixes) & hi) ^ threes);
    return (bad & digit_mask) | ((x ^ fixed) & fixed_mask);
}

/* "YYYY-MM-": digits at bytes 0-3 and 5-6, dashes at 4 and 7. */
static inline uint64_t year_month_mismatch(uint64_t a) {
    return word_mismatch(a, 0x00FFFF00FFFFFFFFull, 0xFF0000FF00000000ull, 0x2D00002D00000000ull);
}

/* For a word of checked digits: byte i of the result is the two-digit number written at bytes
 * i and i + 1 (each byte times ten plus the next; no byte exceeds 99, so nothing carries).
 * Only the bytes where a pair starts are read. */
static inline uint64_t digit_pairs(uint64_t x) {
    uint64_t t = x & 0x0F0F0F0F0F0F0F0Full;
    return t * 10 + (t >> 8);
}

/* The byte at i of a digit_pairs word: the value of the pair starting there. */
#define PAIR(p, i) ((unsigned)((p) >> (8 * (i))) & 0xFF)

/* The year and month of a checked "YYYY-MM-" word. */
static inline void year_month(uint64_t a, unsigned *y, unsigned *m) {
    uint64_t p = digit_pairs(a);
    *y = PAIR(p, 0) * 100 + PAIR(p, 2);
    *m = PAIR(p, 5);
}

/* YYYY-MM-DD (exactly 10 bytes) into days; false for any other shape or a day that does not
 * exist. */
static inline bool iso_date_fast(const char *s, size_t n, int64_t *days) {
    if (n != 10) return false;
    uint64_t a = load8(s);
    if (year_month_mismatch(a)) return false;
    unsigned y, m;
    year_month(a, &y, &m);
    unsigned d1 = (unsigned)(s[8] - '0'), d2 = (unsigned)(s[9] - '0');
    if (d1 > 9 || d2 > 9) return false;
    unsigned d = d1 * 10 + d2;
    if (m < 1 || m > 12 || !kn__day_exists(y, m, d)) return false;
    *days = kn__days_from_civil_0_9999(y, m, d);
    return true;
}

/* The fraction of a second in s[19..end), end > 19: '.' or ',' then 1 to 9 digits, truncated
 * to microseconds. The word of the 8 bytes before `end` holds up to 8 of the digits in its
 * top bytes, so they are checked and read at once (with the bytes before them masked to
 * zeros, which read as leading zeros) instead of in a loop. */
static inline bool fraction_micros(const char *s, size_t end, unsigned *micros) {
    size_t k = end - 20;
    if ((s[19] != '.' && s[19] != ',') || k < 1 || k > 9) return false;
    uint64_t x = load8(s + end - 8);
    uint64_t digits = k >= 8 ? ~0ull : ~((1ull << (8 * (8 - k))) - 1);
    if (kn__swar_nondigits(x) & digits) return false;
    uint64_t v = kn__swar_digits_value(x & digits, 8);
    if (k == 9) {
        unsigned first = (unsigned)(s[20] - '0');
        if (first > 9) return false;
        v += first * 100000000ull;
    }
    static const unsigned up[7] = {1000000, 100000, 10000, 1000, 100, 10, 1};
    switch (k) {
    case 7: *micros = (unsigned)(v / 10); break;
    case 8: *micros = (unsigned)(v / 100); break;
    case 9: *micros = (unsigned)(v / 1000); break;
    default: *micros = (unsigned)v * up[k]; break;
    }
    return true;
}

/* YYYY-MM-DD(T|t| )HH:MM:SS[(.|,)F{1,9}][Z|z]; false for any other shape (offsets, no
 * seconds) or any field out of range. Three overlapping 8-byte words cover the 19 fixed bytes:
 * s[0..8) "YYYY-MM-", s[8..16) "DDTHH:MM", s[11..19) "HH:MM:SS". The length tells where the
 * fraction ends. */
static inline bool iso_timestamp_fast(const char *s, size_t n, kn_time_value *out) {
    if (n < 19) return false;
    uint64_t a = load8(s), b = load8(s + 8), c = load8(s + 11);
    /* b: DD at 0-1, the date-time separator at 2, HH at 3-4, ':' at 5, MM at 6-7; c: HH:MM:SS,
     * digits at 0-1, 3-4, 6-7 and colons at 2 and 5. */
    if (year_month_mismatch(a) | word_mismatch(b, 0xFFFF00FFFF00FFFFull, 0x0000FF0000000000ull, 0x00003A0000000000ull) |
        word_mismatch(c, 0xFFFF00FFFF00FFFFull, 0x0000FF0000FF0000ull, 0x00003A00003A0000ull))
        return false;
    char sep = s[10];
    if (sep != 'T' && sep != 't' && sep != ' ') return false;
    unsigned y, mo;
    year_month(a, &y, &mo);
    uint64_t pb = digit_pairs(b);
    unsigned d = PAIR(pb, 0), hh = PAIR(pb, 3), mi = PAIR(pb, 6), ss = PAIR(digit_pairs(c), 6);
    if (mo < 1 || mo > 12 || !kn__day_exists(y, mo, d) || hh > 23 || mi > 59 || ss > 59) return false;
    bool zulu = s[n - 1] == 'Z' || s[n - 1] == 'z';
    size_t end = n - zulu; /* where the fraction, if any, ends */
    unsigned micros = 0;
    if (end > 19 && !fraction_micros(s, end, &micros)) return false;
    out->offset_seconds = 0;
    out->has_offset = zulu;
    out->has_time = true;
    out->wall_micros = kn__days_from_civil_0_9999(y, mo, d) * 86400000000LL +
                       ((int64_t)hh * 3600 + mi * 60 + ss) * 1000000LL + micros;
    return true;
}

kn_time_status kn_parse_iso_date(const char *s, size_t n, int32_t *days) {
    int64_t d;
    if (iso_date_fast(s, n, &d)) {
        *days = (int32_t)d;
        return KN_TIME_OK;
    }
    return kn__parse_iso_date_general(s, n, days);
}

kn_time_status kn_parse_iso_timestamp(const char *s, size_t n, bool allow_date, kn_time_value *out) {
    int64_t wall;
    if (kn_parse_iso_timestamp_us(s, n, &wall)) {
        out->wall_micros = wall;
        out->offset_seconds = 0;
        out->has_offset = n == 27;
        out->has_time = true;
        return KN_TIME_OK;
    }
    if (iso_timestamp_fast(s, n, out)) return KN_TIME_OK;
    return kn__parse_iso_timestamp_general(s, n, allow_date, out);
}
