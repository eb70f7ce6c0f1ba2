/* tests/io/test_decompress.c: compressed inputs (kn_decompress.h): what the first bytes say,
 * extensions stripped, each codec decoded to the bytes compressed (whole, in short reads, as
 * concatenated streams), plain bytes read through, and damage, truncation and a bomb refused
 * with errors that name the file; tar and zip archives (kn_archive.h) told apart from text and
 * read member by member. The streams are made here by zlib and libzstd, which kiln links
 * anyway, and by the command-line tools for the others (tests/install-deps.sh installs them). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

#include "kn_alloc.h"
#include "kn_archive.h"
#include "kn_buf.h"
#include "kn_decompress.h"

/* `len` bytes of NDJSON-like text, varied enough that it compresses about 5x. */
static uint8_t *make_text(size_t len) {
    uint8_t *d = kn_malloc(len);
    uint32_t r = 11;
    for (size_t i = 0; i < len; i++) {
        r = r * 1103515245u + 12345u;
        d[i] = i % 61 == 60 ? '\n' : (uint8_t)('a' + (r >> 16) % 13);
    }
    return d;
}

static kn_buf gzip_of(const uint8_t *data, size_t len) {
    kn_buf out = {0};
    z_stream z = {0};
    ck_assert_int_eq(deflateInit2(&z, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY), Z_OK);
    size_t cap = deflateBound(&z, len) + 64;
    ck_assert(kn_buf_reserve(&out, cap));
    z.next_in = (Bytef *)data;
    z.avail_in = (uInt)len;
    z.next_out = out.data;
    z.avail_out = (uInt)cap;
    ck_assert_int_eq(deflate(&z, Z_FINISH), Z_STREAM_END);
    out.len = z.total_out;
    deflateEnd(&z);
    return out;
}

static kn_buf zstd_of(const uint8_t *data, size_t len) {
    kn_buf out = {0};
    size_t cap = ZSTD_compressBound(len);
    ck_assert(kn_buf_reserve(&out, cap));
    size_t n = ZSTD_compress(out.data, cap, data, len, 3);
    ck_assert(!ZSTD_isError(n));
    out.len = n;
    return out;
}

/* Opens `bytes` as the file `name` through the decompressor, reading in chunks of `chunk`. */
static kn_status open_mem(const kn_buf *bytes, size_t chunk, const char *name, double max_expansion,
                          kn_seq_source **out, kn_compression *c, kn_error *err) {
    kn_seq_source *raw = kn_mem_seq_source_create(bytes->data, bytes->len, chunk, name);
    ck_assert_ptr_nonnull(raw);
    kn_decompress_options o = {max_expansion};
    return kn_decompress_open(raw, &o, out, c, err);
}

/* Reads `src` to its end in reads of uneven sizes; KN_OK with everything in `got`, or the
 * first failure. */
static kn_status read_all(kn_seq_source *src, kn_buf *got, kn_error *err) {
    static uint8_t buf[70001];
    size_t cap = 1;
    for (;;) {
        size_t n;
        KN_TRY(kn_seq_source_read(src, buf, cap, &n, err));
        if (n == 0) return KN_OK;
        ck_assert(kn_buf_append(got, buf, n));
        cap = cap * 7 % sizeof buf + 1;
    }
}

static void assert_decodes(const kn_buf *bytes, size_t chunk, kn_compression want_c, const uint8_t *want,
                           size_t want_len) {
    kn_seq_source *src;
    kn_compression c;
    kn_error err;
    kn_error_reset(&err);
    ck_assert_int_eq(open_mem(bytes, chunk, "t.ndjson.x", 0, &src, &c, &err), KN_OK);
    ck_assert_int_eq(c, want_c);
    kn_buf got = {0};
    kn_status st = read_all(src, &got, &err);
    ck_assert_msg(st == KN_OK, "read failed: %s", err.what);
    ck_assert_uint_eq(got.len, want_len);
    ck_assert(want_len == 0 || memcmp(got.data, want, want_len) == 0);
    ck_assert_uint_eq(src->offset, want_len);
    kn_seq_source_free(src);
    kn_buf_free(&got);
}

