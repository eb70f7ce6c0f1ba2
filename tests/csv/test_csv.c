/* tests/csv/test_csv.c: the CSV reader: its SIMD twins against the scalar one, csv-spectrum,
 * values and nulls, bad records kept whole, the options, and morsels cut by guess and checked
 * as the pipeline checks them. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kn_alloc.h"
#include "kn_cpu.h"
#include "kn_csv.h"
#include "kn_csv_index.h"
#include "kn_schema_file.h"
#include "kn_utf8.h"

static uint64_t rng = 12345;
static uint64_t rnd(void) {
    uint64_t z = (rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static kn_schema *schema_of(const char *spec) {
    /* "name:type[!];..." ('!' = not nullable) */
    kn_schema *s = kn_schema_create();
    char buf[1024];
    snprintf(buf, sizeof buf, "%s", spec);
    for (char *tok = strtok(buf, ";"); tok; tok = strtok(NULL, ";")) {
        char *colon = strchr(tok, ':');
        *colon = 0;
        bool nn = colon[strlen(colon + 1)] == '!';
        if (nn) colon[strlen(colon + 1)] = 0;
        kn_type t;
        ck_assert(kn_type_parse(colon + 1, &t));
        ck_assert_int_eq(kn_schema_add(s, tok, t, !nn, NULL), KN_OK);
    }
    return s;
}

/* Every cell of the batch as text ("\N" for NULL), cells split by '|', rows by '\n'. */
static void render(const kn_batch *b, char *out, size_t cap) {
    size_t o = 0;
    out[0] = 0;
    for (size_t r = 0; r < b->num_rows; r++) {
        for (size_t c = 0; c < b->schema->num_fields; c++) {
            const kn_column *col = &b->columns[c];
            char cell[256];
            if (!kn_column_is_valid(col, r)) snprintf(cell, sizeof cell, "\\N");
            else switch (col->type.id) {
                case KN_TYPE_STRING: {
                    size_t n;
                    const uint8_t *s = kn_column_str(col, r, &n);
                    snprintf(cell, sizeof cell, "%.*s", (int)n, (const char *)s);
                    break;
                }
                case KN_TYPE_BOOL: snprintf(cell, sizeof cell, "%s", kn_column_bool(col)[r] ? "true" : "false"); break;
                case KN_TYPE_INT32:
                case KN_TYPE_DATE: snprintf(cell, sizeof cell, "%d", kn_column_i32(col)[r]); break;
                case KN_TYPE_FLOAT64: snprintf(cell, sizeof cell, "%.17g", kn_column_f64(col)[r]); break;
                default: snprintf(cell, sizeof cell, "%lld", (long long)kn_column_i64(col)[r]); break;
                }
            o += (size_t)snprintf(out + o, cap - o, "%s%s", c ? "|" : "", cell);
        }
        o += (size_t)snprintf(out + o, cap - o, "\n");
        ck_assert_uint_lt(o, cap);
    }
}

typedef struct read_result {
    char text[400000];
    size_t bad;
    char bad_bytes[8][128];
    char bad_what[8][KN_ERROR_WHAT_MAX];
    uint64_t records;
    kn_status fatal;
} read_result;

