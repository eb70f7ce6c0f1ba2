/* tests/redshift/test_rs_sql.c: formats/redshift: type mapping, quoting, and the five artifacts
 * (manifest.json, table.sql, copy.sql, spectrum.sql, upsert.sql). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_column.h"
#include "kn_partition.h"
#include "kn_rs_artifacts.h"
#include "kn_rs_sql.h"
#include "kn_rs_types.h"
#include "test_rs.h"

/* ---- helpers ------------------------------------------------------------------------------- */

static const char *text_of(kn_buf *b) {
    ck_assert(kn_buf_push(b, '\0'));
    b->len--;
    return (const char *)b->data;
}

static size_t count(const char *hay, const char *needle) {
    size_t n = 0, nl = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + nl, needle)) n++;
    return n;
}

/* The text from the first line that does not start with "--" (the generated comment). */
static const char *body_of(const char *sql) {
    while (strncmp(sql, "--", 2) == 0) {
        const char *nl = strchr(sql, '\n');
        ck_assert_ptr_nonnull(nl);
        sql = nl + 1;
    }
    return sql;
}

typedef struct fixture {
    kn_schema *schema;
    size_t max_bytes[8];
    bool is_json[8];
    const char *sort_keys[2];
    const char *merge_keys[2];
    kn_rs_job job;
} fixture;

/* analytics.events: every kind of column the mapping distinguishes. */
static void fixture_init(fixture *f) {
    memset(f, 0, sizeof *f);
    kn_schema *s = f->schema = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, "ID", kn_type_make(KN_TYPE_INT64), false, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "Name", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "payload", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "ts", kn_type_timestamp(true), false, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "amount", kn_type_decimal(12, 2), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "order", kn_type_make(KN_TYPE_BOOL), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "region", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    size_t lens[] = {0, 20, 3000, 0, 0, 0, 5};
    memcpy(f->max_bytes, lens, sizeof lens);
    f->is_json[2] = true;
    f->sort_keys[0] = "ts";
    f->sort_keys[1] = "id"; /* matches "ID" ignoring case */
    f->merge_keys[0] = "id";
    f->merge_keys[1] = "Region";
    kn_rs_job_init(&f->job);
    f->job.schema = s;
    f->job.max_bytes = f->max_bytes;
    f->job.is_json = f->is_json;
    f->job.table = "Analytics.Events";
    f->job.base_url = "s3://bucket/out";
}

static void fixture_free(fixture *f) { kn_schema_free(f->schema); }

/* ---- types --------------------------------------------------------------------------------- */

static const char *type_of(kn_type t, size_t max_bytes, bool json, kn_rs_target target) {
    static char out[KN_RS_TYPE_TEXT_MAX];
    ck_assert_int_eq(kn_rs_type_text(t, max_bytes, json, target, out, NULL), KN_OK);
    return out;
}

START_TEST(every_kiln_type_maps_to_its_redshift_type)
{
    const kn_rs_target T = KN_RS_TABLE, S = KN_RS_SPECTRUM;
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_STRING), 100, false, T), "VARCHAR(128)");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_STRING), 100, false, S), "VARCHAR(128)");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_STRING), 100, true, T), "SUPER");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_STRING), 100, true, S), "VARCHAR(65535)");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_BOOL), 0, false, T), "BOOLEAN");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_BOOL), 0, false, S), "BOOLEAN");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_INT32), 0, false, T), "INTEGER");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_INT32), 0, false, S), "INTEGER");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_INT64), 0, false, T), "BIGINT");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_INT64), 0, false, S), "BIGINT");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_FLOAT64), 0, false, T), "DOUBLE PRECISION");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_FLOAT64), 0, false, S), "DOUBLE PRECISION");
    ck_assert_str_eq(type_of(kn_type_decimal(12, 2), 0, false, T), "DECIMAL(12,2)");
    ck_assert_str_eq(type_of(kn_type_decimal(38, 0), 0, false, S), "DECIMAL(38,0)");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_DATE), 0, false, T), "DATE");
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_DATE), 0, false, S), "DATE");
    ck_assert_str_eq(type_of(kn_type_timestamp(false), 0, false, T), "TIMESTAMP");
    ck_assert_str_eq(type_of(kn_type_timestamp(true), 0, false, T), "TIMESTAMPTZ");
    /* Spectrum has no TIMESTAMPTZ column type. */
    ck_assert_str_eq(type_of(kn_type_timestamp(true), 0, false, S), "TIMESTAMP");
    /* is_json only changes strings. */
    ck_assert_str_eq(type_of(kn_type_make(KN_TYPE_INT64), 0, true, T), "BIGINT");

    char out[KN_RS_TYPE_TEXT_MAX];
    kn_type bad = kn_type_decimal(39, 0);
    ck_assert_int_eq(kn_rs_type_text(bad, 0, false, T, out, NULL), KN_E_UNSUPPORTED);
    kn_type unknown = {KN_TYPE_COUNT_, 0, 0, false, false};
    ck_assert_int_eq(kn_rs_type_text(unknown, 0, false, T, out, NULL), KN_E_UNSUPPORTED);
}
END_TEST

