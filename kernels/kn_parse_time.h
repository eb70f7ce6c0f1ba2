/* kernels/kn_parse_time.h: ISO-8601 dates and timestamps, and strptime-like formats, parsed
 * into days and microseconds since 1970-01-01. Pure: no I/O, no allocation, no locale, no
 * time zone database (offsets are written in the text or absent).
 *
 * ISO-8601 forms accepted:
 *   date       YYYY-MM-DD
 *   timestamp  YYYY-MM-DD(T|t| )HH:MM[:SS[(.|,)F{1,9}]][Z|z|+HH:MM|-HH:MM|+HHMM|-HHMM|+HH|-HH]
 * The fraction is truncated (not rounded) to microseconds. Hours 00..23, seconds 00..59 (no
 * leap second), days checked against the month and leap years, years 0000..9999.
 *
 * A result is the WALL-CLOCK time written (as if it were UTC) plus, when the text carried one,
 * its offset; UTC is wall - offset. Whether a column keeps the wall clock or converts is the
 * caller's choice (see kn_ndjson.h). */
#ifndef KN_PARSE_TIME_H
#define KN_PARSE_TIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef enum kn_time_status {
    KN_TIME_OK = 0,
    KN_TIME_SYNTAX,   /* not in the expected form */
    KN_TIME_RANGE,    /* a field out of its range (month 13, Feb 30, hour 24, offset 25:00) */
    KN_TIME_NO_TIME   /* a date where a timestamp with a time of day was required */
} kn_time_status;

typedef struct kn_time_value {
    int64_t wall_micros;   /* the written wall clock, microseconds since 1970-01-01T00:00 */
    int32_t offset_seconds; /* east of UTC; 0 when absent */
    bool has_offset;       /* Z or an explicit offset was written */
    bool has_time;         /* a time of day was written (false for a bare date) */
} kn_time_value;

/* Days since 1970-01-01 of a proleptic Gregorian date (month 1..12, day 1..31, not checked). */
int64_t kn_days_from_civil(int64_t y, unsigned m, unsigned d);
/* Days in `month` (1..12) of `year`. */
unsigned kn_days_in_month(int64_t year, unsigned month);

/* YYYY-MM-DD exactly, into days since the epoch. */
kn_time_status kn_parse_iso_date(const char *s, size_t n, int32_t *days);
/* An ISO-8601 timestamp; with `allow_date` a bare date is accepted too (midnight, has_time
 * false), otherwise a bare date is KN_TIME_NO_TIME. */
kn_time_status kn_parse_iso_timestamp(const char *s, size_t n, bool allow_date, kn_time_value *out);

/* ---- the shape exports write most, inline ---------------------------------------------------
 * YYYY-MM-DD(T|t| )HH:MM:SS.ffffff, then Z, z or nothing (26 or 27 bytes): the timestamps of
 * nearly every data file. A column of them is read in one loop by the CSV reader, so this is
 * inline (its constants stay in registers across the loop) and reads four overlapping words
 * with one branch for the shape and one for the ranges. It gives the wall clock exactly as
 * kn_parse_iso_timestamp does (the offset is zero: Z, or none written), or false, having
 * written nothing, for any other text, which kn_parse_iso_timestamp then reads. */

/* Whether day d exists in month m (1..12) of year y (0..9999): only days past the 28th need
 * the month's length, and only February 29th the leap-year rule. */
