#include "fhir/xml_parser.h"

#include <libxml/parser.h>
#include <libxml/parserInternals.h>

#include <mutex>

namespace onedoor::fhir {
namespace {

struct ParseState {
  bool dtd_seen = false;
};

// SAX hooks that stop the parser the moment a DTD or an entity declaration appears.
void onInternalSubset(void* ctx, const xmlChar*, const xmlChar*, const xmlChar*) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  static_cast<ParseState*>(ctxt->_private)->dtd_seen = true;
  xmlStopParser(ctxt);
}
void onEntityDecl(void* ctx, const xmlChar*, int, const xmlChar*, const xmlChar*, xmlChar*) {
  auto* ctxt = static_cast<xmlParserCtxtPtr>(ctx);
  static_cast<ParseState*>(ctxt->_private)->dtd_seen = true;
  xmlStopParser(ctxt);
}

void ignoreStructuredError(void*, xmlErrorPtr) {}

void initOnce() {
  static std::once_flag once;
  std::call_once(once, [] { xmlInitParser(); });
}

struct CtxtFree {
  void operator()(xmlParserCtxt* c) const {
    if (c->myDoc != nullptr) {
      xmlFreeDoc(c->myDoc);
      c->myDoc = nullptr;
    }
    xmlFreeParserCtxt(c);
  }
};

}  // namespace

core::Result<XmlDocPtr> parseXmlDocument(std::string_view text) {
  initOnce();
  if (text.size() > 0x7FFFFFFF) return core::Status(core::Code::kTooLarge, "XML too large");
  std::unique_ptr<xmlParserCtxt, CtxtFree> ctxt(
      xmlCreateMemoryParserCtxt(text.data(), static_cast<int>(text.size())));
  if (!ctxt) return core::internal("cannot create XML parser");
  ParseState state;
  ctxt->_private = &state;
  ctxt->sax->internalSubset = onInternalSubset;
  ctxt->sax->externalSubset = onInternalSubset;
  ctxt->sax->entityDecl = onEntityDecl;
  // Silence libxml2's default stderr reporting; errors are read from the context below.
  ctxt->sax->error = nullptr;
  ctxt->sax->warning = nullptr;
  ctxt->sax->fatalError = nullptr;
  ctxt->sax->serror = ignoreStructuredError;
  ctxt->vctxt.error = nullptr;
  ctxt->vctxt.warning = nullptr;
  xmlCtxtUseOptions(ctxt.get(), XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
                                    XML_PARSE_NOCDATA);
  xmlParseDocument(ctxt.get());
  if (state.dtd_seen) {
    return core::invalid("XML documents with a DTD or entity declarations are not accepted",
                         std::to_string(xmlSAX2GetLineNumber(ctxt.get())) + ":" +
                             std::to_string(xmlSAX2GetColumnNumber(ctxt.get())));
  }
  if (!ctxt->wellFormed || ctxt->myDoc == nullptr) {
    const xmlError* err = &ctxt->lastError;
    std::string msg = err->message != nullptr ? err->message : "not well-formed";
    while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
    return core::invalid("malformed XML: " + msg,
                         std::to_string(err->line) + ":" + std::to_string(err->int2));
  }
  XmlDocPtr doc(ctxt->myDoc);
  ctxt->myDoc = nullptr;
  return doc;
}

}  // namespace onedoor::fhir
