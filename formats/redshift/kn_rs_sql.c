/* formats/redshift/kn_rs_sql.c: identifiers, literals and qualified names for Redshift SQL. */
#include "kn_rs_sql.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kn_utf8.h"

/* Redshift's reserved words (docs.aws.amazon.com/redshift/latest/dg/r_pg_keywords.html), in
 * lowercase and sorted for bsearch. START and CONNECT are not reserved but fail as bare table
 * aliases at run time, so kiln quotes them too. */
static const char *const k_reserved[] = {
    "aes128", "aes256", "all", "allowoverwrite", "analyse", "analyze", "and", "any", "array",
    "as", "asc", "authorization", "az64", "backup", "between", "binary", "blanksasnull", "both",
    "bytedict", "bzip2", "case", "cast", "check", "collate", "column", "connect", "constraint",
    "create", "credentials", "cross", "current_date", "current_time", "current_timestamp",
    "current_user", "current_user_id", "default", "deferrable", "deflate", "defrag", "delta",
    "delta32k", "desc", "disable", "distinct", "do", "else", "emptyasnull", "enable", "encode",
    "encrypt", "encryption", "end", "except", "explicit", "false", "for", "foreign", "freeze",
    "from", "full", "globaldict256", "globaldict64k", "grant", "group", "gzip", "having",
    "identity", "ignore", "ilike", "in", "initially", "inner", "intersect", "interval", "into",
    "is", "isnull", "join", "leading", "left", "like", "limit", "localtime", "localtimestamp",
    "lun", "luns", "lzo", "lzop", "minus", "mostly16", "mostly32", "mostly8", "natural", "new",
    "not", "notnull", "null", "nulls", "off", "offline", "offset", "oid", "old", "on", "only",
    "open", "or", "order", "outer", "overlaps", "parallel", "partition", "percent", "permissions",
    "pivot", "placing", "primary", "raw", "readratio", "recover", "references", "rejectlog",
    "resort", "respect", "restore", "right", "select", "session_user", "similar", "snapshot",
    "some", "start", "sysdate", "system", "table", "tag", "tdes", "text255", "text32k", "then",
    "timestamp", "to", "top", "trailing", "true", "truncatecolumns", "union", "unique", "unnest",
    "unpivot", "user", "using", "verbose", "wallet", "when", "where", "with", "without",
};

static int cmp_word(const void *key, const void *elem) {
    return strcmp((const char *)key, *(const char *const *)elem);
}

bool kn_rs_is_reserved(const char *lower, size_t len) {
    char word[32];
    if (len == 0 || len >= sizeof word) return false;
    memcpy(word, lower, len);
    word[len] = '\0';
    return bsearch(word, k_reserved, sizeof k_reserved / sizeof k_reserved[0],
                   sizeof k_reserved[0], cmp_word) != NULL;
}

static char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c; }