START_TEST(varchar_rounds_to_powers_of_two_and_caps_at_65535)
{
    static const struct {
        size_t in;
        uint32_t out;
    } cases[] = {
        {0, 16},       {1, 16},       {16, 16},       {17, 32},       {100, 128},
        {1024, 1024},  {1025, 2048},  {32768, 32768}, {32769, 65535}, {65534, 65535},
        {65535, 65535}, {65536, 65535}, {1000000, 65535}, {KN_RS_LEN_UNKNOWN, 65535},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
        ck_assert_msg(kn_rs_varchar_length(cases[i].in) == cases[i].out, "%zu -> %u", cases[i].in,
                      kn_rs_varchar_length(cases[i].in));
    /* The declared length always holds the longest value seen, up to the cap. */
    for (size_t n = 0; n <= 70000; n++) {
        uint32_t v = kn_rs_varchar_length(n);
        ck_assert(v >= (n < 65535 ? n : 65535) && v <= 65535 && v >= 16);
    }
}
END_TEST

/* ---- quoting ------------------------------------------------------------------------------- */

static const char *ident(const char *name) {
    static char out[512];
    kn_buf b = KN_BUF_INIT;
    ck_assert_int_eq(kn_rs_append_ident(&b, name, strlen(name), NULL), KN_OK);
    ck_assert_uint_lt(b.len, sizeof out);
    memcpy(out, b.data, b.len);
    out[b.len] = '\0';
    kn_buf_free(&b);
    return out;
}

START_TEST(identifiers_are_lowercased_and_quoted_only_when_needed)
{
    ck_assert_str_eq(ident("id"), "id");
    ck_assert_str_eq(ident("Customer_ID$2"), "customer_id$2");
    ck_assert_str_eq(ident("_x"), "_x");
    /* Reserved words, spaces, leading digits, quotes and non-ASCII are quoted. */
    ck_assert_str_eq(ident("Order"), "\"order\"");
    ck_assert_str_eq(ident("timestamp"), "\"timestamp\"");
    ck_assert_str_eq(ident("start"), "\"start\"");
    ck_assert_str_eq(ident("My Col"), "\"my col\"");
    ck_assert_str_eq(ident("1abc"), "\"1abc\"");
    ck_assert_str_eq(ident("$x"), "\"$x\"");
    ck_assert_str_eq(ident("a\"b"), "\"a\"\"b\"");
    ck_assert_str_eq(ident("a.b"), "\"a.b\"");
    ck_assert_str_eq(ident("Caf\xc3\xa9"), "\"caf\xc3\xa9\"");
    ck_assert(kn_rs_is_reserved("select", 6) && kn_rs_is_reserved("aes128", 6) &&
              kn_rs_is_reserved("without", 7) && !kn_rs_is_reserved("events", 6));

    kn_buf b = KN_BUF_INIT;
    kn_error e;
    kn_error_reset(&e);
    char long_name[129];
    memset(long_name, 'a', 128);
    long_name[128] = '\0';
    ck_assert_int_eq(kn_rs_append_ident(&b, long_name, 127, &e), KN_OK);
    ck_assert_int_eq(kn_rs_append_ident(&b, long_name, 128, &e), KN_E_USAGE);
    ck_assert_int_eq(kn_rs_append_ident(&b, "", 0, &e), KN_E_USAGE);
    ck_assert_int_eq(kn_rs_append_ident(&b, "a\nb", 3, &e), KN_E_USAGE);
    ck_assert_int_eq(kn_rs_append_ident(&b, "a\xff", 2, &e), KN_E_USAGE);
    ck_assert_uint_eq(b.len, 127); /* failures append nothing */
    kn_buf_free(&b);
}
END_TEST

START_TEST(literals_double_quotes_and_backslashes)
{
    kn_buf b = KN_BUF_INIT;
    ck_assert(kn_rs_append_literal(&b, "it's a\\b", 8));
    ck_assert_str_eq(text_of(&b), "'it''s a\\\\b'");
    kn_buf_clear(&b);
    ck_assert(kn_rs_append_literal(&b, "", 0));
    ck_assert_str_eq(text_of(&b), "''");
    kn_buf_free(&b);
}
END_TEST

START_TEST(table_names_parse_with_quotes_and_parts)
{
    kn_rs_name n;
    ck_assert_int_eq(kn_rs_name_parse("Analytics.Events", &n, NULL), KN_OK);
    ck_assert_uint_eq(n.num_parts, 2);
    ck_assert_str_eq(n.parts[0], "Analytics");
    ck_assert_str_eq(kn_rs_name_table(&n), "Events");
    kn_buf b = KN_BUF_INIT;
    ck_assert_int_eq(kn_rs_append_name(&b, &n, NULL), KN_OK);
    ck_assert_str_eq(text_of(&b), "analytics.events");

    ck_assert_int_eq(kn_rs_name_parse("\"My.Schema\".\"Odd \"\"T\"\"\"", &n, NULL), KN_OK);
    ck_assert_uint_eq(n.num_parts, 2);
    ck_assert_str_eq(n.parts[0], "My.Schema");
    ck_assert_str_eq(n.parts[1], "Odd \"T\"");
    kn_buf_clear(&b);
    ck_assert_int_eq(kn_rs_append_name(&b, &n, NULL), KN_OK);
    ck_assert_str_eq(text_of(&b), "\"my.schema\".\"odd \"\"t\"\"\"");

    ck_assert_int_eq(kn_rs_name_parse("db.s.t", &n, NULL), KN_OK);
    ck_assert_uint_eq(n.num_parts, 3);
    const char *bad[] = {"", "a..b", ".a", "a.", "a.b.c.d", "\"open", "\"a\"b"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(kn_rs_name_parse(bad[i], &n, NULL) == KN_E_USAGE, "'%s' parsed", bad[i]);
    kn_buf_free(&b);
}
END_TEST

/* ---- manifest ------------------------------------------------------------------------------ */

START_TEST(manifest_lists_every_file_with_its_exact_size)
{
    fixture f;
    fixture_init(&f);
    kn_rs_file files[] = {{"year=2024/part-00000.parquet", 1234},
                          {"year=2025/part-00001.parquet", 18446744073709551615ull}};
    f.job.files = files;
    f.job.num_files = 2;
    kn_buf b = KN_BUF_INIT;
    ck_assert_int_eq(kn_rs_manifest_json(&f.job, &b, NULL), KN_OK);
    ck_assert_str_eq(text_of(&b),
                     "{\n"
                     "  \"entries\": [\n"
                     "    {\"url\": \"s3://bucket/out/year=2024/part-00000.parquet\", \"mandatory\": "
                     "true, \"meta\": {\"content_length\": 1234}},\n"
                     "    {\"url\": \"s3://bucket/out/year=2025/part-00001.parquet\", \"mandatory\": "
                     "true, \"meta\": {\"content_length\": 18446744073709551615}}\n"
                     "  ]\n"
                     "}\n");

    /* Without --url-prefix the URL is the output location itself; a trailing '/' is not doubled. */
    kn_buf_clear(&b);
    f.job.base_url = "/data/out/";
    f.job.num_files = 1;
    ck_assert_int_eq(kn_rs_manifest_json(&f.job, &b, NULL), KN_OK);
    ck_assert_str_eq(text_of(&b),
                     "{\n  \"entries\": [\n    {\"url\": \"/data/out/year=2024/part-00000.parquet\", "
                     "\"mandatory\": true, \"meta\": {\"content_length\": 1234}}\n  ]\n}\n");

    /* No files: an empty list, still valid JSON. The manifest needs no table name. */
    kn_buf_clear(&b);
    f.job.num_files = 0;
    f.job.table = NULL;
    ck_assert_int_eq(kn_rs_manifest_json(&f.job, &b, NULL), KN_OK);
    ck_assert_str_eq(text_of(&b), "{\n  \"entries\": []\n}\n");

    /* Files readers would skip, or paths that escape the root, are refused. */
    const char *bad[] = {"_SUCCESS", "year=1/.part.crc", "/abs.parquet", "a//b.parquet",
                         "../x.parquet", "a/./b.parquet", ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        kn_rs_file one = {bad[i], 1};
        f.job.files = &one;
        f.job.num_files = 1;
        kn_buf_clear(&b);
        ck_assert_msg(kn_rs_manifest_json(&f.job, &b, NULL) == KN_E_INTERNAL, "'%s' accepted", bad[i]);
        ck_assert_uint_eq(b.len, 0);
    }
    kn_buf_free(&b);
    fixture_free(&f);
}
END_TEST

/* ---- table.sql, copy.sql, upsert.sql ------------------------------------------------------- */

START_TEST(table_sql_has_columns_in_file_order_types_and_sortkey)
{
    fixture f;
    fixture_init(&f);
    f.job.sort_keys = f.sort_keys;
    f.job.num_sort_keys = 2;
    kn_buf b = KN_BUF_INIT;
    ck_assert_int_eq(kn_rs_table_sql(&f.job, &b, NULL), KN_OK);
    ck_assert_str_eq(body_of(text_of(&b)),
                     "CREATE TABLE IF NOT EXISTS analytics.events (\n"
                     "    id BIGINT NOT NULL,\n"
                     "    name VARCHAR(32),\n"
                     "    payload SUPER,\n"
                     "    ts TIMESTAMPTZ NOT NULL,\n"
                     "    amount DECIMAL(12,2),\n"
                     "    \"order\" BOOLEAN,\n"
                     "    region VARCHAR(16)\n"
                     ")\n"
                     "SORTKEY (ts, id);\n");

    /* No sort keys, no SORTKEY; unknown lengths give the widest VARCHAR. */
    kn_buf_clear(&b);
    f.job.num_sort_keys = 0;
    f.job.max_bytes = NULL;
    f.job.is_json = NULL;
    ck_assert_int_eq(kn_rs_table_sql(&f.job, &b, NULL), KN_OK);
    const char *sql = text_of(&b);
    ck_assert_ptr_null(strstr(sql, "SORTKEY"));
    ck_assert_ptr_nonnull(strstr(sql, "    payload VARCHAR(65535),\n"));
    ck_assert_ptr_nonnull(strstr(sql, "    region VARCHAR(65535)\n);\n"));

    /* A bad sort key fails as a usage error and leaves the buffer as it was. */
    kn_buf_clear(&b);
    kn_buf_append(&b, "keep", 4);
    const char *bad_keys[] = {"nosuch"};
    f.job.sort_keys = bad_keys;
    f.job.num_sort_keys = 1;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_rs_table_sql(&f.job, &b, &e), KN_E_USAGE);
    ck_assert_ptr_nonnull(strstr(e.what, "nosuch"));
    ck_assert_uint_eq(b.len, 4);
    /* A JSON (SUPER) column cannot be a sort key. */
    const char *json_key[] = {"payload"};
    f.job.sort_keys = json_key;
    f.job.is_json = f.is_json;
    ck_assert_int_eq(kn_rs_table_sql(&f.job, &b, NULL), KN_E_USAGE);
    kn_buf_free(&b);
    fixture_free(&f);
}
END_TEST

START_TEST(table_sql_refuses_names_redshift_would_fold_together)
{
    kn_schema *s = kn_schema_create();
    kn_schema_add(s, "Amount", kn_type_make(KN_TYPE_INT64), true, NULL);
    kn_schema_add(s, "amount", kn_type_make(KN_TYPE_INT64), true, NULL);
    kn_rs_job job;
    kn_rs_job_init(&job);
    job.schema = s;
    job.table = "t";
    job.base_url = "s3://b/";
    kn_buf b = KN_BUF_INIT;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_rs_table_sql(&job, &b, &e), KN_E_USAGE);
    ck_assert_ptr_nonnull(strstr(e.what, "lowercase"));
    /* And the job's required parts, on a schema that is fine. */
    kn_schema *ok = kn_schema_create();
    kn_schema_add(ok, "amount", kn_type_make(KN_TYPE_INT64), true, NULL);
    job.schema = ok;
    ck_assert_int_eq(kn_rs_copy_sql(&job, &b, NULL), KN_OK);
    kn_buf_clear(&b);
    job.table = NULL;
    ck_assert_int_eq(kn_rs_table_sql(&job, &b, NULL), KN_E_USAGE);
    job.table = "t";
    job.base_url = "";
    ck_assert_int_eq(kn_rs_copy_sql(&job, &b, NULL), KN_E_USAGE);
    job.base_url = "s3://b/\nDROP TABLE x;";
    ck_assert_int_eq(kn_rs_copy_sql(&job, &b, NULL), KN_E_USAGE);
    ck_assert_uint_eq(b.len, 0);
    kn_buf_free(&b);
    kn_schema_free(ok);
    kn_schema_free(s);
}
END_TEST

