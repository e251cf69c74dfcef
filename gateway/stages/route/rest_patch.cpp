// PATCH (https://hl7.org/fhir/R4/http.html#patch): JSON Patch (RFC 6902, application/json-patch+json)
// and FHIRPath Patch (a Parameters resource, https://hl7.org/fhir/R4/fhirpatch.html), on
// [type]/[id] or conditionally on [type]?criteria. One write unit: the condition, the current
// version, If-Match and the new version are decided together. The patched resource is read back
// through the FHIR codec, so a patch cannot store what a PUT could not.
#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>

#include "fhir/codec.h"
#include "fhirpath/expression.h"
#include "stages/route/rest_engine.h"

namespace onedoor::stages::route {
namespace {

using Value = rapidjson::Value;
using Alloc = rapidjson::Document::AllocatorType;

core::Status patchError(const std::string& where, const std::string& message) {
  return core::Status(core::Code::kUnprocessable, message, where);
}

// RFC 6901: "/a/b~1c/0" → {"a", "b/c", "0"}.
core::Result<std::vector<std::string>> pointerTokens(const std::string& pointer, const std::string& where) {
  std::vector<std::string> out;
  if (pointer.empty()) return out;
  if (pointer[0] != '/') return core::invalid("a JSON Pointer starts with '/': '" + pointer + "'", where);
  std::size_t i = 1;
  while (true) {
    auto slash = pointer.find('/', i);
    std::string raw = pointer.substr(i, slash == std::string::npos ? std::string::npos : slash - i), tok;
    for (std::size_t k = 0; k < raw.size(); ++k) {
      if (raw[k] == '~' && k + 1 < raw.size() && (raw[k + 1] == '0' || raw[k + 1] == '1')) {
        tok += raw[k + 1] == '0' ? '~' : '/';
        ++k;
      } else if (raw[k] == '~') {
        return core::invalid("'~' in a JSON Pointer must be ~0 or ~1: '" + pointer + "'", where);
      } else {
        tok += raw[k];
      }
    }
    out.push_back(std::move(tok));
    if (slash == std::string::npos) break;
    i = slash + 1;
  }
  return out;
}

// An array index token: digits only, no leading zero; "-" (the end) only where `dash_ok`.
std::optional<rapidjson::SizeType> arrayIndex(const std::string& tok, rapidjson::SizeType size, bool dash_ok) {
  if (tok == "-") return dash_ok ? std::optional<rapidjson::SizeType>(size) : std::nullopt;
  if (tok.empty() || tok.size() > 9 || (tok.size() > 1 && tok[0] == '0')) return std::nullopt;
  if (!std::all_of(tok.begin(), tok.end(), [](char c) { return c >= '0' && c <= '9'; })) return std::nullopt;
  auto n = static_cast<rapidjson::SizeType>(std::atol(tok.c_str()));
  return n <= size ? std::optional<rapidjson::SizeType>(n) : std::nullopt;
}

Value* resolve(Value& root, const std::vector<std::string>& tokens, std::size_t count) {
  Value* at = &root;
  for (std::size_t i = 0; i < count; ++i) {
    if (at->IsObject()) {
      auto m = at->FindMember(tokens[i].c_str());
      if (m == at->MemberEnd()) return nullptr;
      at = &m->value;
    } else if (at->IsArray()) {
      auto n = arrayIndex(tokens[i], at->Size(), false);
      if (!n || *n >= at->Size()) return nullptr;
      at = &(*at)[*n];
    } else {
      return nullptr;
    }
  }
  return at;
}

// Removes the value at `tokens` and returns it.
core::Result<Value> take(Value& root, const std::vector<std::string>& tokens, const std::string& path, const std::string& where) {
  if (tokens.empty()) return patchError(where, "the whole resource cannot be removed");
  Value* parent = resolve(root, tokens, tokens.size() - 1);
  const std::string& last = tokens.back();
  if (parent != nullptr && parent->IsObject()) {
    auto m = parent->FindMember(last.c_str());
    if (m != parent->MemberEnd()) {
      Value v(std::move(m->value));
      parent->RemoveMember(m);
      return v;
    }
  } else if (parent != nullptr && parent->IsArray()) {
    auto n = arrayIndex(last, parent->Size(), false);
    if (n && *n < parent->Size()) {
      Value v(std::move((*parent)[*n]));
      parent->Erase(parent->Begin() + *n);
      return v;
    }
  }
  return patchError(where, "path '" + path + "' is not in the resource");
}

core::Status put(Value& root, const std::vector<std::string>& tokens, Value v, Alloc& alloc, const std::string& path,
                 const std::string& where) {
  if (tokens.empty()) return patchError(where, "the whole resource cannot be replaced by a patch; use PUT");
  Value* parent = resolve(root, tokens, tokens.size() - 1);
  const std::string& last = tokens.back();
  if (parent != nullptr && parent->IsObject()) {
    auto m = parent->FindMember(last.c_str());
    if (m != parent->MemberEnd()) {
      m->value = std::move(v);
    } else {
      parent->AddMember(Value(last.c_str(), alloc), std::move(v), alloc);
    }
    return core::Status::ok();
  }
  if (parent != nullptr && parent->IsArray()) {
    auto n = arrayIndex(last, parent->Size(), true);
    if (!n) return patchError(where, "'" + last + "' is not an index of the array at '" + path + "'");
    parent->PushBack(Value(), alloc);
    for (auto i = parent->Size() - 1; i > *n; --i) (*parent)[i] = std::move((*parent)[i - 1]);
    (*parent)[*n] = std::move(v);
    return core::Status::ok();
  }
  return patchError(where, "the parent of '" + path + "' is not in the resource");
}

// Applies RFC 6902 operations to `doc`. Errors name the operation (Parameters-like index).
core::Status applyJsonPatch(rapidjson::Document& doc, const std::string& body) {
  rapidjson::Document ops;
  ops.Parse(body.c_str(), body.size());
  if (ops.HasParseError() || !ops.IsArray()) return core::invalid("a JSON Patch is a JSON array of operations");
  auto& alloc = doc.GetAllocator();
  for (rapidjson::SizeType i = 0; i < ops.Size(); ++i) {
    const std::string where = "/" + std::to_string(i);
    const Value& op = ops[i];
    if (!op.IsObject() || !op.HasMember("op") || !op["op"].IsString() || !op.HasMember("path") || !op["path"].IsString()) {
      return core::invalid("operation " + std::to_string(i) + " needs string members 'op' and 'path'", where);
    }
    std::string name = op["op"].GetString(), path = op["path"].GetString();
    GW_ASSIGN_OR_RETURN(auto tokens, pointerTokens(path, where));
    if (!tokens.empty() && (tokens[0] == "resourceType" || tokens[0] == "id" || tokens[0] == "meta") && name != "test") {
      return patchError(where, "'" + path + "' is the server's to set (resourceType, id, meta)");
    }
    auto value = [&]() -> core::Result<Value> {
      if (!op.HasMember("value")) return core::invalid("operation " + std::to_string(i) + " ('" + name + "') needs 'value'", where);
      return Value(op["value"], alloc);
    };
    if (name == "add" || name == "replace") {
      GW_ASSIGN_OR_RETURN(Value v, value());
      if (name == "replace") GW_RETURN_IF_ERROR(take(doc, tokens, path, where).status());
      GW_RETURN_IF_ERROR(put(doc, tokens, std::move(v), alloc, path, where));
    } else if (name == "remove") {
      GW_RETURN_IF_ERROR(take(doc, tokens, path, where).status());
    } else if (name == "move" || name == "copy") {
      if (!op.HasMember("from") || !op["from"].IsString()) return core::invalid("'" + name + "' needs 'from'", where);
      std::string from = op["from"].GetString();
      GW_ASSIGN_OR_RETURN(auto from_tokens, pointerTokens(from, where));
      Value v;
      if (name == "move") {
        GW_ASSIGN_OR_RETURN(v, take(doc, from_tokens, from, where));
      } else {
        Value* src = resolve(doc, from_tokens, from_tokens.size());
        if (src == nullptr) return patchError(where, "path '" + from + "' is not in the resource");
        v.CopyFrom(*src, alloc);
      }
      GW_RETURN_IF_ERROR(put(doc, tokens, std::move(v), alloc, path, where));
    } else if (name == "test") {
      GW_ASSIGN_OR_RETURN(Value v, value());
      Value* at = resolve(doc, tokens, tokens.size());
      if (at == nullptr || *at != v) return core::Status(core::Code::kPrecondition, "test failed at '" + path + "'", where);
    } else {
      return core::invalid("unknown JSON Patch operation '" + name + "'", where);
    }
  }
  return core::Status::ok();
}

// The node that holds `target` as a child, searching from `root`.
fhir::Node* parentOf(fhir::Node& root, const fhir::Node* target) {
  for (auto& c : root.children) {
    if (&c == target) return &root;
    if (fhir::Node* p = parentOf(c, target)) return p;
  }
  return nullptr;
}

const fhir::Node* part(const fhir::Node& operation, const std::string& name, const char* child = "value") {
  for (const fhir::Node* p : operation.childrenNamed("part")) {
    if (p->childValue("name") == name) return p->child(child);
  }
  return nullptr;
}

void fill(fhir::Node& into, const fhir::Node& value) {
  into.value = value.value;
  into.has_value = value.has_value;
  into.children = value.children;
}

// FHIRPath Patch: each `operation` parameter (type, path, name, value, index, source, destination)
// applied in order to `resource`.
core::Status applyFhirPathPatch(fhir::Node& resource, const fhir::Node& params, const fhir::Model& model) {
  std::size_t i = 0;
  for (const fhir::Node* op : params.childrenNamed("parameter")) {
    const std::string where = "Parameters.parameter[" + std::to_string(i++) + "]";
    if (op->childValue("name") != "operation") return core::invalid("a FHIRPath Patch has only 'operation' parameters", where);
    const fhir::Node* type = part(*op, "type");
    const fhir::Node* path = part(*op, "path");
    if (type == nullptr || path == nullptr) return core::invalid("an operation needs parts 'type' and 'path'", where);
    auto expr = fhirpath::Expression::compile(path->value);
    if (!expr.isOk()) return core::invalid("path '" + path->value + "': " + expr.status().message(), where);
    fhirpath::Environment env;
    env.model = &model;
    auto found = expr->evaluate(resource, env);
    if (!found.isOk()) return core::invalid("path '" + path->value + "': " + found.status().message(), where);
    std::vector<fhir::Node*> nodes;
    for (const auto& item : *found) {
      if (item.isNode()) nodes.push_back(const_cast<fhir::Node*>(item.node()));  // nodes of `resource`, ours to change
    }
    const std::string& kind = type->value;
    const fhir::Node* value = part(*op, "value");
    auto index = [&](const char* name) -> std::optional<std::size_t> {
      const fhir::Node* v = part(*op, name);
      if (v == nullptr) return std::nullopt;
      long n = std::atol(v->value.c_str());
      return n < 0 ? std::nullopt : std::optional<std::size_t>(static_cast<std::size_t>(n));
    };
    if (kind == "delete") {
      if (nodes.size() > 1) return patchError(where, "path '" + path->value + "' matches more than one element");
      if (nodes.empty()) continue;  // deleting what is not there is not an error
      if (nodes[0] == &resource) return patchError(where, "the resource itself cannot be deleted by a patch");
      fhir::Node* parent = parentOf(resource, nodes[0]);
      auto& cs = parent->children;
      cs.erase(cs.begin() + (nodes[0] - cs.data()));
    } else if (kind == "replace" || kind == "add") {
      if (value == nullptr) return core::invalid("'" + kind + "' needs a 'value' part (value[x])", where);
      if (nodes.size() != 1) {
        return patchError(where, "path '" + path->value + "' must match exactly one element (it matches " +
                                     std::to_string(nodes.size()) + ")");
      }
      if (kind == "replace") {
        if (nodes[0] == &resource) return patchError(where, "the resource itself cannot be replaced by a patch; use PUT");
        fill(*nodes[0], *value);
        if (nodes[0]->def != nullptr && value->type != nullptr) nodes[0]->type = value->type;
      } else {
        const fhir::Node* name = part(*op, "name");
        if (name == nullptr || name->value.empty()) return core::invalid("'add' needs a 'name' part", where);
        fhir::Node* added = nodes[0]->add(name->value);
        if (added == nullptr && value->type != nullptr) {
          // A choice element is named with its type: deceased + Boolean.
          std::string t = value->type->name;
          t[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(t[0])));
          added = nodes[0]->add(name->value + t);
        }
        if (added == nullptr) return patchError(where, "'" + name->value + "' is not an element of " + path->value);
        fill(*added, *value);
      }
    } else if (kind == "insert" || kind == "move") {
      if (nodes.empty()) return patchError(where, "path '" + path->value + "' matches no element; use 'add'");
      fhir::Node* parent = parentOf(resource, nodes[0]);
      if (parent == nullptr) return patchError(where, "path '" + path->value + "' is not a list in the resource");
      std::string element = nodes[0]->name;
      auto& cs = parent->children;
      auto first = static_cast<std::size_t>(nodes[0] - cs.data());
      std::size_t size = nodes.size();
      if (kind == "insert") {
        auto at = index("index");
        if (!at || *at > size || value == nullptr) return core::invalid("'insert' needs 'value' and an 'index' from 0 to " + std::to_string(size), where);
        fhir::Node copy = *nodes[0];
        fill(copy, *value);
        cs.insert(cs.begin() + static_cast<std::ptrdiff_t>(first + *at), std::move(copy));
      } else {
        auto from = index("source"), to = index("destination");
        if (!from || !to || *from >= size || *to >= size) {
          return core::invalid("'move' needs 'source' and 'destination' below " + std::to_string(size), where);
        }
        fhir::Node moving = std::move(cs[first + *from]);
        cs.erase(cs.begin() + static_cast<std::ptrdiff_t>(first + *from));
        cs.insert(cs.begin() + static_cast<std::ptrdiff_t>(first + *to), std::move(moving));
      }
    } else {
      return core::invalid("unknown FHIRPath Patch operation type '" + kind + "'", where);
    }
  }
  return core::Status::ok();
}

}  // namespace

