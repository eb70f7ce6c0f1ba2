/* tests/redshift/test_rs.h: the test cases of the redshift area, one function per source file. */
#ifndef TEST_RS_H
#define TEST_RS_H

#include <check.h>

void kn_test_add_partition_tests(Suite *s);
void kn_test_add_sql_tests(Suite *s);

#endif
