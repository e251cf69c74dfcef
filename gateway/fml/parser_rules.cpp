// The FML reader's declarations and rules: metadata, embedded concept maps, groups, rules with
// their sources and targets, transforms and their parameters.
#include <cctype>

#include "fml/fml_reader.h"

namespace onedoor::fml {

void Reader::metadata(Map& m) {
  pos_ += 3;
  std::size_t end = std::min(s_.size(), s_.find('\n', pos_));
  std::string_view line = s_.substr(pos_, end - pos_);
  auto eq = line.find('=');
  if (eq == std::string_view::npos) fail(pos_, "a /// metadata line is 'key = value'");
  auto trim = [](std::string_view v) {
    std::size_t b = v.find_first_not_of(" \t"), e = v.find_last_not_of(" \t\r");
    return b == std::string_view::npos ? std::string() : std::string(v.substr(b, e - b + 1));
  };
  std::string key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
  if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') &&
      value.back() == value.front()) {
    value = value.substr(1, value.size() - 2);
  }
  m.metadata[key] = value;
  pos_ = end;
}

EmbeddedConceptMap Reader::conceptMap(std::size_t start) {
  EmbeddedConceptMap cm;
  cm.at = at(start);
  cm.id = name("the concept map's id");
  expect("{");
  std::map<std::string, std::string> prefixes;
  while (!accept("}")) {
    if (pos_ >= s_.size()) fail(start, "the conceptmap is not closed with '}'");
    if (word("prefix")) {
      std::string p = identifier("a prefix");
      expect("=");
      prefixes[p] = text("the prefix's system URL");
      continue;
    }
    EmbeddedConceptMap::Mapping mp;
    std::size_t here = pos_;
    std::string sp = identifier("a prefix");
    expect(":");
    mp.source_code = peekString() ? text("a code") : code();
    static const std::vector<std::pair<std::string_view, const char*>> kOps = {
        {"==", "equal"},     {"!=", "disjoint"},    {">=", "wider"},  {">-", "subsumes"},
        {"<=", "narrower"},  {"<-", "specializes"}, {"~", "inexact"}, {"=", "equivalent"},
        {"--", "unmatched"}, {"-", "unmatched"}};
    bool matched = false;
    for (const auto& [op, eq] : kOps) {
      if (accept(op)) {
        mp.equivalence = eq;
        matched = true;
        break;
      }
    }
    if (!matched)
      fail(pos_,
           "expected a concept map relation (==, =, !=, >=, >-, <=, <-, ~, -) but found " + near());
    if (mp.equivalence != "unmatched") {
      std::string tp = identifier("a prefix");
      expect(":");
      mp.target_code = peekString() ? text("a code") : code();
      if (!prefixes.count(tp)) fail(here, "unknown prefix '" + tp + "'");
      mp.target_system = prefixes[tp];
    }
    if (!prefixes.count(sp)) fail(here, "unknown prefix '" + sp + "'");
    mp.source_system = prefixes[sp];
    cm.mappings.push_back(std::move(mp));
  }
  return cm;
}

std::string Reader::code() {
  skip();
  std::size_t start = pos_;
  while (pos_ < s_.size() && (identChar(s_[pos_]) || s_[pos_] == '-' || s_[pos_] == '.')) ++pos_;
  if (pos_ == start) fail(pos_, "expected a code but found " + near());
  return std::string(s_.substr(start, pos_ - start));
}

Group Reader::group(std::size_t start) {
  Group g;
  g.at = at(start);
  g.name = identifier("the group's name");
  if (accept("(")) {
    do {
      Input in;
      skip();
      std::size_t mode_at = pos_;
      in.at = at(pos_);
      in.mode = identifier("source or target");
      if (in.mode != "source" && in.mode != "target") {
        fail(mode_at, "a group input is 'source' or 'target', not '" + in.mode + "'");
      }
      in.name = identifier("the input's name");
      if (accept(":")) in.type = identifier("the input's type");
      g.inputs.push_back(std::move(in));
    } while (accept(","));
    expect(")");
  }
  if (word("extends")) g.extends = identifier("the group it extends");
  if (accept("<<")) {
    if (word("types")) {
      g.type_mode = "types";
    } else if (word("type")) {
      expect("+");
      g.type_mode = "type-and-types";
    } else {
      fail(pos_, "expected <<types>> or <<type+>>");
    }
    expect(">>");
  }
  g.documentation = trailingComment();
  expect("{");
  while (!accept("}")) {
    if (pos_ >= s_.size()) fail(start, "the group '" + g.name + "' is not closed with '}'");
    g.rules.push_back(rule());
  }
  return g;
}

