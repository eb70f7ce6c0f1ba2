/* engine/core/kn_log.h: log lines on stderr. Never stdout: stdout carries the JSON result. */
#ifndef KN_LOG_H
#define KN_LOG_H

typedef enum { KN_LOG_ERROR = 0, KN_LOG_WARN, KN_LOG_INFO, KN_LOG_DEBUG } kn_log_level;

/* Lines above this level are dropped. Default KN_LOG_INFO. */
void kn_log_set_level(kn_log_level level);
kn_log_level kn_log_get_level(void);
/* Writes "kiln: <level>: message\n" to stderr as one write, so lines from threads never mix. */
void kn_log(kn_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