/* Reads all of `text` as one file: the prologue, then one morsel. */
static kn_status read_all(const kn_csv_options *opt, const kn_schema *schema, const char *text, size_t len,
                          read_result *res) {
    memset(res, 0, sizeof *res);
    kn_csv_file f;
    kn_error e;
    kn_error_reset(&e);
    kn_status st = kn_csv_prologue(opt, schema, (const uint8_t *)text, len, "t.csv", &f, &e);
    if (st != KN_OK) {
        snprintf(res->bad_what[0], sizeof res->bad_what[0], "%s", e.what);
        return st;
    }
    kn_csv_reader *r;
    ck_assert_int_eq(kn_csv_reader_create(schema, opt, &r, NULL), KN_OK);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(schema, 16, &b, NULL), KN_OK);
    kn_csv_reader_reset(r, &f, (const uint8_t *)text + f.data_start, len - f.data_start, len - f.data_start, "t.csv",
                        f.data_start);
    for (;;) {
        bool done = false;
        kn_error_reset(&e);
        st = kn_csv_reader_next(r, b, &done, &e);
        if (st == KN_E_DATA) {
            uint64_t off;
            const uint8_t *d;
            size_t n;
            kn_csv_reader_bad_record(r, &off, &d, &n);
            if (res->bad < 8) {
                snprintf(res->bad_bytes[res->bad], sizeof res->bad_bytes[0], "%.*s", (int)n, (const char *)d);
                ck_assert_mem_eq(d, text + off, n); /* the offset is the record's first byte */
                snprintf(res->bad_what[res->bad], sizeof res->bad_what[0], "%s", e.what);
            }
            res->bad++;
            continue;
        }
        ck_assert_int_eq(st, KN_OK);
        if (done) break;
    }
    ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
    render(b, res->text, sizeof res->text);
    res->records = kn_csv_reader_records(r);
    kn_batch_free(b);
    kn_csv_reader_free(r);
    kn_csv_file_release(&f);
    return KN_OK;
}

/* ---- stage 1: the twins ------------------------------------------------------------------- */

/* One twin's index of buf[0..len). */
typedef struct index_run {
    uint32_t pos[800], lines[800];
    kn__csv_index_out out;
    kn__csv_carry carry;
    bool ascii;
} index_run;

static void run_index(kn__csv_index_fn fn, const uint8_t *buf, size_t len, const kn__csv_chars *ch, index_run *ir) {
    ir->out = (kn__csv_index_out){ir->pos, ir->lines, 0, 0, true, 0};
    fn(buf, len, ch, &ir->out, &ir->carry, &ir->ascii);
    /* The UTF-8 answer is kn_utf8_validate's, whichever twin found it. */
    ck_assert_uint_eq(ir->out.utf8_valid, kn_utf8_validate_scalar(buf, len));
}

static void assert_same_index(const index_run *a, const index_run *b) {
    ck_assert_uint_eq(a->out.npos, b->out.npos);
    ck_assert_mem_eq(a->pos, b->pos, a->out.npos * sizeof *a->pos);
    ck_assert_uint_eq(a->out.nlines, b->out.nlines);
    ck_assert_mem_eq(a->lines, b->lines, a->out.nlines * sizeof *a->lines);
    ck_assert(a->carry.inside == b->carry.inside && a->carry.escaped == b->carry.escaped && a->carry.cr == b->carry.cr &&
              a->ascii == b->ascii && a->out.utf8_valid == b->out.utf8_valid);
}

