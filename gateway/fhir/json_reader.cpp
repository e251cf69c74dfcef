// FHIR JSON → Node (https://hl7.org/fhir/R4/json.html).
#include <algorithm>

#include "fhir/codec.h"
#include "fhir/json_tree.h"
#include "fhir/xhtml.h"

namespace onedoor::fhir {
namespace {

using Item = JsonTree::Item;
using Kind = JsonTree::Kind;

const char* kindName(Kind k) {
  switch (k) {
    case Kind::kNull: return "null";
    case Kind::kFalse:
    case Kind::kTrue: return "a boolean";
    case Kind::kNumber: return "a number";
    case Kind::kString: return "a string";
    case Kind::kObject: return "an object";
    case Kind::kArray: return "an array";
  }
  return "a value";
}

class JsonReader {
 public:
  JsonReader(const Model& model, const JsonTree& tree, const ReadOptions& opts, core::Issues& issues)
      : model_(model), tree_(tree), opts_(opts), issues_(issues) {}

  bool readResource(const Item& obj, Node& node, std::string& path) {
    if (obj.kind != Kind::kObject) {
      error(obj, path, "a resource must be a JSON object, not " + std::string(kindName(obj.kind)));
      return false;
    }
    const Item* rt = tree_.member(obj, "resourceType");
    if (rt == nullptr || rt->kind != Kind::kString) {
      error(obj, path, "missing or non-string 'resourceType'");
      return false;
    }
    tree_.position(obj.offset, node.line, node.column);
    const TypeInfo* type = model_.resourceType(rt->text);
    if (type == nullptr) {
      error(*rt, path, "unknown resourceType '" + std::string(rt->text) + "'");
      return false;
    }
    node.type = type;
    if (node.name.empty()) node.name = type->name;
    if (path.empty()) path = type->name;
    readMembers(obj, node, path, true);
    return true;
  }

 private:
  struct Entry {
    const ElementDef* def;
    const TypeInfo* type;
    const Item* value;  // may be null when only the `_name` part is present
    const Item* ext;
    std::string_view key;
  };

  void error(const Item& at, const std::string& path, std::string message,
             std::string code = "structure") {
    core::Issue issue;
    issue.code = std::move(code);
    issue.expression = path;
    issue.message = std::move(message);
    tree_.position(at.offset, issue.line, issue.column);
    issues_.push_back(std::move(issue));
  }

  void readMembers(const Item& obj, Node& node, const std::string& path, bool is_resource) {
    auto members = tree_.children(obj);
    if (members.empty()) error(obj, path, "empty JSON objects are not allowed in FHIR");
    // Duplicate names: sort a copy of the keys (objects are small, but bound the cost anyway).
    {
      std::vector<std::string_view> keys;
      keys.reserve(members.size());
      for (const Item* m : members) keys.push_back(m->key);
      std::sort(keys.begin(), keys.end());
      for (std::size_t i = 1; i < keys.size(); ++i) {
        if (keys[i] == keys[i - 1] && (i < 2 || keys[i] != keys[i - 2])) {
          error(obj, path, "duplicate JSON property '" + std::string(keys[i]) + "'");
        }
      }
    }
    std::vector<Entry> entries;
    entries.reserve(members.size());
    for (const Item* m : members) {
      std::string_view key = m->key;
      if (is_resource && key == "resourceType") continue;
      bool underscore = !key.empty() && key[0] == '_';
      std::string_view name = underscore ? key.substr(1) : key;
      const TypeInfo* concrete = nullptr;
      const ElementDef* def = node.type->resolve(name, &concrete);
      if (def == nullptr || def->max == 0) {
        if (!opts_.allow_unknown_elements) {
          error(*m, path, "unknown element '" + std::string(key) + "' in " + node.type->name);
        }
        continue;
      }
      if (underscore && (concrete == nullptr || !concrete->isPrimitive() || def->xml_attr)) {
        error(*m, path, "'" + std::string(key) + "' is only allowed for primitive elements");
        continue;
      }
      Entry* existing = nullptr;
      for (auto& e : entries) {
        if (e.def == def) existing = &e;
      }
      if (existing != nullptr && (existing->type != concrete ||
                                  (underscore ? existing->ext : existing->value) != nullptr)) {
        error(*m, path, "element '" + def->name + (def->choice ? "[x]" : "") +
                            "' is given more than once");
        continue;
      }
      if (existing == nullptr) {
        entries.push_back({def, concrete, nullptr, nullptr, key});
        existing = &entries.back();
      }
      (underscore ? existing->ext : existing->value) = m;
    }
    std::stable_sort(entries.begin(), entries.end(),
                     [](const Entry& a, const Entry& b) { return a.def->order < b.def->order; });
    node.children.reserve(entries.size());
    for (const Entry& e : entries) readEntry(e, node, path);
  }