START_TEST(copy_sql_loads_the_manifest_as_parquet)
{
    fixture f;
    fixture_init(&f);
    kn_buf b = KN_BUF_INIT;
    ck_assert_int_eq(kn_rs_copy_sql(&f.job, &b, NULL), KN_OK);
    ck_assert_str_eq(body_of(text_of(&b)),
                     "COPY analytics.events\n"
                     "FROM 's3://bucket/out/manifest.json'\n"
                     "IAM_ROLE '<IAM_ROLE_ARN>'\n"
                     "FORMAT AS PARQUET\n"
                     "MANIFEST;\n");
    kn_buf_clear(&b);
    f.job.iam_role = "arn:aws:iam::123:role/it's";
    f.job.base_url = "s3://bucket/o'dd/";
    ck_assert_int_eq(kn_rs_copy_sql(&f.job, &b, NULL), KN_OK);
    const char *sql = text_of(&b);
    ck_assert_ptr_nonnull(strstr(sql, "FROM 's3://bucket/o''dd/manifest.json'\n"));
    ck_assert_ptr_nonnull(strstr(sql, "IAM_ROLE 'arn:aws:iam::123:role/it''s'\n"));
    kn_buf_free(&b);
    fixture_free(&f);
}
END_TEST

START_TEST(upsert_sql_stages_deletes_on_merge_keys_and_inserts_in_one_transaction)
{
    fixture f;
    fixture_init(&f);
    f.job.merge_keys = f.merge_keys;
    f.job.num_merge_keys = 2;
    kn_buf b = KN_BUF_INIT;
    ck_assert_int_eq(kn_rs_upsert_sql(&f.job, &b, NULL), KN_OK);
    ck_assert_str_eq(body_of(text_of(&b)),
                     "BEGIN;\n"
                     "\n"
                     "CREATE TEMP TABLE kiln_stage (LIKE analytics.events);\n"
                     "\n"
                     "COPY kiln_stage\n"
                     "FROM 's3://bucket/out/manifest.json'\n"
                     "IAM_ROLE '<IAM_ROLE_ARN>'\n"
                     "FORMAT AS PARQUET\n"
                     "MANIFEST;\n"
                     "\n"
                     "DELETE FROM analytics.events\n"
                     "USING kiln_stage\n"
                     "WHERE events.id = kiln_stage.id\n"
                     "  AND events.region = kiln_stage.region;\n"
                     "\n"
                     "INSERT INTO analytics.events SELECT * FROM kiln_stage;\n"
                     "\n"
                     "END;\n"
                     "\n"
                     "DROP TABLE kiln_stage;\n");

    /* A table that is itself called kiln_stage gets a stage of another name. */
    kn_buf_clear(&b);
    f.job.table = "KILN_STAGE";
    ck_assert_int_eq(kn_rs_upsert_sql(&f.job, &b, NULL), KN_OK);
    ck_assert_ptr_nonnull(strstr(text_of(&b), "WHERE kiln_stage.id = kiln_stage_new.id\n"));

    /* No merge key, or one that is not a column: usage errors. */
    kn_buf_clear(&b);
    f.job.num_merge_keys = 0;
    ck_assert_int_eq(kn_rs_upsert_sql(&f.job, &b, NULL), KN_E_USAGE);
    const char *bad[] = {"nosuch"};
    f.job.merge_keys = bad;
    f.job.num_merge_keys = 1;
    ck_assert_int_eq(kn_rs_upsert_sql(&f.job, &b, NULL), KN_E_USAGE);
    ck_assert_uint_eq(b.len, 0);
    kn_buf_free(&b);
    fixture_free(&f);
}
END_TEST