START_TEST(index_twins_agree)
{
    const kn_cpu_features *cpu = kn_cpu();
    if (!cpu->avx512) printf("note: this CPU lacks AVX-512, so the AVX-512 twin was not run here\n");
    ck_assert_msg(cpu->avx2, "the AVX2 twin needs AVX2, which every CI machine has");
    /* Structural bytes, and the bytes of UTF-8 sequences (whole ones and pieces) for the check
     * the AVX2 twin makes on the way: lengths around multiples of 32 and 64 put sequences across
     * its blocks and cut them at the end. */
    static const uint8_t alphabet[] = {'a', ',', '"', '\n', '\r', '\\', 0xC3, ' ', '|', 'b'};
    static const uint8_t *const seqs[] = {(const uint8_t *)"\xC3\xA9", (const uint8_t *)"\xE2\x82\xAC",
                                          (const uint8_t *)"\xF0\x9F\x98\x80", (const uint8_t *)"\xED\xA0\x80",
                                          (const uint8_t *)"\xC0\xAF", (const uint8_t *)"\xFF", (const uint8_t *)"\xE2\x82"};
    uint8_t buf[700];
    static index_run r0, r1, r2;
    for (int iter = 0; iter < 20000; iter++) {
        size_t len = iter % 4 == 0 ? 64 * (1 + rnd() % 10) - 2 + rnd() % 5 : rnd() % sizeof buf;
        if (len > sizeof buf) len = sizeof buf;
        for (size_t i = 0; i < len; i++) buf[i] = alphabet[rnd() % (iter % 3 == 0 ? 10 : 5)];
        if (iter % 2) {
            /* Mostly valid text with a sequence now and then; sometimes a bad one. */
            for (size_t i = 0; i < len; i++) buf[i] &= 0x7F;
            for (unsigned k = (unsigned)(rnd() % 4); k > 0 && len > 4; k--) {
                const uint8_t *q = seqs[rnd() % (rnd() % 5 == 0 ? 7 : 3)];
                size_t at = rnd() % len, ql = strlen((const char *)q);
                for (size_t j = 0; j < ql && at + j < len; j++) buf[at + j] = q[j];
            }
        }
        kn__csv_chars ch = {iter % 5 == 0 ? '|' : ',', iter % 7 == 0 ? 0 : '"', iter % 2 ? '\\' : 0};
        run_index(kn__csv_index_scalar, buf, len, &ch, &r0);
        run_index(kn__csv_index_avx2, buf, len, &ch, &r1);
        assert_same_index(&r0, &r1);
        if (cpu->avx512) {
            run_index(kn__csv_index_avx512, buf, len, &ch, &r2);
            assert_same_index(&r0, &r2);
        }
    }
}
END_TEST

START_TEST(index_reference_semantics)
{
    /* Quotes toggle, a doubled quote twice; an escaped quote, delimiter or line break is none. */
    const char *t = "a,\"b,\"\"c\"\n\\,\\\"x,y\\\n";
    kn__csv_chars ch = {',', '"', '\\'};
    static index_run ir;
    run_index(kn__csv_index_scalar, (const uint8_t *)t, strlen(t), &ch, &ir);
    /* structural: 1 (,) 9 (\n) 15 (,) — the escaped ',' at 11 and '\n' at 18 are not */
    ck_assert_uint_eq(ir.out.npos, 3);
    ck_assert_uint_eq(ir.pos[0], 1);
    ck_assert_uint_eq(ir.pos[1], 9);
    ck_assert_uint_eq(ir.pos[2], 15);
    ck_assert_uint_eq(ir.out.nlines, 1);
    ck_assert_uint_eq(ir.lines[0], 1);
    ck_assert(ir.carry.inside == 0 && ir.ascii);

    /* CRLF ends a record once: its LF is no entry, after a structural CR only (an escaped CR,
     * or one inside quotes, leaves the LF alone); a CR at the end of one 64-byte block drops
     * the LF that starts the next. */
    char u[160];
    memset(u, 'x', sizeof u);
    memcpy(u, "a,b\r\nc\r\r\n\\\r\n\"\r\n\"\n", 17);
    memcpy(u + 62, ",\r\n", 3);
    run_index(kn__csv_index_scalar, (const uint8_t *)u, 70, &ch, &ir);
    /* , at 1; CR at 3 (LF 4 dropped); CR at 6; CR at 7 (LF 8 dropped); escaped CR at 10, so LF
     * 11 stays; CR LF at 13-14 inside quotes; LF at 16; , at 62; CR at 63 (LF 64 dropped) */
    static const uint32_t want[] = {1, 3, 6, 7, 11, 16, 62, 63};
    ck_assert_uint_eq(ir.out.npos, 8);
    ck_assert_mem_eq(ir.pos, want, sizeof want);
    static const uint32_t want_lines[] = {1, 2, 3, 4, 5, 7};
    ck_assert_uint_eq(ir.out.nlines, 6);
    ck_assert_mem_eq(ir.lines, want_lines, sizeof want_lines);
}
END_TEST

