/* tests/partition/part_test_units.h: the unit tests of the clustered write's pieces (key
 * encodings, spill blocks, the external sort), as one Check test case. */
#ifndef PART_TEST_UNITS_H
#define PART_TEST_UNITS_H

#include <check.h>

TCase *pt_units_tcase(void);

#endif
