/* engine/core/kn_log.c */
#include "kn_log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static _Atomic int g_level = KN_LOG_INFO;

void kn_log_set_level(kn_log_level level) { atomic_store(&g_level, (int)level); }
kn_log_level kn_log_get_level(void) { return (kn_log_level)atomic_load(&g_level); }

void kn_log(kn_log_level level, const char *fmt, ...) {
    if ((int)level > atomic_load(&g_level)) return;
    static const char *const names[] = {"error", "warning", "info", "debug"};
    char line[2048];
    int n = snprintf(line, sizeof line, "kiln: %s: ", names[level]);
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    va_end(ap);
    size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
    if (len > sizeof line - 2) len = sizeof line - 2;
    line[len++] = '\n';
    ssize_t w = write(STDERR_FILENO, line, len);
    (void)w;
}
