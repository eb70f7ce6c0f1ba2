/* tests/core/test_core.c: engine/core, engine/batch and engine/io basics. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "kn_alloc.h"
#include "kn_buf.h"
#include "kn_column.h"
#include "kn_file.h"
#include "kn_schema.h"
#include "kn_status.h"
#include "kn_stream.h"

START_TEST(error_format_names_where_and_what)
{
    /* The CLI prints errors through kn_error_format; users act on "file:line:col: column: what". */
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_error_set(&e, KN_E_DATA, "expected '%c'", '}'), KN_E_DATA);
    kn_error_locate(&e, "orders.ndjson", 41872, 17, 123);
    kn_error_field(&e, "amount");
    kn_error_locate(&e, "outer.ndjson", 1, 1, 1); /* the innermost location wins */
    char buf[256];
    kn_error_format(&e, buf, sizeof buf);
    ck_assert_str_eq(buf, "orders.ndjson:41872:17: column 'amount': expected '}'");
    kn_error_reset(&e);
    kn_error_set(&e, KN_E_FORMAT, "bad footer");
    kn_error_locate(&e, "x.parquet", -1, -1, 99);
    kn_error_format(&e, buf, sizeof buf);
    ck_assert_str_eq(buf, "x.parquet: byte 99: bad footer");
}
END_TEST

START_TEST(exit_codes_follow_the_contract)
{
    ck_assert_int_eq(kn_status_exit_code(KN_OK), 0);
    ck_assert_int_eq(kn_status_exit_code(KN_E_USAGE), 1);
    ck_assert_int_eq(kn_status_exit_code(KN_E_UNSUPPORTED), 1);
    ck_assert_int_eq(kn_status_exit_code(KN_E_DATA), 2);
    ck_assert_int_eq(kn_status_exit_code(KN_E_FORMAT), 2);
    ck_assert_int_eq(kn_status_exit_code(KN_E_IO), 3);
    ck_assert_int_eq(kn_status_exit_code(KN_E_NOMEM), 4);
    ck_assert_int_eq(kn_status_exit_code(KN_E_INTERNAL), 4);
}
END_TEST

START_TEST(allocator_counts_bytes_held_and_peak)
{
    kn_mem_stats before, mid, after;
    kn_mem_get_stats(&before);
    kn_mem_reset_peak();
    void *a = kn_malloc(1000);
    void *b = kn_calloc(10, 100);
    ck_assert_ptr_nonnull(a);
    ck_assert_ptr_nonnull(b);
    a = kn_realloc(a, 3000);
    kn_mem_get_stats(&mid);
    ck_assert_int_eq(mid.current_bytes - before.current_bytes, 4000);
    ck_assert_int_ge(mid.peak_bytes - before.current_bytes, 4000);
    kn_free(a);
    kn_free(b);
    kn_free(NULL);
    kn_mem_get_stats(&after);
    ck_assert_int_eq(after.current_bytes, before.current_bytes);
    ck_assert_int_ge(after.peak_bytes, mid.current_bytes);
}
END_TEST

START_TEST(buffers_and_arenas_grow_and_keep_bytes)
{
    kn_buf b = KN_BUF_INIT;
    for (int i = 0; i < 100000; i++) ck_assert(kn_buf_push(&b, (uint8_t)i));
    ck_assert_uint_eq(b.len, 100000);
    for (int i = 0; i < 100000; i++) ck_assert_uint_eq(b.data[i], (uint8_t)i);
    kn_buf_free(&b);
    ck_assert_ptr_null(b.data);

    kn_arena *a = kn_arena_create();
    char *small = kn_arena_strndup(a, "hello", 5);
    void *big = kn_arena_alloc(a, 1 << 20); /* larger than a block: its own block */
    char *after = kn_arena_strndup(a, "world", 5);
    ck_assert_ptr_nonnull(big);
    ck_assert_str_eq(small, "hello");
    ck_assert_str_eq(after, "world");
    ck_assert_uint_eq(((uintptr_t)big) % 16, 0);
    ck_assert_uint_ge(kn_arena_used(a), (1u << 20) + 10);
    kn_arena_reset(a);
    ck_assert_uint_eq(kn_arena_used(a), 0);
    kn_arena_free(a);
    kn_arena_free(NULL);
}
END_TEST

