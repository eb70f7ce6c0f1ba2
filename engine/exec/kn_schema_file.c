/* engine/exec/kn_schema_file.c: YAML schema files through libyaml's document API. */
#include "kn_schema_file.h"

#include <string.h>
#include <strings.h>
#include <yaml.h>

#include "kn_alloc.h"
#include "kn_file.h"
#include "kn_parse_time.h"

/* Fails with a message located at `node`'s start (YAML marks are 0-based). */
static kn_status node_error(kn_error *err, const char *name, const yaml_node_t *node,
                            const char *what, const char *detail) {
    kn_error_locate(err, name, node ? (int64_t)node->start_mark.line + 1 : -1,
                    node ? (int64_t)node->start_mark.column + 1 : -1, -1);
    return kn_error_set(err, KN_E_USAGE, "%s%s%s", what, detail ? ": " : "", detail ? detail : "");
}

static const char *scalar(const yaml_node_t *node) {
    return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

static kn_status parse_column(yaml_document_t *doc, yaml_node_t *col, const char *name,
                              kn_schema *schema, kn_error *err) {
    if (col->type != YAML_MAPPING_NODE)
        return node_error(err, name, col, "each column must be a mapping with name and type", NULL);
    yaml_node_t *name_node = NULL, *type_node = NULL, *format_node = NULL;
    bool nullable = true;
    for (yaml_node_pair_t *p = col->data.mapping.pairs.start; p < col->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(doc, p->key);
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        const char *key = scalar(k);
        if (!key) return node_error(err, name, k, "a column key must be a plain word", NULL);
        if (strcmp(key, "name") == 0) {
            name_node = v;
        } else if (strcmp(key, "type") == 0) {
            type_node = v;
        } else if (strcmp(key, "nullable") == 0) {
            const char *b = scalar(v);
            if (b && (!strcasecmp(b, "true") || !strcasecmp(b, "yes")))
                nullable = true;
            else if (b && (!strcasecmp(b, "false") || !strcasecmp(b, "no")))
                nullable = false;
            else
                return node_error(err, name, v, "nullable must be true or false", b);
        } else if (strcmp(key, "format") == 0) {
            /* A strptime-like format for date/timestamp text; "iso8601" names the default. */
            const char *f = scalar(v);
            char why[256];
            if (!f) return node_error(err, name, v, "format must be a text such as \"%Y-%m-%d %H:%M:%S\"", NULL);
            if (strcasecmp(f, "iso8601") != 0 && !kn_time_format_check(f, why, sizeof why))
                return node_error(err, name, v, "unusable format", why);
            format_node = v;
        } else {
            return node_error(err, name, k, "unknown column key (expected name, type, nullable, format)", key);
        }
    }
    const char *col_name = scalar(name_node);
    if (!col_name || !col_name[0]) return node_error(err, name, col, "a column has no name", NULL);
    const char *type_text = scalar(type_node);
    if (!type_text) return node_error(err, name, col, "a column has no type", col_name);
    kn_type type;
    if (!kn_type_parse(type_text, &type))
        return node_error(err, name, type_node,
                          "unknown type (expected string, json, bool, int32, int64, float64, "
                          "decimal(p,s) with p <= 38, date, timestamp or timestamptz)",
                          type_text);
    const char *format = scalar(format_node);
    if (format && strcasecmp(format, "iso8601") == 0) format = NULL;
    if (format && type.id != KN_TYPE_DATE && type.id != KN_TYPE_TIMESTAMP)
        return node_error(err, name, format_node, "a format applies only to date and timestamp columns", col_name);
    kn_status st = kn_schema_add(schema, col_name, type, nullable, err);
    if (st == KN_OK && format) st = kn_schema_set_format(schema, schema->num_fields - 1, format, err);
    if (st != KN_OK) kn_error_locate(err, name, (int64_t)col->start_mark.line + 1, (int64_t)col->start_mark.column + 1, -1);
    return st;
}

static kn_status parse_document(yaml_document_t *doc, const char *name, kn_schema *schema,
                                kn_error *err) {
    yaml_node_t *root = yaml_document_get_root_node(doc);
    if (!root) return node_error(err, name, NULL, "the schema file is empty", NULL);
    if (root->type != YAML_MAPPING_NODE)
        return node_error(err, name, root, "a schema file is a mapping with a 'columns' list", NULL);
    yaml_node_t *columns = NULL;
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
        const char *key = scalar(yaml_document_get_node(doc, p->key));
        if (key && strcmp(key, "columns") == 0) columns = yaml_document_get_node(doc, p->value);
        else
            return node_error(err, name, yaml_document_get_node(doc, p->key), "unknown key (expected 'columns')", key);
    }
    if (!columns || columns->type != YAML_SEQUENCE_NODE)
        return node_error(err, name, columns ? columns : root, "'columns' must be a list of columns", NULL);
    for (yaml_node_item_t *it = columns->data.sequence.items.start; it < columns->data.sequence.items.top; it++)
        KN_TRY(parse_column(doc, yaml_document_get_node(doc, *it), name, schema, err));
    if (schema->num_fields == 0) return node_error(err, name, columns, "the schema has no columns", NULL);
    return KN_OK;
}