START_TEST(sniffs_magic_bytes) {
    ck_assert_int_eq(kn_compression_sniff((const uint8_t *)"\x1f\x8b\x08\0", 4), KN_COMPRESSION_GZIP);
    ck_assert_int_eq(kn_compression_sniff((const uint8_t *)"\x28\xb5\x2f\xfd\x04", 5), KN_COMPRESSION_ZSTD);
    ck_assert_int_eq(kn_compression_sniff((const uint8_t *)"\x50\x2a\x4d\x18\x04", 5), KN_COMPRESSION_ZSTD);
    ck_assert_int_eq(kn_compression_sniff((const uint8_t *)"\xfd" "7zXZ\0\0", 7), KN_COMPRESSION_XZ);
    ck_assert_int_eq(kn_compression_sniff((const uint8_t *)"\x04\x22\x4d\x18\x64", 5), KN_COMPRESSION_LZ4);
    ck_assert_int_eq(kn_compression_sniff((const uint8_t *)"BZh91AY&SY", 10), KN_COMPRESSION_BZIP2);
    /* A CSV header that starts like bzip2's stream magic is text. */
    ck_assert_int_eq(kn_compression_sniff((const uint8_t *)"BZh9,a,b,c\n", 11), KN_COMPRESSION_NONE);
    ck_assert_int_eq(kn_compression_sniff((const uint8_t *)"{\"a\":1}\n", 8), KN_COMPRESSION_NONE);
    ck_assert_int_eq(kn_compression_sniff((const uint8_t *)"\x1f", 1), KN_COMPRESSION_NONE);
    ck_assert_int_eq(kn_compression_sniff(NULL, 0), KN_COMPRESSION_NONE);
    ck_assert_str_eq(kn_compression_name(KN_COMPRESSION_ZSTD), "zstd");
}
END_TEST

START_TEST(strips_compression_extensions) {
    ck_assert_uint_eq(kn_compression_strip("a/orders.ndjson.gz"), strlen("a/orders.ndjson"));
    ck_assert_uint_eq(kn_compression_strip("orders.csv.zst"), strlen("orders.csv"));
    ck_assert_uint_eq(kn_compression_strip("x.bz2"), 1);
    ck_assert_uint_eq(kn_compression_strip("orders.ndjson"), strlen("orders.ndjson"));
    ck_assert_uint_eq(kn_compression_strip(".gz"), 3); /* no name before it */
    ck_assert_uint_eq(kn_compression_strip("orders.gzip"), strlen("orders.gzip"));
}
END_TEST

START_TEST(decodes_gzip_and_zstd) {
    size_t len = 3u << 20;
    uint8_t *text = make_text(len);
    kn_buf gz = gzip_of(text, len), zs = zstd_of(text, len);
    assert_decodes(&gz, 0, KN_COMPRESSION_GZIP, text, len);
    assert_decodes(&gz, 1000, KN_COMPRESSION_GZIP, text, len); /* the file read in short pieces */
    assert_decodes(&zs, 0, KN_COMPRESSION_ZSTD, text, len);
    assert_decodes(&zs, 3, KN_COMPRESSION_ZSTD, text, len);
    kn_buf_free(&gz);
    kn_buf_free(&zs);
    kn_free(text);
}
END_TEST

START_TEST(decodes_concatenated_streams) {
    size_t len = 1u << 20;
    uint8_t *text = make_text(len);
    /* Two members or frames back to back decode to both halves, in order. */
    kn_buf a = gzip_of(text, len / 2), b = gzip_of(text + len / 2, len - len / 2);
    ck_assert(kn_buf_append(&a, b.data, b.len));
    assert_decodes(&a, 0, KN_COMPRESSION_GZIP, text, len);
    assert_decodes(&a, 7, KN_COMPRESSION_GZIP, text, len); /* a member's header split between reads */
    kn_buf c = zstd_of(text, len / 3), d = zstd_of(text + len / 3, len - len / 3);
    ck_assert(kn_buf_append(&c, d.data, d.len));
    assert_decodes(&c, 0, KN_COMPRESSION_ZSTD, text, len);
    kn_buf_free(&a);
    kn_buf_free(&b);
    kn_buf_free(&c);
    kn_buf_free(&d);
    kn_free(text);
}
END_TEST

