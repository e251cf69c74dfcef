#include "fhir/xhtml.h"

#include <libxml/tree.h>

#include <algorithm>
#include <vector>

#include "fhir/xml_parser.h"

namespace onedoor::fhir {
namespace {

constexpr std::string_view kXhtmlNs = "http://www.w3.org/1999/xhtml";

std::string_view sv(const xmlChar* s) {
  return s == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(s));
}

void collapse(std::string_view text, std::string& out) {
  bool space = false;
  for (char c : text) {
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      space = true;
      continue;
    }
    if (space && !out.empty() && out.back() != '>') out += ' ';
    space = false;
    out += c;
  }
}

void canon(const xmlNode* n, std::string& out) {
  for (; n != nullptr; n = n->next) {
    if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
      collapse(sv(n->content), out);
    } else if (n->type == XML_ELEMENT_NODE) {
      out += '<';
      out += sv(n->name);
      std::vector<std::string> attrs;  // attribute order carries no meaning
      for (const xmlAttr* a = n->properties; a != nullptr; a = a->next) {
        xmlChar* v = xmlNodeGetContent(reinterpret_cast<const xmlNode*>(a));
        std::string attr(sv(a->name));
        attr += "=\"";
        collapse(sv(v), attr);
        attr += '"';
        attrs.push_back(std::move(attr));
        xmlFree(v);
      }
      std::sort(attrs.begin(), attrs.end());
      for (const auto& a : attrs) {
        out += ' ';
        out += a;
      }
      out += '>';
      canon(n->children, out);
      out += "</";
      out += sv(n->name);
      out += '>';
    }
  }
}

}  // namespace

core::Status checkXhtmlDiv(std::string_view div) {
  auto doc = parseXmlDocument(div);
  if (!doc.isOk()) return core::invalid("narrative div: " + doc.status().message());
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  if (root == nullptr || sv(root->name) != "div" || root->ns == nullptr ||
      sv(root->ns->href) != kXhtmlNs) {
    return core::invalid("narrative must be a <div> element in the XHTML namespace");
  }
  return core::Status::ok();
}

std::string canonicalXhtml(std::string_view div) {
  auto doc = parseXmlDocument(div);
  if (!doc.isOk()) return std::string(div);
  std::string out;
  canon(xmlDocGetRootElement(doc->get()), out);
  return out;
}

}  // namespace onedoor::fhir
