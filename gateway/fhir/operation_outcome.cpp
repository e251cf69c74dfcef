#include "fhir/operation_outcome.h"

namespace onedoor::fhir {

Node operationOutcome(const Model& model, const core::Issues& issues) {
  const TypeInfo* oo_type = model.resourceType("OperationOutcome");
  Node oo = makeResource(*oo_type);
  auto add = [&](const core::Issue& i) {
    Node* issue = oo.add("issue");
    issue->set("severity", std::string(core::severityName(i.severity)));
    issue->set("code", i.code.empty() ? "processing" : i.code);
    if (!i.message.empty()) issue->set("diagnostics", i.message);
    if (i.line > 0) {
      std::string loc = "Line " + std::to_string(i.line);
      if (i.column > 0) loc += ", Col " + std::to_string(i.column);
      issue->set("location", loc);
    }
    if (!i.expression.empty()) issue->set("expression", i.expression);
  };
  if (issues.empty()) {
    core::Issue ok;
    ok.severity = core::Severity::kInformation;
    ok.code = "informational";
    ok.message = "All OK";
    add(ok);
  }
  for (const auto& i : issues) add(i);
  return oo;
}

}  // namespace onedoor::fhir