START_TEST(decodes_an_empty_stream) {
    kn_buf gz = gzip_of((const uint8_t *)"", 0), zs = zstd_of((const uint8_t *)"", 0);
    assert_decodes(&gz, 0, KN_COMPRESSION_GZIP, NULL, 0);
    assert_decodes(&zs, 0, KN_COMPRESSION_ZSTD, NULL, 0);
    kn_buf_free(&gz);
    kn_buf_free(&zs);
}
END_TEST

START_TEST(reads_plain_bytes_through) {
    const char *texts[] = {"", "{", "{\"a\":1}\n", "BZh9,a,b\n1,2,3\n"};
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++) {
        kn_buf b = {0};
        ck_assert(kn_buf_append(&b, texts[i], strlen(texts[i])));
        kn_seq_source *src;
        kn_compression c = KN_COMPRESSION_GZIP;
        ck_assert_int_eq(open_mem(&b, 1, "p.csv", 1000, &src, &c, NULL), KN_OK);
        ck_assert_int_eq(c, KN_COMPRESSION_NONE);
        ck_assert_int_eq(src->size, (int64_t)b.len); /* a plain file keeps its size */
        kn_buf got = {0};
        ck_assert_int_eq(read_all(src, &got, NULL), KN_OK);
        ck_assert_uint_eq(got.len, b.len);
        ck_assert(b.len == 0 || memcmp(got.data, b.data, b.len) == 0);
        kn_seq_source_free(src);
        kn_buf_free(&got);
        kn_buf_free(&b);
    }
}
END_TEST

/* Opens and reads `bytes` to the end, expecting `want` with `words` in the message and the
 * file's name where it happened. */
static void assert_refused(const kn_buf *bytes, double max_expansion, kn_status want, const char *words) {
    kn_seq_source *src = NULL;
    kn_error err;
    kn_error_reset(&err);
    kn_status st = open_mem(bytes, 0, "bad.ndjson.gz", max_expansion, &src, NULL, &err);
    if (st == KN_OK) {
        kn_buf got = {0};
        st = read_all(src, &got, &err);
        kn_buf_free(&got);
        kn_seq_source_free(src);
    }
    ck_assert_msg(st == want, "status %d, expected %d (%s)", st, want, err.what);
    ck_assert_msg(strstr(err.what, words), "message '%s' lacks '%s'", err.what, words);
    ck_assert_str_eq(err.where, "bad.ndjson.gz");
}

START_TEST(refuses_truncated_and_damaged_streams) {
    size_t len = 2u << 20;
    uint8_t *text = make_text(len);
    kn_buf gz = gzip_of(text, len);
    size_t whole = gz.len;
    gz.len = whole / 2; /* cut short */
    assert_refused(&gz, 0, KN_E_FORMAT, "gzip");
    assert_refused(&gz, 0, KN_E_FORMAT, "at compressed byte");
    gz.len = whole;
    gz.data[whole - 5] ^= 0x55; /* the length in the trailer */
    assert_refused(&gz, 0, KN_E_FORMAT, "gzip");
    gz.data[whole - 5] ^= 0x55;
    for (size_t i = whole / 3; i < whole / 3 + 64; i++) gz.data[i] ^= 0xa5; /* the stream itself */
    assert_refused(&gz, 0, KN_E_FORMAT, "damaged or truncated gzip");
    kn_buf zs = zstd_of(text, len);
    zs.len -= 7;
    assert_refused(&zs, 0, KN_E_FORMAT, "zstd");
    kn_buf_free(&gz);
    kn_buf_free(&zs);
    kn_free(text);
}
END_TEST

