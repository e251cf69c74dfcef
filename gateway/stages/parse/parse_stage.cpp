#include "stages/parse/parse_stage.h"

#include "formats/any_format.h"

#include "stages/parse/negotiation.h"
#include "stages/parse/rest_url.h"

namespace onedoor::stages::parse {
namespace {

using core::Interaction;

std::string trim(const std::string& s) {
  auto b = s.find_first_not_of(" \t");
  auto e = s.find_last_not_of(" \t");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::vector<std::string> splitList(const std::string& s) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= s.size()) {
    auto comma = s.find(',', start);
    std::string item = trim(s.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
    if (!item.empty()) out.push_back(item);
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return out;
}

// Prefer: return=minimal; handling=lenient (RFC 7240 preferences, comma or semicolon separated).
void readPrefer(const std::optional<std::string>& prefer, core::FhirRequest& fr) {
  if (!prefer) return;
  std::string text = *prefer;
  for (char& c : text) {
    if (c == ';') c = ',';
  }
  for (const auto& item : splitList(text)) {
    auto eq = item.find('=');
    if (eq == std::string::npos) continue;
    std::string k = trim(item.substr(0, eq));
    std::string v = trim(item.substr(eq + 1));
    if (k == "return" && (v == "minimal" || v == "representation" || v == "OperationOutcome")) {
      fr.prefer_return = v;
    } else if (k == "handling") {
      fr.lenient = v == "lenient";
    }
  }
}

bool takesBody(const core::FhirRequest& fr, const std::string& method) {
  switch (fr.interaction) {
    case Interaction::kCreate:
    case Interaction::kUpdate:
    case Interaction::kBatch:
      return true;
    case Interaction::kOperation:
      return method == "POST";
    default:
      return false;
  }
}

}  // namespace

core::Result<std::vector<std::pair<std::string, std::string>>> parseForm(std::string_view body) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t start = 0;
  while (start < body.size()) {
    auto amp = body.find('&', start);
    std::string_view pair = body.substr(start, amp == std::string_view::npos ? std::string_view::npos : amp - start);
    start = amp == std::string_view::npos ? body.size() : amp + 1;
    if (pair.empty()) continue;
    auto eq = pair.find('=');
    std::string k(pair.substr(0, eq));
    std::string v(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    for (char& c : k) c = c == '+' ? ' ' : c;
    for (char& c : v) c = c == '+' ? ' ' : c;
    GW_ASSIGN_OR_RETURN(std::string dk, percentDecode(k));
    GW_ASSIGN_OR_RETURN(std::string dv, percentDecode(v));
    out.emplace_back(std::move(dk), std::move(dv));
  }
  return out;
}

core::Result<core::Flow> ParseStage::run(core::Exchange& ex) {
  core::FhirRequest& fr = ex.fhir;
  const core::Request& req = ex.request;
  auto format = responseFormat(req.param("_format"), req.headers.get("accept"));
  if (!format.isOk()) {
    ex.fail(format.status());
    return core::Flow::kRespond;
  }
  fr.response_format = *format;
  fr.pretty = req.param("_pretty").value_or("false") == "true";
  readPrefer(req.headers.get("prefer"), fr);

  core::Status st = interpret(*model_, req.method, req.path, !req.query.empty(), fr);
  if (!st.isOk()) {
    ex.fail(st);
    return core::Flow::kRespond;
  }
  if (auto summary = req.param("_summary")) {
    if (*summary != "true" && *summary != "false" && *summary != "text" && *summary != "data" &&
        *summary != "count") {
      ex.fail(core::invalid("_summary must be one of true, false, text, data, count"));
      return core::Flow::kRespond;
    }
    fr.summary = *summary;
  }
  if (auto elements = req.param("_elements")) fr.elements = splitList(*elements);

  st = parseBody(ex);
  if (!st.isOk()) {
    ex.fail(st);
    return core::Flow::kRespond;
  }
  if (core::hasErrors(ex.issues())) {
    ex.respondWithIssues(400);
    return core::Flow::kRespond;
  }
  return core::Flow::kContinue;
}

core::Result<bool> ParseStage::mapInbound(core::Exchange& ex, const std::string& content_type) {
  const std::string type = content_type.substr(0, content_type.find(';'));
  for (const auto& m : config_.inbound) {
    if (m.partner != ex.principal.partner || m.content_type != type) continue;
    GW_ASSIGN_OR_RETURN(auto source, formats::readAny(*model_, ex.request.body, m.format));
    auto mapped = m.map->transform(source);
    if (!mapped.isOk()) return core::invalid("the " + m.format + " body could not be mapped: " + mapped.status().message());
    if (mapped->type == nullptr || mapped->type->name != "Bundle" ||
        (mapped->childValue("type") != "transaction" && mapped->childValue("type") != "batch")) {
      return core::invalid("the partner's map must make a batch or transaction Bundle to post");
    }
    ex.fhir.request_format = fhir::Format::kJson;
    ex.fhir.resource = std::move(mapped).value();
    return true;
  }
  return false;
}

core::Status ParseStage::parseBody(core::Exchange& ex) {
  core::FhirRequest& fr = ex.fhir;
  core::Request& req = ex.request;
  auto ctype = req.headers.get("content-type");
  bool search_post = (fr.interaction == Interaction::kSearchType ||
                      fr.interaction == Interaction::kSearchSystem) &&
                     req.method == "POST";
  if (search_post) {
    if (req.body.empty()) return core::Status::ok();
    if (!ctype || ctype->find("application/x-www-form-urlencoded") == std::string::npos) {
      return core::Status(core::Code::kUnsupportedMedia,
                          "POST _search takes application/x-www-form-urlencoded parameters");
    }
    GW_ASSIGN_OR_RETURN(auto form, parseForm(req.body));
    for (auto& p : form) req.query.push_back(std::move(p));
    return core::Status::ok();
  }
  if (!takesBody(fr, req.method)) {
    if (!req.body.empty() && fr.interaction != Interaction::kPatch) {
      return core::invalid("this interaction does not take a request body");
    }
    return core::Status::ok();
  }
  if (req.body.empty()) {
    if (fr.interaction == Interaction::kOperation) return core::Status::ok();
    return core::invalid("the request needs a resource in its body");
  }
  if (ctype && fr.interaction == Interaction::kBatch) {
    GW_ASSIGN_OR_RETURN(bool mapped, mapInbound(ex, *ctype));
    if (mapped) return core::Status::ok();
  }
  GW_ASSIGN_OR_RETURN(fr.request_format, requestFormat(ctype));
  fhir::ReadOptions opts;
  opts.max_depth = config_.max_depth;
  fhir::ReadResult parsed = fhir::read(*model_, fr.request_format, req.body, opts);
  for (auto& issue : parsed.issues) ex.issues().push_back(std::move(issue));
  if (!parsed.ok()) return core::Status::ok();  // issues answer 400 in run()
  const std::string& body_type = parsed.resource.type->name;
  if ((fr.interaction == Interaction::kCreate || fr.interaction == Interaction::kUpdate) &&
      body_type != fr.type) {
    return core::invalid("the body is a " + body_type + " but the URL names " + fr.type);
  }
  if (fr.interaction == Interaction::kBatch && body_type != "Bundle") {
    return core::invalid("only a batch or transaction Bundle can be posted to the base URL");
  }
  if (fr.interaction == Interaction::kUpdate && !fr.conditional) {
    std::string_view body_id = parsed.resource.childValue("id");
    if (body_id.empty()) return core::invalid("an update needs the resource id in the body", body_type + ".id");
    if (body_id != fr.id) {
      return core::invalid("the id in the body does not match the id in the URL", body_type + ".id");
    }
  }
  fr.resource = std::move(parsed.resource);
  return core::Status::ok();
}

}  // namespace onedoor::stages::parse
