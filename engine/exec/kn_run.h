/* engine/exec/kn_run.h (internal): what the parts of a convert run share: its inputs and
 * morsels, what parsing a morsel gives, the run's state, and the calls each write path makes.
 *
 *   kn_run_morsel.c          morsels: where each starts and stops, parsing one (reader, then
 *                            steps), the check of a guessed start, the slots of the streaming
 *                            writes (parse, then accept in input order)
 *   kn_run_rejects.c         bad records: counted against --on-error / --max-errors, located
 *                            (file, line, column), quarantined in the input's format
 *   kn_sched.h               the one scheduler every write runs on: morsels parsed on every
 *                            thread, accepted in input order, the output's work in between
 *   kn_write_stream.c        the streaming write (its row groups: kn_pipeline.h)
 *   kn_write_partitioned.c   the streaming partitioned write (kn_part_pipeline.h)
 *   kn_write_sorted.c        the clustered write: keys, sort, spill, merge (kn_sort_spill.h)
 *   kn_convert.c             the job: format, schema, layout, plan, which write, commit, result
 *
 * Not a public header: only engine/exec includes it. */
#ifndef KN_RUN_H
#define KN_RUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "kn_commit.h"
#include "kn_convert.h"
#include "kn_format.h"
#include "kn_operator.h"
#include "kn_part_pipeline.h"
#include "kn_part_sink.h"
#include "kn_part_stats.h"
#include "kn_partition.h"
#include "kn_pq_rowgroup.h"
#include "kn_profile.h"
#include "kn_progress.h"
#include "kn_sort_key.h"
#include "kn_sort_spill.h"
#include "kn_stream.h"

/* One input file: its mapping, the format's view of it, its morsels. */
typedef struct kn_run_input {
    const char *path; /* borrowed from the input list */
    kn_store_mapping map; /* in the local store (kn_store_local.h) */
    kn_format_file *file; /* the format's view of it (its prologue) */
    size_t data_start;    /* the first record's first byte */
    size_t verified_end;  /* GUESS formats: where the last morsel accepted really ended */
    size_t first_morsel, num_morsels;
    /* Line counting for messages, advanced in input order only (so O(file) in total). */
    size_t line_cursor;
    int64_t line_at_cursor;
} kn_run_input;

typedef struct kn_run_morsel {
    uint32_t input;
    uint32_t index_in_file;
} kn_run_morsel;

typedef struct kn_run_reject {
    uint64_t offset;   /* the record's first byte in its file */
    uint8_t *record;   /* a copy of the record, owned */
    size_t len;
    kn_error error;    /* what is wrong, with the absolute byte offset of the fault */
} kn_run_reject;

/* What parsing one morsel gave besides its rows: its bad records and counts. */
typedef struct kn_morsel_out {
    kn_run_reject *rejects;
    size_t num_rejects, cap_rejects;
    uint64_t records;
    kn_op_counts dropped; /* rows the steps dropped */
    size_t end;        /* where reading really ended (absolute): the next morsel's start */
    kn_status fatal;   /* a non-data failure while parsing (or, streaming, a value the Parquet
                          column cannot hold) */
    kn_error fatal_error;
} kn_morsel_out;

typedef struct kn_run {
    const kn_convert_options *opt;
    const kn_format *fmt;
    const kn_format_opts *fopts; /* the format's options (NULL: its defaults) */
    const kn_schema *schema;
    kn_commit *commit;
    const char *tmp_dir;    /* OUTDIR/_tmp-<run>/ (the commit's) */
    kn_part_sink *files;    /* the Parquet files */
    bool clustered;         /* partition / sort / slices: keys, sort, planned files */
    kn_sort_key_spec key_spec;
    kn_sorter *sorter;
    kn_part_stats *stats;
    kn_sink *rejects;       /* _rejects/rejects.<format>, opened at the first reject */
    kn_sink *reasons;       /* _rejects/reasons.ndjson */
    kn_convert_result *result;
    kn_status status;       /* the first failure; stops the run */
    kn_error error;
    kn_progress progress;
    kn_profile *profile;    /* stage times (--profile), or NULL */
    kn_pq_options pq;       /* the files' options: opt->parquet, and for the clustered write's
                               one writer, the run's threads to encode its columns */
    kn_op_thread **op_threads; /* [thread * num_steps + step]: each step's state per thread, for
                                  threads + 1 threads (the last: the acceptor's second reads) */
    const kn_part_sink_options *sink_opts; /* how r->files was made (to make it again) */
} kn_run;

/* One morsel's results between its parse and its turn (kn_pipeline.h's slots). */
typedef struct kn_run_slot {
    kn_morsel_out out;
    kn_status check;    /* the rows against the Parquet columns (kn_pq_layout_check) */
    kn_error check_error;
    size_t *max_string; /* per column: the longest string */
    size_t input, start, end;
} kn_run_slot;

/* ---- morsels (kn_run_morsel.c) ---------------------------------------------------------- */

/* A morsel's bytes: the records whose first byte lies in [k*M, (k+1)*M), so the cut depends
 * only on the bytes and M. An EXACT format finds both ends (the reader gets [start, end)); a
 * GUESS format guesses the start (or is given `forced`, where the previous morsel really
 * ended) and its reader gets the rest of the file with a stop at (k+1)*M (kn_format.h). */