static inline bool kn__day_exists(unsigned y, unsigned m, unsigned d) {
    static const unsigned char days[13] = {0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (d < 1 || d > days[m]) return false;
    return m != 2 || d != 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* Days since 1970-01-01 of a valid date with year 0..9999, as kn_days_from_civil computes them,
 * in unsigned arithmetic: years start in March (so the leap day ends the year), and 400 years
 * (146097 days, one whole Gregorian cycle) are added so that year 0's January and February do
 * not go negative; every division is then a plain floor. */
static inline int64_t kn__days_from_civil_0_9999(unsigned y, unsigned m, unsigned d) {
    static const unsigned short march_doy[13] = {0, 306, 337, 0, 31, 61, 92, 122, 153, 184, 214, 245, 275};
    unsigned yy = y + 400 - (m <= 2), centuries = yy / 100;
    unsigned days = yy * 365 + yy / 4 - centuries + centuries / 4 + march_doy[m] + d - 1;
    return (int64_t)days - 719468 - 146097;
}

static inline uint64_t kn__time_word(const char *s) {
    uint64_t x;
    memcpy(&x, s, 8);
    return x;
}

/* Nonzero unless every byte of x under `digits` (0xF0 per digit byte) is an ASCII digit: t =
 * x ^ '0' is 0..9 just for digits, so t and t + 6 both have a zero high nibble just for them.
 * A carry out of a byte of 0xFA or more only touches the byte after one that fails already. */
static inline uint64_t kn__time_nondigits(uint64_t t, uint64_t digits) {
    return (t | (t + 0x0606060606060606ull)) & digits;
}

/* Byte i of the result: the two-digit number at bytes i and i + 1 of t (digits as 0..9, every
 * other byte zeroed by `keep`; no byte exceeds 99, so nothing carries). */
static inline uint64_t kn__time_pairs(uint64_t t, uint64_t keep) {
    t &= keep;
    return t * 10 + (t >> 8);
}

#define KN__PAIR(p, i) ((unsigned)((p) >> (8 * (i))) & 0xFF)

static inline bool kn_parse_iso_timestamp_us(const char *s, size_t n, int64_t *wall) {
    if (n != 26 && (n != 27 || (s[26] | 0x20) != 'z')) return false;
    /* a: "YYYY-MM-", b: "DDTHH:MM", c: ":SS.ffff", e: "S.ffffff" (bytes 18..26). */
    const uint64_t zeros = 0x3030303030303030ull;
    uint64_t a = kn__time_word(s) ^ zeros, b = kn__time_word(s + 8) ^ zeros, c = kn__time_word(s + 16) ^ zeros,
             e = kn__time_word(s + 18) ^ zeros;
    /* The fixed bytes, XORed with '0' like the rest: '-' 0x1D, ':' 0x0A, '.' 0x1E. */
    uint64_t wrong = kn__time_nondigits(a, 0x00F0F000F0F0F0F0ull) | ((a ^ 0x1D00001D00000000ull) & 0xFF0000FF00000000ull) |
                     kn__time_nondigits(b, 0xF0F000F0F000F0F0ull) | ((b ^ 0x00000A0000000000ull) & 0x0000FF0000000000ull) |
                     kn__time_nondigits(c, 0x0000000000F0F000ull) | ((c ^ 0x000000001E00000Aull) & 0x00000000FF0000FFull) |
                     kn__time_nondigits(e, 0xF0F0F0F0F0F000F0ull);
    char sep = s[10];
    if (wrong || ((sep | 0x20) != 't' && sep != ' ')) return false;
    uint64_t pa = kn__time_pairs(a, 0x000F0F000F0F0F0Full), pb = kn__time_pairs(b, 0x0F0F000F0F000F0Full);
    uint64_t pe = kn__time_pairs(e, 0x0F0F0F0F0F0F0000ull);
    unsigned y = KN__PAIR(pa, 0) * 100 + KN__PAIR(pa, 2), mo = KN__PAIR(pa, 5), d = KN__PAIR(pb, 0);
    unsigned hh = KN__PAIR(pb, 3), mi = KN__PAIR(pb, 6), ss = KN__PAIR(kn__time_pairs(c, 0x00000000000F0F00ull), 1);
    unsigned micros = KN__PAIR(pe, 2) * 10000 + KN__PAIR(pe, 4) * 100 + KN__PAIR(pe, 6);
    if (mo - 1 > 11 || hh > 23 || mi > 59 || ss > 59 || !kn__day_exists(y, mo, d)) return false;
    *wall = kn__days_from_civil_0_9999(y, mo, d) * 86400000000LL + ((int64_t)hh * 3600 + mi * 60 + ss) * 1000000LL +
            micros;
    return true;
}

/* The AVX2 twin of kn_parse_iso_timestamp_us (kn_parse_time_avx2.c): the same answers; needs
 * kn_cpu()->avx2 and s[0..27) readable even when n is 26. */
bool kn_parse_iso_timestamp_us_avx2(const char *s, size_t n, int64_t *wall);

/* The same parsers without their fast path for the common shapes, for tests that compare the
 * two. */
kn_time_status kn__parse_iso_date_general(const char *s, size_t n, int32_t *days);
kn_time_status kn__parse_iso_timestamp_general(const char *s, size_t n, bool allow_date, kn_time_value *out);

/* A strptime-like format:
 *   %Y  4-digit year          %m  month 1-12 (1-2 digits)   %d  day 1-31 (1-2 digits)
 *   %H  hour 0-23 (1-2 digits) %M  minute (1-2 digits)       %S  second (1-2 digits)
 *   %y  2-digit year (69-99 -> 19xx, 00-68 -> 20xx)          %b  month name (Jan..Dec, any case)
 *   %f  fraction of a second, 1-9 digits (truncated to microseconds)
 *   %z  Z, +HH:MM, +HHMM or +HH (or '-')                     %s  seconds since the epoch (UTC)
 *   %F  %Y-%m-%d    %T  %H:%M:%S    %%  a literal '%'
 * Any other character must match itself. Fields not in the format default to 1970-01-01 00:00.
 * kn_time_format_check says whether `fmt` is usable (and why not, into why[0..cap)). */
bool kn_time_format_check(const char *fmt, char *why, size_t cap);
/* Parses all of s[0..n) with `fmt` (checked beforehand). */
kn_time_status kn_parse_time_format(const char *fmt, const char *s, size_t n, kn_time_value *out);

/* Floor division of micros into days, for DATE columns fed timestamps. */
static inline int32_t kn_micros_to_days(int64_t micros) {
    int64_t d = micros / 86400000000LL;
    if (micros % 86400000000LL < 0) d--;
    return (int32_t)d;
}

#endif