START_TEST(schema_rejects_duplicates_and_bad_decimals)
{
    kn_schema *s = kn_schema_create();
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_schema_add(s, "id", kn_type_make(KN_TYPE_INT64), false, &e), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "id", kn_type_make(KN_TYPE_STRING), true, &e), KN_E_USAGE);
    ck_assert_ptr_nonnull(strstr(e.what, "twice"));
    ck_assert_int_eq(kn_schema_add(s, "", kn_type_make(KN_TYPE_STRING), true, &e), KN_E_USAGE);
    ck_assert_int_eq(kn_schema_add(s, "d", kn_type_decimal(39, 2), true, &e), KN_E_USAGE);
    ck_assert_int_eq(kn_schema_add(s, "d", kn_type_decimal(5, 6), true, &e), KN_E_USAGE);
    ck_assert_int_eq(kn_schema_add(s, "d", kn_type_decimal(38, 10), true, &e), KN_OK);
    ck_assert_int_eq(kn_schema_find(s, "d", 1), 1);
    ck_assert_int_eq(kn_schema_find(s, "dx", 1), 1);
    ck_assert_int_eq(kn_schema_find(s, "nope", 4), -1);
    kn_schema *c = kn_schema_copy(s);
    ck_assert_uint_eq(c->num_fields, 2);
    ck_assert_str_eq(c->fields[1].name, "d");
    ck_assert(kn_type_equal(c->fields[1].type, kn_type_decimal(38, 10)));
    kn_schema_free(c);
    kn_schema_free(s);
}
END_TEST

START_TEST(type_names_parse_and_format_round_trip)
{
    static const char *const spellings[] = {"string", "bool", "int32", "int64", "float64",
                                             "decimal(12,2)", "date", "timestamp", "timestamptz"};
    for (size_t i = 0; i < sizeof spellings / sizeof spellings[0]; i++) {
        kn_type t;
        ck_assert_msg(kn_type_parse(spellings[i], &t), "%s", spellings[i]);
        char buf[64];
        kn_type_format(t, buf, sizeof buf);
        ck_assert_str_eq(buf, spellings[i]);
    }
    kn_type t;
    ck_assert(kn_type_parse("BIGINT", &t) && t.id == KN_TYPE_INT64);
    ck_assert(kn_type_parse("decimal( 10 , 3 )", &t) && t.precision == 10 && t.scale == 3);
    ck_assert(!kn_type_parse("decimal(40,2)", &t));
    ck_assert(!kn_type_parse("varchar2", &t));
}
END_TEST

START_TEST(columns_hold_values_nulls_and_strings)
{
    kn_error e;
    kn_column c;
    ck_assert_int_eq(kn_column_init(&c, kn_type_make(KN_TYPE_STRING), 2, &e), KN_OK);
    ck_assert_int_eq(kn_column_append_str(&c, "ab", 2, &e), KN_OK);
    ck_assert_ptr_null(c.validity); /* no bitmap until the first null */
    for (int i = 0; i < 200; i++) ck_assert_int_eq(kn_column_append_str(&c, "xyz", 3, &e), KN_OK);
    ck_assert_int_eq(kn_column_append_null(&c, &e), KN_OK);
    ck_assert_int_eq(kn_column_append_str(&c, "", 0, &e), KN_OK);
    ck_assert_uint_eq(c.length, 203);
    ck_assert_uint_eq(c.null_count, 1);
    size_t len;
    const uint8_t *p = kn_column_str(&c, 0, &len);
    ck_assert_uint_eq(len, 2);
    ck_assert_int_eq(memcmp(p, "ab", 2), 0);
    ck_assert(kn_column_is_valid(&c, 0));
    ck_assert(kn_column_is_valid(&c, 200));
    ck_assert(!kn_column_is_valid(&c, 201));
    ck_assert(kn_column_is_valid(&c, 202));
    kn_column_str(&c, 202, &len);
    ck_assert_uint_eq(len, 0);
    kn_column_clear(&c);
    ck_assert_uint_eq(c.length, 0);
    ck_assert_ptr_null(c.validity);
    kn_column_release(&c);

    ck_assert_int_eq(kn_column_init(&c, kn_type_decimal(30, 2), 0, &e), KN_OK);
    kn_i128 v = {123, -1};
    ck_assert_int_eq(kn_column_append_i128(&c, v, &e), KN_OK);
    ck_assert_int_eq(kn_column_append_null(&c, &e), KN_OK);
    ck_assert_uint_eq(kn_column_i128(&c)[0].lo, 123);
    ck_assert_int_eq(kn_column_i128(&c)[0].hi, -1);
    ck_assert_uint_eq(kn_column_i128(&c)[1].lo, 0);
    kn_column_release(&c);
}
END_TEST