/* ---- csv-spectrum ------------------------------------------------------------------------- */

static char *slurp(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    *len = fread(b, 1, (size_t)n, f);
    b[*len] = 0;
    fclose(f);
    return b;
}

/* The expected JSON (an array of objects of strings) as "k=v|k=v\n" lines, keys in order. */
static void expected_rows(const char *j, char *out, size_t cap) {
    size_t o = 0;
    bool in_obj = false, key = true;
    for (const char *p = j; *p; p++) {
        if (*p == '{') {
            in_obj = true;
            key = true;
            continue;
        }
        if (*p == '}') {
            if (o && out[o - 1] == '|') o--;
            out[o++] = '\n';
            in_obj = false;
            continue;
        }
        if (!in_obj || *p != '"') continue;
        for (p++; *p != '"'; p++) {
            char c = *p;
            if (c == '\\') {
                c = *++p;
                c = c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c;
            }
            out[o++] = c;
        }
        out[o++] = key ? '=' : '|';
        key = !key;
        ck_assert_uint_lt(o, cap - 2);
    }
    out[o] = 0;
}

typedef struct spectrum_rows {
    const kn_csv_file *file;
    char *out;
    size_t o, cap;
} spectrum_rows;

static kn_status spectrum_field(void *ctx, const kn_csv_field *f, kn_error *err) {
    spectrum_rows *s = ctx;
    /* csv-spectrum has no NULL: an empty field is the empty string there. */
    s->o += (size_t)snprintf(s->out + s->o, s->cap - s->o, "%s%s=%.*s", f->index ? "|" : "", s->file->names[f->index],
                             (int)f->len, f->text);
    return KN_OK;
}

START_TEST(csv_spectrum_passes)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/csv/csvs", KN_TEST_CONFORMANCE_DIR);
    DIR *d = opendir(dir);
    ck_assert_msg(d != NULL, "%s is absent: the csv-spectrum files must be in the project", dir);
    struct dirent *ent;
    size_t files = 0;
    kn_csv_options opt;
    kn_csv_options_init(&opt);
    while ((ent = readdir(d))) {
        const char *nm = ent->d_name;
        size_t nl = strlen(nm);
        if (nl < 5 || strcmp(nm + nl - 4, ".csv")) continue;
        char p1[2048], p2[2048];
        snprintf(p1, sizeof p1, "%s/%s", dir, nm);
        snprintf(p2, sizeof p2, "%s/csv/json/%.*s.json", KN_TEST_CONFORMANCE_DIR, (int)(nl - 4), nm);
        size_t n1, n2;
        char *csv = slurp(p1, &n1), *json = slurp(p2, &n2);
        ck_assert_msg(csv && json, "%s or its JSON is missing", nm);
        kn_csv_file f;
        ck_assert_int_eq(kn_csv_prologue(&opt, NULL, (const uint8_t *)csv, n1, nm, &f, NULL), KN_OK);
        kn_csv_reader *r;
        ck_assert_int_eq(kn_csv_reader_create(NULL, &opt, &r, NULL), KN_OK);
        kn_csv_reader_reset(r, &f, (const uint8_t *)csv + f.data_start, n1 - f.data_start, n1 - f.data_start, nm,
                            f.data_start);
        static char got[16384], want[16384];
        spectrum_rows s = {&f, got, 0, sizeof got};
        got[0] = 0;
        for (;;) {
            bool done;
            kn_error e;
            kn_error_reset(&e);
            ck_assert_msg(kn_csv_reader_scan(r, spectrum_field, &s, &done, &e) == KN_OK, "%s: %s", nm, e.what);
            if (done) break;
            s.o += (size_t)snprintf(got + s.o, sizeof got - s.o, "\n");
        }
        expected_rows(json, want, sizeof want);
        ck_assert_msg(strcmp(got, want) == 0, "%s:\n got: %s\nwant: %s", nm, got, want);
        kn_csv_reader_free(r);
        kn_csv_file_release(&f);
        free(csv);
        free(json);
        files++;
    }
    closedir(d);
    ck_assert_uint_eq(files, 12);
}
END_TEST

