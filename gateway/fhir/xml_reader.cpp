// FHIR XML → Node (https://hl7.org/fhir/R4/xml.html).
#include <libxml/tree.h>

#include <algorithm>

#include "fhir/codec.h"
#include "fhir/xml_parser.h"

namespace onedoor::fhir {
namespace {

constexpr std::string_view kFhirNs = "http://hl7.org/fhir";
constexpr std::string_view kXhtmlNs = "http://www.w3.org/1999/xhtml";
constexpr std::string_view kXsiNs = "http://www.w3.org/2001/XMLSchema-instance";

std::string_view sv(const xmlChar* s) {
  return s == nullptr ? std::string_view{} : std::string_view(reinterpret_cast<const char*>(s));
}

std::string_view nsOf(const xmlNode* n) { return n->ns == nullptr ? std::string_view{} : sv(n->ns->href); }

bool isBlank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n'; });
}

class XmlReader {
 public:
  XmlReader(const Model& model, const ReadOptions& opts, core::Issues& issues)
      : model_(model), opts_(opts), issues_(issues) {}

  bool readResource(const xmlNode* el, Node& node, std::string path, bool top) {
    if (nsOf(el) != kFhirNs) {
      error(el, path, "element <" + std::string(sv(el->name)) + "> is not in the FHIR namespace");
      return false;
    }
    const TypeInfo* type = model_.resourceType(sv(el->name));
    if (type == nullptr) {
      error(el, path, "unknown resource type '" + std::string(sv(el->name)) + "'");
      return false;
    }
    node.type = type;
    if (node.name.empty()) node.name = type->name;
    if (path.empty()) path = type->name;
    node.line = static_cast<std::uint32_t>(xmlGetLineNo(el));
    readContent(el, node, path, top);
    return true;
  }

 private:
  void error(const xmlNode* at, const std::string& path, std::string message,
             std::string code = "structure") {
    core::Issue issue;
    issue.code = std::move(code);
    issue.expression = path;
    issue.message = std::move(message);
    long line = at != nullptr ? xmlGetLineNo(at) : 0;
    issue.line = line > 0 ? static_cast<std::uint32_t>(line) : 0;
    issues_.push_back(std::move(issue));
  }

  void readAttributes(const xmlNode* el, Node& node, const std::string& path, bool top) {
    for (const xmlAttr* a = el->properties; a != nullptr; a = a->next) {
      std::string_view name = sv(a->name);
      if (a->ns != nullptr) {
        if (top && sv(a->ns->href) == kXsiNs) continue;  // xsi:schemaLocation on the root
        error(el, path, "unexpected attribute '" + std::string(name) + "'");
        continue;
      }
      xmlChar* raw = xmlNodeGetContent(reinterpret_cast<const xmlNode*>(a));
      std::string value = raw != nullptr ? reinterpret_cast<const char*>(raw) : "";
      xmlFree(raw);
      if (!isValidFhirString(value)) {
        error(el, path + "." + std::string(name), "attribute contains characters FHIR does not allow",
              "value");
      }
      if (name == "value" && node.isPrimitive()) {
        if (!validNumericOrBoolean(*node.type, value)) {
          error(el, path, "the value is not a valid " + node.type->name, "value");
        }
        node.value = std::move(value);
        node.has_value = true;
        continue;
      }
      const TypeInfo* concrete = nullptr;
      const ElementDef* def = node.type->resolve(name, &concrete);
      if (def == nullptr || !def->xml_attr) {
        error(el, path, "unexpected attribute '" + std::string(name) + "' on " + node.type->name);
        continue;
      }
      Node attr(def->name, concrete, def);
      attr.value = std::move(value);
      attr.has_value = true;
      node.children.push_back(std::move(attr));
    }
  }