Rule Reader::rule() {
  Rule r;
  skip();
  std::size_t rule_start = pos_;
  r.at = at(pos_);
  do {
    r.sources.push_back(source());
  } while (accept(","));
  if (accept("->")) {
    do {
      r.targets.push_back(target());
    } while (accept(","));
  }
  if (word("then")) {
    if (accept("{")) {
      std::size_t open = pos_;
      while (!accept("}")) {
        if (pos_ >= s_.size()) fail(open, "a 'then {' is not closed with '}'");
        r.rules.push_back(rule());
      }
    } else {
      do {
        Dependent d;
        skip();
        d.at = at(pos_);
        d.name = identifier("a group to call");
        expect("(");
        if (!accept(")")) {
          do {
            d.variables.push_back(peekString() ? text("an argument") : identifier("an argument"));
          } while (accept(","));
          expect(")");
        }
        r.dependents.push_back(std::move(d));
      } while (accept(","));
    }
  }
  if (peekString()) r.name = text("the rule's name");
  if (!accept(";")) {
    // A rule with nested rules may end at its closing brace.
    if (r.rules.empty()) fail(pos_, "expected ';' at the end of the rule but found " + near());
  }
  r.documentation = trailingComment();
  // The short form `src.a -> tgt.a`: both sides get the variable vvv and the target is
  // created, its content left to the groups for the types (as the reference implementation has it).
  if (r.sources.size() == 1 && r.targets.size() == 1 && r.rules.empty() && r.dependents.empty()) {
    Source& s = r.sources.front();
    Target& t = r.targets.front();
    if (!s.element.empty() && s.variable.empty() && !t.element.empty() && t.variable.empty() &&
        t.transform.empty() && s.condition.empty() && s.check.empty()) {
      s.variable = "vvv";
      t.variable = "vvv";
      t.transform = "create";
    }
  }
  if (r.name.empty()) {
    // As the reference implementation does: a rule with one source element is named after it;
    // any other rule must be named.
    const Source& s = r.sources.front();
    if (r.sources.size() != 1 || s.element.empty()) {
      fail(rule_start,
           "this rule needs a name (\"name\" before its ';'): only a rule with one source "
           "element (src.element ...) is named after it");
    }
    r.name = s.element;
  }
  return r;
}

Source Reader::source() {
  Source s;
  skip();
  s.at = at(pos_);
  s.context = identifier("a source (variable or variable.element)");
  if (accept(".")) s.element = identifier("an element name");
  if (accept(":")) s.type = identifier("a type");
  skip();
  if (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) {
    std::size_t start = pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    s.min = std::stoi(std::string(s_.substr(start, pos_ - start)));
    expect("..");
    if (accept("*")) {
      s.max = "*";
    } else {
      skip();
      std::size_t m = pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
      if (m == pos_) fail(pos_, "expected a maximum (a number or *)");
      s.max = std::string(s_.substr(m, pos_ - m));
    }
  }
  if (word("default")) s.default_value = clause();
  for (const auto& mode : kSourceListModes) {
    if (word(mode)) {
      s.list_mode = mode;
      break;
    }
  }
  if (word("as")) s.variable = identifier("a variable name");
  if (word("where")) s.condition = clause();
  if (word("check")) s.check = clause();
  if (word("log")) s.log = clause();
  return s;
}

Target Reader::target() {
  Target t;
  skip();
  t.at = at(pos_);
  std::size_t start = pos_;
  std::string first = identifier("a target (variable.element, or a transform)");
  if (peek("(")) {
    pos_ = start;
    transform(t);
  } else {
    t.context = first;
    if (accept(".")) t.element = identifier("an element name");
    if (accept("=")) transform(t);
  }
  if (word("as")) t.variable = identifier("a variable name");
  while (true) {
    bool any = false;
    for (const auto& mode : kTargetListModes) {
      if (word(mode)) {
        t.list_modes.push_back(mode);
        any = true;
        // share takes the id of the rule whose target is shared.
        if (mode == "share" && !peekWord("then") && !peekWord("as") && peekIdentifier()) {
          t.list_rule_id = identifier("the shared rule's id");
        }
      }
    }
    if (!any) break;
  }
  return t;
}

void Reader::transform(Target& t) {
  skip();
  std::size_t start = pos_;
  if (peek("(")) {
    t.transform = "evaluate";
    t.parameters.push_back({Parameter::Kind::kString, parenthesised()});
    return;
  }
  if (peekString()) {
    t.transform = "copy";
    t.parameters.push_back({Parameter::Kind::kString, text("a value")});
    return;
  }
  if (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-')) {
    t.transform = "copy";
    t.parameters.push_back(number());
    return;
  }
  std::string id = identifier("a transform or a value");
  if (!accept("(")) {
    t.transform = "copy";
    if (id == "true" || id == "false") {
      t.parameters.push_back({Parameter::Kind::kBoolean, id});
    } else {
      t.parameters.push_back({Parameter::Kind::kId, id});
    }
    return;
  }
  if (!kTransforms.count(id)) {
    fail(start, "unknown transform '" + id +
                    "' (create, copy, truncate, escape, cast, append, translate, "
                    "reference, dateOp, uuid, pointer, evaluate, cc, c, qty, id, cp)");
  }
  t.transform = id;
  if (accept(")")) return;
  do {
    skip();
    if (peekString()) {
      t.parameters.push_back({Parameter::Kind::kString, text("a parameter")});
    } else if (pos_ < s_.size() &&
               (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-')) {
      t.parameters.push_back(number());
    } else if (peek("(")) {
      t.parameters.push_back({Parameter::Kind::kString, parenthesised()});
    } else {
      std::size_t from = pos_;
      std::string p = identifier("a parameter");
      if (p == "true" || p == "false") {
        t.parameters.push_back({Parameter::Kind::kBoolean, p});
      } else if (peek(".") || peek("(")) {
        // A FHIRPath expression (evaluate(v, a.b.where(...)), iif(...)).
        pos_ = from;
        std::string expr = until({",", ")"});
        checkFhirPath(expr, from);
        t.parameters.push_back({Parameter::Kind::kString, expr});
      } else {
        t.parameters.push_back({Parameter::Kind::kId, p});
      }
    }
  } while (accept(","));
  expect(")");
}

Parameter Reader::number() {
  skip();
  std::size_t start = pos_;
  if (s_[pos_] == '-') ++pos_;
  while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  bool decimal = false;
  if (pos_ + 1 < s_.size() && s_[pos_] == '.' &&
      std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
    decimal = true;
    ++pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
  }
  std::string v(s_.substr(start, pos_ - start));
  if (v == "-" || v.empty()) fail(start, "expected a number");
  return {decimal ? Parameter::Kind::kDecimal : Parameter::Kind::kInteger, v};
}

}  // namespace onedoor::fml