/* ---- values ------------------------------------------------------------------------------- */

START_TEST(values_nulls_and_casts)
{
    kn_schema *s = schema_of("id:int64!;price:decimal(10,2);ts:timestamptz;ok:bool;name:string;d:date;x:float64");
    kn_csv_options opt;
    kn_csv_options_init(&opt);
    opt.null_tokens[0] = "NA";
    opt.num_null_tokens = 1;
    const char *t = "id,price,ts,ok,name,d,x\n"
                    "1, 12.5 ,2024-03-05T01:02:03+01:00,T,\"a,b\",2024-01-31,1e3\n"
                    "+007,,2024-03-05,no,,2024-02-01,nan\n"
                    "3,NA,NA,\"\",\"\",\"\",\"NA\"\n";
    read_result res;
    ck_assert_int_eq(read_all(&opt, s, t, strlen(t), &res), KN_OK);
    ck_assert_uint_eq(res.bad, 1); /* "NA" quoted is text, not a float */
    ck_assert_str_eq(res.text, "1|1250|1709596923000000|true|a,b|19753|1000\n"
                               "7|\\N|1709596800000000|false|\\N|19754|nan\n");
    ck_assert_str_eq(res.bad_bytes[0], "3,NA,NA,\"\",\"\",\"\",\"NA\"");
    ck_assert_ptr_nonnull(strstr(res.bad_what[0], "not a number"));

    const char *t2 = "id,price,ts,ok,name,d,x\n3,NA,NA,\"\",\"\",\"\",\n";
    ck_assert_int_eq(read_all(&opt, s, t2, strlen(t2), &res), KN_OK);
    /* A quoted "" is an empty string in a string column and NULL elsewhere; NA unquoted is NULL. */
    ck_assert_str_eq(res.text, "3|\\N|\\N|\\N||\\N|\\N\n");
    kn_schema_free(s);
}
END_TEST

START_TEST(bad_records_are_kept_whole)
{
    kn_schema *s = schema_of("a:int64;b:string");
    kn_csv_options opt;
    kn_csv_options_init(&opt);
    const char *t = "a,b\n"
                    "1,ok\n"
                    "2,\"two\nlines\",extra\n"  /* too many fields, spans two lines */
                    "x,\"bad int\"\n"            /* a cast that fails */
                    "3,\"after\"quote\n"         /* text after the closing quote */
                    "4\n"                        /* too few fields */
                    "5,\xff\n"                   /* invalid UTF-8 */
                    "6,last\n"
                    "7,\"never closed\n8,x\n";
    read_result res;
    ck_assert_int_eq(read_all(&opt, s, t, strlen(t), &res), KN_OK);
    ck_assert_str_eq(res.text, "1|ok\n6|last\n");
    ck_assert_uint_eq(res.bad, 6);
    ck_assert_str_eq(res.bad_bytes[0], "2,\"two\nlines\",extra");
    ck_assert_ptr_nonnull(strstr(res.bad_what[0], "expected 2 fields, found 3"));
    ck_assert_str_eq(res.bad_bytes[1], "x,\"bad int\"");
    ck_assert_str_eq(res.bad_bytes[2], "3,\"after\"quote");
    ck_assert_ptr_nonnull(strstr(res.bad_what[2], "after the closing quote"));
    ck_assert_str_eq(res.bad_bytes[3], "4");
    ck_assert_str_eq(res.bad_bytes[4], "5,\xff");
    ck_assert_ptr_nonnull(strstr(res.bad_what[4], "UTF-8"));
    ck_assert_str_eq(res.bad_bytes[5], "7,\"never closed\n8,x\n");
    ck_assert_ptr_nonnull(strstr(res.bad_what[5], "never closed"));
    ck_assert_uint_eq(res.records, 8);

    /* fill_missing: the short record gets NULL. */
    opt.fill_missing = true;
    const char *t2 = "a,b\n4\n5,x\n";
    ck_assert_int_eq(read_all(&opt, s, t2, strlen(t2), &res), KN_OK);
    ck_assert_str_eq(res.text, "4|\\N\n5|x\n");
    ck_assert_uint_eq(res.bad, 0);
    kn_schema_free(s);
}
END_TEST

