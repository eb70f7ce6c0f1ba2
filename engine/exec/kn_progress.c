/* engine/exec/kn_progress.c */
#include "kn_progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "kn_log.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void kn_progress_init(kn_progress *p, bool enabled, uint64_t total_bytes) {
    p->enabled = enabled && kn_log_get_level() >= KN_LOG_INFO;
    p->tty = isatty(STDERR_FILENO);
    p->total = total_bytes;
    p->done = 0;
    p->started = p->last_draw = now();
    p->last_tenth = 0;
}

void kn_progress_update(kn_progress *p, uint64_t bytes_done) {
    p->done += bytes_done;
    if (!p->enabled || p->total == 0) return;
    double t = now();
    double frac = (double)p->done / (double)p->total;
    double mbps = (double)p->done / 1e6 / (t - p->started > 1e-6 ? t - p->started : 1e-6);
    if (p->tty) {
        if (t - p->last_draw < 0.1 && p->done < p->total) return;
        p->last_draw = t;
        char bar[31];
        int filled = (int)(frac * 30);
        for (int i = 0; i < 30; i++) bar[i] = i < filled ? '#' : '.';
        bar[30] = '\0';
        fprintf(stderr, "\r[%s] %3d%% %.1f/%.1f MB %.0f MB/s ", bar, (int)(frac * 100),
                (double)p->done / 1e6, (double)p->total / 1e6, mbps);
        fflush(stderr);
    } else {
        int tenth = (int)(frac * 10);
        if (tenth <= p->last_tenth) return;
        p->last_tenth = tenth;
        kn_log(KN_LOG_INFO, "progress: %d%% (%.1f of %.1f MB, %.0f MB/s)", tenth * 10,
               (double)p->done / 1e6, (double)p->total / 1e6, mbps);
    }
}

void kn_progress_finish(kn_progress *p) {
    if (p->enabled && p->tty && p->total) fputc('\n', stderr);
}
