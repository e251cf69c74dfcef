#pragma once
// Location: where the validator is in an instance, built as a chain of frames on the walker's
// stack and turned into text only when an issue (or an extension context check) needs it:
//   path()          FHIRPath with indices, for issues: Bundle.entry[0].resource.name[1].given[0]
//   defPath()       definition path: Patient.contact.name.family
//   typePath()      path within the nearest datatype: HumanName.family
//   extensionUrl()  url of the nearest enclosing extension
// A Location refers to its parent: it must not outlive it (frames live in the recursion).

#include <string>
#include <string_view>

#include "fhir/node.h"

namespace onedoor::stages::validate {

class Location {
 public:
  // The root of a validation: a resource of type `type`.
  static Location root(const std::string& type);
  // A resource held by the element at `parent` (contained, Bundle.entry.resource): the path goes
  // on, definition paths start again at `type`.
  static Location resourceAt(const Location& parent, const std::string& type);
  // A child element; `index` is shown when the element repeats; choices get .ofType(T).
  static Location child(const Location& parent, const fhir::Node& child, std::size_t index);
  // The element `name` below `parent` as a whole (cardinality issues).
  static Location group(const Location& parent, std::string_view name);
  // The same place, its definition paths starting again at `def_path` (content references).
  static Location rebased(const Location& at, std::string def_path);

  std::string path() const;
  std::string defPath() const;
  std::string typePath() const;
  std::string_view extensionUrl() const;

 private:
  const Location* parent_ = nullptr;
  const fhir::Node* node_ = nullptr;  // the element, for a child
  std::string_view name_;
  long index_ = -1;
  std::string root_path_;  // for a root
  std::string def_reset_;  // definition and type paths start again here
};

}  // namespace onedoor::stages::validate
