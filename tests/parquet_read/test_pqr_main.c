/* tests/parquet_read/test_pqr_main.c: runs the footer reader's suite (test_parquet_read). */
#include <stdlib.h>

#include "test_pqr.h"

int main(void) {
    Suite *s = suite_create("parquet_read");
    pqr_add_thrift_tests(s);
    pqr_add_footer_tests(s);
    pqr_add_show_tests(s);
    pqr_add_conformance_tests(s);
    pqr_add_index_tests(s);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
