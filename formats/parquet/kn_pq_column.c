/* formats/parquet/kn_pq_column.c: the column chunk writer (kn_pq_column.h). */
#include "kn_pq_column.h"

#include <inttypes.h>
#include <string.h>
#include <time.h>

#include "kn_alloc.h"
#include "kn_pq_codec.h"
#include "kn_pq_dict.h"
#include "kn_pq_format.h"
#include "kn_pq_page_index.h"
#include "kn_pq_plain.h"
#include "kn_pq_rle.h"
#include "kn_pq_stats.h"

/* Rows converted at a time for types whose kiln values are not Parquet's (decimals, INT96):
 * keeps the scratch buffer small and in cache. */
#define CONVERT_ROWS 4096

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

struct kn_pq_column {
    kn_pq_leaf leaf;
    size_t page_bytes;
    kn_codec codec_id;
    kn_pq_codec_ctx *codec;
    bool codec_borrowed; /* `codec` is the caller's (kn_pq_column_borrow_codec) */
    bool dict_enabled;   /* the options ask for dictionaries */
    size_t dict_limit;   /* dictionary_page_bytes */
    bool profile;
    uint64_t compress_ns; /* thread CPU time in the codec, when profiling */

    bool use_dict;  /* the chunk is still adding to its dictionary */
    kn_pq_dict dict;
    kn_pq_stats stats;      /* the chunk's: each page's folded in as the page ends */
    kn_pq_stats page_stats; /* the page in progress's (PLAIN pages: as values come; dictionary
                               pages: from the entries their indices use, when they end) */
    kn_pq_page_index index; /* the chunk's data pages so far */
    uint64_t rows_flushed;  /* rows in the chunk's finished pages */
    uint64_t *seen;         /* scratch: one bit per dictionary entry, for a page's bounds */
    size_t seen_words;

    /* The page being built. */
    bool page_dict;      /* its values are dictionary indices */
    size_t page_rows;    /* levels (values, nulls included) */
    size_t page_present; /* values (nulls excluded) */
    size_t page_nulls;
    kn_buf page_valid;   /* one bit a row, built only once the page has a null */
    kn_buf page_values;  /* PLAIN values; for BOOLEAN one byte a value, packed at the end */
    uint32_t *page_idx;  /* dictionary indices */
    size_t idx_cap;

    /* Scratch, reused page after page. */
    kn_buf body, comp, hdr;
    uint8_t *conv;
    size_t conv_cap;

    /* The chunk. */
    kn_buf chunk_data, chunk_dict;
    uint64_t data_moved; /* the chunk's first data pages, moved out (kn_pq_column_pages_moved) */
    uint64_t chunk_rows;
    uint64_t unc_data, unc_dict;
    uint32_t pages_dict, pages_plain;
    kn_pq_stats_out stats_out;
    /* The dictionary's probe (dict_pays): rows and present values put so far in the chunk, and
     * their PLAIN size; the row count at which the next full probe looks (UINT64_MAX once it
     * has judged). */
    uint64_t dict_rows, dict_values, dict_plain;
    uint64_t dict_probe_at;
};

kn_status kn_pq_column_create(const kn_pq_leaf *leaf, const kn_pq_options *opt,
                              kn_pq_column **out, kn_error *err) {
    *out = NULL;
    kn_pq_column *c = kn_calloc(1, sizeof *c);
    if (!c) return kn_error_set(err, KN_E_NOMEM, "out of memory for a column writer");
    c->leaf = *leaf;
    c->page_bytes = opt->page_bytes;
    c->codec_id = opt->codec;
    c->dict_enabled = opt->dictionary;
    c->dict_limit = opt->dictionary_page_bytes;
    kn_pq_stats_init(&c->stats, leaf->order, leaf->width);
    kn_pq_stats_init(&c->page_stats, leaf->order, leaf->width);
    kn_status st = kn_pq_codec_ctx_create(opt->codec, opt->compression_level, &c->codec, err);
    if (st == KN_OK && leaf->dictionary && opt->dictionary) {
        st = kn_pq_dict_init(&c->dict, leaf->width, opt->dictionary_page_bytes, err);
        c->use_dict = st == KN_OK;
    }
    if (st == KN_OK && leaf->convert) {
        c->conv_cap = (size_t)CONVERT_ROWS * (size_t)leaf->width;
        c->conv = kn_malloc(c->conv_cap);
        if (!c->conv) st = kn_error_set(err, KN_E_NOMEM, "out of memory for a column writer");
    }
    if (st != KN_OK) {
        kn_pq_column_free(c);
        return st;
    }
    kn_pq_column_reset(c);
    *out = c;
    return KN_OK;
}

void kn_pq_column_free(kn_pq_column *c) {
    if (!c) return;
    if (!c->codec_borrowed) kn_pq_codec_ctx_free(c->codec);
    kn_pq_dict_release(&c->dict);
    kn_pq_stats_release(&c->stats);
    kn_pq_stats_release(&c->page_stats);
    kn_pq_page_index_release(&c->index);
    kn_free(c->seen);
    kn_buf_free(&c->page_valid);
    kn_buf_free(&c->page_values);
    kn_free(c->page_idx);
    kn_buf_free(&c->body);
    kn_buf_free(&c->comp);
    kn_buf_free(&c->hdr);
    kn_free(c->conv);
    kn_buf_free(&c->chunk_data);
    kn_buf_free(&c->chunk_dict);
    kn_free(c);
}

/* ---- value checks ------------------------------------------------------------------------ */

static inline bool is_valid(const kn_column *col, size_t i) {
    return !col->validity || ((col->validity[i >> 3] >> (i & 7)) & 1u);
}

static void i128_format(i128 v, char *buf, size_t cap) {
    char tmp[48];
    size_t n = 0;
    bool neg = v < 0;
    u128 u = neg ? (u128)0 - (u128)v : (u128)v;
    do {
        tmp[n++] = (char)('0' + (int)(u % 10));
        u /= 10;
    } while (u);
    size_t k = 0;
    if (neg && k + 1 < cap) buf[k++] = '-';
    while (n && k + 1 < cap) buf[k++] = tmp[--n];
    buf[k] = '\0';
}

