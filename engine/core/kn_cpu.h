/* engine/core/kn_cpu.h: what the machine has: the CPU's features, asked once, and its memory. SIMD kernels pick their variant from
 * this at start-up; KILN_NO_SIMD=1 in the environment forces the scalar twins (for tests and
 * for ruling SIMD out when chasing a bug). */
#ifndef KN_CPU_H
#define KN_CPU_H

#include <stdbool.h>
#include <stdint.h>

typedef struct kn_cpu_features {
    bool sse42;
    bool avx2;
    bool bmi2;
    bool avx512; /* AVX512F and AVX512BW, with the OS saving their registers */
} kn_cpu_features;

/* Cached after the first call; thread-safe. */
const kn_cpu_features *kn_cpu(void);

/* The machine's physical memory in bytes (0 when the system does not say). */
uint64_t kn_machine_memory(void);

#endif