/* ---- spectrum.sql -------------------------------------------------------------------------- */

/* The text of ALTER statement `i` (0-based), up to and including its ';'. */
static size_t partitions_in_statement(const char *sql, size_t i) {
    const char *p = sql;
    for (size_t k = 0; k <= i; k++) {
        p = strstr(p, "ALTER TABLE ");
        ck_assert_ptr_nonnull(p);
        if (k < i) p++;
    }
    const char *end = strchr(p, ';');
    ck_assert_ptr_nonnull(end);
    size_t n = 0;
    for (const char *q = strstr(p, "\nPARTITION ("); q && q < end; q = strstr(q + 1, "\nPARTITION ("))
        n++;
    return n;
}

typedef struct part_files {
    char paths[260][96];
    kn_rs_file files[260];
    size_t n;
} part_files;

/* 250 partitions year=2024/region=..., one of them holding two files. */
static void make_250_partitions(part_files *pf, bool reversed) {
    pf->n = 0;
    for (int i = 0; i < 248; i++)
        snprintf(pf->paths[pf->n++], 96, "year=2024/region=r%03d/part-00000.parquet", i);
    snprintf(pf->paths[pf->n++], 96, "year=2024/region=eu%%2Fwest/part-00000.parquet");
    snprintf(pf->paths[pf->n++], 96, "year=2024/region=__HIVE_DEFAULT_PARTITION__/part-00000.parquet");
    snprintf(pf->paths[pf->n++], 96, "year=2024/region=r007/part-00001.parquet");
    for (size_t i = 0; i < pf->n; i++) {
        size_t j = reversed ? pf->n - 1 - i : i;
        pf->files[i].path = pf->paths[j];
        pf->files[i].size = 100 + j;
    }
}