void RestEngine::patchInteraction(core::Exchange& ex) const {
  std::string content_type = ex.request.headers.get("content-type").value_or("");
  content_type = content_type.substr(0, content_type.find(';'));
  bool json_patch = content_type == "application/json-patch+json";
  static const std::vector<std::string> kFhir = {"application/fhir+json", "application/json", "application/fhir+xml",
                                                 "application/xml", "text/xml"};
  if (!json_patch && std::find(kFhir.begin(), kFhir.end(), content_type) == kFhir.end()) {
    return ex.fail(core::Status(core::Code::kUnsupportedMedia,
                                "PATCH takes a JSON Patch (application/json-patch+json) or a FHIRPath Patch "
                                "(a Parameters resource, application/fhir+json or application/fhir+xml)"));
  }
  std::optional<fhir::Node> fhirpath_patch;
  if (!json_patch) {
    bool xml = content_type.find("xml") != std::string::npos;
    auto parsed = xml ? fhir::readXml(*model_, ex.request.body) : fhir::readJson(*model_, ex.request.body);
    if (!parsed.ok()) {
      for (auto& issue : parsed.issues) ex.issues().push_back(issue);
      return ex.fail(core::invalid("the FHIRPath Patch body does not parse"));
    }
    if (parsed.resource.type == nullptr || parsed.resource.type->name != "Parameters") {
      return ex.fail(core::Status(core::Code::kUnsupportedMedia,
                                  "PATCH takes a JSON Patch (application/json-patch+json) or a FHIRPath Patch "
                                  "(a Parameters resource)"));
    }
    fhirpath_patch = std::move(parsed.resource);
  }
  std::optional<std::int64_t> expected;
  if (auto h = ex.request.headers.get("if-match")) {
    expected = versionFromEtag(*h);
    if (!expected) return ex.fail(core::invalid("If-Match must be a version ETag such as W/\"3\""));
  }
  core::Result<WriteResult> result = core::Status::ok();
  core::Issues found_issues;
  core::Status st = store_->write([&](storage::WriteTx& tx) -> core::Status {
    std::string id = ex.fhir.id;
    if (ex.fhir.conditional) {
      GW_ASSIGN_OR_RETURN(auto found, matches(tx, ex.fhir.type, ex.request.conditionParams()));
      if (found.size() > 1) {
        return core::Status(core::Code::kPrecondition, "the condition of this conditional patch matches more than one resource");
      }
      if (found.empty()) return core::Status(core::Code::kNotFound, "the condition of this conditional patch matches nothing");
      id = found.front().id;
    }
    GW_ASSIGN_OR_RETURN(auto current, tx.current(ex.fhir.type, id));
    if (!current) return core::Status(core::Code::kNotFound, ex.fhir.type + "/" + id + " is not known");
    if (current->deleted) return core::Status(core::Code::kGone, ex.fhir.type + "/" + id + " has been deleted");
    if (expected && *expected != current->version) {
      return core::Status(core::Code::kPrecondition, "If-Match names version " + std::to_string(*expected) + " but " +
                                                         ex.fhir.type + "/" + id + " is at version " +
                                                         std::to_string(current->version));
    }
    std::string patched_json;
    if (json_patch) {
      rapidjson::Document doc;
      doc.Parse(current->json.c_str(), current->json.size());
      if (doc.HasParseError()) return core::internal("a stored resource does not parse");
      GW_RETURN_IF_ERROR(applyJsonPatch(doc, ex.request.body));
      rapidjson::StringBuffer sb;
      rapidjson::Writer<rapidjson::StringBuffer> w(sb);
      doc.Accept(w);
      patched_json = sb.GetString();
    } else {
      GW_ASSIGN_OR_RETURN(fhir::Node node, parseStored(*model_, current->json));
      GW_RETURN_IF_ERROR(applyFhirPathPatch(node, *fhirpath_patch, *model_));
      patched_json = fhir::writeJson(node);
    }
    // Read back as any incoming resource is: unknown elements and wrong types are refused.
    auto patched = fhir::readJson(*model_, patched_json);
    if (!patched.ok()) {
      const auto& first = patched.issues.front();
      return core::Status(core::Code::kUnprocessable, "the patched resource is not valid FHIR: " + first.message,
                          first.expression);
    }
    if (patched.resource.type->name != ex.fhir.type || patched.resource.childValue("id") != id) {
      return core::Status(core::Code::kUnprocessable, "a patch may not change the resource's type or id");
    }
    if (write_validator_) {
      // Validated as a PUT of the result would be (the validate stage saw only the patch).
      validate::WriteCheck check = write_validator_(patched.resource, ex.principal.partner);
      found_issues = std::move(check.issues);
      if (check.rejected) return core::Status(core::Code::kUnprocessable, "the patched resource does not validate");
    }
    GW_RETURN_IF_ERROR(keepServerOwned(tx, patched.resource, id));
    result = update(tx, std::move(patched.resource), id, std::nullopt, "PATCH");
    return result.status();
  });
  for (auto& issue : found_issues) ex.issues().push_back(std::move(issue));
  if (!st.isOk()) {
    if (st.code() == core::Code::kUnprocessable && !ex.issues().empty()) return ex.respondWithIssues(422);
    return ex.fail(st);
  }
  respondWithWrite(ex, *result);
}

}  // namespace onedoor::stages::route