kn_status kn_pq_column_check(const kn_pq_leaf *leaf, const kn_column *col, size_t n,
                             kn_error *err) {
    if (!leaf->nullable && col->null_count && col->validity) {
        for (size_t i = 0; i < n; i++) {
            if (!is_valid(col, i)) {
                kn_error_field(err, leaf->name);
                return kn_error_set(err, KN_E_DATA,
                                    "column '%s' is not nullable, but batch row %zu is null",
                                    leaf->name, i);
            }
        }
    }
    if (leaf->type.id == KN_TYPE_DECIMAL) {
        int p = leaf->type.precision;
        u128 limit = 1;
        for (int i = 0; i < p; i++) limit *= 10; /* |v| must stay below 10^p */
        if (p <= 18) {
            const int64_t *v = kn_column_i64(col);
            int64_t lim = (int64_t)limit;
            for (size_t i = 0; i < n; i++) {
                if ((v[i] >= lim || v[i] <= -lim) && is_valid(col, i)) {
                    kn_error_field(err, leaf->name);
                    return kn_error_set(err, KN_E_DATA,
                                        "column '%s': batch row %zu holds the unscaled value %" PRId64
                                        ", more digits than decimal(%d,%d) allows",
                                        leaf->name, i, v[i], p, leaf->type.scale);
                }
            }
        } else {
            const kn_i128 *v = kn_column_i128(col);
            for (size_t i = 0; i < n; i++) {
                i128 x = (i128)(((u128)(uint64_t)v[i].hi << 64) | v[i].lo);
                u128 mag = x < 0 ? (u128)0 - (u128)x : (u128)x;
                if (mag >= limit && is_valid(col, i)) {
                    char num[48];
                    i128_format(x, num, sizeof num);
                    kn_error_field(err, leaf->name);
                    return kn_error_set(err, KN_E_DATA,
                                        "column '%s': batch row %zu holds the unscaled value %s, "
                                        "more digits than decimal(%d,%d) allows",
                                        leaf->name, i, num, p, leaf->type.scale);
                }
            }
        }
    }
    if (leaf->type.id == KN_TYPE_STRING && col->bytes.len > KN_PQ_MAX_VALUE_BYTES) {
        for (size_t i = 0; i < n; i++) {
            size_t len = col->offsets[i + 1] - col->offsets[i];
            if (len > KN_PQ_MAX_VALUE_BYTES) {
                kn_error_field(err, leaf->name);
                return kn_error_set(err, KN_E_DATA,
                                    "column '%s': batch row %zu holds a string of %zu bytes; "
                                    "Parquet values stop at 2 GiB",
                                    leaf->name, i, len);
            }
        }
    }
    return KN_OK;
}

/* ---- pages ------------------------------------------------------------------------------- */

static uint64_t thread_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Compresses through the writer's codec, timing it when profiling. */
static kn_status compress(kn_pq_column *c, const uint8_t *src, size_t len, kn_error *err) {
    kn_buf_clear(&c->comp);
    if (!c->profile) return kn_pq_compress(c->codec, src, len, &c->comp, err);
    uint64_t t0 = thread_ns();
    kn_status st = kn_pq_compress(c->codec, src, len, &c->comp, err);
    c->compress_ns += thread_ns() - t0;
    return st;
}

static kn_status nomem(kn_error *err) {
    return kn_error_set(err, KN_E_NOMEM, "out of memory encoding a Parquet page");
}

static void put_u32le(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }

/* A dictionary page's statistics: every entry its indices use, folded in once (a page of a
 * million rows may use a few hundred entries), and for DOUBLE its NaN values counted one by one
 * when a NaN entry is among them. The entries are marked in a bitmap first, in a loop without
 * branches, and folded in index order after: bounds do not depend on the order they are met
 * in (zeros are signed when written). The chunk's statistics are its pages' folded together, so
 * they hold exactly the entries the chunk uses, as before pages had their own. */
static kn_status page_stats_from_indices(kn_pq_column *c, kn_error *err) {
    const kn_pq_dict *d = &c->dict;
    size_t words = ((size_t)d->count + 63) / 64;
    if (words > c->seen_words) {
        uint64_t *p = kn_realloc(c->seen, words * sizeof *p);
        if (!p) return nomem(err);
        c->seen = p;
        c->seen_words = words;
    }
    uint64_t *seen = c->seen;
    memset(seen, 0, words * sizeof *seen);
    const uint32_t *idx = c->page_idx;
    for (size_t i = 0; i < c->page_present; i++) seen[idx[i] >> 6] |= (uint64_t)1 << (idx[i] & 63);
    kn_pq_stats *ps = &c->page_stats;
    uint64_t nans = ps->nan_count;
    for (size_t w = 0; w < words; w++) {
        for (uint64_t m = seen[w]; m; m &= m - 1) {
            uint32_t e = (uint32_t)(w * 64 + (size_t)__builtin_ctzll(m));
            size_t len;
            const uint8_t *v = kn_pq_dict_entry(d, e, &len);
            if (d->width) kn_pq_stats_update_fixed(ps, v, NULL, 0, 1);
            else KN_TRY(kn_pq_stats_update_one(ps, v, len, err));
        }
    }
    if (ps->nan_count != nans) {
        /* Each NaN entry was counted once above; count its every use instead. */
        uint64_t n = 0;
        for (size_t i = 0; i < c->page_present; i++) {
            double x;
            memcpy(&x, d->values.data + (size_t)idx[i] * 8, 8);
            n += x != x;
        }
        ps->nan_count = nans + n;
    }
    return KN_OK;
}

