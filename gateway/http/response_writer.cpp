#include "http/response_writer.h"

#include <ostream>

#include "fhir/codec.h"
#include "stages/parse/negotiation.h"

namespace onedoor::http {

void writeResponse(core::Exchange& ex, bool head, Poco::Net::HTTPServerResponse& out) {
  core::Response& r = ex.response;
  std::string body;
  std::string content_type;
  fhir::Format format = ex.fhir.response_format;
  fhir::WriteOptions opts;
  opts.pretty = ex.fhir.pretty;
  if (r.resource) {
    body = fhir::write(*r.resource, format, opts);
    content_type = stages::parse::contentType(format);
  } else if (!r.raw_json.empty()) {
    if (format == fhir::Format::kJson && !opts.pretty) {
      body = std::move(r.raw_json);
    } else {
      fhir::ReadResult parsed = fhir::readJson(ex.model(), r.raw_json);
      body = parsed.ok() ? fhir::write(parsed.resource, format, opts) : r.raw_json;
    }
    content_type = stages::parse::contentType(format);
  } else if (!r.body.empty() || !r.content_type.empty()) {
    body = std::move(r.body);
    content_type = r.content_type;
  }
  out.setStatusAndReason(static_cast<Poco::Net::HTTPResponse::HTTPStatus>(r.status));
  for (const auto& [k, v] : r.headers.all()) out.set(k, v);
  out.set("X-Request-Id", ex.request_id);
  if (!ex.correlation_id.empty()) out.set("X-Correlation-Id", ex.correlation_id);
  if (!content_type.empty()) out.setContentType(content_type);
  out.setContentLength64(static_cast<Poco::Int64>(body.size()));
  std::ostream& os = out.send();
  if (!head) os.write(body.data(), static_cast<std::streamsize>(body.size()));
}

}  // namespace onedoor::http