START_TEST(header_maps_columns_by_name)
{
    kn_schema *s = schema_of("a:int64;b:string;c:string");
    kn_csv_options opt;
    kn_csv_options_init(&opt);
    /* Any order, an extra column ignored, a missing nullable column NULL, names by case. */
    const char *t = "\xEF\xBB\xBF" "B,extra,A\r\nx,1,2\r\ny,2,3\r\n";
    read_result res;
    ck_assert_int_eq(read_all(&opt, s, t, strlen(t), &res), KN_OK);
    ck_assert_str_eq(res.text, "2|x|\\N\n3|y|\\N\n");
    kn_schema *nn = schema_of("a:int64;c:string!");
    ck_assert_int_eq(read_all(&opt, nn, t, strlen(t), &res), KN_E_DATA);
    ck_assert_ptr_nonnull(strstr(res.bad_what[0], "no column for the non-nullable field 'c'"));
    /* No header: by position. */
    opt.header = false;
    const char *t2 = "1,x,y\r2,z,w\r";
    ck_assert_int_eq(read_all(&opt, s, t2, strlen(t2), &res), KN_OK);
    ck_assert_str_eq(res.text, "1|x|y\n2|z|w\n");
    kn_schema_free(s);
    kn_schema_free(nn);
}
END_TEST

START_TEST(options_shape_the_reading)
{
    kn_schema *s = schema_of("a:string;b:string");
    kn_csv_options opt;
    kn_csv_options_init(&opt);
    opt.delimiter = '\t';
    opt.escape = '\\';
    opt.comment = '#';
    opt.skip_rows = 1;
    const char *t = "junk line \"\n# a comment with a \" quote\na\tb\n\n# another\nx\\ty\t\"q\\\"q\"\n\\\"open\tz\\\nw\n";
    read_result res;
    ck_assert_int_eq(read_all(&opt, s, t, strlen(t), &res), KN_OK);
    ck_assert_uint_eq(res.bad, 0);
    /* "\\t" is a literal t: the escape byte only makes the next byte literal. */
    ck_assert_str_eq(res.text, "xty|q\"q\n\"open|z\nw\n");

    kn_csv_options_init(&opt);
    opt.encoding = KN_CSV_WINDOWS1252;
    const char *t2 = "a,b\n\x80uro,caf\xe9\n";
    ck_assert_int_eq(read_all(&opt, s, t2, strlen(t2), &res), KN_OK);
    ck_assert_str_eq(res.text, "\xe2\x82\xac" "uro|caf\xc3\xa9\n");
    opt.encoding = KN_CSV_LATIN1;
    ck_assert_int_eq(read_all(&opt, s, t2, strlen(t2), &res), KN_OK);
    ck_assert_str_eq(res.text, "\xc2\x80" "uro|caf\xc3\xa9\n");

    kn_csv_options_init(&opt);
    opt.delimiter = '"';
    ck_assert_int_eq(kn_csv_options_check(&opt, NULL), KN_E_USAGE);
    kn_schema_free(s);
}
END_TEST

/* ---- morsels: guessed starts, checked in order -------------------------------------------- */

/* Reads `text` in morsels of m bytes as the pipeline does: each starts at the format's guess,
 * reads the records that start before the next nominal cut, and, in order, a morsel whose
 * guess is not where the previous one ended is read again from there. */
