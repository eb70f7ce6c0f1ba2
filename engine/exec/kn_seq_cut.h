/* engine/exec/kn_seq_cut.h: cuts a sequential byte source (a pipe, a decompressor, an HTTP
 * body) into morsels of whole records, so one thread reading front to back feeds the parallel
 * parse. Plain local files are mapped and cut in place instead (kn_run_morsel.c); this is the
 * way for bytes that can only be read once, in order.
 *
 * The cutter reads the file's prologue first (the format's file_open: a BOM, skipped rows, a
 * CSV header) and keeps those bytes; then each kn_seq_cut_next hands out the next morsel in its
 * own buffer: whole records only (the format's complete_prefix says where they end), so any
 * reader parses it alone and exactly, CSV included (no guessed starts to check). Concatenated,
 * the morsels are the source's bytes from the data start on.
 *
 * Threads: a cutter is used by one thread at a time (calls in morsel order). What it hands
 * out is independent of it: other threads may parse earlier morsels, with the cutter's file
 * view, while the next is being read. */
#ifndef KN_SEQ_CUT_H
#define KN_SEQ_CUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_format.h"
#include "kn_schema.h"
#include "kn_status.h"
#include "kn_stream.h"

typedef struct kn_seq_cut kn_seq_cut; /* opaque */

typedef struct kn_seq_cut_options {
    size_t morsel_bytes;       /* default 8 MiB: every morsel but the last has at least this
                                  many bytes, and about 1/16 more at most (or one record more,
                                  when a record is longer than that) */
    size_t max_prologue_bytes; /* default 64 MiB: a prologue (skipped rows, header) not done
                                  within this many bytes is bad data */
    size_t max_record_bytes;   /* default 1 GiB: a record that runs longer (a quote never
                                  closed, a file that is not the format) is bad data, rather
                                  than the whole rest of the stream held in memory */
    bool count_lines;          /* default false: number each morsel's first line (see
                                  kn_seq_morsel.first_line); one more pass over every byte */
} kn_seq_cut_options;

void kn_seq_cut_options_init(kn_seq_cut_options *opt);

/* One morsel: whole records, starting on a record boundary. */
typedef struct kn_seq_morsel {
    uint8_t *data;       /* the caller's once handed out: kn_free(data) (kn_alloc.h) */
    size_t len;          /* > 0 */
    uint64_t offset;     /* the file offset of data[0] (reader_reset's base_offset) */
    int64_t first_line;  /* 1-based line (LFs before it, plus one) of data[0] with count_lines,
                            else -1 */
} kn_seq_morsel;

/* Reads the prologue of the file `name` from `src` and makes a cutter. `fmt` and `fopts` (the
 * format's options, NULL for a format without) are borrowed and must outlive the cutter, as
 * must `schema` (borrowed; NULL when inferring) and `name` (borrowed; for messages and for
 * what file_open takes from the name, like a .tsv delimiter). `src` is taken: the cutter
 * frees it, and so does this call when it fails. `opt` may be NULL for defaults.
 *
 * file_open is given at least a morsel's worth of bytes (or the whole source), and more, read
 * and tried again, while the prologue runs to the end of what it was given or the first
 * record after it is not whole (a CSV without a header takes its column count from it).
 * Fails with the source's error (naming it), with file_open's error, or with KN_E_DATA
 * when the prologue or the first record passes the limits of `opt`; *out is then NULL. */
kn_status kn_seq_cut_create(const kn_format *fmt, const kn_format_opts *fopts, const kn_schema *schema,
                            kn_seq_source *src, const char *name, const kn_seq_cut_options *opt, kn_seq_cut **out,
                            kn_error *err);

/* The next morsel into *out, or *done (and *out zeroed) when the source is spent; the source
 * and the read buffer are freed then (the file view and prologue stay). A failure
 * is the source's (KN_E_IO or KN_E_FORMAT, naming it), KN_E_DATA for a record longer than
 * max_record_bytes (at its offset), or KN_E_NOMEM; after one, only kn_seq_cut_free is left. */
kn_status kn_seq_cut_next(kn_seq_cut *c, kn_seq_morsel *out, bool *done, kn_error *err);

/* The format's view of the file (what file_open made; NULL for a format without one), for
 * reader_reset and the file_* calls. Owned by the cutter: it lives until kn_seq_cut_free, so
 * free the cutter only once no reader uses it. */
const kn_format_file *kn_seq_cut_file(const kn_seq_cut *c);

/* The prologue's bytes, the file's [0, data start) (borrowed from the cutter, like the file
 * view): *len is the data start, the offset of the first morsel. */
const uint8_t *kn_seq_cut_prologue(const kn_seq_cut *c, size_t *len);

/* The bytes a rejects file starts with (file_reject_prologue's range, read from the kept
 * prologue; borrowed, as above): *len 0 for none. */
const uint8_t *kn_seq_cut_reject_prologue(const kn_seq_cut *c, size_t *len);

/* Frees the cutter, its source, its file view and its prologue; morsels handed out stay the
 * caller's. Accepts NULL. */
void kn_seq_cut_free(kn_seq_cut *c);

#endif