  void readContent(const xmlNode* el, Node& node, const std::string& path, bool top) {
    readAttributes(el, node, path, top);
    std::vector<std::pair<const ElementDef*, std::size_t>> counts;
    for (const xmlNode* c = el->children; c != nullptr; c = c->next) {
      if (c->type == XML_TEXT_NODE || c->type == XML_CDATA_SECTION_NODE) {
        if (!isBlank(sv(c->content))) error(c, path, "text content is not allowed here");
        continue;
      }
      if (c->type != XML_ELEMENT_NODE) continue;  // comments, processing instructions
      std::string_view name = sv(c->name);
      const TypeInfo* concrete = nullptr;
      const ElementDef* def = node.type->resolve(name, &concrete);
      bool xhtml = def != nullptr && concrete != nullptr && concrete->name == "xhtml";
      if (nsOf(c) != (xhtml ? kXhtmlNs : kFhirNs)) {
        error(c, path + "." + std::string(name),
              "element <" + std::string(name) + "> is in the wrong namespace");
        continue;
      }
      if (def == nullptr || def->xml_attr || def->max == 0) {
        if (!opts_.allow_unknown_elements) {
          error(c, path, "unknown element '" + std::string(name) + "' in " + node.type->name);
        }
        continue;
      }
      std::size_t index = 0;
      {
        auto it = std::find_if(counts.begin(), counts.end(),
                               [&](const auto& p) { return p.first == def; });
        if (it == counts.end()) {
          counts.emplace_back(def, 1);
        } else {
          index = it->second++;
        }
      }
      std::string child_path = path + "." + std::string(name);
      if (def->repeating()) child_path += "[" + std::to_string(index) + "]";
      if (index > 0 && !def->repeating()) {
        error(c, child_path, "element '" + def->name + (def->choice ? "[x]" : "") +
                                 "' does not repeat but occurs more than once");
        continue;
      }
      Node child(def->name, concrete, def);
      child.line = static_cast<std::uint32_t>(xmlGetLineNo(c));
      if (xhtml) {
        readXhtml(c, child);
      } else if (concrete->isResource()) {
        if (!readContained(c, child, child_path)) continue;
      } else {
        if (depth_ >= opts_.max_depth) {
          error(c, child_path, "element nesting is deeper than the limit");
          continue;
        }
        ++depth_;
        readContent(c, child, child_path, false);
        --depth_;
        if (!child.has_value && child.children.empty()) {
          error(c, child_path, "element has no value and no children");
        }
      }
      node.children.push_back(std::move(child));
    }
    std::stable_sort(node.children.begin(), node.children.end(), [](const Node& a, const Node& b) {
      return a.def->order < b.def->order;
    });
  }

  bool readContained(const xmlNode* c, Node& child, const std::string& path) {
    if (c->properties != nullptr) error(c, path, "unexpected attribute on a resource container");
    const xmlNode* inner = nullptr;
    for (const xmlNode* k = c->children; k != nullptr; k = k->next) {
      if (k->type == XML_ELEMENT_NODE) {
        if (inner != nullptr) {
          error(k, path, "a resource container holds exactly one resource");
          return false;
        }
        inner = k;
      } else if ((k->type == XML_TEXT_NODE) && !isBlank(sv(k->content))) {
        error(k, path, "text content is not allowed here");
      }
    }
    if (inner == nullptr) {
      error(c, path, "resource container is empty");
      return false;
    }
    if (depth_ >= opts_.max_depth) {
      error(c, path, "element nesting is deeper than the limit");
      return false;
    }
    ++depth_;
    bool ok = readResource(inner, child, path, false);
    --depth_;
    return ok;
  }

  void readXhtml(const xmlNode* c, Node& child) {
    xmlBufferPtr buf = xmlBufferCreate();
    if (c->nsDef != nullptr && c->ns != nullptr && c->ns->prefix == nullptr) {
      xmlNodeDump(buf, c->doc, const_cast<xmlNode*>(c), 0, 0);
    } else {
      // The namespace is declared on an ancestor: copy the div into its own document and let
      // libxml2 declare what it needs, so the string stands alone as JSON requires.
      xmlDocPtr tmp = xmlNewDoc(reinterpret_cast<const xmlChar*>("1.0"));
      xmlNodePtr copy = xmlDocCopyNode(const_cast<xmlNode*>(c), tmp, 1);
      xmlDocSetRootElement(tmp, copy);
      xmlReconciliateNs(tmp, copy);
      xmlNodeDump(buf, tmp, copy, 0, 0);
      xmlFreeDoc(tmp);
    }
    child.value.assign(reinterpret_cast<const char*>(xmlBufferContent(buf)),
                       static_cast<std::size_t>(xmlBufferLength(buf)));
    child.has_value = true;
    xmlBufferFree(buf);
  }

  const Model& model_;
  const ReadOptions& opts_;
  core::Issues& issues_;
  std::uint32_t depth_ = 0;
};

}  // namespace

ReadResult readXml(const Model& model, std::string_view text, const ReadOptions& opts) {
  ReadResult result;
  auto doc = parseXmlDocument(text);
  if (!doc.isOk()) {
    core::Issue issue;
    issue.severity = core::Severity::kFatal;
    issue.code = "structure";
    issue.message = doc.status().message();
    const std::string& where = doc.status().expression();
    auto colon = where.find(':');
    if (colon != std::string::npos) {
      issue.line = static_cast<std::uint32_t>(std::atoi(where.c_str()));
      issue.column = static_cast<std::uint32_t>(std::atoi(where.c_str() + colon + 1));
    }
    result.issues.push_back(std::move(issue));
    return result;
  }
  const xmlNode* root = xmlDocGetRootElement(doc->get());
  if (root == nullptr) {
    result.issues.push_back({core::Severity::kFatal, "structure", "", "empty XML document", 0, 0});
    return result;
  }
  XmlReader reader(model, opts, result.issues);
  reader.readResource(root, result.resource, {}, true);
  return result;
}

}  // namespace onedoor::fhir