/* Ends the page in progress; `last` when it is the chunk's last page. */
static kn_status flush_page(kn_pq_column *c, bool last, kn_error *err) {
    if (c->page_rows == 0) return KN_OK;
    kn_buf_clear(&c->body);
    if (c->leaf.nullable) {
        if (!kn_buf_reserve(&c->body, 4 + kn_pq_rle_bound(c->page_rows, 1) + 16)) return nomem(err);
        uint8_t *p = c->body.data + 4;
        size_t n = c->page_nulls ? kn_pq_rle_encode_bits(c->page_valid.data, c->page_rows, p)
                                 : kn_pq_rle_encode_repeat(c->page_rows, 1, 1, p);
        put_u32le(c->body.data, (uint32_t)n); /* data page V1 puts the levels' length first */
        c->body.len = 4 + n;
    }
    /* A page of nulls only, cut while the chunk is still on its dictionary and before its first
     * entry (a million leading nulls), is a dictionary page of no indices too: as PLAIN it would
     * come before the chunk's dictionary pages. Should the whole chunk stay null after it, its
     * dictionary page is empty, as arrow-rs writes for such chunks; a chunk that is null in one
     * page, or whose first value overflows the dictionary, stays PLAIN with no dictionary page. */
    bool dict = c->page_dict && (c->dict.count > 0 || c->pages_dict > 0 || (!last && !c->dict.full));
    if (c->page_dict && c->page_present) KN_TRY(page_stats_from_indices(c, err));
    const uint8_t *src;
    size_t len;
    if (dict) {
        int bw = c->dict.count ? kn_pq_bit_width(c->dict.count - 1) : 0;
        if (!kn_buf_reserve(&c->body, 1 + kn_pq_rle_bound(c->page_present, bw))) return nomem(err);
        uint8_t *p = c->body.data + c->body.len;
        p[0] = (uint8_t)bw; /* RLE_DICTIONARY data starts with the bit width, no length */
        c->body.len += 1 + kn_pq_rle_encode(c->page_idx, c->page_present, bw, p + 1);
        src = c->body.data, len = c->body.len;
    } else if (c->leaf.physical == KN_PQ_BOOLEAN) {
        if (!kn_buf_reserve(&c->body, c->page_present / 8 + 1)) return nomem(err);
        c->body.len += kn_pq_plain_bool(c->page_values.data, c->page_present, c->body.data + c->body.len);
        src = c->body.data, len = c->body.len;
    } else if (c->body.len == 0) {
        src = c->page_values.data, len = c->page_values.len; /* no levels: no copy either */
    } else {
        if (!kn_buf_append(&c->body, c->page_values.data, c->page_values.len)) return nomem(err);
        src = c->body.data, len = c->body.len;
    }
    if (!src) src = (const uint8_t *)"";

    const uint8_t *payload = src;
    size_t payload_len = len;
    if (c->codec_id != KN_CODEC_NONE) {
        KN_TRY(compress(c, src, len, err));
        payload = c->comp.data, payload_len = c->comp.len;
    }

    kn_buf_clear(&c->hdr);
    kn_tc t;
    kn_tc_init(&t, &c->hdr);
    kn_tc_struct_begin(&t);
    kn_tc_field_i32(&t, 1, KN_PQ_PAGE_DATA);
    kn_tc_field_i32(&t, 2, (int32_t)len);
    kn_tc_field_i32(&t, 3, (int32_t)payload_len);
    kn_tc_field_struct_begin(&t, 5); /* DataPageHeader: every field required, levels' too */
    kn_tc_field_i32(&t, 1, (int32_t)c->page_rows);
    kn_tc_field_i32(&t, 2, dict ? KN_PQ_ENC_RLE_DICTIONARY : KN_PQ_ENC_PLAIN);
    kn_tc_field_i32(&t, 3, KN_PQ_ENC_RLE);
    kn_tc_field_i32(&t, 4, KN_PQ_ENC_RLE);
    kn_tc_struct_end(&t);
    kn_tc_struct_end(&t);
    KN_TRY(kn_tc_status(&t, err));

    uint64_t at = c->data_moved + c->chunk_data.len;
    if (!kn_buf_append(&c->chunk_data, c->hdr.data, c->hdr.len) ||
        !kn_buf_append(&c->chunk_data, payload, payload_len))
        return nomem(err);
    c->unc_data += c->hdr.len + len;
    if (dict)
        c->pages_dict++;
    else
        c->pages_plain++;
    KN_TRY(kn_pq_page_index_add(&c->index, at, (uint32_t)(c->hdr.len + payload_len), c->rows_flushed, c->page_present,
                                &c->page_stats, err));
    KN_TRY(kn_pq_stats_merge(&c->stats, &c->page_stats, err));
    kn_pq_stats_reset(&c->page_stats);
    c->rows_flushed += c->page_rows;

    c->page_rows = c->page_present = c->page_nulls = 0;
    kn_buf_clear(&c->page_values);
    c->page_dict = c->use_dict;
    return KN_OK;
}

/* Adds the definition levels of `n` rows (validity from bit `off`; NULL = all present). The
 * page's bitmap is built only once the page sees a null: most pages have none, and their
 * levels are one RLE run. */
static kn_status add_levels(kn_pq_column *c, const uint8_t *validity, size_t off, size_t n,
                            kn_error *err) {
    if (!c->leaf.nullable) {
        c->page_rows += n;
        return KN_OK;
    }
    size_t nulls = validity ? n - kn_bits_count_set(validity, off, n) : 0;
    if (nulls == 0 && c->page_nulls == 0) {
        c->page_rows += n;
        return KN_OK;
    }
    size_t need = (c->page_rows + n + 7) / 8 + 8;
    if (need > c->page_valid.cap && !kn_buf_reserve(&c->page_valid, need - c->page_valid.len))
        return nomem(err);
    uint8_t *bits = c->page_valid.data;
    if (c->page_nulls == 0) {
        /* The first null of the page: every earlier row was present. */
        memset(bits, 0xFF, c->page_rows / 8);
        bits[c->page_rows / 8] = (uint8_t)((1u << (c->page_rows & 7)) - 1);
    }
    /* Up to 8 bits at a time: the validity bits from `off` go to the page's bitmap from
     * page_rows (the bits past the end of the page are left zero, as the encoder expects). */
    size_t at = c->page_rows, from = off, left = n;
    while (left) {
        unsigned take = left < 8 ? (unsigned)left : 8u;
        unsigned v = 0xFFu;
        if (validity) {
            unsigned sh = (unsigned)(from & 7);
            v = (unsigned)validity[from >> 3] >> sh;
            if (sh + take > 8) v |= (unsigned)validity[(from >> 3) + 1] << (8 - sh);
        }
        v &= (1u << take) - 1u;
        unsigned dh = (unsigned)(at & 7);
        uint8_t *d = bits + (at >> 3);
        d[0] = (uint8_t)((d[0] & ((1u << dh) - 1u)) | (v << dh));
        if (dh + take > 8) d[1] = (uint8_t)(v >> (8 - dh));
        at += take;
        from += take;
        left -= take;
    }
    c->page_rows += n;
    c->page_nulls += nulls;
    kn_pq_stats_add_nulls(&c->page_stats, nulls);
    return KN_OK;
}

