#include "stages/validate/validate_stage.h"

#include "fhir/operation_outcome.h"

namespace onedoor::stages::validate {
namespace {

using core::Interaction;

Mode modeOf(const std::string& m) { return m == "enforce" ? Mode::kEnforce : m == "warn" ? Mode::kWarn : Mode::kOff; }

// Prefixes each issue's location with where the resource sits (Bundle.entry[2].resource).
void relocate(core::Issues& issues, const std::string& type, const std::string& at) {
  for (auto& i : issues) {
    if (i.expression.rfind(type, 0) == 0) i.expression = at + i.expression.substr(type.size());
  }
}

}  // namespace

WritePolicy writePolicy(const config::ValidationConfig& config, std::string_view type, std::string_view partner) {
  const config::ValidationRule* best = nullptr;
  int best_rank = -1;
  for (const auto& r : config.rules) {
    bool type_ok = r.type.empty() || r.type == type;
    bool partner_ok = r.partner.empty() || r.partner == partner;
    if (!type_ok || !partner_ok) continue;
    int rank = (r.partner.empty() ? 0 : 2) + (r.type.empty() ? 0 : 1);
    if (rank > best_rank) {
      best = &r;
      best_rank = rank;
    }
  }
  WritePolicy p;
  p.mode = modeOf(best != nullptr ? best->mode : config.on_write);
  if (best != nullptr) p.profiles = best->profiles;
  return p;
}

WriteCheck checkWrite(const Validator& validator, const config::ValidationConfig& config, const fhir::Node& resource,
                      std::string_view partner) {
  WriteCheck out;
  WritePolicy policy = writePolicy(config, resource.type->name, partner);
  if (policy.mode == Mode::kOff) return out;
  ValidationOptions o;
  o.profiles = policy.profiles;
  o.unknown_extension_is_error = config.unknown_extension_is_error;
  out.issues = validator.validate(resource, o);
  out.rejected = policy.mode == Mode::kEnforce && core::hasErrors(out.issues);
  std::erase_if(out.issues, [](const core::Issue& i) { return i.severity == core::Severity::kInformation; });
  return out;
}

ValidationOptions ValidateStage::options(const std::vector<std::string>& profiles) const {
  ValidationOptions o;
  o.profiles = profiles;
  o.unknown_extension_is_error = config_.unknown_extension_is_error;
  return o;
}

core::Result<core::Flow> ValidateStage::run(core::Exchange& ex) {
  if (ex.fhir.interaction == Interaction::kOperation && ex.fhir.operation == "validate") return validateOperation(ex);
  bool message = ex.fhir.interaction == Interaction::kOperation && ex.fhir.operation == "process-message";
  if (ex.fhir.resource && (ex.fhir.interaction == Interaction::kCreate || ex.fhir.interaction == Interaction::kUpdate ||
                           ex.fhir.interaction == Interaction::kBatch || message)) {
    return validateWrite(ex);
  }
  return core::Flow::kContinue;
}

core::Flow ValidateStage::validateOperation(core::Exchange& ex) const {
  const core::FhirRequest& fr = ex.fhir;
  if (fr.type.empty()) {
    ex.fail(core::invalid("$validate is invoked on a resource type: [base]/{type}/$validate"));
    return core::Flow::kRespond;
  }
  // The body is a bare resource or a Parameters with resource, profile and mode; profile and
  // mode may also come in the URL.
  const fhir::Node* resource = fr.resource ? &*fr.resource : nullptr;
  std::vector<std::string> profiles = ex.request.params("profile");
  std::string mode = ex.request.param("mode").value_or("");
  if (resource != nullptr && resource->type->name == "Parameters" && fr.type != "Parameters") {
    resource = nullptr;
    for (const fhir::Node* p : fr.resource->childrenNamed("parameter")) {
      std::string_view n = p->childValue("name");
      const fhir::Node* value = p->child("value");
      if (n == "resource") resource = p->child("resource");
      if (n == "profile" && value != nullptr) profiles.push_back(value->value);
      if (n == "mode" && value != nullptr) mode = value->value;
    }
  }
  if (!mode.empty() && mode != "create" && mode != "update" && mode != "delete") {
    ex.fail(core::invalid("mode must be create, update or delete (got another value)"));
    return core::Flow::kRespond;
  }
  if ((mode == "update" || mode == "delete") && fr.id.empty()) {
    ex.fail(core::invalid("mode " + mode + " needs the instance level: [base]/" + fr.type + "/{id}/$validate"));
    return core::Flow::kRespond;
  }
  core::Issues issues;
  if (mode == "delete") {
    core::Issue ok{core::Severity::kInformation, "informational", "", "nothing prevents deleting " + fr.type + "/" + fr.id, 0, 0};
    issues.push_back(ok);
  } else if (resource == nullptr) {
    ex.fail(core::invalid("$validate needs a resource: the body, or a Parameters with a 'resource' parameter"));
    return core::Flow::kRespond;
  } else {
    if (resource->type->name != fr.type) {
      ex.fail(core::invalid("the resource is a " + resource->type->name + " but the URL names " + fr.type));
      return core::Flow::kRespond;
    }
    if (mode == "update" && resource->childValue("id") != fr.id) {
      issues.push_back(core::Issue{core::Severity::kError, "invalid", fr.type + ".id",
                                   "for mode update the resource id must match the id in the URL", 0, 0});
    }
    // A resource taken out of Parameters is a child node: validate a root copy of it.
    fhir::Node root = *resource;
    root.name = root.type->name;
    root.def = nullptr;
    WritePolicy policy = writePolicy(config_, fr.type, ex.principal.partner);
    profiles.insert(profiles.end(), policy.profiles.begin(), policy.profiles.end());
    auto found = validator_->validate(root, options(profiles));
    issues.insert(issues.end(), found.begin(), found.end());
  }
  ex.response = core::Response{};
  ex.response.status = 200;
  ex.response.resource = fhir::operationOutcome(ex.model(), issues);
  return core::Flow::kRespond;
}

core::Flow ValidateStage::validateWrite(core::Exchange& ex) const {
  const fhir::Node& body = *ex.fhir.resource;
  core::Issues issues;
  bool enforce_failed = false;
  auto check = [&](const fhir::Node& resource, const std::string& at) {
    WriteCheck found = checkWrite(*validator_, config_, resource, ex.principal.partner);
    relocate(found.issues, resource.type->name, at);
    enforce_failed = enforce_failed || found.rejected;
    issues.insert(issues.end(), found.issues.begin(), found.issues.end());
  };
  if (ex.fhir.interaction == Interaction::kBatch) {
    std::size_t i = 0;
    for (const fhir::Node* entry : body.childrenNamed("entry")) {
      const fhir::Node* r = entry->child("resource");
      if (r != nullptr && r->type != nullptr) {
        fhir::Node root = *r;
        root.name = root.type->name;
        root.def = nullptr;
        check(root, "Bundle.entry[" + std::to_string(i) + "].resource");
      }
      ++i;
    }
  } else {
    check(body, body.type->name);
  }
  // Information-only results ("All OK") say nothing worth sending back.
  std::erase_if(issues, [](const core::Issue& i) { return i.severity == core::Severity::kInformation; });
  for (auto& i : issues) ex.issues().push_back(std::move(i));
  if (enforce_failed) {
    ex.respondWithIssues(422);
    return core::Flow::kRespond;
  }
  return core::Flow::kContinue;
}

}  // namespace onedoor::stages::validate
