#pragma once
// Hardened libxml2 parsing shared by every XML reader of untrusted bytes: no network access, no
// DTD loading, no entity expansion; a document that declares a DTD or entities is rejected
// outright (XXE, billion laughs), so nothing behind an entity is ever fetched or expanded.

#include <libxml/tree.h>

#include <memory>
#include <string>
#include <string_view>

#include "core/status.h"

namespace onedoor::fhir {

struct XmlDocFree {
  void operator()(xmlDoc* d) const { xmlFreeDoc(d); }
};
using XmlDocPtr = std::unique_ptr<xmlDoc, XmlDocFree>;

// Parses `text` as a document. On failure the Status names the problem and its line:column.
core::Result<XmlDocPtr> parseXmlDocument(std::string_view text);

}  // namespace onedoor::fhir