/* After the first DICT_PROBE_ROWS rows of a chunk, the dictionary is kept only if it pays: its
 * indices plus its own PLAIN bytes must come to less than the same values PLAIN (parquet-java's
 * rule, applied at a fixed row count so the choice depends only on the chunk's rows). Columns of
 * mostly distinct values (ids, timestamps) then stop feeding a hash table that would only fill
 * up and fall back at its bound, which costs a cache miss per value. */
#define DICT_PROBE_ROWS 32768

/* An earlier look, after DICT_EARLY_ROWS rows, stops only columns that are all but unique (more
 * than 15 of every 16 present values new: ids, timestamps), whose dictionary can never pay.
 * Waiting the full probe for them cost a table miss per value, and their first pages, written
 * as dictionary indices, compressed worse than PLAIN: with row groups of 60,000 rows (a
 * partitioned write) half of such a column went that way. Columns of middling cardinality
 * still get the full probe, since a dictionary of 20,000 values pays over a large chunk though
 * few repeats show in its first rows. */
#define DICT_EARLY_ROWS 4096

/* Neither look judges on fewer present values than this: with none at all an empty dictionary
 * "does not pay" against empty PLAIN bytes, and with a handful every value is new. A column whose
 * first rows are null (sparse columns, or nulls sorted first) would otherwise lose its dictionary
 * for the whole chunk. The early look is then skipped, and the full probe waits another
 * DICT_PROBE_ROWS rows, as often as it takes; where the probes fall still depends only on the
 * chunk's rows. */
#define DICT_JUDGE_VALUES 1024

static bool dict_all_but_unique(const kn_pq_column *c) {
    return c->dict_values > 0 && (uint64_t)c->dict.count * 16 > c->dict_values * 15;
}

/* Dictionary-encoded pages are sized at multiples of this many rows. */
#define DICT_PAGE_STEP 1024

static bool dict_pays(const kn_pq_column *c) {
    uint64_t idx_bytes = (c->dict_values * (uint64_t)kn_pq_bit_width(c->dict.count ? c->dict.count - 1 : 0) + 7) / 8;
    return idx_bytes + c->dict.values.len < c->dict_plain;
}

/* Appends `n` rows of physical values: fixed-width `vals` (width bytes each) or byte arrays
 * (`offs` relative to `bytes`), with validity from bit `voff`. */
