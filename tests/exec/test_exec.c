/* tests/exec/test_exec.c: schema files and input listing. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_list.h"
#include "kn_schema_file.h"

static kn_status parse(const char *text, kn_schema **out, kn_error *e) {
    kn_error_reset(e);
    return kn_schema_file_parse(text, strlen(text), "s.yaml", out, e);
}

START_TEST(schema_file_reads_every_type)
{
    const char *text = "columns:\n"
                       "  - name: id\n    type: int64\n    nullable: false\n"
                       "  - {name: price, type: \"decimal(12,2)\"}\n"
                       "  - name: ts\n    type: timestamptz\n"
                       "  - name: local\n    type: timestamp\n"
                       "  - name: d\n    type: date\n"
                       "  - name: ok\n    type: bool\n"
                       "  - name: n\n    type: int32\n"
                       "  - name: f\n    type: double\n"
                       "  - name: s\n    type: string\n"
                       "  - name: payload\n    type: json\n"
                       "  - name: attrs\n    type: SUPER\n";
    kn_schema *s;
    kn_error e;
    ck_assert_int_eq(parse(text, &s, &e), KN_OK);
    ck_assert_uint_eq(s->num_fields, 11);
    ck_assert_str_eq(s->fields[0].name, "id");
    ck_assert(!s->fields[0].nullable);
    ck_assert(s->fields[1].nullable);
    ck_assert(kn_type_equal(s->fields[1].type, kn_type_decimal(12, 2)));
    ck_assert(s->fields[2].type.id == KN_TYPE_TIMESTAMP && s->fields[2].type.utc);
    ck_assert(s->fields[3].type.id == KN_TYPE_TIMESTAMP && !s->fields[3].type.utc);
    ck_assert_int_eq(s->fields[7].type.id, KN_TYPE_FLOAT64);
    /* json (and Redshift's own name for it, SUPER) is a string column of JSON texts; a plain
     * string is not json, and the two are different types. */
    ck_assert(s->fields[8].type.id == KN_TYPE_STRING && !s->fields[8].type.json);
    ck_assert(s->fields[9].type.id == KN_TYPE_STRING && s->fields[9].type.json);
    ck_assert(kn_type_equal(s->fields[10].type, kn_type_json()));
    ck_assert(!kn_type_equal(s->fields[8].type, s->fields[9].type));

    /* What kn_schema_file_write prints reads back to the same schema. */
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    kn_schema_file_write(s, f);
    fclose(f);
    /* A json column is written as "json" (SUPER is only an alias on the way in). */
    ck_assert_msg(strstr(buf, "  - name: payload\n    type: json\n") && strstr(buf, "  - name: attrs\n    type: json\n"),
                  "%s", buf);
    kn_schema *back;
    ck_assert_int_eq(kn_schema_file_parse(buf, len, "w.yaml", &back, &e), KN_OK);
    ck_assert_uint_eq(back->num_fields, s->num_fields);
    for (size_t i = 0; i < s->num_fields; i++) {
        ck_assert_str_eq(back->fields[i].name, s->fields[i].name);
        ck_assert(kn_type_equal(back->fields[i].type, s->fields[i].type));
        ck_assert_int_eq(back->fields[i].nullable, s->fields[i].nullable);
    }
    free(buf);
    kn_schema_free(back);
    kn_schema_free(s);
}
END_TEST

START_TEST(schema_file_errors_name_the_line)
{
    kn_schema *s;
    kn_error e;
    char msg[1024];
    ck_assert_int_eq(parse("columns:\n  - name: a\n    type: varchar2\n", &s, &e), KN_E_USAGE);
    ck_assert_ptr_null(s);
    kn_error_format(&e, msg, sizeof msg);
    ck_assert_msg(strstr(msg, "s.yaml:3:") && strstr(msg, "varchar2"), "%s", msg);

    ck_assert_int_eq(parse("columns:\n  - name: a\n    type: int64\n  - name: a\n    type: string\n", &s, &e), KN_E_USAGE);
    ck_assert_ptr_nonnull(strstr(e.what, "twice"));
    ck_assert_int_eq(parse("columns: [\n", &s, &e), KN_E_USAGE);
    ck_assert_ptr_nonnull(strstr(e.what, "YAML"));
    ck_assert_int_eq(parse("cols:\n  - name: a\n", &s, &e), KN_E_USAGE);
    ck_assert_int_eq(parse("columns:\n  - name: a\n    type: int64\n    nullable: maybe\n", &s, &e), KN_E_USAGE);
    ck_assert_int_eq(parse("columns:\n  - type: int64\n", &s, &e), KN_E_USAGE);
    ck_assert_int_eq(parse("", &s, &e), KN_E_USAGE);
    ck_assert_int_eq(parse("columns:\n  - name: a\n    type: decimal(50,2)\n", &s, &e), KN_E_USAGE);
    kn_error_reset(&e);
    ck_assert_int_eq(kn_schema_file_load("/nonexistent/schema.yaml", &s, &e), KN_E_USAGE);
}
END_TEST

static void touch(const char *dir, const char *name) {
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    fputs("{}\n", f);
    fclose(f);
}

START_TEST(inputs_are_listed_sorted_and_filtered)
{
    char dir[] = "/tmp/kn-test-list-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char sub[600];
    snprintf(sub, sizeof sub, "%s/sub", dir);
    mkdir(sub, 0755);
    touch(dir, "b.ndjson");
    touch(dir, "a.jsonl");
    touch(dir, "_skip.ndjson");
    touch(dir, ".hidden.ndjson");
    touch(dir, "notes.txt");
    touch(sub, "c.ndjson");
    static const char *const ext[] = {".ndjson", ".jsonl", NULL};
    const char *args[] = {dir, NULL};
    char explicit_path[600];
    snprintf(explicit_path, sizeof explicit_path, "%s/b.ndjson", dir);
    args[1] = explicit_path; /* named twice: listed once */
    kn_input_list l;
    kn_error e;
    ck_assert_int_eq(kn_input_list_build(args, 2, ext, &l, &e), KN_OK);
    ck_assert_uint_eq(l.count, 3);
    ck_assert_ptr_nonnull(strstr(l.files[0].path, "/a.jsonl"));
    ck_assert_ptr_nonnull(strstr(l.files[1].path, "/b.ndjson"));
    ck_assert_ptr_nonnull(strstr(l.files[2].path, "/sub/c.ndjson"));
    ck_assert_uint_eq(l.total_bytes, 9);
    kn_input_list_free(&l);

    char pattern[600];
    snprintf(pattern, sizeof pattern, "%s/*.ndjson", dir);
    const char *g[] = {pattern};
    ck_assert_int_eq(kn_input_list_build(g, 1, ext, &l, &e), KN_OK);
    ck_assert_uint_eq(l.count, 2); /* glob(3) skips dot files, but a glob names _skip.ndjson itself */
    kn_input_list_free(&l);

    snprintf(pattern, sizeof pattern, "%s/*.csv", dir);
    kn_error_reset(&e);
    ck_assert_int_eq(kn_input_list_build(g, 1, ext, &l, &e), KN_E_USAGE);
    const char *missing[] = {"/nonexistent/input.ndjson"};
    ck_assert_int_eq(kn_input_list_build(missing, 1, ext, &l, &e), KN_E_USAGE);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

int main(void) {
    Suite *s = suite_create("exec");
    TCase *tc = tcase_create("exec");
    tcase_add_test(tc, schema_file_reads_every_type);
    tcase_add_test(tc, schema_file_errors_name_the_line);
    tcase_add_test(tc, inputs_are_listed_sorted_and_filtered);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