START_TEST(stops_a_bomb) {
    /* 24 MiB of one repeated line compresses about a thousand times: past 10x of the 1 MiB
     * counted for a small file, it is refused as the bytes come out. */
    size_t len = 24u << 20;
    uint8_t *text = kn_malloc(len);
    for (size_t i = 0; i < len; i++) text[i] = i % 16 == 15 ? '\n' : 'a';
    kn_buf gz = gzip_of(text, len);
    ck_assert_uint_lt(gz.len, 1u << 20);
    assert_refused(&gz, 10, KN_E_DATA, "--max-input-expansion");
    assert_refused(&gz, 10, KN_E_DATA, "decompression bomb");
    assert_decodes(&gz, 0, KN_COMPRESSION_GZIP, text, len); /* no bound: the bytes as they are */
    kn_buf_free(&gz);
    kn_free(text);
}
END_TEST

/* The other codecs through their command-line tools, when installed (tests/install-deps.sh
 * installs them); a missing tool fails the test rather than skip it. */
START_TEST(decodes_bzip2_xz_lz4) {
    static const struct {
        const char *tool;
        kn_compression c;
    } tools[] = {{"bzip2 -c", KN_COMPRESSION_BZIP2}, {"xz -c", KN_COMPRESSION_XZ}, {"lz4 -c", KN_COMPRESSION_LZ4}};
    size_t len = 1u << 20;
    uint8_t *text = make_text(len);
    char in_path[] = "/tmp/kn-decompress-XXXXXX";
    int fd = mkstemp(in_path);
    ck_assert_int_ge(fd, 0);
    FILE *f = fdopen(fd, "wb");
    ck_assert_uint_eq(fwrite(text, 1, len, f), len);
    fclose(f);
    for (size_t i = 0; i < sizeof tools / sizeof *tools; i++) {
        char cmd[256];
        snprintf(cmd, sizeof cmd, "%s < %s", tools[i].tool, in_path);
        FILE *p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        kn_buf z = {0};
        uint8_t buf[65536];
        size_t n;
        while ((n = fread(buf, 1, sizeof buf, p)) > 0) ck_assert(kn_buf_append(&z, buf, n));
        int rc = pclose(p);
        ck_assert_msg(rc == 0 && z.len > 0, "'%s' failed (rc %d): is it installed? tests/install-deps.sh installs it",
                      tools[i].tool, rc);
        assert_decodes(&z, 0, tools[i].c, text, len);
        kn_buf_free(&z);
    }
    remove(in_path);
    kn_free(text);
}
END_TEST

/* A ustar header for an entry `name` of `size` bytes and tar type `type` ('0' a file, '5' a
 * folder), its checksum filled in. */
static void tar_header(uint8_t h[512], const char *name, size_t size, char type) {
    memset(h, 0, 512);
    snprintf((char *)h, 100, "%s", name);
    memcpy(h + 100, "0000644", 7);
    snprintf((char *)h + 124, 12, "%011o", (unsigned)size); /* small: fits 11 octal digits */
    h[156] = (uint8_t)type;
    memcpy(h + 257, "ustar\0" "00", 8);
    memset(h + 148, ' ', 8);
    unsigned sum = 0;
    for (size_t i = 0; i < 512; i++) sum += h[i];
    snprintf((char *)h + 148, 8, "%06o", sum);
}

START_TEST(sniffs_archives) {
    uint8_t h[512];
    tar_header(h, "a.ndjson", 10, '0');
    ck_assert(kn_archive_sniff(h, 512));
    ck_assert(!kn_archive_sniff(h, 511)); /* a header is whole or nothing */
    h[0] ^= 1; /* the checksum no longer holds */
    ck_assert(!kn_archive_sniff(h, 512));
    /* Text that happens to hold "ustar" at byte 257 is text. */
    uint8_t text[600];
    memset(text, 'x', sizeof text);
    memcpy(text + 257, "ustar", 5);
    ck_assert(!kn_archive_sniff(text, sizeof text));
    ck_assert(kn_archive_sniff((const uint8_t *)"PK\x03\x04\x14\0", 6));
    ck_assert(kn_archive_sniff((const uint8_t *)"PK\x05\x06\0\0", 6));
    ck_assert(!kn_archive_sniff((const uint8_t *)"{\"PK\":1}\n", 9));
}
END_TEST

/* Reads every member of `tar` (the bytes of a tar, borrowed): their names and bytes, one
 * after another, into `names` and `bytes` ("name\n", and each member's bytes then "|"). */