static kn_status write_values(kn_pq_column *c, const uint8_t *vals, const uint32_t *offs,
                              const uint8_t *bytes, const uint8_t *validity, size_t voff,
                              size_t n, kn_error *err) {
    const size_t w = (size_t)c->leaf.width;
    size_t done = 0;
    while (done < n) {
        if (c->page_rows >= KN_PQ_PAGE_MAX_ROWS) KN_TRY(flush_page(c, false, err));
        size_t want = n - done;
        if (want > KN_PQ_PAGE_MAX_ROWS - c->page_rows) want = KN_PQ_PAGE_MAX_ROWS - c->page_rows;
        const uint8_t *v = vals ? vals + done * w : NULL;
        const uint32_t *o = offs ? offs + done : NULL;
        size_t took;

        if (c->page_dict) {
            /* The page's size is its indices' size at the dictionary's bit width, which grows as
             * the dictionary does. It is checked only every DICT_PAGE_STEP rows of the page, so
             * where a page ends depends on the rows alone, not on how they came in calls (a
             * check at a call boundary would see another bit width). */
            if (c->page_rows % DICT_PAGE_STEP == 0 && c->page_rows) {
                size_t bw = (size_t)kn_pq_bit_width(c->dict.count);
                if (bw == 0) bw = 1;
                if (c->page_present * bw >= c->page_bytes * 8) {
                    KN_TRY(flush_page(c, false, err));
                    continue;
                }
            }
            size_t k = DICT_PAGE_STEP - c->page_rows % DICT_PAGE_STEP;
            if (want > k) want = k;
            /* The probes below happen after exactly DICT_EARLY_ROWS and DICT_PROBE_ROWS rows,
             * however the rows come. */
            if (c->dict_rows < DICT_EARLY_ROWS && want > DICT_EARLY_ROWS - c->dict_rows)
                want = DICT_EARLY_ROWS - c->dict_rows;
            else if (c->dict_rows < c->dict_probe_at && want > c->dict_probe_at - c->dict_rows)
                want = c->dict_probe_at - c->dict_rows;
            if (c->page_present + want > c->idx_cap) {
                /* Doubling, but no further than a page's rows: encoders of many folders each
                 * keep a page in progress. */
                size_t cap = c->idx_cap ? c->idx_cap : 4096;
                while (cap < c->page_present + want) cap *= 2;
                if (cap > KN_PQ_PAGE_MAX_ROWS && c->page_present + want <= KN_PQ_PAGE_MAX_ROWS) cap = KN_PQ_PAGE_MAX_ROWS;
                uint32_t *p = kn_realloc(c->page_idx, cap * sizeof *p);
                if (!p) return nomem(err);
                c->page_idx = p, c->idx_cap = cap;
            }
            size_t nidx = c->page_present;
            took = w ? kn_pq_dict_put_fixed(&c->dict, v, validity, voff + done, want, c->page_idx, &nidx, err)
                     : kn_pq_dict_put_bytes(&c->dict, o, bytes, validity, voff + done, want, c->page_idx, &nidx, err);
            if (took == (size_t)-1) return KN_E_NOMEM;
            size_t present = nidx - c->page_present;
            c->page_present = nidx;
            c->dict_plain += w ? present * w : (uint64_t)(o[took] - o[0]) + 4 * (uint64_t)present;
            c->dict_values += present;
            bool probe = c->dict_rows < c->dict_probe_at && c->dict_rows + took >= c->dict_probe_at;
            bool early = c->dict_rows < DICT_EARLY_ROWS && c->dict_rows + took >= DICT_EARLY_ROWS &&
                         c->dict_values >= DICT_JUDGE_VALUES;
            c->dict_rows += took;
            if (probe) {
                if (c->dict_values < DICT_JUDGE_VALUES) {
                    c->dict_probe_at += DICT_PROBE_ROWS;
                    probe = false;
                } else {
                    c->dict_probe_at = UINT64_MAX;
                }
            }
            KN_TRY(add_levels(c, validity, voff + done, took, err));
            done += took;
            if (c->dict.full || (probe && !dict_pays(c)) || (early && dict_all_but_unique(c))) {
                /* Past the bound, or not worth it: this page ends as it is, and the rest of the
                 * chunk is PLAIN. */
                KN_TRY(flush_page(c, false, err));
                c->use_dict = c->page_dict = false;
            }
            continue;
        }

        if (!w) { /* PLAIN byte arrays: the page ends before the value that would overflow it */
            size_t room = c->page_bytes > c->page_values.len ? c->page_bytes - c->page_values.len : 0;
            size_t i = 0, bytes_in = 0;
            for (; i < want; i++) {
                if (validity && !((validity[(voff + done + i) >> 3] >> ((voff + done + i) & 7)) & 1u))
                    continue;
                size_t sz = 4 + (size_t)(o[i + 1] - o[i]);
                if (bytes_in + sz > room && (c->page_values.len || bytes_in)) break;
                bytes_in += sz;
            }
            took = i;
            if (took == 0) {
                KN_TRY(flush_page(c, false, err));
                continue;
            }
            if (!kn_buf_reserve(&c->page_values, bytes_in)) return nomem(err);
            uint8_t *p = c->page_values.data + c->page_values.len;
            size_t present = 0;
            for (size_t j = 0; j < took; j++) {
                size_t b = voff + done + j;
                if (validity && !((validity[b >> 3] >> (b & 7)) & 1u)) continue;
                p = kn_pq_plain_put_bytes(p, bytes + o[j], o[j + 1] - o[j]);
                present++;
            }
            c->page_values.len += bytes_in;
            c->page_present += present;
            KN_TRY(kn_pq_stats_update_bytes(&c->page_stats, o, bytes, validity, voff + done, took, err));
            KN_TRY(add_levels(c, validity, voff + done, took, err));
            done += took;
            if (took < want) KN_TRY(flush_page(c, false, err));
            continue;
        }

        /* PLAIN fixed width (BOOLEAN staged one byte a value, one bit a value encoded). */
        bool boolean = c->leaf.physical == KN_PQ_BOOLEAN;
        size_t used = boolean ? c->page_present / 8 : c->page_values.len;
        size_t unit = boolean ? 1 : w; /* bytes a value adds to the encoded page, roughly */
        if (used + unit > c->page_bytes && c->page_present) {
            KN_TRY(flush_page(c, false, err));
            continue;
        }
        size_t k = c->page_bytes > used ? (c->page_bytes - used) / unit : 1;
        if (boolean) k *= 8;
        if (k == 0) k = 1;
        if (want > k) want = k;
        if (!kn_buf_reserve_within(&c->page_values, want * w, KN_PQ_PAGE_MAX_ROWS * w)) return nomem(err);
        size_t added = kn_pq_plain_fixed(v, w, validity, voff + done, want,
                                         c->page_values.data + c->page_values.len);
        c->page_values.len += added;
        c->page_present += added / w;
        kn_pq_stats_update_fixed(&c->page_stats, v, validity, voff + done, want);
        KN_TRY(add_levels(c, validity, voff + done, want, err));
        done += want;
    }
    return KN_OK;
}

/* Physical values for rows [row, row + n) of a column whose kiln values differ from them. */
static void convert(const kn_pq_leaf *leaf, const kn_column *col, size_t row, size_t n, uint8_t *out) {
    if (leaf->physical == KN_PQ_INT32) { /* decimal(p <= 9), held as int64 */
        const int64_t *v = kn_column_i64(col) + row;
        for (size_t i = 0; i < n; i++) {
            int32_t x = (int32_t)v[i];
            memcpy(out + 4 * i, &x, 4);
        }
    } else if (leaf->physical == KN_PQ_INT96) {
        const int64_t *v = kn_column_i64(col) + row;
        for (size_t i = 0; i < n; i++) kn_pq_int96_from_micros(v[i], out + 12 * i);
    } else { /* decimal(p > 18) as big-endian FIXED_LEN_BYTE_ARRAY */
        const kn_i128 *v = kn_column_i128(col) + row;
        for (size_t i = 0; i < n; i++) kn_pq_decimal_be(v[i], leaf->width, out + (size_t)leaf->width * i);
    }
}

