/* engine/exec/kn_progress.h: progress on stderr. On a terminal, one bar redrawn in place at
 * most ten times a second; otherwise a plain line at each tenth of the input, so logs stay
 * readable in Airflow and Step Functions. Called from the pipeline's ordered phase only, so it
 * needs no lock. */
#ifndef KN_PROGRESS_H
#define KN_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

typedef struct kn_progress {
    bool enabled;
    bool tty;
    uint64_t total;
    uint64_t done;
    double started;
    double last_draw;
    int last_tenth;
} kn_progress;

void kn_progress_init(kn_progress *p, bool enabled, uint64_t total_bytes);
void kn_progress_update(kn_progress *p, uint64_t bytes_done);
/* Ends the bar's line on a terminal. */
void kn_progress_finish(kn_progress *p);

#endif