kn_status kn_schema_file_parse(const char *text, size_t len, const char *name, kn_schema **out,
                               kn_error *err) {
    *out = NULL;
    yaml_parser_t parser;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&parser)) return kn_error_set(err, KN_E_NOMEM, "out of memory reading a schema");
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    if (!yaml_parser_load(&parser, &doc)) {
        kn_error_locate(err, name, (int64_t)parser.problem_mark.line + 1, (int64_t)parser.problem_mark.column + 1, -1);
        kn_status st = kn_error_set(err, KN_E_USAGE, "not valid YAML: %s", parser.problem ? parser.problem : "parse error");
        yaml_parser_delete(&parser);
        return st;
    }
    kn_schema *schema = kn_schema_create();
    kn_status st = schema ? parse_document(&doc, name, schema, err)
                          : kn_error_set(err, KN_E_NOMEM, "out of memory reading a schema");
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    if (st != KN_OK) {
        kn_schema_free(schema);
        return st;
    }
    *out = schema;
    return KN_OK;
}

kn_status kn_schema_file_load(const char *path, kn_schema **out, kn_error *err) {
    uint8_t *data;
    size_t len;
    *out = NULL;
    kn_status st = kn_file_read_all(path, &data, &len, err);
    if (st != KN_OK) {
        /* A schema file that cannot be read is a usage error (exit 1), not a retryable I/O one. */
        if (err) err->status = KN_E_USAGE;
        return KN_E_USAGE;
    }
    st = kn_schema_file_parse((const char *)data, len, path, out, err);
    kn_free(data);
    return st;
}

/* Quotes a name when YAML would read it as something else. */
static void write_scalar(FILE *out, const char *s) {
    bool plain = s[0] && !strchr("-?:,[]{}#&*!|>'\"%@` ", s[0]);
    for (const char *p = s; *p && plain; p++)
        if ((unsigned char)*p < 0x20 || *p == ':' || *p == '#' || *p == '"' || *p == '\'') plain = false;
    if (plain && s[strlen(s) - 1] == ' ') plain = false;
    static const char *const reserved[] = {"true", "false", "yes", "no", "null", "on", "off", "~"};
    for (size_t i = 0; i < sizeof reserved / sizeof reserved[0] && plain; i++)
        if (!strcasecmp(s, reserved[i])) plain = false;
    if (plain) {
        fputs(s, out);
        return;
    }
    fputc('"', out);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\') fprintf(out, "\\%c", *p);
        else if (*p < 0x20) fprintf(out, "\\x%02x", *p);
        else fputc(*p, out);
    }
    fputc('"', out);
}

void kn_schema_file_write(const kn_schema *schema, FILE *out) {
    fputs("columns:\n", out);
    for (size_t i = 0; i < schema->num_fields; i++) {
        const kn_field *f = &schema->fields[i];
        char type[64];
        kn_type_format(f->type, type, sizeof type);
        fputs("  - name: ", out);
        write_scalar(out, f->name);
        fprintf(out, "\n    type: %s\n", type);
        if (!f->nullable) fputs("    nullable: false\n", out);
        if (f->format) {
            fputs("    format: ", out);
            write_scalar(out, f->format);
            fputc('\n', out);
        }
    }
}
