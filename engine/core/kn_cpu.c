/* engine/core/kn_cpu.c */
#include "kn_cpu.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static kn_cpu_features detect(void) {
    kn_cpu_features f = {false, false, false, false};
    const char *off = getenv("KILN_NO_SIMD");
    if (off && strcmp(off, "0") != 0 && off[0]) return f;
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    f.sse42 = __builtin_cpu_supports("sse4.2");
    f.avx2 = __builtin_cpu_supports("avx2");
    f.bmi2 = __builtin_cpu_supports("bmi2");
    /* GCC's check includes the OS's consent (XCR0), as the AVX2 one does. */
    f.avx512 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw");
#endif
    return f;
}

const kn_cpu_features *kn_cpu(void) {
    /* Racing first calls compute the same answer, so a plain once-flag is enough. */
    static kn_cpu_features cached;
    static _Atomic int ready;
    if (!ready) {
        cached = detect();
        ready = 1;
    }
    return &cached;
}

uint64_t kn_machine_memory(void) {
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? (uint64_t)pages * (uint64_t)size : 0;
}