static void read_in_morsels(const kn_csv_options *opt, const kn_schema *s, const char *text, size_t len, size_t m,
                            char *out, size_t cap, size_t *rereads) {
    kn_csv_file f;
    ck_assert_int_eq(kn_csv_prologue(opt, s, (const uint8_t *)text, len, "m.csv", &f, NULL), KN_OK);
    kn_csv_reader *r;
    ck_assert_int_eq(kn_csv_reader_create(s, opt, &r, NULL), KN_OK);
    kn_batch *b;
    ck_assert_int_eq(kn_batch_create(s, 16, &b, NULL), KN_OK);
    const uint8_t *d = (const uint8_t *)text;
    size_t end = f.data_start, o = 0;
    *rereads = 0;
    out[0] = 0;
    for (size_t k = 0; k * m < len; k++) {
        size_t start = k == 0 || k * m <= f.data_start ? f.data_start : kn_csv_record_start_guess(opt, &f, d, len, k * m);
        if (start != end) {
            ++*rereads;
            start = end;
        }
        size_t stop = (k + 1) * m > start ? (k + 1) * m : start;
        kn_batch_clear(b);
        kn_csv_reader_reset(r, &f, d + start, len - start, stop - start, "m.csv", start);
        bool done = false;
        while (!done) ck_assert_int_eq(kn_csv_reader_next(r, b, &done, NULL), KN_OK);
        end = start + kn_csv_reader_end(r);
        ck_assert_int_eq(kn_batch_seal(b, NULL), KN_OK);
        render(b, out + o, cap - o);
        o += strlen(out + o);
    }
    kn_batch_free(b);
    kn_csv_reader_free(r);
    kn_csv_file_release(&f);
}

START_TEST(morsels_equal_one_read_whatever_the_cut)
{
    kn_schema *s = schema_of("a:int64;b:string;c:int64");
    kn_csv_options opt;
    kn_csv_options_init(&opt);
    static char text[200000], whole[400000], parts[400000];
    /* Quoted fields whose lines look like records of the right width: the guess is fooled on
     * purpose, so the check and the second reads are exercised. */
    size_t n = (size_t)snprintf(text, sizeof text, "a,b,c\n");
    for (int i = 0; i < 400; i++) {
        if (i % 3 == 0) {
            n += (size_t)snprintf(text + n, sizeof text - n, "%d,\"", i);
            for (int j = 0; j < 12; j++) n += (size_t)snprintf(text + n, sizeof text - n, "%d,x,%d\n", j, j);
            n += (size_t)snprintf(text + n, sizeof text - n, "\"\"y\"\"\",%d\r\n", i);
        }
        else n += (size_t)snprintf(text + n, sizeof text - n, "%d,plain %d,%d\n", i, i, i);
    }
    read_result res;
    ck_assert_int_eq(read_all(&opt, s, text, n, &res), KN_OK);
    ck_assert_uint_eq(res.bad, 0);
    snprintf(whole, sizeof whole, "%s", res.text);
    size_t total_rereads = 0;
    for (size_t m = 7; m < 3000; m = m * 3 / 2 + 1) {
        size_t rr;
        read_in_morsels(&opt, s, text, n, m, parts, sizeof parts, &rr);
        ck_assert_msg(strcmp(whole, parts) == 0, "morsel size %zu reads differently", m);
        total_rereads += rr;
    }
    ck_assert_uint_gt(total_rereads, 0);
    kn_schema_free(s);
}
END_TEST

int main(void) {
    Suite *s = suite_create("csv");
    TCase *tc = tcase_create("reader");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, index_twins_agree);
    tcase_add_test(tc, index_reference_semantics);
    tcase_add_test(tc, csv_spectrum_passes);
    tcase_add_test(tc, values_nulls_and_casts);
    tcase_add_test(tc, bad_records_are_kept_whole);
    tcase_add_test(tc, header_maps_columns_by_name);
    tcase_add_test(tc, options_shape_the_reading);
    tcase_add_test(tc, morsels_equal_one_read_whatever_the_cut);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
