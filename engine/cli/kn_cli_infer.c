/* engine/cli/kn_cli_infer.c: `kiln infer INPUT...` prints the inferred schema in the
 * --schema format, ready to save, edit and give back to `kiln convert --schema`. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_cli.h"
#include "kn_cli_args.h"
#include "kn_cli_format.h"
#include "kn_exec_reader.h"
#include "kn_list.h"
#include "kn_schema_file.h"

static const char infer_usage[] =
    "usage: kiln infer INPUT... [options]\n"
    "\n"
    "Prints the schema kiln infers from a sample of the inputs, as YAML for --schema.\n"
    "\n"
    "      --format F         ndjson or csv (default: from the file extensions)\n"
    "      --infer-records N  records sampled per file (default 10000)\n"
    "      --infer-files N    files sampled (default 4)\n"
    "      --on-error MODE    fail (default): a bad record in the sample stops; skip or\n"
    "                         quarantine: bad records are left out of the sample\n"
    "  -h, --help             this text\n"
    "\n"
    "The CSV options of kiln convert (--delimiter, --header, ...) apply here too.\n";

enum { OPT_FORMAT = 256, OPT_RECORDS, OPT_FILES, OPT_ON_ERROR };

int kn_cli_infer(int argc, char **argv) {
    static const struct option options[] = {
        {"format", required_argument, NULL, OPT_FORMAT},
        {"infer-records", required_argument, NULL, OPT_RECORDS},
        {"infer-files", required_argument, NULL, OPT_FILES},
        {"on-error", required_argument, NULL, OPT_ON_ERROR},
        {"help", no_argument, NULL, 'h'},
        KN_CLI_FORMAT_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    kn_error err;
    kn_error_reset(&err);
    const char *format = NULL;
    int64_t records = 10000, files = 4;
    bool skip_bad = false;
    kn_cli_format_opts fo = {.n = 0};
    kn_status st = KN_OK;
    int c;
    optind = 0;
    opterr = 0;
    while (st == KN_OK && (c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'h': fputs(infer_usage, stdout); return 0;
        case OPT_FORMAT: format = optarg; break;
        case OPT_RECORDS: st = kn_cli_parse_int("--infer-records", optarg, 1, 100000000, &records, &err); break;
        case OPT_FILES: st = kn_cli_parse_int("--infer-files", optarg, 1, 1000000, &files, &err); break;
        case OPT_ON_ERROR:
            if (!strcmp(optarg, "fail")) skip_bad = false;
            else if (!strcmp(optarg, "skip") || !strcmp(optarg, "quarantine")) skip_bad = true;
            else st = kn_error_set(&err, KN_E_USAGE, "--on-error: '%s' is not fail, skip or quarantine", optarg);
            break;
        default:
            if (!kn_cli_format_opt(&fo, c, optarg, &st, &err))
                st = kn_error_set(&err, KN_E_USAGE, "unknown or incomplete option '%s' (see kiln infer --help)", argv[optind - 1]);
        }
    }
    if (st != KN_OK) return kn_cli_fail(st, &err);
    if (optind >= argc) return kn_cli_fail(kn_error_set(&err, KN_E_USAGE, "no INPUT given (see kiln infer --help)"), &err);

    const kn_format *fmt = format ? kn_exec_format_find(format) : NULL;
    if (format && !fmt) return kn_cli_fail(kn_error_set(&err, KN_E_USAGE, "unknown --format '%s' (supported: ndjson, csv)", format), &err);
    kn_input_list list;
    st = kn_input_list_build((const char *const *)(argv + optind), (size_t)(argc - optind),
                             fmt ? fmt->extensions : kn_exec_all_extensions(), &list, &err);
    if (st != KN_OK) return kn_cli_fail(st, &err);
    if (st == KN_OK && !fmt && list.count) st = kn_exec_input_format(list.files[0].path, &fmt, &err);
    if (st == KN_OK && !fmt) st = kn_error_set(&err, KN_E_USAGE, list.count ? "cannot tell the format from the name; say --format ndjson or csv" : "no input files");
    size_t n = list.count < (size_t)files ? list.count : (size_t)files;
    const char **paths = kn_calloc(n ? n : 1, sizeof *paths);
    for (size_t i = 0; paths && i < n; i++) paths[i] = list.files[i].path;
    kn_schema *schema = NULL;
    kn_format_opts *fopts = NULL;
    if (st == KN_OK) st = fmt->options_create(fo.items, fo.n, &fopts, &err);
    kn_infer_options io = {fmt, fopts, (size_t)records, skip_bad, {0}, format != NULL};
    kn_decompress_options_init(&io.decompress);
    if (st == KN_OK) st = kn_exec_infer(&io, paths, n, &schema, NULL, &err);
    if (fmt) fmt->options_free(fopts);
    if (st == KN_OK) kn_schema_file_write(schema, stdout);
    kn_free((void *)paths);
    kn_schema_free(schema);
    kn_input_list_free(&list);
    return st == KN_OK ? 0 : kn_cli_fail(st, &err);
}