START_TEST(batch_seal_checks_column_lengths)
{
    kn_schema *s = kn_schema_create();
    kn_error e;
    kn_schema_add(s, "a", kn_type_make(KN_TYPE_INT64), true, &e);
    kn_schema_add(s, "b", kn_type_make(KN_TYPE_BOOL), true, &e);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 4, &b, &e), KN_OK);
    kn_column_append_i64(&b->columns[0], 7, &e);
    kn_column_append_bool(&b->columns[1], true, &e);
    ck_assert_int_eq(kn_batch_seal(b, &e), KN_OK);
    ck_assert_uint_eq(b->num_rows, 1);
    kn_column_append_i64(&b->columns[0], 8, &e);
    ck_assert_int_eq(kn_batch_seal(b, &e), KN_E_INTERNAL);
    kn_batch_clear(b);
    ck_assert_uint_eq(b->num_rows, 0);
    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

static char tmpdir[256];

static void make_tmpdir(void) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/kn-test-core-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static int count_entries(const char *dir) {
    DIR *d = opendir(dir);
    int n = 0;
    struct dirent *ent;
    while ((ent = readdir(d)))
        if (strcmp(ent->d_name, ".") && strcmp(ent->d_name, "..")) n++;
    closedir(d);
    return n;
}

START_TEST(file_sink_publishes_only_on_close)
{
    /* A reader must never see a partial file under the final name. */
    make_tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/out.bin", tmpdir);
    kn_error e;
    kn_sink *s;
    ck_assert_int_eq(kn_file_sink_create(path, NULL, &s, &e), KN_OK);
    ck_assert_int_eq(kn_sink_write(s, "hello", 5, &e), KN_OK);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_uint_eq(kn_sink_offset(s), 5);
    ck_assert_int_eq(kn_sink_close(s, &e), KN_OK);
    uint8_t *data;
    size_t len;
    ck_assert_int_eq(kn_file_read_all(path, &data, &len, &e), KN_OK);
    ck_assert_uint_eq(len, 5);
    ck_assert_int_eq(memcmp(data, "hello", 5), 0);
    kn_free(data);

    /* An aborted sink leaves nothing behind, not even its temporary file. */
    char path2[512];
    snprintf(path2, sizeof path2, "%s/aborted.bin", tmpdir);
    ck_assert_int_eq(kn_file_sink_create(path2, NULL, &s, &e), KN_OK);
    kn_sink_write(s, "x", 1, &e);
    kn_sink_abort(s);
    ck_assert_int_eq(access(path2, F_OK), -1);
    ck_assert_int_eq(count_entries(tmpdir), 1);
    unlink(path);
    rmdir(tmpdir);
}
END_TEST

START_TEST(file_sink_names_an_unwritable_path)
{
    kn_error e;
    kn_error_reset(&e);
    kn_sink *s = (kn_sink *)1;
    ck_assert_int_eq(kn_file_sink_create("/nonexistent-dir/x.parquet", NULL, &s, &e), KN_E_IO);
    ck_assert_ptr_null(s);
    char buf[512];
    kn_error_format(&e, buf, sizeof buf);
    ck_assert_ptr_nonnull(strstr(buf, "/nonexistent-dir/x.parquet"));
    ck_assert_ptr_nonnull(strstr(buf, "No such file"));
}
END_TEST

START_TEST(memory_sink_and_source_round_trip)
{
    kn_buf out = KN_BUF_INIT;
    kn_error e;
    kn_sink *s = kn_mem_sink_create(&out);
    kn_sink_write(s, "abcdef", 6, &e);
    ck_assert_int_eq(kn_sink_close(s, &e), KN_OK);
    ck_assert_uint_eq(out.len, 6);
    kn_source *src = kn_mem_source_create(out.data, out.len, "mem");
    char buf[4] = {0};
    ck_assert_int_eq(kn_source_read_at(src, 2, buf, 3, &e), KN_OK);
    ck_assert_str_eq(buf, "cde");
    ck_assert_int_eq(kn_source_read_at(src, 4, buf, 3, &e), KN_E_FORMAT);
    kn_source_free(src);
    kn_buf_free(&out);
}
END_TEST

int main(void) {
    Suite *s = suite_create("core");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, error_format_names_where_and_what);
    tcase_add_test(tc, exit_codes_follow_the_contract);
    tcase_add_test(tc, allocator_counts_bytes_held_and_peak);
    tcase_add_test(tc, buffers_and_arenas_grow_and_keep_bytes);
    tcase_add_test(tc, schema_rejects_duplicates_and_bad_decimals);
    tcase_add_test(tc, type_names_parse_and_format_round_trip);
    tcase_add_test(tc, columns_hold_values_nulls_and_strings);
    tcase_add_test(tc, batch_seal_checks_column_lengths);
    tcase_add_test(tc, file_sink_publishes_only_on_close);
    tcase_add_test(tc, file_sink_names_an_unwritable_path);
    tcase_add_test(tc, memory_sink_and_source_round_trip);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
