/* tests/redshift/test_rs_main.c: runs the redshift area (partition kernels and Redshift SQL). */
#include <check.h>
#include <stdlib.h>

#include "test_rs.h"

int main(void) {
    Suite *s = suite_create("redshift");
    kn_test_add_partition_tests(s);
    kn_test_add_sql_tests(s);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
