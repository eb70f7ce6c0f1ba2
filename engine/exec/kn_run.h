/* engine/exec/kn_run.h (internal): what the parts of a convert run share: its inputs and
 * morsels, what parsing a morsel gives, the run's state, and the calls each write path makes.
 *
 *   kn_run_plan.c            the plan: each input mapped and cut in place, or read front to
 *                            back and cut as it comes (kn_seq_cut.h); morsels taken in order
 *   kn_run_morsel.c          morsels: where each starts and stops, parsing one (reader, then
 *                            steps), the check of a guessed start, the slots of the streaming
 *                            writes (parse, then accept in input order)
 *   kn_run_rejects.c         bad records: counted against --on-error / --max-errors, located
 *                            (file, line, column), quarantined in the input's format
 *   kn_sched.h               the one scheduler every write runs on: morsels parsed on every
 *                            thread, accepted in input order, the output's work in between
 *   kn_write_stream.c        the streaming write (its row groups: kn_pipeline.h)
 *   kn_write_partitioned.c   the partitioned writes without a sort: through folder queues
 *                            (kn_part_pipeline.h) or by buckets (kn_part_buckets.h)
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
#include "kn_seq_cut.h"
#include "kn_sort_key.h"
#include "kn_sort_spill.h"
#include "kn_stream.h"

/* One input file: its bytes (mapped, or cut as they are read), the format's view of it, its
 * morsels. */
typedef struct kn_run_input {
    const char *path; /* borrowed from the input list */
    kn_store_mapping map; /* mapped in the local store (kn_store_local.h); empty when cut */
    bool regular;         /* a regular file, not a pipe or a device */
    bool streamed;        /* read front to back (a pipe, --input-mode stream, a compressed
                             file) rather than mapped */
    kn_seq_cut *cut;      /* streamed: its morsels come from this, once opened (when the feed
                             first reads it); NULL until then, and when mapped */
    kn_format_file *file; /* the format's view of it (its prologue); the cutter's when cut */
    size_t data_start;    /* the first record's first byte */
    size_t verified_end;  /* GUESS formats: where the last morsel accepted really ended */
    size_t first_morsel, num_morsels; /* mapped: numbered up front */
    /* Line counting for messages, advanced in input order only (so O(file) in total). */
    size_t line_cursor;
    int64_t line_at_cursor;
} kn_run_input;

typedef struct kn_run_morsel {
    uint32_t input;
    uint32_t index_in_file;
    struct kn_run_input *member; /* an archive's morsel: the member it is from (its own path and
                                    format view), owned by the plan; else NULL */
    /* A cut input's morsel: whole records in a buffer of its own (the taker's until
     * kn__morsel_done), file offset of its first byte, and that byte's line. NULL data for a
     * mapped input's, which is found in the mapping. */
    uint8_t *data;
    size_t len;
    uint64_t offset;
    int64_t first_line;
    kn_status fatal; /* the cut failed here (kn__plan_error says how); no morsel follows */
} kn_run_morsel;

typedef struct kn_run_plan kn_run_plan; /* the inputs and their morsels (kn_run_plan.c) */

typedef struct kn_run_reject {
    uint64_t offset;   /* the record's first byte in its file */
    uint8_t *record;   /* a copy of the record, owned */
    size_t len;
    kn_error error;    /* what is wrong, with the absolute byte offset of the fault, and its line
                          and column once located */
    bool located;      /* line and column found at parse (a cut input's bytes go after it) */
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
    kn_run_plan *plan;      /* the inputs and their morsels */
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
    kn_run_morsel mo;   /* which morsel */
    kn_morsel_out out;
    kn_status check;    /* the rows against the Parquet columns (kn_pq_layout_check) */
    kn_error check_error;
    size_t *max_string; /* per column: the longest string */
    size_t input, start, end;
} kn_run_slot;

/* ---- the plan (kn_run_plan.c) ----------------------------------------------------------- */

/* Opens the inputs `paths` (n of them, borrowed until kn__plan_free) with r's format, options
 * and schema: each mapped and numbered into morsels, or, when it can only be read once (a pipe,
 * /dev/stdin) or `stream` says so, read front to back through a cutter. *out is the caller's
 * (kn__plan_free), also on failure. */
kn_status kn__plan_open(const kn_run *r, const char *const *paths, size_t n, bool stream, kn_run_plan **out,
                        kn_error *err);
kn_run_input *kn__plan_inputs(kn_run_plan *p, size_t *n);
/* The number of morsels, or KN_SCHED_OPEN when some input is cut as it is read. */
size_t kn__plan_num_morsels(const kn_run_plan *p);
/* Morsel m into *out, or false when there is none. Any thread; with cut inputs, takes of m wait
 * until m - 1 is taken (kn_sched hands morsels to parse in order, so they do not wait long). */
