/* tests/parquet_read/test_pqr.h: the parts of the test_parquet_read suite, one per file. */
#ifndef TEST_PQR_H
#define TEST_PQR_H

#include <check.h>

void pqr_add_thrift_tests(Suite *s);
void pqr_add_footer_tests(Suite *s);
void pqr_add_show_tests(Suite *s);
void pqr_add_conformance_tests(Suite *s);
void pqr_add_index_tests(Suite *s);

#endif
