#include "stages/validate/location.h"

namespace onedoor::stages::validate {

Location Location::root(const std::string& type) {
  Location l;
  l.root_path_ = type;
  l.def_reset_ = type;
  return l;
}

Location Location::resourceAt(const Location& parent, const std::string& type) {
  Location l;
  l.parent_ = &parent;
  l.def_reset_ = type;
  return l;
}

Location Location::child(const Location& parent, const fhir::Node& child, std::size_t index) {
  Location l;
  l.parent_ = &parent;
  l.node_ = &child;
  l.name_ = child.name;
  if (child.def != nullptr && child.def->repeating()) l.index_ = static_cast<long>(index);
  return l;
}

Location Location::group(const Location& parent, std::string_view name) {
  Location l;
  l.parent_ = &parent;
  l.name_ = name;
  return l;
}

Location Location::rebased(const Location& at, std::string def_path) {
  Location l = at;
  l.def_reset_ = std::move(def_path);
  return l;
}

std::string Location::path() const {
  if (parent_ == nullptr) return root_path_;
  std::string p = parent_->path();
  if (name_.empty()) return p;
  p += '.';
  p += name_;
  if (index_ >= 0) p += "[" + std::to_string(index_) + "]";
  if (node_ != nullptr && node_->def != nullptr && node_->def->choice && node_->type != nullptr) {
    p += ".ofType(" + node_->type->name + ")";
  }
  return p;
}

std::string Location::defPath() const {
  if (!def_reset_.empty()) return def_reset_;
  if (parent_ == nullptr) return root_path_;
  std::string p = parent_->defPath();
  if (!name_.empty()) {
    p += '.';
    p += name_;
  }
  return p;
}

std::string Location::typePath() const {
  if (!def_reset_.empty()) return def_reset_;
  // Inside a datatype, extension contexts name the datatype's own paths (Address.line).
  if (node_ != nullptr && node_->type != nullptr && node_->type->kind == fhir::TypeKind::kComplex) {
    return node_->type->name;
  }
  if (parent_ == nullptr) return root_path_;
  std::string p = parent_->typePath();
  if (!name_.empty()) {
    p += '.';
    p += name_;
  }
  return p;
}

std::string_view Location::extensionUrl() const {
  if (node_ != nullptr && node_->type != nullptr && node_->type->name == "Extension") return node_->childValue("url");
  return parent_ != nullptr ? parent_->extensionUrl() : std::string_view();
}

}  // namespace onedoor::stages::validate