START_TEST(spectrum_sql_adds_every_partition_in_chunks_of_100)
{
    fixture f;
    fixture_init(&f);
    kn_rs_part_col pcols[] = {{"year", kn_type_make(KN_TYPE_INT32), NULL},
                              {"region", kn_type_make(KN_TYPE_STRING), "region"}};
    part_files *pf = kn_malloc(sizeof *pf);
    make_250_partitions(pf, false);
    f.job.part_cols = pcols;
    f.job.num_part_cols = 2;
    f.job.files = pf->files;
    f.job.num_files = pf->n;
    kn_buf b = KN_BUF_INIT;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(kn_rs_spectrum_sql(&f.job, &b, &e) == KN_OK, "%s", e.what);
    const char *sql = text_of(&b);

    /* The table: every column but the partition column kept in the files, Spectrum types. */
    ck_assert_ptr_nonnull(strstr(sql, "CREATE EXTERNAL TABLE spectrum.events (\n"
                                      "    id BIGINT,\n"
                                      "    name VARCHAR(32),\n"
                                      "    payload VARCHAR(65535),\n"
                                      "    ts TIMESTAMP,\n"
                                      "    amount DECIMAL(12,2),\n"
                                      "    \"order\" BOOLEAN\n"
                                      ")\n"
                                      "PARTITIONED BY (year INTEGER, region VARCHAR(32))\n"
                                      "STORED AS PARQUET\n"
                                      "LOCATION 's3://bucket/out/';\n"));
    /* 250 distinct folders (one holds two files): 3 statements of 100, 100 and 50. */
    ck_assert_uint_eq(count(sql, "ALTER TABLE spectrum.events ADD IF NOT EXISTS\n"), 3);
    ck_assert_uint_eq(count(sql, "\nPARTITION ("), 250);
    ck_assert_uint_eq(partitions_in_statement(sql, 0), 100);
    ck_assert_uint_eq(partitions_in_statement(sql, 1), 100);
    ck_assert_uint_eq(partitions_in_statement(sql, 2), 50);
    /* Values are unescaped into the literal; the LOCATION keeps the folder as written. */
    ck_assert_ptr_nonnull(strstr(sql, "\nPARTITION (year='2024', region='eu/west') LOCATION "
                                      "'s3://bucket/out/year=2024/region=eu%2Fwest/'\n"));
    ck_assert_ptr_nonnull(strstr(sql, "\nPARTITION (year='2024', region='__HIVE_DEFAULT_PARTITION__') "
                                      "LOCATION 's3://bucket/out/year=2024/region=__HIVE_DEFAULT_"
                                      "PARTITION__/'\n"));
    ck_assert_uint_eq(count(sql, "region='r007'"), 1);
    /* The external schema can be named. No transaction: CREATE EXTERNAL TABLE refuses one. */
    ck_assert_ptr_null(strstr(body_of(sql), "BEGIN"));

    /* The same files in another order give the same bytes. */
    make_250_partitions(pf, true);
    kn_buf b2 = KN_BUF_INIT;
    ck_assert_int_eq(kn_rs_spectrum_sql(&f.job, &b2, NULL), KN_OK);
    ck_assert_uint_eq(b2.len, b.len);
    ck_assert(memcmp(b2.data, b.data, b.len) == 0);

    /* A renamed external schema. */
    kn_buf_clear(&b2);
    f.job.external_schema = "Lake";
    ck_assert_int_eq(kn_rs_spectrum_sql(&f.job, &b2, NULL), KN_OK);
    ck_assert_ptr_nonnull(strstr(text_of(&b2), "CREATE EXTERNAL TABLE lake.events ("));
    ck_assert_uint_eq(count(text_of(&b2), "ALTER TABLE lake.events ADD IF NOT EXISTS"), 3);
    kn_buf_free(&b2);
    kn_buf_free(&b);
    kn_free(pf);
    fixture_free(&f);
}
END_TEST

