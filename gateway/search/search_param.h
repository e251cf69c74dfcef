#pragma once
// SearchParameter definitions: every SearchParameter of the loaded packages, with its FHIRPath
// expression compiled once, indexed by (resource type, code). Built at start-up; immutable and
// thread-safe afterwards. No search parameter is hand-written: the core package's definitions
// (and any other package's) drive indexing and queries alike.

#include <filesystem>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/status.h"
#include "fhir/model.h"
#include "fhirpath/expression.h"

namespace onedoor::search {

enum class ParamType { kNumber, kDate, kString, kToken, kReference, kComposite, kQuantity, kUri, kSpecial };

std::string_view paramTypeName(ParamType t);

struct SearchParam {
  std::string code;
  std::string url;
  ParamType type = ParamType::kToken;
  std::vector<std::string> base;
  std::vector<std::string> targets;  // reference targets
  std::string expression_text;
  std::shared_ptr<const fhirpath::Expression> expression;  // null for special / resource-level
  struct Component {
    const SearchParam* definition = nullptr;
    std::shared_ptr<const fhirpath::Expression> expression;
  };
  std::vector<Component> components;
  bool appliesTo(const fhir::TypeInfo& type) const;
};

class SearchParamRegistry {
 public:
  // Loads every SearchParameter-*.json in each package folder; also the compartment definitions.
  static core::Result<std::shared_ptr<const SearchParamRegistry>> load(
      const fhir::Model& model, const std::vector<std::filesystem::path>& package_dirs);

  // The parameter `code` for resources of `type` (including Resource/DomainResource ones).
  const SearchParam* find(const std::string& type, const std::string& code) const;
  // Every parameter that indexes `type`.
  const std::vector<const SearchParam*>& forType(const std::string& type) const;
  // A digest of the definitions: when it changes, stored indexes are rebuilt.
  const std::string& fingerprint() const { return fingerprint_; }
  std::size_t size() const { return params_.size(); }

  // Patient compartment (and the others): the params of `type` that link it to a `compartment`.
  const std::vector<std::string>* compartmentParams(const std::string& compartment,
                                                    const std::string& type) const;

 private:
  std::vector<std::unique_ptr<SearchParam>> params_;
  std::map<std::string, std::map<std::string, const SearchParam*>> by_type_;  // type -> code -> param
  std::map<std::string, std::vector<const SearchParam*>> for_type_;
  std::map<std::string, std::map<std::string, std::vector<std::string>>> compartments_;
  std::string fingerprint_;
};

}  // namespace onedoor::search
