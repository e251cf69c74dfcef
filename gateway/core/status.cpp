#include "core/status.h"

namespace onedoor::core {
namespace {

struct CodeRow {
  Code code;
  int http;
  std::string_view issue_type;
  std::string_view name;
};

// The single table from error code to HTTP status and OperationOutcome issue type.
constexpr CodeRow kRows[] = {
    {Code::kOk, 200, "informational", "ok"},
    {Code::kInvalid, 400, "invalid", "invalid"},
    {Code::kUnauthenticated, 401, "login", "unauthenticated"},
    {Code::kForbidden, 403, "forbidden", "forbidden"},
    {Code::kNotFound, 404, "not-found", "not-found"},
    {Code::kNotAllowed, 405, "not-supported", "not-allowed"},
    {Code::kNotAcceptable, 406, "not-supported", "not-acceptable"},
    {Code::kConflict, 409, "conflict", "conflict"},
    {Code::kGone, 410, "deleted", "gone"},
    {Code::kPrecondition, 412, "conflict", "precondition"},
    {Code::kTooLarge, 413, "too-costly", "too-large"},
    {Code::kUnsupportedMedia, 415, "not-supported", "unsupported-media"},
    {Code::kUnprocessable, 422, "processing", "unprocessable"},
    {Code::kNotImplemented, 501, "not-supported", "not-implemented"},
    {Code::kUpstream, 502, "transient", "upstream"},
    {Code::kUnavailable, 503, "transient", "unavailable"},
    {Code::kTimeout, 504, "timeout", "timeout"},
    {Code::kInternal, 500, "exception", "internal"},
};

const CodeRow& row(Code code) {
  for (const auto& r : kRows) {
    if (r.code == code) return r;
  }
  return kRows[sizeof(kRows) / sizeof(kRows[0]) - 1];
}

}  // namespace

int httpStatus(Code code) { return row(code).http; }
std::string_view issueType(Code code) { return row(code).issue_type; }
std::string_view codeName(Code code) { return row(code).name; }

std::string Status::toString() const {
  if (isOk()) return "ok";
  std::string out(codeName(code_));
  out += ": ";
  out += message_;
  if (!expression_.empty()) {
    out += " (at ";
    out += expression_;
    out += ")";
  }
  return out;
}

}  // namespace onedoor::core
