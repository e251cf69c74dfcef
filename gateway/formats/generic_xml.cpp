#include "formats/generic_xml.h"

#include <libxml/xmlwriter.h>

#include <memory>

#include "fhir/xml_parser.h"
#include "formats/generic_json.h"

namespace onedoor::formats {

namespace {

std::string trimmed(const std::string& s) {
  std::size_t b = s.find_first_not_of(" \t\r\n"), e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

core::Status read(const xmlNode* el, fhir::Node& out, std::size_t depth, std::size_t max_depth) {
  if (depth > max_depth) return core::invalid("XML: nested deeper than " + std::to_string(max_depth) + " levels");
  for (const xmlAttr* a = el->properties; a != nullptr; a = a->next) {
    xmlChar* v = xmlNodeListGetString(el->doc, a->children, 1);
    fhir::Node& attr = out.addUntyped(fieldName(reinterpret_cast<const char*>(a->name)));
    attr.value = v != nullptr ? reinterpret_cast<const char*>(v) : "";
    attr.has_value = true;
    xmlFree(v);
  }
  std::string text;
  bool has_elements = false;
  for (const xmlNode* c = el->children; c != nullptr; c = c->next) {
    if (c->type == XML_ELEMENT_NODE) {
      has_elements = true;
      fhir::Node& child = out.addUntyped(fieldName(reinterpret_cast<const char*>(c->name)));
      GW_RETURN_IF_ERROR(read(c, child, depth + 1, max_depth));
    } else if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
      if (c->content != nullptr) text += reinterpret_cast<const char*>(c->content);
    }
  }
  std::string t = trimmed(text);
  if (t.empty()) return core::Status::ok();
  if (!has_elements && out.children.empty()) {
    out.value = t;
    out.has_value = true;
  } else {
    // Text beside attributes or elements (<Reason code="X">Low mood</Reason>): a child `text`.
    fhir::Node& tx = out.addUntyped("text");
    tx.value = t;
    tx.has_value = true;
  }
  return core::Status::ok();
}

}  // namespace

core::Result<fhir::Node> readGenericXml(std::string_view text, std::size_t max_depth) {
  auto parsed = fhir::parseXmlDocument(text);
  if (!parsed.isOk()) {
    const core::Status& st = parsed.status();
    return core::invalid("XML: " + st.message() + (st.expression().empty() ? "" : " (at line:col " + st.expression() + ")"));
  }
  auto doc = std::move(parsed).value();
  const xmlNode* root = xmlDocGetRootElement(doc.get());
  if (root == nullptr) return core::invalid("XML: no document element");
  fhir::Node out(fieldName(reinterpret_cast<const char*>(root->name)), nullptr, nullptr);
  GW_RETURN_IF_ERROR(read(root, out, 1, max_depth));
  return out;
}

}  // namespace onedoor::formats

namespace onedoor::formats {

namespace {

void writeElement(xmlTextWriterPtr w, const fhir::Node& n) {
  auto name = reinterpret_cast<const xmlChar*>(n.name.c_str());
  if (n.children.empty()) {
    xmlTextWriterWriteElement(w, name, reinterpret_cast<const xmlChar*>(n.value.c_str()));
    return;
  }
  xmlTextWriterStartElement(w, name);
  for (const auto& c : n.children) writeElement(w, c);
  xmlTextWriterEndElement(w);
}

}  // namespace

std::string writeGenericXml(const fhir::Node& tree) {
  std::unique_ptr<xmlBuffer, decltype(&xmlBufferFree)> buffer(xmlBufferCreate(), xmlBufferFree);
  std::unique_ptr<xmlTextWriter, decltype(&xmlFreeTextWriter)> w(xmlNewTextWriterMemory(buffer.get(), 0),
                                                                  xmlFreeTextWriter);
  xmlTextWriterSetIndent(w.get(), 1);
  xmlTextWriterSetIndentString(w.get(), reinterpret_cast<const xmlChar*>("  "));
  xmlTextWriterStartDocument(w.get(), "1.0", "UTF-8", nullptr);
  writeElement(w.get(), tree);
  xmlTextWriterEndDocument(w.get());
  w.reset();  // flushes into the buffer
  return std::string(reinterpret_cast<const char*>(xmlBufferContent(buffer.get())),
                     static_cast<std::size_t>(xmlBufferLength(buffer.get())));
}

}  // namespace onedoor::formats
