/* engine/exec/kn_profile.c: stage timing (kn_profile.h). */
#include "kn_profile.h"

#include <time.h>

void kn_profile_init(kn_profile *p, bool on) {
    p->on = on;
    for (int i = 0; i < KN_STAGE_COUNT; i++) atomic_init(&p->ns[i], 0);
}

const char *kn_stage_name(kn_stage s) {
    static const char *const names[KN_STAGE_COUNT] = {"read", "parse", "transform", "merge",
                                                      "encode", "compress", "write", "idle"};
    return (unsigned)s < KN_STAGE_COUNT ? names[s] : "?";
}

static uint64_t clock_ns(clockid_t id) {
    struct timespec ts;
    clock_gettime(id, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t kn_thread_ns(void) { return clock_ns(CLOCK_THREAD_CPUTIME_ID); }
uint64_t kn_process_ns(void) { return clock_ns(CLOCK_PROCESS_CPUTIME_ID); }
uint64_t kn_wall_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

uint64_t kn_profile_lap(kn_profile *p, kn_stage stage, uint64_t t0) {
    if (!p || !p->on) return 0;
    uint64_t now = kn_thread_ns();
    atomic_fetch_add_explicit(&p->ns[stage], now - t0, memory_order_relaxed);
    return now;
}