void kn__morsel_range(const kn_format *fmt, const kn_format_opts *fo, const kn_run_input *in, size_t k, size_t m,
                      size_t forced, size_t *start, size_t *end, size_t *stop);
/* 1-based line and column of absolute offset `off` in `in`; offsets must not go backwards. */
void kn__locate_line(kn_run_input *in, size_t off, int64_t *line, int64_t *col);
void kn__release_input(kn_run_input *in, size_t start, size_t end);
void kn__out_clear_rejects(kn_morsel_out *o);
void kn__out_release(kn_morsel_out *o);
/* Parses the records of bytes [start, end) of `in` that start before `stop` into `batch`
 * (emptied first) and `o`. `keep_going` is false in fail mode: the first bad record ends the
 * morsel. */
void kn__parse_range(const kn_format *fmt, kn_format_reader *reader, kn_batch *batch, kn_morsel_out *o,
                     const kn_run_input *in, size_t start, size_t end, size_t stop, bool keep_going);
/* The run's steps on a parsed batch, with thread `thread`'s states; what they drop is counted
 * in o->dropped, a failure kept in o->fatal. */
void kn__apply_steps(const kn_run *r, int thread, kn_batch *batch, kn_morsel_out *o);
/* A GUESS format's morsel starts where the format guessed; in input order, that must be where
 * the previous morsel of the file really ended (the first starts at the file's data). When it
 * is not, the morsel is read again from there (`start` is then where). */
bool kn__start_wrong(const kn_run *r, const kn_run_input *in, size_t start);
void kn__note_reread(kn_run *r, const kn_run_input *in, size_t guessed);
/* `window` slots, each with room for the longest string of `ncols` columns. */
kn_status kn__slots_create(size_t window, size_t ncols, kn_run_slot **out, kn_error *err);
/* Accepts NULL. */
void kn__slots_free(kn_run_slot *slots, size_t window);
/* Parses morsel `m` into `batch` and the slot: rows, rejects, the check of the values against
 * the Parquet columns, the longest strings. `forced` (SIZE_MAX: none) is where the morsel
 * starts when the format's guess was found wrong. The input's pages are the caller's to
 * release. */
void kn__slot_parse(kn_run *r, int thread, kn_run_slot *sl, const kn_pq_layout *layout, kn_format_reader *reader,
                    kn_batch *batch, kn_run_input *in, const kn_run_morsel *mo, size_t forced, bool keep_going, kn_profile *prof);
/* A parsed morsel's turn, in input order: its failures, rejects and counts; `rows` of it go on
 * to the files. */
kn_status kn__slot_accept(kn_run *r, kn_run_slot *sl, kn_run_input *in, size_t rows, kn_error *err);
/* Parsed morsels waiting for their turn, at most: enough that a slow morsel does not stall the
 * other threads, few enough to keep memory small. */
size_t kn__stream_window(int threads);
/* The streaming write's row group size: the option, but at most half the target file size,
 * since files roll only between row groups (see kn_convert.h). */
size_t kn__stream_row_group_bytes(const kn_convert_options *opt);

/* ---- bad records (kn_run_rejects.c) ----------------------------------------------------- */

/* Checks the morsel's bad records against --on-error and --max-errors, counting them as
 * rejected (and quarantining them). On failure the records counted so far are added to
 * rows_read, so the counts still add up in a failed run's result. */
kn_status kn__account_rejects(kn_run *r, kn_morsel_out *w, kn_run_input *in, kn_error *err);

/* ---- the outputs: the three write paths behind one face -------------------------------- */

/* An output takes every morsel (parsed on any thread, accepted in input order, on kn_sched) to
 * the files of r->files. start runs before the files are made (NULL: nothing to do); run parses and hands
 * over every morsel, or stops at the first failure, or, for an output that cannot go on
 * (too many folders to keep open), sets *give_way and returns KN_OK: the caller then starts
 * over with kn__output_sorted (kn__restart_sorted); finish runs after the last morsel
 * (NULL: nothing). */
typedef struct kn_output {
    const char *write_path; /* the result's write_path */
    kn_status (*start)(kn_run *r, kn_error *err);
    kn_status (*run)(kn_run *r, kn_run_input *inputs, const kn_run_morsel *morsels, size_t num_morsels, int threads,
                     bool *give_way, kn_error *err);
    kn_status (*finish)(kn_run *r, kn_error *err);
} kn_output;

/* Input order into rolling files (kn_write_stream.c). */
extern const kn_output kn__output_stream;
/* One open file per partition folder (kn_write_partitioned.c). */
extern const kn_output kn__output_partitioned;
/* Keys, external sort, the planned files one at a time (kn_write_sorted.c). */
extern const kn_output kn__output_sorted;

/* Distinct folders the partitioned streaming write keeps open at most: the option, and no more
 * than one per MiB of --memory-limit, so each open row group can still grow to some size
 * before the open-bytes rule seals it; past that the sort writes better files. */
size_t kn__pstream_max_partitions(const kn_convert_options *opt);
/* The partitioned streaming write gave way: forget what it did (files, rejects, counts) and
 * set the run up for kn__output_sorted, which gives the output a sorted run always gives. The
 * decision fell on a morsel in input order, so it is the same for any thread count. */
kn_status kn__restart_sorted(kn_run *r, kn_run_input *inputs, size_t num_inputs, kn_error *err);

#endif
