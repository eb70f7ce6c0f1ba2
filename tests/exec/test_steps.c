/* tests/exec/test_steps.c: the step slot of the convert pipeline (kn_operator.h): a test
 * filter and a test "dedup" run on every write path, the counts add up and match a count made
 * without kiln's pipeline, the bytes do not depend on the threads, and the kept rows are the
 * right ones; a blocking step is refused; kn_column_select keeps exactly the rows asked. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kn_alloc.h"
#include "kn_convert.h"
#include "kn_schema_file.h"
#include "kn_select.h"

/* ---- two test steps ---------------------------------------------------------------------- */

typedef struct step_ctx {
    const char *column; /* an int64/int32 column */
    int64_t min;        /* filter: keep rows whose value is >= min (NULL is dropped) */
} step_ctx;

struct kn_op_thread {
    uint32_t *keep;
    size_t cap;
};

static kn_status t_create(const kn_operator *op, kn_op_thread **out, kn_error *err) {
    *out = calloc(1, sizeof **out);
    return *out ? KN_OK : kn_error_set(err, KN_E_NOMEM, "oom");
}
static void t_free(const kn_operator *op, kn_op_thread *t) {
    if (t) free(t->keep);
    free(t);
}

static int64_t value_at(const kn_column *c, size_t i) {
    return c->type.id == KN_TYPE_INT32 ? kn_column_i32(c)[i] : kn_column_i64(c)[i];
}

/* Keeps rows by `keep_row`, counting the others in *dropped. */
static void select_rows(kn_op_thread *t, kn_batch *b, bool (*keep_row)(const step_ctx *, const kn_column *, size_t),
                        const step_ctx *cx, uint64_t *dropped) {
    if (t->cap < b->num_rows) {
        t->keep = realloc(t->keep, b->num_rows * sizeof *t->keep);
        t->cap = b->num_rows;
    }
    long f = kn_schema_find(b->schema, cx->column, strlen(cx->column));
    ck_assert_int_ge(f, 0);
    const kn_column *c = &b->columns[f];
    size_t n = 0;
    for (size_t i = 0; i < b->num_rows; i++)
        if (keep_row(cx, c, i)) t->keep[n++] = (uint32_t)i;
    *dropped += b->num_rows - n;
    kn_batch_select(b, t->keep, n);
}

static bool at_least(const step_ctx *cx, const kn_column *c, size_t i) {
    return kn_column_is_valid(c, i) && value_at(c, i) >= cx->min;
}
static bool odd(const step_ctx *cx, const kn_column *c, size_t i) { return !kn_column_is_valid(c, i) || value_at(c, i) % 2; }

static kn_status filter_map(const kn_operator *op, kn_op_thread *t, kn_batch *b, kn_op_counts *counts, kn_error *err) {
    select_rows(t, b, at_least, op->ctx, &counts->filtered);
    return KN_OK;
}
/* Not a real dedup: it drops even ids and calls them duplicates, to exercise the count. */
static kn_status even_dedup_map(const kn_operator *op, kn_op_thread *t, kn_batch *b, kn_op_counts *counts,
                                kn_error *err) {
    select_rows(t, b, odd, op->ctx, &counts->deduplicated);
    return KN_OK;
}

/* ---- running kiln convert with them ------------------------------------------------------ */

static kn_schema *orders_schema(void) {
    kn_schema *s = NULL;
    ck_assert_int_eq(kn_schema_file_load(KN_TEST_SOURCE_DIR "/data/orders.schema.yaml", &s, NULL), KN_OK);
    return s;
}

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    fclose(f);
    return b;
}

typedef struct outcome {
    kn_convert_result res;
    char *bytes; /* the files, concatenated, in name order */
    size_t len;
} outcome;

