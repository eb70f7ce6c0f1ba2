/* engine/cli/kn_cli_convert.c: `kiln convert INPUT... -o OUTDIR [options]`. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_buf.h"
#include "kn_cli.h"
#include "kn_cli_args.h"
#include "kn_cli_format.h"
#include "kn_convert.h"
#include "kn_file.h"
#include "kn_log.h"
#include "kn_schema_file.h"

static const char convert_usage[] =
    "usage: kiln convert INPUT... -o OUTDIR [options]\n"
    "\n"
    "Converts NDJSON or CSV shards (files, folders, globs) into Parquet files\n"
    "OUTDIR/[key=value/...]part-NNNNN.parquet plus the Redshift artifacts manifest.json (written\n"
    "last), table.sql, copy.sql, spectrum.sql and (with --merge-key) upsert.sql.\n"
    "The last line of stdout is one JSON object with the run's counts; logs go to stderr.\n"
    "\n"
    "  -o, --output DIR           the output folder (created if missing)\n"
    "      --format F             ndjson or csv (default: from the file extensions: .ndjson\n"
    "                             .jsonl .json .ldjson; .csv .tsv .psv)\n"
    "      --schema FILE          the columns and types (YAML, as `kiln infer` prints);\n"
    "                             without it the schema is inferred from a sample\n"
    "      --infer-records N      records sampled per file when inferring (default 10000)\n"
    "      --infer-files N        files sampled when inferring (default 4)\n"
    "      --compression C        snappy (default), zstd, gzip, lz4_raw, none\n"
    "      --compression-level N  the codec's level (zstd 1-22, default 3; gzip 1-9, default 6)\n"
    "      --row-group-size SIZE  uncompressed bytes per row group (default 128MiB; without\n"
    "                             partitioning or sorting, at most half the target file size,\n"
    "                             since files then roll between row groups)\n"
    "      --page-size SIZE       uncompressed bytes per data page (default 1MiB)\n"
    "      --target-file-size SIZE  files of about this size (default 256MiB): the next part\n"
    "                             file starts past it, or, when sorting, each partition's rows\n"
    "                             are dealt evenly over the files its estimated size needs\n"
    "      --threads N            worker threads (default: every core)\n"
    "      --on-error MODE        fail (default): the first bad record stops the run, exit 2;\n"
    "                             skip: bad records are counted and dropped;\n"
    "                             quarantine: ... and written to OUTDIR/_rejects/rejects.ndjson\n"
    "                             (rejects.csv, after the header, for CSV) verbatim, with file,\n"
    "                             line, column and reason on the matching line of\n"
    "                             OUTDIR/_rejects/reasons.ndjson (its Nth line: the Nth record)\n"
    "      --max-errors N         with skip or quarantine, fail (exit 2) past N bad records\n"
    "      --mode MODE            error-if-exists (default): refuse an OUTDIR holding kiln output\n"
    "                             (exit 1); overwrite: replace kiln's earlier output once the new\n"
    "                             output is complete (a re-run gives the same bytes); append: add\n"
    "                             files numbered past the highest part number there, with\n"
    "                             manifest.json, the SQL and _rejects/ describing only this run\n"
    "      --report FILE          also write the JSON result to FILE\n"
    "      --morsel-size SIZE     bytes of input per unit of parallel work (default 8MiB;\n"
    "                             32MiB for a partitioned write by buckets)\n"
    "      --input-mode MODE      map (default): map each input file and cut it in place;\n"
    "                             stream: read each front to back and cut it as it comes\n"
    "                             (for file systems where mapping is slow). An INPUT of '-'\n"
    "                             is standard input; it and named pipes are always streamed\n"
    "                             and need --format and --schema\n"
    "      --max-input-expansion X  a compressed input (.gz .bz2 .xz .zst .lz4) decoding\n"
    "                             to over X times its size (1 MiB at least) is a bomb:\n"
    "                             exit 2 (default 1000; 0: no bound)\n"
    "      --profile              add \"profile\" to the JSON result: the wall seconds and, per\n"
    "                             stage (read, parse, transform, merge, encode, compress, write),\n"
    "                             the CPU seconds all threads spent in it; idle: the seconds\n"
    "                             threads waited for work\n"
    "  -q, --quiet                no progress or info lines on stderr\n"
    "  -h, --help                 this text\n";

static const char convert_usage_layout[] =
    "\n"
    "  Layout (--sort-by and --slices sort the rows through memory and spill files;\n"
    "  --partition-by alone writes each folder's rows into its own files, whatever the\n"
    "  number of folders, spilling what --memory-limit cannot hold):\n"
    "      --partition-by KEYS    Hive-style folders key=value/, KEYS like 'region,year(ts)'\n"
    "                             (functions: year, month, day, hour, date)\n"
    "      --partition-write WAY  auto (default), queues, buckets or sort: how --partition-by\n"
    "                             alone writes (the same files whichever); auto takes buckets\n"
    "                             when the first morsel spreads over thousands of folders\n"
    "      --max-open-partitions N  0: --partition-write sort; other values are accepted and\n"
    "                             unused\n"
    "      --sort-by COLS         sort rows within each partition and file (nulls first)\n"
    "      --slices N             make each partition's file count a multiple of N, files of\n"
    "                             near-equal size (Redshift slices load one file each)\n"
    "      --drop-partition-columns  leave identity partition columns out of the files\n"
    "                             (Spectrum/Athena layout; COPY needs them kept, the default)\n"
    "      --memory-limit SIZE    bytes held in memory before sorted runs, or a partitioned\n"
    "                             write's queued rows and encoded pages, spill to\n"
    "                             OUTDIR/_tmp-*/ (default a quarter of the machine's memory,\n"
    "                             256MiB to 1GiB). Sorting, peak\n"
    "                             memory stays under 1.25 x SIZE + the row group size + (page\n"
    "                             size + 2 MiB) per column + 3 x morsel size per thread + 256\n"
    "                             bytes per partition and file, whatever the partition count\n"
    "\n"
    "  Redshift artifacts:\n"
    "      --url-prefix URL       manifest URLs are URL + the file's relative path (e.g.\n"
    "                             s3://bucket/prefix/); default: the absolute OUTDIR\n"
    "      --table NAME           [schema.]table for the SQL (default public.<OUTDIR's name>,\n"
    "                             lowercased, other characters as _)\n"
    "      --iam-role ARN         the role in copy.sql and upsert.sql (default a placeholder)\n"
    "      --merge-key COLS       write upsert.sql (staging table + delete/insert on COLS);\n"
    "                             without it no upsert.sql is written\n"
    "      --external-schema S    the Spectrum schema in spectrum.sql (default spectrum)\n"
    "\n"
    "  OUTDIR/_kiln.lock is locked for the run; files starting with _ or . are never data.\n";

enum {
    OPT_FORMAT = 256, OPT_SCHEMA, OPT_INFER_RECORDS, OPT_INFER_FILES, OPT_COMPRESSION,
    OPT_LEVEL, OPT_ROW_GROUP, OPT_PAGE, OPT_TARGET, OPT_THREADS, OPT_ON_ERROR, OPT_MAX_ERRORS,
    OPT_MODE, OPT_REPORT, OPT_MORSEL, OPT_PARTITION_BY, OPT_SORT_BY, OPT_SLICES, OPT_DROP_PART,
    OPT_MEMORY_LIMIT, OPT_MAX_OPEN_PARTITIONS, OPT_PARTITION_WRITE, OPT_URL_PREFIX, OPT_TABLE, OPT_IAM_ROLE, OPT_MERGE_KEY, OPT_EXTERNAL_SCHEMA,
    OPT_PROFILE, OPT_INPUT_MODE, OPT_MAX_INPUT_EXPANSION
};

static const struct option convert_options[] = {
    {"output", required_argument, NULL, 'o'},
    {"format", required_argument, NULL, OPT_FORMAT},
    {"schema", required_argument, NULL, OPT_SCHEMA},
    {"infer-records", required_argument, NULL, OPT_INFER_RECORDS},
    {"infer-files", required_argument, NULL, OPT_INFER_FILES},
    {"compression", required_argument, NULL, OPT_COMPRESSION},
    {"compression-level", required_argument, NULL, OPT_LEVEL},
    {"row-group-size", required_argument, NULL, OPT_ROW_GROUP},
    {"page-size", required_argument, NULL, OPT_PAGE},
    {"target-file-size", required_argument, NULL, OPT_TARGET},
    {"threads", required_argument, NULL, OPT_THREADS},
    {"on-error", required_argument, NULL, OPT_ON_ERROR},
    {"max-errors", required_argument, NULL, OPT_MAX_ERRORS},
    {"mode", required_argument, NULL, OPT_MODE},
    {"report", required_argument, NULL, OPT_REPORT},
    {"morsel-size", required_argument, NULL, OPT_MORSEL},
    {"partition-by", required_argument, NULL, OPT_PARTITION_BY},
    {"sort-by", required_argument, NULL, OPT_SORT_BY},
    {"slices", required_argument, NULL, OPT_SLICES},
    {"drop-partition-columns", no_argument, NULL, OPT_DROP_PART},
    {"memory-limit", required_argument, NULL, OPT_MEMORY_LIMIT},
    {"max-open-partitions", required_argument, NULL, OPT_MAX_OPEN_PARTITIONS},
    {"partition-write", required_argument, NULL, OPT_PARTITION_WRITE},
    {"url-prefix", required_argument, NULL, OPT_URL_PREFIX},
    {"table", required_argument, NULL, OPT_TABLE},
    {"iam-role", required_argument, NULL, OPT_IAM_ROLE},
    {"merge-key", required_argument, NULL, OPT_MERGE_KEY},
    {"external-schema", required_argument, NULL, OPT_EXTERNAL_SCHEMA},
    {"profile", no_argument, NULL, OPT_PROFILE},
    {"input-mode", required_argument, NULL, OPT_INPUT_MODE},
    {"max-input-expansion", required_argument, NULL, OPT_MAX_INPUT_EXPANSION},
    {"quiet", no_argument, NULL, 'q'},
    {"help", no_argument, NULL, 'h'},
    KN_CLI_FORMAT_OPTIONS,
    {NULL, 0, NULL, 0},
};

static kn_status parse_options(int argc, char **argv, kn_convert_options *opt, kn_cli_format_opts *fo,
                               const char **schema_path, const char **report_path, bool *help, kn_error *err) {
    int c;
    int64_t n;
    uint64_t size;
    optind = 0; /* GNU getopt: start over, argv[0] is the command name */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "o:qh", convert_options, NULL)) != -1) {
        switch (c) {
        case 'o': opt->output_dir = optarg; break;
        case 'q': opt->progress = false; kn_log_set_level(KN_LOG_WARN); break;
        case 'h': *help = true; return KN_OK;
        case OPT_FORMAT: opt->format = optarg; break;
        case OPT_SCHEMA: *schema_path = optarg; break;
        case OPT_INFER_RECORDS:
            KN_TRY(kn_cli_parse_int("--infer-records", optarg, 1, 100000000, &n, err));
            opt->infer_records = (size_t)n;
            break;
        case OPT_INFER_FILES:
            KN_TRY(kn_cli_parse_int("--infer-files", optarg, 1, 1000000, &n, err));
            opt->infer_files = (size_t)n;
            break;
        case OPT_COMPRESSION:
            KN_RETURN_ERROR_IF(!kn_codec_parse(optarg, &opt->parquet.codec), err, KN_E_USAGE,
                               "--compression: unknown codec '%s' (snappy, zstd, gzip, lz4_raw, none)", optarg);
            break;
        case OPT_LEVEL:
            KN_TRY(kn_cli_parse_int("--compression-level", optarg, 1, 22, &n, err));
            opt->parquet.compression_level = (int)n;
            break;
        case OPT_ROW_GROUP:
            KN_TRY(kn_cli_parse_size("--row-group-size", optarg, &size, err));
            opt->parquet.row_group_bytes = (size_t)size;
            break;
        case OPT_PAGE:
            KN_TRY(kn_cli_parse_size("--page-size", optarg, &size, err));
            opt->parquet.page_bytes = (size_t)size;
            break;
        case OPT_TARGET: KN_TRY(kn_cli_parse_size("--target-file-size", optarg, &opt->target_file_bytes, err)); break;
        case OPT_THREADS:
            KN_TRY(kn_cli_parse_int("--threads", optarg, 1, 1024, &n, err));
            opt->threads = (int)n;
            break;
        case OPT_ON_ERROR:
            if (!strcmp(optarg, "fail")) opt->on_error = KN_ON_ERROR_FAIL;
            else if (!strcmp(optarg, "skip")) opt->on_error = KN_ON_ERROR_SKIP;
            else if (!strcmp(optarg, "quarantine")) opt->on_error = KN_ON_ERROR_QUARANTINE;
            else return kn_error_set(err, KN_E_USAGE, "--on-error: '%s' is not fail, skip or quarantine", optarg);
            break;
        case OPT_MAX_ERRORS:
            KN_TRY(kn_cli_parse_int("--max-errors", optarg, 0, INT64_MAX, &opt->max_errors, err));
            break;
        case OPT_MODE:
            if (!strcmp(optarg, "error-if-exists")) opt->mode = KN_MODE_ERROR_IF_EXISTS;
            else if (!strcmp(optarg, "overwrite")) opt->mode = KN_MODE_OVERWRITE;
            else if (!strcmp(optarg, "append")) opt->mode = KN_MODE_APPEND;
            else return kn_error_set(err, KN_E_USAGE, "--mode: '%s' is not error-if-exists, overwrite or append", optarg);
            break;
        case OPT_REPORT: *report_path = optarg; break;
        case OPT_MORSEL:
            KN_TRY(kn_cli_parse_size("--morsel-size", optarg, &size, err));
            opt->morsel_bytes = (size_t)size;
            break;
        case OPT_PARTITION_BY: opt->partition_by = optarg; break;
        case OPT_SORT_BY: opt->sort_by = optarg; break;
        case OPT_SLICES:
            KN_TRY(kn_cli_parse_int("--slices", optarg, 1, 100000, &n, err));
            opt->slices = (uint32_t)n;
            break;
        case OPT_DROP_PART: opt->drop_partition_columns = true; break;
        case OPT_MAX_OPEN_PARTITIONS:
            KN_TRY(kn_cli_parse_int("--max-open-partitions", optarg, 0, 100000, &n, err));
            opt->max_open_partitions = (size_t)n;
            break;
        case OPT_PARTITION_WRITE:
            if (strcmp(optarg, "auto") == 0) opt->part_write = KN_PART_WRITE_AUTO;
            else if (strcmp(optarg, "queues") == 0) opt->part_write = KN_PART_WRITE_QUEUES;
            else if (strcmp(optarg, "buckets") == 0) opt->part_write = KN_PART_WRITE_BUCKETS;
            else if (strcmp(optarg, "sort") == 0) opt->part_write = KN_PART_WRITE_SORT;
            else
                return kn_error_set(err, KN_E_USAGE, "--partition-write must be auto, queues, buckets or sort, not '%s'",
                                    optarg);
            break;
        case OPT_MEMORY_LIMIT:
            KN_TRY(kn_cli_parse_size("--memory-limit", optarg, &opt->memory_limit, err));
            KN_RETURN_ERROR_IF(opt->memory_limit < (1u << 20), err, KN_E_USAGE, "--memory-limit must be at least 1MiB");
            break;
        case OPT_URL_PREFIX: opt->url_prefix = optarg; break;
        case OPT_TABLE: opt->table = optarg; break;
        case OPT_IAM_ROLE: opt->iam_role = optarg; break;
        case OPT_MERGE_KEY: opt->merge_key = optarg; break;
        case OPT_EXTERNAL_SCHEMA: opt->external_schema = optarg; break;
        case OPT_PROFILE: opt->profile = true; break;
        case OPT_INPUT_MODE:
            if (strcmp(optarg, "map") == 0) opt->stream_inputs = false;
            else if (strcmp(optarg, "stream") == 0) opt->stream_inputs = true;
            else return kn_error_set(err, KN_E_USAGE, "--input-mode: '%s' is not map or stream", optarg);
            break;
        case OPT_MAX_INPUT_EXPANSION: {
            char *end;
            double x = strtod(optarg, &end);
            KN_RETURN_ERROR_IF(end == optarg || *end || !(x >= 0) || x > 1e12, err, KN_E_USAGE,
                               "--max-input-expansion: '%s' is not a ratio (a number, 0 for no bound)", optarg);
            opt->max_input_expansion = x;
            break;
        }
        case '?':
        default: {
            kn_status fst = KN_OK;
            if (kn_cli_format_opt(fo, c, optarg, &fst, err)) {
                KN_TRY(fst);
                break;
            }
            if (optopt && optopt < 256)
                return kn_error_set(err, KN_E_USAGE, "unknown option '-%c' (see kiln convert --help)", optopt);
            return kn_error_set(err, KN_E_USAGE, "unknown or incomplete option '%s' (see kiln convert --help)",
                                argv[optind - 1]);
        }
        }
    }
    opt->format_options = fo->items;
    opt->num_format_options = fo->n;
    /* '-' is standard input, as for most tools; the store names it by its device. */
    for (int i = optind; i < argc; i++)
        if (strcmp(argv[i], "-") == 0) argv[i] = (char *)"/dev/stdin";
    opt->inputs = (const char *const *)(argv + optind);
    opt->num_inputs = (size_t)(argc - optind);
    return KN_OK;
}

