/* formats/xml/kn_xml_scan_scalar.c: the scalar twin of the text scan (kn_xml_internal.h). */
#include "kn_xml_internal.h"

/* 1 for the bytes text content stops at: '<', '&', ']', CR, and C0 controls but tab and LF. */
static const uint8_t stop[256] = {
    [0] = 1, [1] = 1, [2] = 1, [3] = 1, [4] = 1, [5] = 1, [6] = 1, [7] = 1, [8] = 1, [11] = 1, [12] = 1, [13] = 1,
    [14] = 1, [15] = 1, [16] = 1, [17] = 1, [18] = 1, [19] = 1, [20] = 1, [21] = 1, [22] = 1, [23] = 1, [24] = 1,
    [25] = 1, [26] = 1, [27] = 1, [28] = 1, [29] = 1, [30] = 1, [31] = 1, ['<'] = 1, ['&'] = 1, [']'] = 1,
};

size_t kn__xml_text_stop_scalar(const uint8_t *s, size_t n) {
    size_t i = 0;
    for (; i + 4 <= n; i += 4) {
        if (stop[s[i]]) return i;
        if (stop[s[i + 1]]) return i + 1;
        if (stop[s[i + 2]]) return i + 2;
        if (stop[s[i + 3]]) return i + 3;
    }
    for (; i < n; i++)
        if (stop[s[i]]) return i;
    return n;
}
