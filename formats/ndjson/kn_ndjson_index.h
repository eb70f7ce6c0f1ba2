/* formats/ndjson/kn_ndjson_index.h (internal): stage 1 of the reader, the structural index.
 *
 * One pass over a window of whole lines records the position of every token the parser needs,
 * so stage 2 (kn_ndjson_reader.c) jumps from token to token instead of looking at every byte:
 *   - every unescaped quote (opening AND closing, so a string's end is the next token),
 *   - { } [ ] outside strings,
 *   - the first byte of every other run outside strings (numbers, true/false/null, garbage),
 *   - every line feed (a raw LF can never be inside a valid JSON string, so each one ends a
 *     record and resets the in-string state: one bad line cannot derail the next),
 *   - every control byte (< 0x20) inside a string, which JSON forbids: stage 2 finds it where
 *     it expects the closing quote.
 * Whitespace (space, tab, CR) and the separators ':' and ',' outside strings make no tokens
 * (they do end a run): in records they are almost always the single byte between two tokens,
 * which stage 2 checks directly, and leaving them out saves a third of the tokens. A backslash escapes the next byte
 * wherever it stands (inside strings or not), as in simdjson; this is the reference semantics
 * both twins implement, so they give identical indexes on any input.
 *
 * The scalar twin is a byte-at-a-time state machine; the AVX2 and AVX-512 twins classify 64 bytes at once
 * (quote/backslash masks with carries, in-string mask by carry-less multiply prefix-XOR) and
 * fall back to the scalar machine for any block where a line feed would sit inside a string
 * (only bad lines do that). */
#ifndef KN_NDJSON_INDEX_H
#define KN_NDJSON_INDEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Entries the index of a `len`-byte window may need (tokens, plus room for wide stores). */
static inline size_t kn__ndjson_index_bound(size_t len) { return len + 72; }
/* 64-bit words of the per-64-byte-block backslash bitmap of a `len`-byte window. */
static inline size_t kn__ndjson_bs_words(size_t len) { return (len + 63) / 64 / 64 + 1; }

/* The carried state between bytes (and blocks). */
typedef struct kn__ndjson_scan_state {
    bool in_string;  /* inside a string (after its opening quote) */
    bool escaped;    /* the next byte is escaped by a backslash */
    bool prev_other; /* the previous byte was part of a run of "other" bytes outside strings */
} kn__ndjson_scan_state;

/* Indexes buf[0..len) into pos[] (capacity kn__ndjson_index_bound(len)) and sets bit b of
 * bs[] (kn__ndjson_bs_words(len) words, all written) when block b (bytes 64b..64b+63) holds a
 * backslash. Sets *ascii when no byte is 0x80 or above, so the reader can skip UTF-8
 * validation while the bytes are in cache anyway. Returns the number of tokens. `len` < 2^32. */
typedef size_t (*kn__ndjson_index_fn)(const uint8_t *buf, size_t len, uint32_t *pos, uint64_t *bs, bool *ascii);

size_t kn__ndjson_index_scalar(const uint8_t *buf, size_t len, uint32_t *pos, uint64_t *bs, bool *ascii);
size_t kn__ndjson_index_avx2(const uint8_t *buf, size_t len, uint32_t *pos, uint64_t *bs, bool *ascii);
/* Needs kn_cpu()->avx512 (AVX512F + AVX512BW). */
size_t kn__ndjson_index_avx512(const uint8_t *buf, size_t len, uint32_t *pos, uint64_t *bs, bool *ascii);

/* The byte machine over buf[start..end), appending to pos[n..]; returns the new count. Shared
 * by the AVX2 twin for its fallback blocks. Does not touch bs[]. */
size_t kn__ndjson_index_bytes(const uint8_t *buf, size_t start, size_t end, kn__ndjson_scan_state *st,
                              uint32_t *pos, size_t n);

#endif