/* Writes the JSON result to FILE through a file sink, so it appears whole or not at all. */
static void write_report(const char *path, const kn_convert_result *res, kn_status status, const kn_error *e) {
    char *text = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&text, &len);
    if (!mem) return;
    kn_convert_result_write_json(res, status, e, mem);
    fclose(mem);
    kn_sink *sink;
    kn_error err;
    kn_error_reset(&err);
    kn_status st = kn_file_sink_create(path, NULL, &sink, &err);
    if (st == KN_OK) st = kn_sink_write(sink, text, len, &err);
    if (st == KN_OK) st = kn_sink_close(sink, &err);
    else if (sink) kn_sink_abort(sink);
    if (st != KN_OK) {
        char msg[2048];
        kn_error_format(&err, msg, sizeof msg);
        kn_log(KN_LOG_WARN, "cannot write the report: %s", msg);
    }
    free(text);
}

int kn_cli_convert(int argc, char **argv) {
    kn_convert_options opt;
    kn_convert_options_init(&opt);
    kn_error err;
    kn_error_reset(&err);
    const char *schema_path = NULL, *report_path = NULL;
    bool help = false;
    kn_convert_result res;
    memset(&res, 0, sizeof res);
    kn_schema *schema = NULL;

    kn_cli_format_opts fo = {.n = 0};
    kn_status st = parse_options(argc, argv, &opt, &fo, &schema_path, &report_path, &help, &err);
    if (st == KN_OK && help) {
        fputs(convert_usage, stdout);
        fputs(convert_usage_layout, stdout);
        fputs(kn_cli_format_usage, stdout);
        return 0;
    }
    if (st == KN_OK && opt.num_inputs == 0) st = kn_error_set(&err, KN_E_USAGE, "no INPUT given (see kiln convert --help)");
    if (st == KN_OK && !opt.output_dir) st = kn_error_set(&err, KN_E_USAGE, "no output folder: say -o OUTDIR");
    if (st == KN_OK && schema_path) {
        st = kn_schema_file_load(schema_path, &schema, &err);
        opt.schema = schema;
    }
    if (st == KN_OK) st = kn_convert_run(&opt, &res, &err);
    if (st == KN_OK)
        kn_log(KN_LOG_INFO, "wrote %llu rows (%llu rejected) to %llu file(s) in %s, %.1f MB, in %.2f s",
               (unsigned long long)res.rows_written, (unsigned long long)res.rows_rejected,
               (unsigned long long)res.files_out, opt.output_dir, (double)res.bytes_out / 1e6, res.seconds);
    else {
        char msg[KN_ERROR_WHERE_MAX + KN_ERROR_WHAT_MAX + 256];
        kn_error_format(&err, msg, sizeof msg);
        fprintf(stderr, "kiln: error: %s\n", msg);
    }
    kn_convert_result_write_json(&res, st, &err, stdout);
    fflush(stdout);
    if (report_path) write_report(report_path, &res, st, &err);
    kn_convert_result_free(&res);
    kn_schema_free(schema);
    return kn_status_exit_code(st);
}
