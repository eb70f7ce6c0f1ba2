/* engine/exec/kn_operator.h: the operator interface: a step between the reader and the output
 * (cleanse, cast, filter, derive; later dedup, aggregate, join).
 *
 * A STREAMING operator maps each batch in place, on whichever thread parsed it, with that
 * thread's own state (so it needs no lock); rows it drops are counted as filtered or
 * deduplicated, and the run's counts then still add up:
 *   rows_read = rows_written + rows_rejected + rows_filtered + rows_deduplicated.
 * Operators run in the order given, after the reader and before the values are checked against
 * the Parquet columns, so the bytes out depend on the rows alone, never on the threads.
 *
 * A BLOCKING operator (dedup, aggregate, sort, join) sinks every batch into its thread's
 * state, combines the thread states, finalizes (spilling by hash partition past the memory
 * limit) and then acts as a source of batches. The slots are here so the seam is fixed; no
 * blocking operator exists yet, and a run given one fails with KN_E_UNSUPPORTED.
 *
 * Ownership: the run borrows the operators (the caller frees them after the run); thread
 * states are made and freed by the run through the operator. Streaming steps keep the schema
 * for now: a step that adds or changes columns (derive, cast) will add a bind call. */
#ifndef KN_OPERATOR_H
#define KN_OPERATOR_H

#include <stdbool.h>
#include <stdint.h>

#include "kn_column.h"
#include "kn_status.h"

typedef enum kn_op_kind {
    KN_OP_STREAMING = 0,
    KN_OP_BLOCKING
} kn_op_kind;

/* Rows an operator dropped from one batch, by why. */
typedef struct kn_op_counts {
    uint64_t filtered;
    uint64_t deduplicated;
} kn_op_counts;

typedef struct kn_op_thread kn_op_thread; /* an operator's per-thread state (its own type) */
typedef struct kn_operator kn_operator;

struct kn_operator {
    const char *name; /* for messages: "filter", "dedup" */
    kn_op_kind kind;
    /* A state for one thread (*out may stay NULL when the operator needs none). */
    kn_status (*thread_create)(const kn_operator *op, kn_op_thread **out, kn_error *err);
    void (*thread_free)(const kn_operator *op, kn_op_thread *t); /* accepts NULL */

    /* STREAMING: maps `batch` in place (it may drop rows: kernels/kn_select.h) and adds what
     * it dropped to *counts. A failure stops the run (KN_E_DATA for a row the step refuses). */
    kn_status (*map)(const kn_operator *op, kn_op_thread *t, kn_batch *batch, kn_op_counts *counts, kn_error *err);

    /* BLOCKING (no implementation yet): take a batch; merge thread `from` into `into`; finish
     * after the last batch; then hand out batches until *done. */
    kn_status (*sink)(const kn_operator *op, kn_op_thread *t, const kn_batch *batch, kn_error *err);
    kn_status (*combine)(const kn_operator *op, kn_op_thread *into, kn_op_thread *from, kn_error *err);
    kn_status (*finalize)(const kn_operator *op, kn_op_thread *t, kn_op_counts *counts, kn_error *err);
    kn_status (*source)(const kn_operator *op, kn_op_thread *t, kn_batch *out, bool *done, kn_error *err);

    void *ctx; /* the operator's own settings (borrowed by the operator's functions) */
};

#endif