kn_status kn_pq_column_write(kn_pq_column *c, const kn_column *col, size_t row, size_t n,
                             kn_error *err) {
    /* A bitmap with no nulls says nothing the fast paths need to look at. */
    const uint8_t *validity = col->null_count ? col->validity : NULL;
    c->chunk_rows += n;
    if (c->leaf.width == 0) {
        const uint8_t *bytes = col->bytes.data ? col->bytes.data : (const uint8_t *)"";
        return write_values(c, NULL, col->offsets + row, bytes, validity, row, n, err);
    }
    if (!c->leaf.convert) {
        const uint8_t *vals = (const uint8_t *)col->values + row * kn_type_width(col->type);
        return write_values(c, vals, NULL, NULL, validity, row, n, err);
    }
    while (n) {
        size_t k = n < CONVERT_ROWS ? n : CONVERT_ROWS;
        convert(&c->leaf, col, row, k, c->conv);
        KN_TRY(write_values(c, c->conv, NULL, NULL, validity, row, k, err));
        row += k;
        n -= k;
    }
    return KN_OK;
}

/* ---- the chunk --------------------------------------------------------------------------- */

kn_status kn_pq_column_finish(kn_pq_column *c, kn_error *err) {
    KN_TRY(flush_page(c, true, err));
    kn_buf_clear(&c->chunk_dict);
    c->unc_dict = 0;
    if (c->pages_dict) {
        const uint8_t *src = c->dict.values.data;
        size_t len = c->dict.values.len;
        const uint8_t *payload = src;
        size_t payload_len = len;
        if (c->codec_id != KN_CODEC_NONE) {
            KN_TRY(compress(c, src, len, err));
            payload = c->comp.data, payload_len = c->comp.len;
        }
        kn_tc t;
        kn_tc_init(&t, &c->chunk_dict);
        kn_tc_struct_begin(&t);
        kn_tc_field_i32(&t, 1, KN_PQ_PAGE_DICTIONARY);
        kn_tc_field_i32(&t, 2, (int32_t)len);
        kn_tc_field_i32(&t, 3, (int32_t)payload_len);
        kn_tc_field_struct_begin(&t, 7); /* DictionaryPageHeader */
        kn_tc_field_i32(&t, 1, (int32_t)c->dict.count);
        kn_tc_field_i32(&t, 2, KN_PQ_ENC_PLAIN);
        kn_tc_struct_end(&t);
        kn_tc_struct_end(&t);
        KN_TRY(kn_tc_status(&t, err));
        size_t hdr_len = c->chunk_dict.len;
        if (!kn_buf_append(&c->chunk_dict, payload, payload_len)) return nomem(err);
        c->unc_dict = hdr_len + len;
    }
    kn_pq_stats_finish(&c->stats, &c->stats_out);
    return KN_OK;
}

void kn_pq_column_bytes(const kn_pq_column *c, kn_pq_chunk_bytes *out) {
    out->dict = c->chunk_dict.data;
    out->dict_len = c->chunk_dict.len;
    out->data = c->chunk_data.data;
    out->data_len = c->chunk_data.len;
    out->total_uncompressed = c->unc_dict + c->unc_data;
    out->total_compressed = c->chunk_dict.len + c->chunk_data.len;
}

/* What a ColumnChunk struct says, from a writer or a taken chunk. */
typedef struct meta_view {
    const char *name;
    int physical;
    kn_codec codec;
    uint64_t rows, unc_dict, unc_data;
    size_t dict_len, data_len;
    uint32_t pages_dict, pages_plain;
    const kn_pq_stats_out *stats;
} meta_view;

static void write_meta(const meta_view *c, uint64_t file_offset, kn_tc *t) {
    bool has_dict = c->dict_len > 0;
    kn_tc_struct_begin(t); /* ColumnChunk */
    kn_tc_field_i64(t, 2, (int64_t)file_offset);
    kn_tc_field_struct_begin(t, 3); /* ColumnMetaData */
    kn_tc_field_i32(t, 1, c->physical);
    /* PLAIN: the dictionary page or fallback pages; RLE: the definition levels (every page
     * header names it); RLE_DICTIONARY: indices. */
    int encs[3], nenc = 0;
    if (has_dict || c->pages_plain) encs[nenc++] = KN_PQ_ENC_PLAIN;
    encs[nenc++] = KN_PQ_ENC_RLE;
    if (c->pages_dict) encs[nenc++] = KN_PQ_ENC_RLE_DICTIONARY;
    kn_tc_field_list_begin(t, 2, KN_TC_I32, (size_t)nenc);
    for (int i = 0; i < nenc; i++) kn_tc_i32(t, encs[i]);
    kn_tc_field_list_begin(t, 3, KN_TC_BINARY, 1);
    kn_tc_binary(t, c->name, strlen(c->name));
    kn_tc_field_i32(t, 4, kn_pq_codec_thrift(c->codec));
    kn_tc_field_i64(t, 5, (int64_t)c->rows);
    kn_tc_field_i64(t, 6, (int64_t)(c->unc_dict + c->unc_data));
    kn_tc_field_i64(t, 7, (int64_t)(c->dict_len + c->data_len));
    kn_tc_field_i64(t, 9, (int64_t)(file_offset + c->dict_len)); /* past the dictionary page */
    if (has_dict) kn_tc_field_i64(t, 11, (int64_t)file_offset);
    kn_pq_stats_write(t, 12, c->stats);
    size_t nstats = (has_dict ? 1 : 0) + (c->pages_dict ? 1 : 0) + (c->pages_plain ? 1 : 0);
    kn_tc_field_list_begin(t, 13, KN_TC_STRUCT, nstats);
    if (has_dict) {
        kn_tc_struct_begin(t);
        kn_tc_field_i32(t, 1, KN_PQ_PAGE_DICTIONARY);
        kn_tc_field_i32(t, 2, KN_PQ_ENC_PLAIN);
        kn_tc_field_i32(t, 3, 1);
        kn_tc_struct_end(t);
    }
    if (c->pages_dict) {
        kn_tc_struct_begin(t);
        kn_tc_field_i32(t, 1, KN_PQ_PAGE_DATA);
        kn_tc_field_i32(t, 2, KN_PQ_ENC_RLE_DICTIONARY);
        kn_tc_field_i32(t, 3, (int32_t)c->pages_dict);
        kn_tc_struct_end(t);
    }
    if (c->pages_plain) {
        kn_tc_struct_begin(t);
        kn_tc_field_i32(t, 1, KN_PQ_PAGE_DATA);
        kn_tc_field_i32(t, 2, KN_PQ_ENC_PLAIN);
        kn_tc_field_i32(t, 3, (int32_t)c->pages_plain);
        kn_tc_struct_end(t);
    }
    kn_tc_struct_end(t); /* ColumnMetaData */
    kn_tc_struct_end(t); /* ColumnChunk */
}