START_TEST(spectrum_sql_without_partitions_points_at_the_manifest)
{
    fixture f;
    fixture_init(&f);
    kn_rs_file files[] = {{"part-00000.parquet", 10}};
    f.job.files = files;
    f.job.num_files = 1;
    kn_buf b = KN_BUF_INIT;
    ck_assert_int_eq(kn_rs_spectrum_sql(&f.job, &b, NULL), KN_OK);
    const char *sql = text_of(&b);
    ck_assert_ptr_nonnull(strstr(sql, "    region VARCHAR(16)\n)\nSTORED AS PARQUET\n"
                                      "LOCATION 's3://bucket/out/manifest.json';\n"));
    ck_assert_ptr_null(strstr(sql, "PARTITIONED BY"));
    ck_assert_ptr_null(strstr(sql, "ALTER TABLE"));
    kn_buf_free(&b);
    fixture_free(&f);
}
END_TEST

START_TEST(spectrum_sql_checks_partition_columns_and_folders)
{
    fixture f;
    fixture_init(&f);
    kn_rs_file files[] = {{"year=2024/region=eu/part-00000.parquet", 10}};
    f.job.files = files;
    f.job.num_files = 1;
    kn_buf b = KN_BUF_INIT;
    kn_buf_append(&b, "keep", 4);
    kn_error e;

    /* Dropped partition columns: the external table lists every schema column. */
    kn_schema *s = kn_schema_create();
    kn_schema_add(s, "id", kn_type_make(KN_TYPE_INT64), false, NULL);
    kn_rs_part_col pcols[] = {{"year", kn_type_make(KN_TYPE_INT32), NULL},
                              {"region", kn_type_make(KN_TYPE_STRING), "region"}};
    f.job.schema = s;
    f.job.max_bytes = NULL;
    f.job.is_json = NULL;
    f.job.part_cols = pcols;
    f.job.num_part_cols = 2;
    f.job.partition_columns_dropped = true;
    ck_assert_int_eq(kn_rs_spectrum_sql(&f.job, &b, NULL), KN_OK);
    ck_assert_ptr_nonnull(strstr(text_of(&b), "(\n    id BIGINT\n)\nPARTITIONED BY (year INTEGER, "
                                              "region VARCHAR(16))\n"));
    b.len = 4;

    /* Kept partition columns must be in the schema (and dropped ones must not): a wiring bug. */
    f.job.partition_columns_dropped = false;
    ck_assert_int_eq(kn_rs_spectrum_sql(&f.job, &b, NULL), KN_E_INTERNAL);
    f.job.schema = f.schema;
    f.job.partition_columns_dropped = true;
    ck_assert_int_eq(kn_rs_spectrum_sql(&f.job, &b, NULL), KN_E_INTERNAL);

    /* A column with the name of a derived key cannot sit beside it in Spectrum. */
    kn_schema *clash = kn_schema_create();
    kn_schema_add(clash, "Year", kn_type_make(KN_TYPE_INT32), false, NULL);
    kn_schema_add(clash, "ts", kn_type_timestamp(false), false, NULL);
    f.job.schema = clash;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_rs_spectrum_sql(&f.job, &b, &e), KN_E_USAGE);
    ck_assert_ptr_nonnull(strstr(e.what, "partition key 'year'"));

    /* Folders that do not match the keys are kiln bugs, reported, not written. */
    f.job.schema = s;
    const char *bad_paths[] = {"part-00000.parquet", "year=2024/part-00000.parquet",
                               "month=1/region=eu/part-00000.parquet",
                               "year=2024/region=eu/extra=1/part-00000.parquet",
                               "year2024/region=eu/part-00000.parquet"};
    for (size_t i = 0; i < sizeof bad_paths / sizeof bad_paths[0]; i++) {
        kn_rs_file one = {bad_paths[i], 1};
        f.job.files = &one;
        kn_error_reset(&e);
        ck_assert_msg(kn_rs_spectrum_sql(&f.job, &b, &e) == KN_E_INTERNAL, "'%s' accepted",
                      bad_paths[i]);
    }
    ck_assert_uint_eq(b.len, 4);
    kn_buf_free(&b);
    kn_schema_free(clash);
    kn_schema_free(s);
    fixture_free(&f);
}
END_TEST