kn_status kn_rs_append_ident(kn_buf *out, const char *name, size_t len, kn_error *err) {
    KN_RETURN_ERROR_IF(len == 0, err, KN_E_USAGE, "an empty name cannot be a Redshift identifier");
    KN_RETURN_ERROR_IF(len > KN_RS_IDENT_MAX, err, KN_E_USAGE,
                       "'%.*s...' is longer than Redshift's 127-byte limit for names", 40, name);
    const unsigned char *p = (const unsigned char *)name;
    bool bare = !(p[0] >= '0' && p[0] <= '9') && p[0] != '$';
    for (size_t i = 0; i < len;) {
        size_t n = kn_utf8_sequence(p + i, len - i);
        KN_RETURN_ERROR_IF(n == 0, err, KN_E_USAGE,
                           "name '%.*s' is not valid UTF-8, so it cannot be a Redshift identifier",
                           (int)len, name);
        KN_RETURN_ERROR_IF(n == 1 && (p[i] < 0x20 || p[i] == 0x7F), err, KN_E_USAGE,
                           "name '%.*s' holds a control character, so it cannot be a Redshift "
                           "identifier",
                           (int)len, name);
        char c = ascii_lower((char)p[i]);
        if (n > 1 || !((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$'))
            bare = false;
        i += n;
    }
    size_t start = out->len;
    if (!kn_buf_reserve(out, 2 * len + 2)) goto nomem;
    char *o = (char *)out->data + out->len;
    size_t w = 0;
    /* Lowercase first, then decide: reserved words are matched on the lowercased text. */
    for (size_t i = 0; i < len; i++) o[w++] = ascii_lower(name[i]);
    if (bare && !kn_rs_is_reserved(o, len)) {
        out->len += w;
        return KN_OK;
    }
    w = 0;
    o[w++] = '"';
    for (size_t i = 0; i < len; i++) {
        char c = ascii_lower(name[i]);
        if (c == '"') o[w++] = '"';
        o[w++] = c;
    }
    o[w++] = '"';
    out->len += w;
    return KN_OK;
nomem:
    out->len = start;
    return kn_error_set(err, KN_E_NOMEM, "out of memory writing SQL");
}

bool kn_rs_append_literal(kn_buf *out, const char *s, size_t len) {
    if (len > (SIZE_MAX - 2) / 2 || !kn_buf_reserve(out, 2 * len + 2)) return false;
    char *o = (char *)out->data + out->len;
    size_t w = 0;
    o[w++] = '\'';
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\'' || s[i] == '\\') o[w++] = s[i];
        o[w++] = s[i];
    }
    o[w++] = '\'';
    out->len += w;
    return true;
}

kn_status kn_rs_name_parse(const char *text, kn_rs_name *out, kn_error *err) {
    memset(out, 0, sizeof *out);
    KN_RETURN_ERROR_IF(!text || !*text, err, KN_E_USAGE,
                       "--table needs a name such as analytics.events");
    size_t p = 0;
    for (;;) {
        KN_RETURN_ERROR_IF(out->num_parts == 3, err, KN_E_USAGE,
                           "--table '%s' has more than three parts (database.schema.table)", text);
        char *dst = out->parts[out->num_parts];
        size_t n = 0;
        if (text[p] == '"') {
            p++;
            for (;;) {
                KN_RETURN_ERROR_IF(text[p] == '\0', err, KN_E_USAGE,
                                   "--table '%s' has a quoted name without its closing '\"'", text);
                if (text[p] == '"') {
                    if (text[p + 1] != '"') { p++; break; }
                    p++;
                }
                KN_RETURN_ERROR_IF(n == KN_RS_IDENT_MAX, err, KN_E_USAGE,
                                   "--table '%s' has a part longer than 127 bytes", text);
                dst[n++] = text[p++];
            }
        } else {
            while (text[p] && text[p] != '.') {
                KN_RETURN_ERROR_IF(n == KN_RS_IDENT_MAX, err, KN_E_USAGE,
                                   "--table '%s' has a part longer than 127 bytes", text);
                dst[n++] = text[p++];
            }
        }
        dst[n] = '\0';
        KN_RETURN_ERROR_IF(n == 0, err, KN_E_USAGE, "--table '%s' has an empty part", text);
        out->part_len[out->num_parts++] = n;
        if (text[p] == '\0') break;
        KN_RETURN_ERROR_IF(text[p] != '.', err, KN_E_USAGE,
                           "--table '%s': expected '.' after a quoted name", text);
        p++;
    }
    return KN_OK;
}

kn_status kn_rs_append_name(kn_buf *out, const kn_rs_name *name, kn_error *err) {
    size_t start = out->len;
    for (size_t i = 0; i < name->num_parts; i++) {
        if (i > 0 && !kn_buf_push(out, '.')) {
            out->len = start;
            return kn_error_set(err, KN_E_NOMEM, "out of memory writing SQL");
        }
        kn_status st = kn_rs_append_ident(out, name->parts[i], name->part_len[i], err);
        if (st != KN_OK) {
            out->len = start;
            return st;
        }
    }
    return KN_OK;
}
