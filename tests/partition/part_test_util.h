/* tests/partition/part_test_util.h: what the partition tests share: running the kiln binary and
 * reading its JSON result, walking output trees, reading Parquet footers (kn_pqr), and writing
 * the test inputs. */
#ifndef PART_TEST_UTIL_H
#define PART_TEST_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "kn_pqr.h"

/* A finished kiln run: exit code, stdout and stderr (malloc'd). */
typedef struct pt_run {
    int code;
    char *out;
    char *err;
} pt_run;

/* Runs the kiln binary with the NULL-terminated arguments (after "kiln"). */
void pt_kiln(pt_run *r, const char *const *args);
/* Starts kiln without waiting (stdout and stderr to /dev/null); returns the pid. */
pid_t pt_kiln_start(const char *const *args);
void pt_run_free(pt_run *r);
/* The last line of stdout (the JSON result), in a static buffer. */
const char *pt_last_line(const pt_run *r);
/* A number field of the JSON result ("rows_written"); false when absent. */
bool pt_json_u64(const char *json, const char *key, uint64_t *out);

/* Every file under `dir` (relative paths, sorted, malloc'd), hidden ones included. */
typedef struct pt_files {
    char **rel;
    size_t n;
} pt_files;
void pt_walk(const char *dir, pt_files *out);
void pt_files_free(pt_files *f);
/* True when no part of `rel` starts with '_' or '.': a name Spectrum and Athena read. */
bool pt_is_readable_name(const char *rel);
/* The data files: readable names ending in .parquet. */
void pt_data_files(const char *dir, pt_files *out);
uint64_t pt_file_size(const char *path);
/* "PAR1" at both ends. */
bool pt_par1_both_ends(const char *path);
/* FNV-1a 64 of the file's bytes. */
uint64_t pt_file_hash(const char *path);
/* "rel=hash\n" for every file under `dir` (skipping names for which `skip` returns true;
 * `skip` may be NULL), malloc'd. */
char *pt_tree_digest(const char *dir, bool (*skip)(const char *rel));
/* Reads a whole file (malloc'd, NUL-terminated); NULL when missing. */
char *pt_read_text(const char *path, size_t *len);
bool pt_exists(const char *path);
void pt_rm_rf(const char *path);
/* Joins with '/' into a static ring of buffers (valid for a few calls). */
const char *pt_join(const char *a, const char *b);

/* Footers. */
kn_pqr_meta *pt_footer(const char *path);
/* Index of the column (leaf) named `name`, or -1. */
long pt_leaf(const kn_pqr_meta *m, const char *name);
/* Chunk statistics of row group `rg`, column `col`. */
bool pt_stats(const kn_pqr_meta *m, size_t rg, size_t col, kn_pqr_bytes *min, kn_pqr_bytes *max);
int64_t pt_le_i64(kn_pqr_bytes b);

/* Inputs. The orders generator (bench/kn_gen_orders) into `dir` (`shards` files). */
bool pt_gen_orders(const char *dir, long rows, int seed, int shards);
/* `rows` NDJSON rows whose string column k has `keys` distinct values "k0000".. (row i has key
 * (i * 7919) % keys), with id (int64), ts (timestamp), v (float64), s (string); and its schema. */
void pt_write_keyed(const char *path, long rows, long keys);
void pt_write_keyed_schema(const char *path);

#endif