  void readEntry(const Entry& e, Node& parent, const std::string& path) {
    std::string child_path = path + "." + e.def->nameFor(e.type);
    const Item* v = e.value;
    const Item* x = e.ext;
    if (e.def->repeating()) {
      if ((v != nullptr && v->kind != Kind::kArray) || (x != nullptr && x->kind != Kind::kArray)) {
        error(v != nullptr ? *v : *x, child_path,
              "element repeats, so it must be a JSON array");
        return;
      }
      auto values = v != nullptr ? tree_.children(*v) : std::vector<const Item*>{};
      auto exts = x != nullptr ? tree_.children(*x) : std::vector<const Item*>{};
      if ((v != nullptr && values.empty()) || (x != nullptr && exts.empty())) {
        error(v != nullptr ? *v : *x, child_path, "empty JSON arrays are not allowed in FHIR");
        return;
      }
      // The arrays align by position; a shorter one is read as ending in nulls, as several
      // serialisers omit trailing nulls.
      std::size_t n = std::max(values.size(), exts.size());
      for (std::size_t i = 0; i < n; ++i) {
        const Item* vi = i < values.size() ? values[i] : nullptr;
        const Item* xi = i < exts.size() ? exts[i] : nullptr;
        std::string item_path = child_path + "[" + std::to_string(i) + "]";
        bool v_null = vi == nullptr || vi->kind == Kind::kNull;
        bool x_null = xi == nullptr || xi->kind == Kind::kNull;
        if (v_null && x_null) {
          error(vi != nullptr ? *vi : *xi, item_path, "null entry without a matching extension");
          continue;
        }
        if (!e.type->isPrimitive() && vi != nullptr && vi->kind == Kind::kNull) {
          error(*vi, item_path, "null is only allowed in arrays of primitives");
          continue;
        }
        readOne(e, v_null ? nullptr : vi, x_null ? nullptr : xi, parent, item_path);
      }
      return;
    }
    if ((v != nullptr && v->kind == Kind::kArray) || (x != nullptr && x->kind == Kind::kArray)) {
      error(v != nullptr ? *v : *x, child_path, "element does not repeat, so it must not be an array");
      return;
    }
    if (v != nullptr && v->kind == Kind::kNull) {
      error(*v, child_path, "null is not allowed here");
      return;
    }
    readOne(e, v, x != nullptr && x->kind == Kind::kNull ? nullptr : x, parent, child_path);
  }

  void readOne(const Entry& e, const Item* v, const Item* x, Node& parent, const std::string& path) {
    Node node(e.def->name, e.type, e.def);
    if (e.type == nullptr) return;
    // Where the element is, for validation issues: its member name (or value) in the source.
    const Item& at = v != nullptr ? *v : *x;
    tree_.position(at.key_offset != 0 ? at.key_offset : at.offset, node.line, node.column);
    if (e.def->xml_attr) {
      if (v == nullptr || v->kind != Kind::kString) {
        error(v != nullptr ? *v : *x, path, "must be a JSON string");
        return;
      }
      setValue(node, *v, path);
      parent.children.push_back(std::move(node));
      return;
    }
    if (e.type->isPrimitive()) {
      if (v != nullptr) {
        bool ok = e.type->json_kind == JsonKind::kBoolean
                      ? (v->kind == Kind::kTrue || v->kind == Kind::kFalse)
                  : e.type->json_kind == JsonKind::kNumber ? v->kind == Kind::kNumber
                                                           : v->kind == Kind::kString;
        if (!ok) {
          const char* want = e.type->json_kind == JsonKind::kBoolean ? "a boolean"
                             : e.type->json_kind == JsonKind::kNumber ? "a number"
                                                                      : "a string";
          error(*v, path,
                "a FHIR " + e.type->name + " is written as " + want + " in JSON, not " +
                    kindName(v->kind),
                "value");
          return;
        }
        if (v->kind == Kind::kTrue || v->kind == Kind::kFalse) {
          node.value = v->kind == Kind::kTrue ? "true" : "false";
          node.has_value = true;
        } else {
          setValue(node, *v, path);
        }
        if (e.type->name == "xhtml" && node.has_value) {
          core::Status st = checkXhtmlDiv(node.value);
          if (!st.isOk()) error(*v, path, st.message(), "value");
        }
      }
      if (x != nullptr) {
        if (x->kind != Kind::kObject) {
          error(*x, path, "'_" + e.def->name + "' must be a JSON object");
          return;
        }
        readMembers(*x, node, path, false);
      }
      parent.children.push_back(std::move(node));
      return;
    }
    if (v == nullptr) return;
    if (v->kind != Kind::kObject) {
      error(*v, path, "a " + e.type->name + " must be a JSON object, not " + kindName(v->kind));
      return;
    }
    if (++depth_ > opts_.max_depth) {
      error(*v, path, "element nesting is deeper than the limit");
      --depth_;
      return;
    }
    if (e.type->isResource()) {
      std::string rpath = path;
      if (readResource(*v, node, rpath)) parent.children.push_back(std::move(node));
    } else {
      readMembers(*v, node, path, false);
      parent.children.push_back(std::move(node));
    }
    --depth_;
  }

  void setValue(Node& node, const Item& v, const std::string& path) {
    if (!isValidFhirString(v.text)) {
      error(v, path, "string contains control characters that FHIR does not allow", "value");
    }
    node.value.assign(v.text);
    node.has_value = true;
  }

  const Model& model_;
  const JsonTree& tree_;
  const ReadOptions& opts_;
  core::Issues& issues_;
  std::uint32_t depth_ = 0;
};

}  // namespace

ReadResult readJson(const Model& model, std::string_view text, const ReadOptions& opts) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);  // RFC 8259 lets a parser skip a BOM
  ReadResult result;
  JsonLimits limits;
  limits.max_depth = opts.max_depth;
  auto tree = JsonTree::parse(text, limits);
  if (!tree.isOk()) {
    core::Issue issue;
    issue.severity = core::Severity::kFatal;
    issue.code = "structure";
    issue.message = tree.status().message();
    issue.expression = tree.status().expression();
    auto colon = issue.expression.find(':');
    if (colon != std::string::npos) {
      issue.line = static_cast<std::uint32_t>(std::atoi(issue.expression.c_str()));
      issue.column = static_cast<std::uint32_t>(std::atoi(issue.expression.c_str() + colon + 1));
      issue.expression.clear();
    }
    result.issues.push_back(std::move(issue));
    return result;
  }
  JsonReader reader(model, *tree, opts, result.issues);
  std::string path;
  reader.readResource(tree->root(), result.resource, path);
  return result;
}

}  // namespace onedoor::fhir
