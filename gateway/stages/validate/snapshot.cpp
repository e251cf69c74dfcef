#include "stages/validate/snapshot.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace onedoor::stages::validate {
namespace {

bool startsWith(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Whether `id` lies inside the block of `root` (its descendants and its slices' descendants).
bool inBlock(std::string_view id, std::string_view root) {
  return id.size() > root.size() && startsWith(id, root) && (id[root.size()] == '.' || id[root.size()] == ':');
}

class Generator {
 public:
  Generator(const Structure& base, const StructureSource& source, std::vector<Problem>& problems)
      : out_(base), source_(source), problems_(problems) {}

  Structure run(const std::vector<ElementSpec>& diff) {
    for (const auto& d : diff) {
      current_ = &d;
      std::string chosen_type;
      std::string id = normalise(d.id, chosen_type);
      int i = ensure(id, 0);
      if (i < 0) continue;
      ElementSpec& t = out_.elements[static_cast<std::size_t>(i)];
      merge(t, d);
      if (!chosen_type.empty() && d.types.empty()) {
        std::erase_if(t.types, [&](const TypeRef& r) { return r.code != chosen_type; });
      }
    }
    out_.link();
    return std::move(out_);
  }

 private:
  int indexOf(std::string_view id) const { return out_.find(id); }

  // Rewrites R4 choice renames segment by segment: "Observation.valueQuantity.code" becomes
  // "Observation.value[x].code"; `chosen` gets the type when the last segment was renamed.
  std::string normalise(const std::string& id, std::string& chosen) {
    std::string done;
    std::size_t start = 0;
    while (start <= id.size()) {
      auto dot = id.find('.', start);
      std::string seg = id.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
      std::string candidate = done.empty() ? seg : done + "." + seg;
      chosen.clear();
      if (!done.empty() && indexOf(candidate) < 0) {
        // The parent may still need its slice made or its type expanded before we can tell.
        int pi = ensure(done, 0);
        if (pi >= 0 && !hasChildren(pi)) expand(pi);
      }
      if (!done.empty() && indexOf(candidate) < 0) {
        std::string name = seg.substr(0, seg.find(':'));
        std::string slice = seg.find(':') == std::string::npos ? "" : seg.substr(seg.find(':'));
        for (std::size_t cut = name.size(); cut > 0; --cut) {
          if (!std::isupper(static_cast<unsigned char>(name[cut - 1]))) continue;
          std::string stem = name.substr(0, cut - 1) + "[x]";
          int ci = indexOf(done + "." + stem);
          if (ci < 0) continue;
          std::string type = name.substr(cut - 1);
          for (const auto& t : out_.elements[static_cast<std::size_t>(ci)].types) {
            if (t.code.size() == type.size() &&
                std::equal(t.code.begin(), t.code.end(), type.begin(),
                           [](char a, char b) { return std::tolower(a) == std::tolower(b); })) {
              chosen = t.code;
            }
          }
          if (!chosen.empty()) {
            candidate = done + "." + stem + slice;
            choice_types_[done + "." + stem] = chosen;
          }
          break;
        }
      }
      done = candidate;
      if (dot == std::string::npos) break;
      start = dot + 1;
    }
    return done;
  }

  // The index of element `id`, creating it (a slice, or an expansion of its parent's type) when
  // the base lacks it; -1 with a problem when it cannot exist.
  int ensure(const std::string& id, int depth) {
    int i = indexOf(id);
    if (i >= 0) return i;
    if (depth > 32) return fail(id, "is nested too deeply");
    auto dot = id.rfind('.');
    if (dot == std::string::npos) return fail(id, "does not match the base's root " + out_.elements.front().id);
    std::string parent = id.substr(0, dot);
    std::string seg = id.substr(dot + 1);
    if (auto colon = seg.rfind(':'); colon != std::string::npos) {
      int bi = ensure(parent + "." + seg.substr(0, colon), depth + 1);
      if (bi < 0) return -1;
      return addSlice(bi, seg.substr(colon + 1));
    }
    int pi = ensure(parent, depth + 1);
    if (pi < 0) return -1;
    if (!hasChildren(pi)) {
      expand(pi);
      i = indexOf(id);
      if (i >= 0) return i;
    }
    return fail(id, "is not an element of the base definition");
  }

  int fail(const std::string& id, const std::string& why) {
    std::string p = "differential element " + id + " " + why;
    if (std::none_of(problems_.begin(), problems_.end(), [&](const Problem& x) { return x.message == p; })) {
      problems_.push_back(here(std::move(p)));
    }
    return -1;
  }

  Problem here(std::string message) const {
    return Problem{std::move(message), current_ != nullptr ? current_->line : 0, current_ != nullptr ? current_->column : 0};
  }

  bool hasChildren(int pi) const {
    const std::string& pid = out_.elements[static_cast<std::size_t>(pi)].id;
    std::size_t next = static_cast<std::size_t>(pi) + 1;
    return next < out_.elements.size() && startsWith(out_.elements[next].id, pid + ".");
  }

  // Index just past the block of element `i` (its descendants and slices).
  std::size_t blockEnd(int i) const {
    const std::string& root = out_.elements[static_cast<std::size_t>(i)].id;
    std::size_t j = static_cast<std::size_t>(i) + 1;
    while (j < out_.elements.size() && inBlock(out_.elements[j].id, root)) ++j;
    return j;
  }

  int addSlice(int bi, const std::string& slice) {
    const ElementSpec base = out_.elements[static_cast<std::size_t>(bi)];
    std::vector<ElementSpec> copy;
    ElementSpec head = base;
    head.id = base.id + ":" + slice;
    head.slice_name = slice;
    head.slicing.reset();
    head.min = 0;
    copy.push_back(head);
    // The unsliced element's own descendants (not its other slices) come along.
    for (std::size_t j = static_cast<std::size_t>(bi) + 1;
         j < out_.elements.size() && inBlock(out_.elements[j].id, base.id); ++j) {
      if (!startsWith(out_.elements[j].id, base.id + ".")) continue;
      ElementSpec e = out_.elements[j];
      e.id = head.id + e.id.substr(base.id.size());
      copy.push_back(std::move(e));
    }
    std::size_t at = blockEnd(bi);
    out_.elements.insert(out_.elements.begin() + static_cast<std::ptrdiff_t>(at), copy.begin(), copy.end());
    return static_cast<int>(at);
  }

  // Adds the children of element `pi` from its content reference or its type's structure.
  void expand(int pi) {
    const ElementSpec parent = out_.elements[static_cast<std::size_t>(pi)];
    std::vector<ElementSpec> children;
    if (!parent.content_reference.empty()) {
      // The reference names an element of the unconstrained type (Parameters.parameter), not
      // of this profile, whose constraints on it may already be applied.
      std::string target = parent.content_reference.substr(parent.content_reference.find('#') + 1);
      auto core = source_(target.substr(0, target.find('.')));
      if (!core.isOk()) return;
      const Structure& cs = **core;
      int ti = cs.find(target);
      if (ti < 0) return;
      for (std::size_t j = static_cast<std::size_t>(ti) + 1;
           j < cs.elements.size() && startsWith(cs.elements[j].id, target + "."); ++j) {
        ElementSpec e = cs.elements[j];
        e.id = parent.id + e.id.substr(target.size());
        e.path = parent.path + e.path.substr(cs.elements[static_cast<std::size_t>(ti)].path.size());
        children.push_back(std::move(e));
      }
    } else {
      std::string type_or_url = typeFor(parent);
      if (type_or_url.empty()) return;
      auto s = source_(type_or_url);
      if (!s.isOk()) {
        problems_.push_back(here("cannot expand " + parent.id + ": " + s.status().message()));
        return;
      }
      const Structure& ts = **s;
      const std::string& root_id = ts.elements.front().id;
      const std::string& root_path = ts.elements.front().path;
      for (std::size_t j = 1; j < ts.elements.size(); ++j) {
        ElementSpec e = ts.elements[j];
        e.id = parent.id + e.id.substr(root_id.size());
        e.path = parent.path + e.path.substr(root_path.size());
        children.push_back(std::move(e));
      }
    }
    out_.elements.insert(out_.elements.begin() + pi + 1, children.begin(), children.end());
  }

  std::string typeFor(const ElementSpec& e) const {
    std::string unsliced = e.id.substr(0, e.id.rfind(':') == std::string::npos || e.id.rfind(':') < e.id.rfind('.')
                                              ? e.id.size()
                                              : e.id.rfind(':'));
    if (auto it = choice_types_.find(unsliced); it != choice_types_.end()) {
      for (const auto& t : e.types) {
        if (t.code == it->second) return t.profiles.empty() ? t.code : t.profiles.front();
      }
    }
    if (e.types.size() != 1) return {};
    const TypeRef& t = e.types.front();
    return t.profiles.empty() ? t.code : t.profiles.front();
  }

  static void merge(ElementSpec& t, const ElementSpec& d) {
    if (d.min_set) t.min = d.min;
    if (d.max_set) t.max = d.max;
    if (!d.types.empty()) t.types = d.types;
    if (d.fixed) t.fixed = d.fixed;
    if (d.pattern) t.pattern = d.pattern;
    if (d.min_value) t.min_value = d.min_value;
    if (d.max_value) t.max_value = d.max_value;
    if (d.max_length) t.max_length = d.max_length;
    if (!d.binding_strength.empty()) t.binding_strength = d.binding_strength;
    if (!d.binding_valueset.empty()) t.binding_valueset = d.binding_valueset;
    for (const auto& c : d.constraints) {
      bool known = std::any_of(t.constraints.begin(), t.constraints.end(),
                               [&](const Constraint& k) { return k.key == c.key; });
      if (!known) t.constraints.push_back(c);
    }
    if (d.slicing) t.slicing = d.slicing;
    if (!d.content_reference.empty()) t.content_reference = d.content_reference;
    if (d.must_support_set) t.must_support = d.must_support;
    if (!d.slice_name.empty()) t.slice_name = d.slice_name;
    // Problems with the merged element (an invariant that does not compile) point at the
    // profile's own text.
    t.line = d.line;
    t.column = d.column;
  }

  Structure out_;
  const StructureSource& source_;
  std::vector<Problem>& problems_;
  const ElementSpec* current_ = nullptr;  // the differential element being applied
  std::map<std::string, std::string> choice_types_;
};

}  // namespace

Structure generateSnapshot(const Structure& base, const std::vector<ElementSpec>& differential,
                           const StructureSource& source, std::vector<Problem>& problems) {
  return Generator(base, source, problems).run(differential);
}

}  // namespace onedoor::stages::validate
