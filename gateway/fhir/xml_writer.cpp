// Node → FHIR XML. Children are already in definition order; id and Extension.url become
// attributes; the narrative div is written as the XHTML it holds.
#include "fhir/codec.h"

namespace onedoor::fhir {
namespace {

void escapeAttr(std::string_view s, std::string& out) {
  for (char c : s) {
    switch (c) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      // Attribute-value normalisation would turn these into spaces: keep them as references.
      case '\n': out += "&#xA;"; break;
      case '\r': out += "&#xD;"; break;
      case '\t': out += "&#x9;"; break;
      default: out += c;
    }
  }
}

class XmlWriter {
 public:
  XmlWriter(std::string& out, bool pretty) : out_(out), pretty_(pretty) {}

  void resource(const Node& r, int depth, bool root) {
    indent(depth);
    out_ += '<';
    out_ += r.type->name;
    if (root) out_ += " xmlns=\"http://hl7.org/fhir\"";
    out_ += '>';
    newline();
    children(r, depth + 1);
    indent(depth);
    out_ += "</";
    out_ += r.type->name;
    out_ += '>';
    newline();
  }

 private:
  void indent(int depth) {
    if (pretty_) out_.append(static_cast<std::size_t>(depth) * 2, ' ');
  }
  void newline() {
    if (pretty_) out_ += '\n';
  }

  static bool isAttr(const Node& n) { return n.def != nullptr && n.def->xml_attr; }

  void children(const Node& n, int depth) {
    for (const Node& c : n.children) {
      if (!isAttr(c)) element(c, depth);
    }
  }

  void element(const Node& n, int depth) {
    std::string name = n.jsonName();
    if (n.type != nullptr && n.type->name == "xhtml") {
      indent(depth);
      out_ += n.value;
      newline();
      return;
    }
    indent(depth);
    out_ += '<';
    out_ += name;
    for (const Node& c : n.children) {
      if (!isAttr(c)) continue;
      out_ += ' ';
      out_ += c.name;
      out_ += "=\"";
      escapeAttr(c.value, out_);
      out_ += '"';
    }
    if (n.has_value) {
      out_ += " value=\"";
      escapeAttr(n.value, out_);
      out_ += '"';
    }
    bool has_elements = n.isResource();
    for (const Node& c : n.children) has_elements = has_elements || !isAttr(c);
    if (!has_elements) {
      out_ += "/>";
      newline();
      return;
    }
    out_ += '>';
    newline();
    if (n.isResource()) {
      resource(n, depth + 1, false);
    } else {
      children(n, depth + 1);
    }
    indent(depth);
    out_ += "</";
    out_ += name;
    out_ += '>';
    newline();
  }

  std::string& out_;
  bool pretty_;
};

}  // namespace

std::string writeXml(const Node& resource, const WriteOptions& opts) {
  std::string out;
  out.reserve(4096);
  out += "<?xml version=\"1.0\" encoding=\"UTF-8\"?>";
  if (opts.pretty) out += '\n';
  XmlWriter(out, opts.pretty).resource(resource, 0, true);
  return out;
}

}  // namespace onedoor::fhir