START_TEST(partition_paths_from_kernels_feed_spectrum_sql)
{
    /* End to end: rows -> kn_part_path_append -> data file paths -> spectrum.sql, with values
     * that need both Hive escaping (in LOCATION) and SQL quoting (in the literal). */
    kn_schema *s = kn_schema_create();
    kn_schema_add(s, "id", kn_type_make(KN_TYPE_INT64), false, NULL);
    kn_schema_add(s, "ts", kn_type_timestamp(false), false, NULL);
    kn_schema_add(s, "Region", kn_type_make(KN_TYPE_STRING), true, NULL);
    kn_part_spec spec;
    ck_assert_int_eq(kn_part_spec_parse("date(ts),Region", s, &spec, NULL), KN_OK);
    kn_batch *batch;
    ck_assert_int_eq(kn_batch_create(s, 3, &batch, NULL), KN_OK);
    const char *regions[] = {"o'neil\\x", "a/b", NULL};
    for (int i = 0; i < 3; i++) {
        kn_column_append_i64(&batch->columns[0], i, NULL);
        kn_column_append_i64(&batch->columns[1], -1 + i * 86400000000ll, NULL);
        if (regions[i])
            kn_column_append_str(&batch->columns[2], regions[i], strlen(regions[i]), NULL);
        else
            kn_column_append_null(&batch->columns[2], NULL);
    }
    ck_assert_int_eq(kn_batch_seal(batch, NULL), KN_OK);
    kn_buf paths[3];
    kn_rs_file files[3];
    for (int i = 0; i < 3; i++) {
        paths[i] = (kn_buf)KN_BUF_INIT;
        ck_assert_int_eq(kn_part_path_append(&spec, batch, (size_t)i, 0, &paths[i], NULL), KN_OK);
        ck_assert(kn_buf_append(&paths[i], "part-00000.parquet", 19)); /* with the NUL */
        files[i].path = (const char *)paths[i].data;
        files[i].size = 1;
    }
    ck_assert_str_eq(files[0].path, "date=1969-12-31/region=o%27neil%5Cx/part-00000.parquet");

    kn_rs_part_col pcols[2];
    for (size_t k = 0; k < 2; k++) {
        pcols[k].name = spec.keys[k].name;
        pcols[k].type = spec.keys[k].type;
        pcols[k].column = spec.keys[k].fn == KN_PART_IDENTITY
                              ? s->fields[spec.keys[k].column].name
                              : NULL;
    }
    kn_rs_job job;
    kn_rs_job_init(&job);
    job.schema = s;
    job.table = "events";
    job.base_url = "s3://b/p/";
    job.part_cols = pcols;
    job.num_part_cols = 2;
    job.files = files;
    job.num_files = 3;
    kn_buf out = KN_BUF_INIT;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(kn_rs_spectrum_sql(&job, &out, &e) == KN_OK, "%s", e.what);
    const char *sql = text_of(&out);
    ck_assert_ptr_nonnull(strstr(sql, "    id BIGINT,\n    ts TIMESTAMP\n)\n"
                                      "PARTITIONED BY (date DATE, region VARCHAR(32))\n"));
    ck_assert_ptr_nonnull(strstr(sql, "PARTITION (date='1969-12-31', region='o''neil\\\\x') "
                                      "LOCATION 's3://b/p/date=1969-12-31/region=o%27neil%5Cx/'"));
    ck_assert_ptr_nonnull(strstr(sql, "PARTITION (date='1970-01-01', region='a/b') "
                                      "LOCATION 's3://b/p/date=1970-01-01/region=a%2Fb/'"));
    ck_assert_ptr_nonnull(strstr(sql, "PARTITION (date='1970-01-02', "
                                      "region='__HIVE_DEFAULT_PARTITION__')"));
    kn_buf_free(&out);
    for (int i = 0; i < 3; i++) kn_buf_free(&paths[i]);
    kn_batch_free(batch);
    kn_schema_free(s);
}
END_TEST