static void run(const char *input, const char *partition_by, const char *sort_by, int threads,
                const kn_operator *const *steps, size_t nsteps, outcome *o) {
    char dir[256];
    snprintf(dir, sizeof dir, "%s/steps-out-%d", KN_TEST_BINARY_DIR, getpid());
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
    kn_schema *s = orders_schema();
    const char *inputs[] = {input};
    kn_convert_options opt;
    kn_convert_options_init(&opt);
    opt.inputs = inputs;
    opt.num_inputs = 1;
    opt.output_dir = dir;
    opt.schema = s;
    opt.threads = threads;
    opt.morsel_bytes = 16 << 10;
    opt.progress = false;
    opt.partition_by = partition_by;
    opt.sort_by = sort_by;
    opt.steps = steps;
    opt.num_steps = nsteps;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_msg(kn_convert_run(&opt, &o->res, &e) == KN_OK, "%s", e.what);
    o->bytes = NULL;
    o->len = 0;
    for (uint64_t i = 0; i < o->res.files_out; i++) {
        size_t n;
        char *b = slurp(o->res.outputs[i], &n);
        o->bytes = realloc(o->bytes, o->len + n);
        memcpy(o->bytes + o->len, b, n);
        o->len += n;
        free(b);
    }
    kn_schema_free(s);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static void outcome_free(outcome *o) {
    kn_convert_result_free(&o->res);
    free(o->bytes);
}

/* Rows of the sample whose quantity is NULL or below 5, and the odd order_ids among the rest,
 * counted from the text itself. */
static void count_by_hand(const char *path, uint64_t *low, uint64_t *even_kept) {
    size_t len;
    char *t = slurp(path, &len);
    *low = *even_kept = 0;
    for (char *line = t; line < t + len;) {
        char *nl = memchr(line, '\n', (size_t)(t + len - line));
        if (!nl) nl = t + len;
        *nl = 0;
        char *q = strstr(line, "\"quantity\":");
        char *id = strstr(line, "\"order_id\":");
        ck_assert_ptr_nonnull(id);
        bool low_q = !q || strncmp(q + 11, "null", 4) == 0 || atoll(q + 11) < 5;
        if (low_q) ++*low;
        else if (atoll(id + 11) % 2 == 0) ++*even_kept;
        line = nl + 1;
    }
    free(t);
}

START_TEST(steps_drop_rows_and_the_counts_add_up)
{
    const char *input = KN_TEST_SOURCE_DIR "/data/ndjson/orders-00001.ndjson";
    uint64_t low, even;
    count_by_hand(input, &low, &even);
    ck_assert_uint_gt(low, 0);
    ck_assert_uint_gt(even, 0);
    step_ctx fq = {"quantity", 5}, de = {"order_id", 0};
    kn_operator filter = {.name = "filter", .kind = KN_OP_STREAMING, .thread_create = t_create, .thread_free = t_free,
                          .map = filter_map, .ctx = &fq};
    kn_operator dedup = {.name = "dedup", .kind = KN_OP_STREAMING, .thread_create = t_create, .thread_free = t_free,
                         .map = even_dedup_map, .ctx = &de};
    const kn_operator *steps[] = {&filter, &dedup};
    const char *parts[] = {NULL, "year(ts)", "year(ts)"}, *sorts[] = {NULL, NULL, "order_id"};
    for (int layout = 0; layout < 3; layout++) {
        outcome one, two;
        run(input, parts[layout], sorts[layout], 1, steps, 2, &one);
        run(input, parts[layout], sorts[layout], 2, steps, 2, &two);
        kn_convert_result *r = &one.res;
        ck_assert_uint_eq(r->rows_read, 700);
        ck_assert_uint_eq(r->rows_filtered, low);
        ck_assert_uint_eq(r->rows_deduplicated, even);
        ck_assert_uint_eq(r->rows_read, r->rows_written + r->rows_rejected + r->rows_filtered + r->rows_deduplicated);
        uint64_t in_files = 0;
        for (uint64_t i = 0; i < r->files_out; i++) in_files += r->output_rows[i];
        ck_assert_uint_eq(in_files, r->rows_written);
        /* The same bytes whatever the threads (the build id is the same within one binary). */
        ck_assert_uint_eq(one.len, two.len);
        ck_assert(memcmp(one.bytes, two.bytes, one.len) == 0);
        outcome_free(&one);
        outcome_free(&two);
    }
}
END_TEST

START_TEST(a_blocking_step_is_refused)
{
    kn_operator blocking = {.name = "aggregate", .kind = KN_OP_BLOCKING};
    const kn_operator *steps[] = {&blocking};
    kn_schema *s = orders_schema();
    const char *inputs[] = {KN_TEST_SOURCE_DIR "/data/ndjson/orders-00001.ndjson"};
    char dir[256];
    snprintf(dir, sizeof dir, "%s/steps-blocking-%d", KN_TEST_BINARY_DIR, getpid());
    kn_convert_options opt;
    kn_convert_options_init(&opt);
    opt.inputs = inputs;
    opt.num_inputs = 1;
    opt.output_dir = dir;
    opt.schema = s;
    opt.progress = false;
    opt.steps = steps;
    opt.num_steps = 1;
    kn_convert_result res;
    kn_error e;
    kn_error_reset(&e);
    ck_assert_int_eq(kn_convert_run(&opt, &res, &e), KN_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(e.what, "aggregate"));
    kn_convert_result_free(&res);
    kn_schema_free(s);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    ck_assert_int_eq(system(cmd), 0);
}
END_TEST

START_TEST(select_keeps_exactly_the_rows_asked)
{
    kn_schema *s = kn_schema_create();
    ck_assert_int_eq(kn_schema_add(s, "n", kn_type_make(KN_TYPE_INT64), true, NULL), KN_OK);
    ck_assert_int_eq(kn_schema_add(s, "t", kn_type_make(KN_TYPE_STRING), true, NULL), KN_OK);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 4, &b, NULL), KN_OK);
    for (int i = 0; i < 100; i++) {
        char t[32];
        int n = snprintf(t, sizeof t, "row-%d%s", i, i % 7 ? "" : "-long-tail");
        if (i % 5 == 0) {
            ck_assert_int_eq(kn_column_append_null(&b->columns[0], NULL), KN_OK);
            ck_assert_int_eq(kn_column_append_null(&b->columns[1], NULL), KN_OK);
        } else {
            ck_assert_int_eq(kn_column_append_i64(&b->columns[0], i, NULL), KN_OK);
            ck_assert_int_eq(kn_column_append_str(&b->columns[1], t, (size_t)n, NULL), KN_OK);
        }
    }
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    uint32_t keep[100];
    size_t k = 0;
    for (uint32_t i = 0; i < 100; i++)
        if (i % 3 != 1) keep[k++] = i;
    kn_batch_select(b, keep, k);
    ck_assert_uint_eq(b->num_rows, k);
    size_t nulls = 0;
    for (size_t j = 0; j < k; j++) {
        uint32_t i = keep[j];
        bool null = i % 5 == 0;
        nulls += null;
        ck_assert(kn_column_is_valid(&b->columns[0], j) == !null);
        ck_assert(kn_column_is_valid(&b->columns[1], j) == !null);
        if (null) continue;
        ck_assert_int_eq(kn_column_i64(&b->columns[0])[j], i);
        char t[32];
        int n = snprintf(t, sizeof t, "row-%u%s", i, i % 7 ? "" : "-long-tail");
        size_t len;
        const uint8_t *got = kn_column_str(&b->columns[1], j, &len);
        ck_assert_uint_eq(len, (size_t)n);
        ck_assert_mem_eq(got, t, len);
    }
    ck_assert_uint_eq(b->columns[0].null_count, nulls);
    ck_assert_uint_eq(b->columns[1].null_count, nulls);
    kn_batch_free(b);
    kn_schema_free(s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("steps");
    TCase *tc = tcase_create("steps");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, steps_drop_rows_and_the_counts_add_up);
    tcase_add_test(tc, a_blocking_step_is_refused);
    tcase_add_test(tc, select_keeps_exactly_the_rows_asked);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
