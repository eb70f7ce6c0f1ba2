/* formats/xml/kn_xml_format.h: the XML reader as a kn_format (engine/batch/kn_format.h).
 * Options: row-tag NAME, attribute-prefix P, strip-namespaces. */
#ifndef KN_XML_FORMAT_H
#define KN_XML_FORMAT_H

#include "kn_format.h"

extern const kn_format kn_xml_format;

#endif