bool kn__plan_take(kn_run_plan *p, size_t m, kn_run_morsel *out);
/* Why the morsel whose fatal is set failed. */
const kn_error *kn__plan_error(const kn_run_plan *p);
void kn__plan_free(kn_run_plan *p, const kn_format *fmt); /* accepts NULL */

/* ---- morsels (kn_run_morsel.c) ---------------------------------------------------------- */

/* 1-based line and column of absolute offset `off` in mapped input `in`; offsets must not go
 * backwards. */
void kn__locate_line(kn_run_input *in, size_t off, int64_t *line, int64_t *col);
void kn__out_clear_rejects(kn_morsel_out *o);
void kn__out_release(kn_morsel_out *o);
/* Parses morsel `mo` of `in` into `batch` (emptied first) and `o`; returns where the morsel
 * starts. A mapped input's morsel holds the records whose first byte lies in [k*M, (k+1)*M),
 * so the cut depends only on the bytes and M: an EXACT format finds both ends, a GUESS format
 * guesses the start, or is given `forced` (SIZE_MAX: none), where the previous morsel really
 * ended, and reads on to where its last record ends (kn_format.h). A cut input's morsel is
 * whole records already. `keep_going` is false in fail mode: the first bad record ends the
 * morsel. The morsel's bytes are the caller's to let go (kn__morsel_done). */
size_t kn__parse_morsel(const kn_run *r, kn_format_reader *reader, kn_batch *batch, kn_morsel_out *o,
                        const kn_run_input *in, const kn_run_morsel *mo, size_t forced, bool keep_going);
/* A parsed morsel's bytes [start, end) are no longer needed (the batch holds copies): a mapped
 * input's pages go back, a cut input's buffer is freed. */
void kn__morsel_done(kn_run_input *in, kn_run_morsel *mo, size_t start, size_t end);
/* The run's steps on a parsed batch, with thread `thread`'s states; what they drop is counted
 * in o->dropped, a failure kept in o->fatal. */
void kn__apply_steps(const kn_run *r, int thread, kn_batch *batch, kn_morsel_out *o);
/* A GUESS format's morsel of a mapped input starts where the format guessed; in input order,
 * that must be where the previous morsel of the file really ended (the first starts at the
 * file's data). When it is not, the morsel is read again from there (`start` is then where). */
bool kn__start_wrong(const kn_run *r, const kn_run_input *in, size_t start);
void kn__note_reread(kn_run *r, const kn_run_input *in, size_t guessed);
/* `window` slots, each with room for the longest string of `ncols` columns. */
kn_status kn__slots_create(size_t window, size_t ncols, kn_run_slot **out, kn_error *err);
/* Accepts NULL. */
void kn__slots_free(kn_run_slot *slots, size_t window);
/* Parses the slot's morsel (sl->mo) into `batch` and the slot: rows, rejects, the check of the
 * values against the Parquet columns, the longest strings. `forced` (SIZE_MAX: none) is where
 * the morsel starts when the format's guess was found wrong. Then lets its bytes go. */
void kn__slot_parse(kn_run *r, int thread, kn_run_slot *sl, const kn_pq_layout *layout, kn_format_reader *reader,
                    kn_batch *batch, size_t forced, bool keep_going, kn_profile *prof);
/* A parsed morsel's turn, in input order: its failures, rejects and counts; `rows` of it go on
 * to the files. */
kn_status kn__slot_accept(kn_run *r, kn_run_slot *sl, size_t rows, kn_error *err);
/* The input a morsel comes from. */
kn_run_input *kn__input(kn_run *r, const kn_run_morsel *mo);
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
 * the files of r->files. start runs before the files are made (NULL: nothing to do); run parses
 * and hands over every morsel, or stops at the first failure; finish runs after the last morsel
 * (NULL: nothing). */
typedef struct kn_output {
    const char *write_path; /* the result's write_path */
    kn_status (*start)(kn_run *r, kn_error *err);
    kn_status (*run)(kn_run *r, int threads, kn_error *err);
    kn_status (*finish)(kn_run *r, kn_error *err);
} kn_output;

/* Whether the folder queues suit this input better than the buckets, judged up front from its
 * first morsel (parsed and grouped by folder, then dropped; nothing is counted): not when that
 * morsel already spreads over thousands of folders at a few rows each. The two write the same
 * files; only the time differs. True when the first morsel cannot be looked at
 * twice (an input cut as it is read) or fails to parse (the run reports it). */
bool kn__partitioned_suits(kn_run *r);

/* Input order into rolling files (kn_write_stream.c). */
extern const kn_output kn__output_stream;
/* Each partition folder's rows into row groups of its own files (kn_write_partitioned.c),
 * through folder queues or by buckets. */
extern const kn_output kn__output_partitioned;
extern const kn_output kn__output_bucketed;
/* Keys, external sort, the planned files one at a time (kn_write_sorted.c). */
extern const kn_output kn__output_sorted;

#endif