static kn_status read_members(const kn_buf *tar, kn_buf *names, kn_buf *bytes, kn_error *err) {
    kn_seq_source *src = kn_mem_seq_source_create(tar->data, tar->len, 700, "t.tar");
    kn_archive *a;
    KN_TRY(kn_archive_open(src, "t.tar", 0, &a, err));
    kn_status st = KN_OK;
    for (bool done = false; st == KN_OK;) {
        kn_seq_source *m;
        const char *name;
        st = kn_archive_next(a, &m, &name, &done, err);
        if (st != KN_OK || done) break;
        ck_assert(kn_buf_append(names, name, strlen(name)) && kn_buf_append(names, "\n", 1));
        char want[256];
        snprintf(want, sizeof want, "t.tar[%s]", name);
        ck_assert_str_eq(m->name, want); /* what messages call it */
        st = read_all(m, bytes, err);
        ck_assert(kn_buf_append(bytes, "|", 1));
        kn_seq_source_free(m);
    }
    kn_archive_free(a);
    return st;
}

START_TEST(reads_tar_members) {
    /* Two files and a folder, as a tar writes them: a header, the bytes padded to 512. */
    kn_buf tar = {0};
    uint8_t h[512], pad[512] = {0};
    const char *files[][2] = {{"x/a.ndjson", "{\"a\":1}\n"}, {"x/", NULL}, {"../b.csv", "a,b\n1,2\n"}};
    for (size_t i = 0; i < 3; i++) {
        size_t len = files[i][1] ? strlen(files[i][1]) : 0;
        tar_header(h, files[i][0], len, files[i][1] ? '0' : '5');
        ck_assert(kn_buf_append(&tar, h, 512));
        if (len) ck_assert(kn_buf_append(&tar, files[i][1], len) && kn_buf_append(&tar, pad, 512 - len % 512));
    }
    ck_assert(kn_buf_append(&tar, pad, 512) && kn_buf_append(&tar, pad, 512)); /* the end */
    kn_buf names = {0}, bytes = {0};
    kn_error err;
    kn_error_reset(&err);
    ck_assert_int_eq(read_members(&tar, &names, &bytes, &err), KN_OK);
    ck_assert_uint_eq(names.len, strlen("x/a.ndjson\n../b.csv\n")); /* the folder passed over */
    ck_assert(memcmp(names.data, "x/a.ndjson\n../b.csv\n", names.len) == 0);
    ck_assert(bytes.len == strlen("{\"a\":1}\n|a,b\n1,2\n|") && memcmp(bytes.data, "{\"a\":1}\n|a,b\n1,2\n|", bytes.len) == 0);
    /* Cut inside the second member's bytes: damage naming the member. */
    kn_buf cut = {0};
    ck_assert(kn_buf_append(&cut, tar.data, 4 * 512 + 3)); /* headers of a, x/, b and a bit of b */
    names.len = bytes.len = 0;
    kn_error_reset(&err);
    ck_assert_int_eq(read_members(&cut, &names, &bytes, &err), KN_E_FORMAT);
    ck_assert_msg(strstr(err.what, "damaged or truncated archive"), "%s", err.what);
    ck_assert_str_eq(err.where, "t.tar[../b.csv]");
    kn_buf_free(&tar);
    kn_buf_free(&cut);
    kn_buf_free(&names);
    kn_buf_free(&bytes);
}
END_TEST

int main(void) {
    Suite *s = suite_create("decompress");
    TCase *tc = tcase_create("decompress");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, sniffs_magic_bytes);
    tcase_add_test(tc, strips_compression_extensions);
    tcase_add_test(tc, decodes_gzip_and_zstd);
    tcase_add_test(tc, decodes_concatenated_streams);
    tcase_add_test(tc, decodes_an_empty_stream);
    tcase_add_test(tc, reads_plain_bytes_through);
    tcase_add_test(tc, refuses_truncated_and_damaged_streams);
    tcase_add_test(tc, stops_a_bomb);
    tcase_add_test(tc, decodes_bzip2_xz_lz4);
    tcase_add_test(tc, sniffs_archives);
    tcase_add_test(tc, reads_tar_members);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
