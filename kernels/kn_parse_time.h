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
