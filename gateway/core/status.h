#pragma once
// Status and Result<T>: the one error model of the gateway (STYLE.md §3).
// A Status is cheap to copy when OK (no allocation). Codes map to one HTTP status and one
// OperationOutcome issue type in status.cpp; nothing else in the tree may invent that mapping.
// Thread safety: values; no shared state.

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace onedoor::core {

enum class Code : unsigned char {
  kOk,
  kInvalid,           // 400: the request or its payload is malformed
  kUnauthenticated,   // 401
  kForbidden,         // 403
  kNotFound,          // 404
  kNotAllowed,        // 405: the interaction is not supported on this resource
  kNotAcceptable,     // 406: no representation the client accepts
  kConflict,          // 409
  kGone,              // 410: the resource was deleted
  kPrecondition,      // 412
  kTooLarge,          // 413
  kUnsupportedMedia,  // 415
  kUnprocessable,     // 422: well-formed but breaks a business or profile rule
  kNotImplemented,    // 501
  kUpstream,          // 502: a partner system answered badly
  kUnavailable,       // 503: a dependency is down (store busy, partner unreachable)
  kTimeout,           // 504
  kInternal,          // 500: a bug or an unexpected library failure
};

// The HTTP status and FHIR issue type (http://hl7.org/fhir/issue-type) for a code.
int httpStatus(Code code);
std::string_view issueType(Code code);
std::string_view codeName(Code code);

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(Code code, std::string message, std::string expression = {})
      : code_(code), message_(std::move(message)), expression_(std::move(expression)) {}

  static Status ok() { return {}; }
  bool isOk() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }
  // FHIRPath-style location of the problem ("Patient.name[0]"), or line:col text; may be empty.
  const std::string& expression() const { return expression_; }
  std::string toString() const;

 private:
  Code code_ = Code::kOk;
  std::string message_;
  std::string expression_;
};

inline Status invalid(std::string m, std::string where = {}) {
  return {Code::kInvalid, std::move(m), std::move(where)};
}
inline Status notFound(std::string m) { return {Code::kNotFound, std::move(m)}; }
inline Status internal(std::string m) { return {Code::kInternal, std::move(m)}; }

template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}  // NOLINT: implicit by design

  bool isOk() const { return status_.isOk(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  Status status_;
  std::optional<T> value_;
};

}  // namespace onedoor::core

#define GW_CONCAT_INNER(a, b) a##b
#define GW_CONCAT(a, b) GW_CONCAT_INNER(a, b)

#define GW_RETURN_IF_ERROR(expr)                          \
  do {                                                    \
    ::onedoor::core::Status gw_status_ = (expr);          \
    if (!gw_status_.isOk()) return gw_status_;            \
  } while (0)

#define GW_ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr) \
  auto tmp = (expr);                             \
  if (!tmp.isOk()) return tmp.status();          \
  lhs = std::move(tmp).value()

#define GW_ASSIGN_OR_RETURN(lhs, expr) \
  GW_ASSIGN_OR_RETURN_IMPL(GW_CONCAT(gw_result_, __LINE__), lhs, expr)
