/* engine/cli/kn_cli_main.c: `kiln COMMAND ...`: the command table, `kiln --help` (commands and
 * the exit codes orchestrators rely on), `kiln --version`, and dispatch. */
#include <stdio.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "kn_cli.h"
#include "kn_status.h"

#ifndef KN_VERSION
#define KN_VERSION "0.0.0"
#endif
#ifndef KN_BUILD_HASH
#define KN_BUILD_HASH "unknown"
#endif

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *help; /* one line */
} kn_cli_command;

static const kn_cli_command commands[] = {
    {"convert", kn_cli_convert, "turn NDJSON or CSV shards into Parquet files"},
    {"infer", kn_cli_infer, "sample input files and print a schema (YAML) for --schema"},
    {"inspect", kn_cli_inspect, "print a Parquet file's footer: schema, row groups, statistics"},
};

static void usage(FILE *f) {
    fprintf(f,
            "usage: kiln COMMAND [options]\n"
            "       kiln help COMMAND | kiln COMMAND --help\n"
            "       kiln --version\n"
            "\n"
            "kiln turns NDJSON and CSV shards (XML to come) into Parquet and Redshift load artifacts.\n"
            "\n"
            "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    /* The numbers are the contract with orchestrators (DESIGN.md); kn_status_exit_code maps
     * every status onto them, and 99 is never used. */
    fprintf(f,
            "\n"
            "exit codes:\n"
            "  %d  success\n"
            "  %d  bad usage, bad option, bad schema or job file, or an unsupported feature\n"
            "  %d  bad input data (past the allowed error budget) or a damaged file\n"
            "  %d  I/O or network failure: worth a retry\n"
            "  %d  internal error (a bug, or out of memory)\n"
            "\n"
            "Logs and progress go to stderr; results to stdout.\n",
            KN_EXIT_OK, KN_EXIT_USAGE, KN_EXIT_DATA, KN_EXIT_IO, KN_EXIT_INTERNAL);
}

static const kn_cli_command *find_command(const char *name) {
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name)) return &commands[i];
    return NULL;
}

static int unknown(const char *what) {
    fprintf(stderr, "kiln: error: unknown command '%s'\n\n", what);
    usage(stderr);
    return KN_EXIT_USAGE;
}

/* kiln allocates and frees batches of the same few sizes over and over on every thread. glibc's
 * defaults hand freed memory back to the kernel (heap trims, mmap for large blocks) and then
 * fault the same pages in again, zeroed, for the next batch: measured on the partitioned write,
 * a sixth of its system time and 7% of its wall time. Keeping freed memory in the process
 * costs nothing here: the next morsel reuses it, and the peak is what it is either way. */
static void tune_allocator(void) {
#if defined(__GLIBC__) && defined(M_TRIM_THRESHOLD)
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    mallopt(M_MMAP_THRESHOLD, 32 << 20); /* glibc's largest; blocks above it are still mmap'd */
    mallopt(M_TOP_PAD, 64 << 20);
#endif
}

int main(int argc, char **argv) {
    tune_allocator();
    if (argc < 2) {
        usage(stderr);
        return KN_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h")) {
        usage(stdout);
        return KN_EXIT_OK;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V") || !strcmp(cmd, "version")) {
        printf("kiln %s (build %s)\n", KN_VERSION, KN_BUILD_HASH);
        return KN_EXIT_OK;
    }
    if (!strcmp(cmd, "help")) {
        if (argc < 3) {
            usage(stdout);
            return KN_EXIT_OK;
        }
        const kn_cli_command *c = find_command(argv[2]);
        if (!c) return unknown(argv[2]);
        char *help_argv[] = {argv[2], (char *)"--help", NULL};
        return c->run(2, help_argv);
    }
    const kn_cli_command *c = find_command(cmd);
    if (!c) return unknown(cmd);
    /* Each command sees argv[0] as its own name, like a program of its own. */
    return c->run(argc - 1, argv + 1);
}