void kn_pq_column_write_meta(const kn_pq_column *c, uint64_t file_offset, kn_tc *t) {
    meta_view v = {c->leaf.name, c->leaf.physical, c->codec_id, c->chunk_rows, c->unc_dict, c->unc_data,
                   c->chunk_dict.len, c->chunk_data.len, c->pages_dict, c->pages_plain, &c->stats_out};
    write_meta(&v, file_offset, t);
}

const kn_pq_page_index *kn_pq_column_page_index(const kn_pq_column *c) { return &c->index; }

void kn_pq_chunk_write_meta(const kn_pq_chunk *ch, uint64_t file_offset, kn_tc *t) {
    meta_view v = {ch->name, ch->physical, ch->codec, ch->rows, ch->unc_dict, ch->unc_data,
                   ch->dict.len, ch->data.len, ch->pages_dict, ch->pages_plain, &ch->stats};
    write_meta(&v, file_offset, t);
}

void kn_pq_column_reset(kn_pq_column *c) {
    c->use_dict = c->page_dict = kn_pq_dict_ready(&c->dict);
    if (kn_pq_dict_ready(&c->dict)) kn_pq_dict_clear(&c->dict);
    kn_pq_stats_reset(&c->stats);
    kn_pq_stats_reset(&c->page_stats);
    kn_pq_page_index_reset(&c->index, c->leaf.order, c->leaf.width);
    c->rows_flushed = 0;
    c->page_rows = c->page_present = c->page_nulls = 0;
    kn_buf_clear(&c->page_values);
    kn_buf_clear(&c->chunk_data);
    kn_buf_clear(&c->chunk_dict);
    c->data_moved = 0;
    c->chunk_rows = 0;
    c->unc_data = c->unc_dict = 0;
    c->pages_dict = c->pages_plain = 0;
    c->dict_rows = c->dict_values = c->dict_plain = 0;
    c->dict_probe_at = DICT_PROBE_ROWS;
}

uint64_t kn_pq_column_buffered(const kn_pq_column *c) {
    return c->chunk_data.len + (c->use_dict || c->pages_dict ? c->dict.values.len : 0);
}

/* ---- one writer for any column, in turn --------------------------------------------------- */

kn_status kn_pq_column_retarget(kn_pq_column *c, const kn_pq_leaf *leaf, kn_error *err) {
    bool want_dict = leaf->dictionary && c->dict_enabled;
    if (kn_pq_dict_ready(&c->dict) && (!want_dict || c->dict.width != leaf->width)) kn_pq_dict_release(&c->dict);
    if (want_dict && !kn_pq_dict_ready(&c->dict)) KN_TRY(kn_pq_dict_init(&c->dict, leaf->width, c->dict_limit, err));
    size_t conv = leaf->convert ? (size_t)CONVERT_ROWS * (size_t)leaf->width : 0;
    if (conv > c->conv_cap) {
        uint8_t *p = kn_realloc(c->conv, conv);
        if (!p) return kn_error_set(err, KN_E_NOMEM, "out of memory for a column writer");
        c->conv = p;
        c->conv_cap = conv;
    }
    kn_pq_stats_release(&c->stats);
    kn_pq_stats_init(&c->stats, leaf->order, leaf->width);
    kn_pq_stats_release(&c->page_stats);
    kn_pq_stats_init(&c->page_stats, leaf->order, leaf->width);
    c->leaf = *leaf;
    kn_pq_column_reset(c);
    return KN_OK;
}

void kn_pq_column_swap_dict(kn_pq_column *c, kn_pq_dict *parked) {
    kn_pq_dict t = c->dict;
    c->dict = *parked;
    *parked = t;
    if (kn_pq_dict_ready(&c->dict)) kn_pq_dict_clear(&c->dict);
    c->use_dict = c->page_dict = kn_pq_dict_ready(&c->dict);
}

void kn_pq_column_set_profile(kn_pq_column *c, bool on) { c->profile = on; }

/* ---- writers that wait between calls ------------------------------------------------------ */

kn_pq_codec_ctx *kn_pq_column_codec(kn_pq_column *c) { return c->codec; }

void kn_pq_column_borrow_codec(kn_pq_column *c, kn_pq_codec_ctx *codec) {
    if (!c->codec_borrowed) kn_pq_codec_ctx_free(c->codec);
    c->codec = codec;
    c->codec_borrowed = true;
}

void kn_pq_column_trim(kn_pq_column *c) {
    /* A chunk past its dictionary needs only the entries' bytes for its dictionary page. */
    if (!c->use_dict && kn_pq_dict_ready(&c->dict) && kn_pq_dict_table_bytes(&c->dict) > 64 * 1024) {
        kn_error ignored;
        (void)kn_pq_dict_shrink(&c->dict, &ignored);
    }
    kn_buf_free(&c->body);
    kn_buf_free(&c->comp);
    kn_buf_free(&c->hdr);
    if (c->chunk_data.len == 0) kn_buf_free(&c->chunk_data); /* a taken chunk's old buffer */
    if (c->chunk_dict.len == 0) kn_buf_free(&c->chunk_dict);
    if (!c->page_dict) { /* a PLAIN page has no indices */
        kn_free(c->page_idx);
        c->page_idx = NULL;
        c->idx_cap = 0;
    }
    if (c->page_rows == 0) {
        kn_buf_free(&c->page_values);
        kn_buf_free(&c->page_valid);
        kn_free(c->page_idx);
        c->page_idx = NULL;
        c->idx_cap = 0;
    }
}