void kn_test_add_sql_tests(Suite *s) {
    TCase *tc = tcase_create("sql");
    tcase_add_test(tc, every_kiln_type_maps_to_its_redshift_type);
    tcase_add_test(tc, varchar_rounds_to_powers_of_two_and_caps_at_65535);
    tcase_add_test(tc, identifiers_are_lowercased_and_quoted_only_when_needed);
    tcase_add_test(tc, literals_double_quotes_and_backslashes);
    tcase_add_test(tc, table_names_parse_with_quotes_and_parts);
    tcase_add_test(tc, manifest_lists_every_file_with_its_exact_size);
    tcase_add_test(tc, table_sql_has_columns_in_file_order_types_and_sortkey);
    tcase_add_test(tc, table_sql_refuses_names_redshift_would_fold_together);
    tcase_add_test(tc, copy_sql_loads_the_manifest_as_parquet);
    tcase_add_test(tc, upsert_sql_stages_deletes_on_merge_keys_and_inserts_in_one_transaction);
    tcase_add_test(tc, spectrum_sql_adds_every_partition_in_chunks_of_100);
    tcase_add_test(tc, spectrum_sql_without_partitions_points_at_the_manifest);
    tcase_add_test(tc, spectrum_sql_checks_partition_columns_and_folders);
    tcase_add_test(tc, partition_paths_from_kernels_feed_spectrum_sql);
    suite_add_tcase(s, tc);
}
