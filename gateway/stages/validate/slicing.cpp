// Slicing: each item of a sliced element goes to the first slice whose discriminators it meets
// (value, pattern, type, profile, exists); then slice cardinalities, closed/openAtEnd rules and
// order are checked, and each item is validated against its slice (or the unsliced element).
#include <algorithm>

#include "stages/validate/walker.h"

namespace onedoor::stages::validate {
namespace {

using core::Severity;

// A position in a structure reached by a discriminator path: the element, or nothing.
struct Spot {
  const Structure* s = nullptr;
  int i = -1;
};

std::vector<std::string> splitPath(std::string_view path) {
  std::vector<std::string> out;
  std::string cur;
  int parens = 0;
  for (char c : path) {
    if (c == '(') ++parens;
    if (c == ')') --parens;
    if (c == '.' && parens == 0) {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  if (!cur.empty()) out.push_back(cur);
  return out;
}

// The argument of `extension('url')`, or empty.
std::string extensionArg(std::string_view seg) {
  if (seg.rfind("extension(", 0) != 0 || seg.size() < 13) return {};
  std::string_view a = seg.substr(10, seg.size() - 11);
  if (a.size() >= 2 && (a.front() == '\'' || a.front() == '"')) a = a.substr(1, a.size() - 2);
  return std::string(a);
}

// The profile an extension slice names (its type profile), if any.
std::string extensionProfile(const ElementSpec& e) {
  for (const auto& t : e.types) {
    if (t.code == "Extension" && !t.profiles.empty()) return t.profiles.front();
  }
  return {};
}

}  // namespace

std::vector<const fhir::Node*> Walker::evalPath(const fhir::Node& item, std::string_view path) const {
  std::vector<const fhir::Node*> cur{&item};
  for (const auto& seg : splitPath(path)) {
    std::vector<const fhir::Node*> next;
    if (seg == "$this") continue;
    if (seg == "resolve()") {
      for (const auto* n : cur) {
        auto r = resolve(*n);
        next.insert(next.end(), r.begin(), r.end());
      }
    } else if (std::string url = extensionArg(seg); !url.empty()) {
      for (const auto* n : cur) {
        for (const auto& c : n->children) {
          if (c.name == "extension" && c.childValue("url") == url) next.push_back(&c);
        }
      }
    } else if (seg.rfind("ofType(", 0) == 0 && seg.back() == ')') {
      std::string type = seg.substr(7, seg.size() - 8);
      for (const auto* n : cur) {
        if (n->type != nullptr && n->type->name == type) next.push_back(n);
      }
    } else {
      for (const auto* n : cur) {
        for (const auto& c : n->children) {
          if (c.name == seg) next.push_back(&c);
        }
      }
    }
    cur = std::move(next);
  }
  return cur;
}

void Walker::sliced(const std::vector<const fhir::Node*>& items, const Structure& s, int ei, const fhir::Node& parent,
                    const Location& parent_at) {
  const ElementSpec& e = s.elements[static_cast<std::size_t>(ei)];
  Slicing slicing = e.slicing.value_or(Slicing{});
  std::vector<int> assigned(items.size(), -1);  // position in e.slices
  for (std::size_t k = 0; k < items.size(); ++k) {
    for (std::size_t j = 0; j < e.slices.size(); ++j) {
      if (inSlice(*items[k], s, e.slices[j], slicing)) {
        assigned[k] = static_cast<int>(j);
        break;
      }
    }
  }
  int last = -1;
  bool open_seen = false;
  for (std::size_t k = 0; k < items.size(); ++k) {
    Location here = childAt(parent_at, *items[k], k);
    if (assigned[k] < 0) {
      if (slicing.rules == "closed") {
        report(Severity::kError, "structure", here, *items[k],
               e.id + ": the element matches none of the slices, and the slicing is closed");
      }
      open_seen = true;
      if (items[k]->type != nullptr && items[k]->type->name == "Extension") {
        extension(*items[k], parent, parent_at, here, s, ei);
      } else {
        check(*items[k], s, ei, here);
      }
      continue;
    }
    if (slicing.rules == "openAtEnd" && open_seen) {
      report(Severity::kError, "structure", here, *items[k],
             e.id + ": elements that match no slice must come after all sliced elements (openAtEnd)");
    }
    if (slicing.ordered && assigned[k] < last) {
      report(Severity::kError, "structure", here, *items[k], e.id + ": the slices are out of the defined order");
    }
    last = std::max(last, assigned[k]);
    check(*items[k], s, e.slices[static_cast<std::size_t>(assigned[k])], here);
  }
  Location group = Location::group(parent_at, e.name);
  for (std::size_t j = 0; j < e.slices.size(); ++j) {
    const ElementSpec& sl = s.elements[static_cast<std::size_t>(e.slices[j])];
    auto count = static_cast<std::size_t>(std::count(assigned.begin(), assigned.end(), static_cast<int>(j)));
    if (count < sl.min) {
      report(Severity::kError, "required", group, parent,
             sl.id + ": minimum required = " + std::to_string(sl.min) + ", but only found " + std::to_string(count));
    }
    if (sl.max != fhir::kUnbounded && count > sl.max) {
      report(Severity::kError, "structure", group, parent,
             sl.id + ": maximum allowed = " + std::to_string(sl.max) + ", but found " + std::to_string(count));
    }
  }
}

bool Walker::inSlice(const fhir::Node& item, const Structure& s, int si, const Slicing& slicing) {
  if (slicing.discriminators.empty()) {
    // No discriminator: an item belongs to the first slice it validates against.
    core::Issues sub;
    Walker w(validator_, options_, sub);
    w.root_ = root_;
    w.resources_ = resources_;
    w.bundle_entries_ = bundle_entries_;
    w.depth_ = depth_ + 1;
    Location root = Location::root("");
    w.check(item, s, si, root);
    return !core::hasErrors(sub);
  }
  for (const auto& d : slicing.discriminators) {
    if (!discriminatorMatches(item, s, si, d)) return false;
  }
  return true;
}

bool Walker::discriminatorMatches(const fhir::Node& item, const Structure& s, int si, const Discriminator& d) {
  auto values = evalPath(item, d.path);
  // Find the element of the slice the path leads to: within the slice's own subtree, then
  // through type structures and extension profiles where the slice does not expand them.
  Spot spot{&s, si};
  bool through_resolve = false;
  for (const auto& seg : splitPath(d.path)) {
    if (spot.i < 0) break;
    if (seg == "$this" || seg.rfind("ofType(", 0) == 0) continue;
    if (seg == "resolve()") {
      through_resolve = true;
      continue;
    }
    const ElementSpec& at = spot.s->elements[static_cast<std::size_t>(spot.i)];
    std::string ext = extensionArg(seg);
    std::string name = ext.empty() ? seg : "extension";
    if (at.children.empty() && !at.slices.empty()) {
      // The path runs through a sliced element (code.coding.code with coding sliced): the
      // values are those its slices fix.
      for (int sl : at.slices) {
        const auto& kids = spot.s->elements[static_cast<std::size_t>(sl)].children;
        bool has = std::any_of(kids.begin(), kids.end(), [&](int c) {
          return spot.s->elements[static_cast<std::size_t>(c)].name == name;
        });
        if (has) {
          spot.i = sl;
          break;
        }
      }
    }
    if (spot.s->elements[static_cast<std::size_t>(spot.i)].children.empty()) {
      const ElementSpec& leaf = spot.s->elements[static_cast<std::size_t>(spot.i)];
      std::string profile;
      for (const auto& t : leaf.types) {
        if (!t.profiles.empty()) profile = t.profiles.front();
      }
      std::string type = leaf.types.size() == 1 ? leaf.types.front().code : "";
      auto ts = ps_.structure(!profile.empty() ? profile : type);
      if (type.empty() && profile.empty()) return false;
      if (!ts.isOk()) return false;
      spot = Spot{ts->get(), 0};
    }
    const ElementSpec& base = spot.s->elements[static_cast<std::size_t>(spot.i)];
    int found = -1;
    for (int c : base.children) {
      if (spot.s->elements[static_cast<std::size_t>(c)].name == name) found = c;
    }
    if (found >= 0 && !ext.empty()) {
      int slice = -1;
      for (int sl : spot.s->elements[static_cast<std::size_t>(found)].slices) {
        if (extensionProfile(spot.s->elements[static_cast<std::size_t>(sl)]) == ext) slice = sl;
      }
      found = slice;
    }
    spot.i = found;
  }
  if (spot.i < 0) return false;
  const ElementSpec& target = spot.s->elements[static_cast<std::size_t>(spot.i)];
  if (d.type == "exists") {
    if (target.min >= 1) return !values.empty();
    if (target.max == 0) return values.empty();
    return true;
  }
  if (d.type == "type") {
    return !values.empty() && std::all_of(values.begin(), values.end(), [&](const fhir::Node* v) {
             if (v->type == nullptr) return false;
             if (through_resolve) {
               for (const auto& t : target.types) {
                 for (const auto& tp : t.target_profiles) {
                   auto ts = ps_.structure(tp);
                   if (ts.isOk() && (*ts)->type == v->type->name) return true;
                 }
               }
               return false;
             }
             return target.allowsType(typeCode(*v));
           });
  }
  if (d.type == "profile") {
    std::vector<std::string> profiles;
    for (const auto& t : target.types) {
      const auto& list = through_resolve ? t.target_profiles : t.profiles;
      profiles.insert(profiles.end(), list.begin(), list.end());
    }
    if (profiles.empty()) return true;  // the slice does not constrain this path's profile
    return !values.empty() && std::all_of(values.begin(), values.end(), [&](const fhir::Node* v) {
             return std::any_of(profiles.begin(), profiles.end(), [&](const std::string& p) { return conforms(*v, p); });
           });
  }
  // value / pattern; a prohibited element must simply be absent
  if (target.max == 0) return values.empty();
  if (target.fixed) {
    return std::any_of(values.begin(), values.end(), [&](const fhir::Node* v) { return sameValue(*v, *target.fixed); });
  }
  if (target.pattern) {
    return std::any_of(values.begin(), values.end(),
                       [&](const fhir::Node* v) { return matchesPattern(*v, *target.pattern); });
  }
  if (d.path == "url" || d.path.ends_with(".url")) {
    // Extension slices name their definition as a type profile rather than a fixed url.
    const ElementSpec& slice = s.elements[static_cast<std::size_t>(si)];
    std::string profile = extensionProfile(slice);
    if (!profile.empty()) {
      return std::any_of(values.begin(), values.end(), [&](const fhir::Node* v) { return v->value == profile; });
    }
  }
  if (target.binding_strength == "required" && !target.binding_valueset.empty()) {
    return std::any_of(values.begin(), values.end(), [&](const fhir::Node* v) {
      std::string_view code = v->isPrimitive() ? std::string_view(v->value) : v->childValue("code");
      std::string_view system = v->isPrimitive() ? std::string_view() : v->childValue("system");
      return ps_.terminology().contains(target.binding_valueset, system, code).value_or(false);
    });
  }
  // The slice gives no value here: this discriminator does not tell the slices apart.
  return true;
}

}  // namespace onedoor::stages::validate
