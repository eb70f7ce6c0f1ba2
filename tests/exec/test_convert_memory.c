/* tests/exec/test_convert_memory.c: `kiln convert` holds memory that does not grow with its
 * input. It generates N and 4N order rows (bench/kn_gen_orders), converts each with the kiln
 * binary (small row groups and morsels, so both inputs span many of each), and checks that the
 * result's peak_memory_bytes and the child's maximum resident set (wait4's ru_maxrss) stay under
 * the bound kn_convert.h states (kn_convert_memory_bound) and within a small factor of each
 * other. Nothing here is timed. */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kn_convert.h"

#define KILN KN_TEST_BINARY_DIR "/engine/cli/kiln"
#define GEN KN_TEST_BINARY_DIR "/bench/kn_gen_orders"
#define SCHEMA KN_TEST_SOURCE_DIR "/bench/orders.schema.yaml"
#define ROWS 60000
#define COLUMNS 15 /* bench/orders.schema.yaml */

/* Memory the process holds outside kiln's allocator: code, libraries, the codec contexts
 * (zstd allocates its own), stacks and, in sanitizer builds, the shadow memory. */
#define RSS_SLACK ((uint64_t)96 << 20)

#if defined(__SANITIZE_ADDRESS__)
#define ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASAN 1
#endif
#endif

static char dir[256];

/* Runs argv[0] with stdout to `out_path` (or /dev/null); returns the exit status and fills the
 * child's resource usage. */
static int run(char *const argv[], const char *out_path, struct rusage *ru) {
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd = open(out_path ? out_path : "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0) _exit(127);
        dup2(fd, 1);
        close(fd);
#ifdef ASAN
        /* ASan keeps freed memory in a quarantine (256 MB by default), which would make the
         * child's resident set grow with the work done, not with what kiln holds. */
        setenv("ASAN_OPTIONS", "quarantine_size_mb=1:detect_leaks=0", 1);
#endif
        execv(argv[0], argv);
        _exit(127);
    }
    int status = 0;
    memset(ru, 0, sizeof *ru);
    ck_assert_int_eq(wait4(pid, &status, 0, ru), pid);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static int64_t json_int(const char *json, const char *key) {
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = strstr(json, pat);
    ck_assert_msg(p != NULL, "no %s in the result: %s", key, json);
    return strtoll(p + strlen(pat), NULL, 10);
}

typedef struct measured {
    uint64_t peak;    /* peak_memory_bytes */
    uint64_t rss;     /* ru_maxrss, bytes */
} measured;

static measured convert(size_t rows, const char *tag) {
    char input[512], out[512], result[512], nrows[32];
    snprintf(input, sizeof input, "%s/%s.ndjson", dir, tag);
    snprintf(out, sizeof out, "%s/out-%s", dir, tag);
    snprintf(result, sizeof result, "%s/%s.json", dir, tag);
    snprintf(nrows, sizeof nrows, "%zu", rows);
    struct rusage ru;
    char *gen[] = {GEN, "--rows", nrows, "--seed", "5", "--format", "ndjson", "-o", input, NULL};
    ck_assert_int_eq(run(gen, NULL, &ru), 0);
    char *kiln[] = {KILN, "convert", input, "-o", out, "--schema", SCHEMA, "--compression", "zstd", "--threads", "2",
                    "--row-group-size", "2MiB", "--morsel-size", "1MiB", "-q", NULL};
    int rc = run(kiln, result, &ru);
    FILE *f = fopen(result, "r");
    ck_assert_ptr_nonnull(f);
    static char json[1 << 16];
    size_t n = fread(json, 1, sizeof json - 1, f);
    fclose(f);
    json[n] = '\0';
    ck_assert_msg(rc == 0, "kiln exited %d: %s", rc, json);
    ck_assert_int_eq(json_int(json, "rows_written"), (int64_t)rows);
    measured m = {(uint64_t)json_int(json, "peak_memory_bytes"), (uint64_t)ru.ru_maxrss * 1024};
    fprintf(stderr, "# %zu rows: peak_memory_bytes %" PRIu64 ", max RSS %" PRIu64 "\n", rows, m.peak, m.rss);
    return m;
}

START_TEST(peak_memory_does_not_grow_with_the_input)
{
    ck_assert_msg(access(KILN, X_OK) == 0 && access(GEN, X_OK) == 0,
                  "%s or %s is not built: build the kiln and kn_gen_orders targets", KILN, GEN);
    snprintf(dir, sizeof dir, "/tmp/kn-test-memory-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));

    measured small = convert(ROWS, "n");
    measured large = convert(4 * ROWS, "n4");

    kn_convert_options opt;
    kn_convert_options_init(&opt);
    opt.parquet.codec = KN_CODEC_ZSTD;
    opt.parquet.row_group_bytes = 2u << 20;
    opt.morsel_bytes = 1u << 20;
    uint64_t bound = kn_convert_memory_bound(&opt, COLUMNS, 2);
    fprintf(stderr, "# stated bound %" PRIu64 " bytes\n", bound);

    ck_assert_msg(small.peak <= bound && large.peak <= bound, "peak %" PRIu64 " / %" PRIu64 " past the bound %" PRIu64,
                  small.peak, large.peak, bound);
    ck_assert_msg(small.rss <= bound + RSS_SLACK && large.rss <= bound + RSS_SLACK,
                  "max RSS %" PRIu64 " / %" PRIu64 " past the bound %" PRIu64 " + %" PRIu64, small.rss, large.rss,
                  bound, RSS_SLACK);
    /* Four times the rows, about the same memory: nothing is held per row or per morsel. */
    ck_assert_msg(large.peak <= small.peak + small.peak / 2,
                  "peak grew with the input: %" PRIu64 " for N rows, %" PRIu64 " for 4N", small.peak, large.peak);
    ck_assert_msg(large.rss <= small.rss + small.rss / 2,
                  "max RSS grew with the input: %" PRIu64 " for N rows, %" PRIu64 " for 4N", small.rss, large.rss);

    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("convert_memory");
    TCase *tc = tcase_create("convert_memory");
    tcase_set_timeout(tc, 900);
    tcase_add_test(tc, peak_memory_does_not_grow_with_the_input);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
