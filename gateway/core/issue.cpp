#include "core/issue.h"

namespace onedoor::core {

std::string_view severityName(Severity s) {
  switch (s) {
    case Severity::kFatal: return "fatal";
    case Severity::kError: return "error";
    case Severity::kWarning: return "warning";
    case Severity::kInformation: return "information";
  }
  return "error";
}

}  // namespace onedoor::core