void kn_pq_column_sleep(kn_pq_column *c) {
    kn_pq_column_trim(c);
    if (c->use_dict) kn_pq_dict_sleep(&c->dict);
}

uint64_t kn_pq_column_mem(const kn_pq_column *c) {
    const kn_pq_dict *d = &c->dict;
    uint64_t dict = d->values.cap + kn_pq_dict_table_bytes(d) + (uint64_t)d->entry_cap * (sizeof *d->hashes + sizeof *d->starts);
    return sizeof *c + c->page_values.cap + c->page_valid.cap + (uint64_t)c->idx_cap * sizeof *c->page_idx +
           c->body.cap + c->comp.cap + c->hdr.cap + c->conv_cap + c->chunk_data.cap + c->chunk_dict.cap +
           (uint64_t)c->seen_words * 8 + dict +
           (uint64_t)c->index.cap_pages * sizeof *c->index.pages + c->index.bounds.cap;
}

void kn_pq_column_pages(const kn_pq_column *c, const uint8_t **data, size_t *len) {
    *data = c->chunk_data.data;
    *len = c->chunk_data.len;
}

void kn_pq_column_pages_moved(kn_pq_column *c) {
    c->data_moved += c->chunk_data.len;
    kn_buf_free(&c->chunk_data);
}

kn_status kn_pq_column_pages_restore(kn_pq_column *c, const uint8_t *moved, size_t len, kn_error *err) {
    KN_RETURN_ERROR_IF(len != c->data_moved, err, KN_E_INTERNAL,
                       "column '%s': %zu bytes of pages given back for %" PRIu64 " moved out", c->leaf.name, len,
                       c->data_moved);
    if (!len) return KN_OK;
    size_t rest = c->chunk_data.len;
    if (!kn_buf_reserve(&c->chunk_data, len)) return nomem(err);
    memmove(c->chunk_data.data + len, c->chunk_data.data, rest);
    memcpy(c->chunk_data.data, moved, len);
    c->chunk_data.len = rest + len;
    c->data_moved = 0;
    return KN_OK;
}

uint64_t kn_pq_column_compress_ns(const kn_pq_column *c) { return c->compress_ns; }

static void copy_bound(const uint8_t **p, size_t len, uint8_t *buf, size_t cap) {
    if (!*p || *p == buf) return;
    if (len > cap) len = cap; /* bounds are at most KN_PQ_STATS_MAX_BYTES + 16 bytes */
    memmove(buf, *p, len);
    *p = buf;
}

void kn_pq_column_take(kn_pq_column *c, kn_pq_chunk *out) {
    kn_buf t = out->dict;
    out->dict = c->chunk_dict;
    c->chunk_dict = t;
    t = out->data;
    out->data = c->chunk_data;
    c->chunk_data = t;
    out->name = c->leaf.name;
    out->physical = c->leaf.physical;
    out->codec = c->codec_id;
    out->rows = c->chunk_rows;
    out->unc_dict = c->unc_dict;
    out->unc_data = c->unc_data;
    out->pages_dict = c->pages_dict;
    out->pages_plain = c->pages_plain;
    out->stats = c->stats_out;
    kn_pq_page_index ti = out->index;
    out->index = c->index;
    c->index = ti;
    copy_bound(&out->stats.min, out->stats.min_len, out->stats.min_buf, sizeof out->stats.min_buf);
    copy_bound(&out->stats.max, out->stats.max_len, out->stats.max_buf, sizeof out->stats.max_buf);
    kn_pq_column_reset(c);
}

void kn_pq_chunk_release(kn_pq_chunk *ch) {
    kn_buf_free(&ch->dict);
    kn_buf_free(&ch->data);
    kn_pq_page_index_release(&ch->index);
    memset(ch, 0, sizeof *ch);
}

/* ---- row-group helpers shared by the file writer and the row-group encoder ---------------- */

uint64_t kn__pq_estimate_bits(const kn_pq_leaf *leaves, size_t n, const kn_batch *batch, size_t a,
                              size_t b) {
    uint64_t bits = 0, rows = b - a;
    for (size_t i = 0; i < n; i++) {
        const kn_pq_leaf *l = &leaves[i];
        if (l->physical == KN_PQ_BYTE_ARRAY) {
            const uint32_t *o = batch->columns[i].offsets;
            bits += 8 * ((uint64_t)(o[b] - o[a]) + 4 * rows);
        } else if (l->physical == KN_PQ_BOOLEAN) {
            bits += rows;
        } else {
            bits += 8 * (uint64_t)l->width * rows;
        }
        if (l->nullable) bits += rows;
    }
    return bits;
}

kn_status kn__pq_check_batch(const kn_pq_leaf *leaves, size_t n, const kn_batch *batch, kn_error *err) {
    KN_RETURN_ERROR_IF(!batch, err, KN_E_USAGE, "no batch to write");
    const kn_schema *s = batch->schema;
    KN_RETURN_ERROR_IF(!s || s->num_fields != n, err, KN_E_USAGE,
                       "the batch has %zu columns but the Parquet file has %zu", s ? s->num_fields : 0, n);
    for (size_t i = 0; i < n; i++) {
        const kn_column *col = &batch->columns[i];
        if (!kn_type_equal(col->type, leaves[i].type) || !kn_type_equal(s->fields[i].type, leaves[i].type)) {
            char have[64], want[64];
            kn_type_format(col->type, have, sizeof have);
            kn_type_format(leaves[i].type, want, sizeof want);
            kn_error_field(err, leaves[i].name);
            return kn_error_set(err, KN_E_USAGE, "column %zu ('%s') is %s in the batch but %s in the file",
                                i, leaves[i].name, have, want);
        }
        KN_RETURN_ERROR_IF(col->length != batch->num_rows, err, KN_E_USAGE,
                           "column '%s' has %zu values but the batch %zu rows", leaves[i].name,
                           col->length, batch->num_rows);
    }
    for (size_t i = 0; i < n; i++) KN_TRY(kn_pq_column_check(&leaves[i], &batch->columns[i], batch->num_rows, err));
    return KN_OK;
}
