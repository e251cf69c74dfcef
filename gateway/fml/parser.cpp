#include "fml/parser.h"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <set>

#include "fhirpath/parser.h"

namespace onedoor::fml {

namespace {

struct Failure {
  std::size_t pos;
  std::string message;
};

bool identStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool identChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

const std::set<std::string, std::less<>> kSourceListModes = {"first", "not_first", "last", "not_last", "only_one"};
const std::set<std::string, std::less<>> kTargetListModes = {"first", "share", "last", "collate"};
const std::set<std::string, std::less<>> kTransforms = {
    "create", "copy", "truncate", "escape", "cast", "append", "translate", "reference", "dateOp",
    "uuid",   "pointer", "evaluate", "cc",  "c",    "qty",    "id",        "cp"};

class Reader {
 public:
  Reader(std::string_view text, std::string file) : s_(text), file_(std::move(file)) {
    if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
  }

  // The line and column of a byte offset.
  Location at(std::size_t pos) const {
    Location l{file_, 1, 1};
    for (std::size_t i = 0; i < pos && i < s_.size(); ++i) {
      if (s_[i] == '\n') {
        ++l.line;
        l.column = 1;
      } else {
        ++l.column;
      }
    }
    return l;
  }

  Map read() {
    Map m;
    m.at = at(pos_);
    while (true) {
      skip(true);
      if (pos_ >= s_.size()) break;
      std::size_t start = pos_;
      if (s_.substr(pos_, 3) == "///") {
        metadata(m);
      } else if (word("map")) {
        m.at = at(start);
        m.url = text("the map's URL");
        expect("=");
        m.name = name("the map's name");
      } else if (word("uses")) {
        Structure st;
        st.at = at(start);
        st.url = text("the structure's URL");
        if (word("alias")) st.alias = name("an alias");
        expectWord("as");
        st.mode = identifier("source, target, queried or produced");
        if (st.mode != "source" && st.mode != "target" && st.mode != "queried" && st.mode != "produced") {
          fail(start, "a structure is used as source, target, queried or produced, not '" + st.mode + "'");
        }
        st.documentation = trailingComment();
        m.structures.push_back(std::move(st));
      } else if (word("imports")) {
        m.imports.push_back(text("the imported map's URL"));
      } else if (word("conceptmap")) {
        m.concept_maps.push_back(conceptMap(start));
      } else if (word("let")) {
        std::string id = identifier("a constant's name");
        expect("=");
        std::size_t expr_at = pos_;
        std::string expr = until({";"});
        checkFhirPath(expr, expr_at);
        expect(";");
        m.constants.emplace_back(std::move(id), std::move(expr));
      } else if (word("group")) {
        m.groups.push_back(group(start));
      } else {
        fail(pos_, "expected map, uses, imports, conceptmap, let or group");
      }
    }
    if (m.url.empty() && m.metadata.count("url")) m.url = m.metadata["url"];
    if (m.name.empty() && m.metadata.count("name")) m.name = m.metadata["name"];
    if (m.url.empty()) fail(0, "the map has no URL (write: map \"http://...\" = name, or /// url = '...')");
    if (m.groups.empty()) fail(pos_, "the map has no group");
    return m;
  }

 private:
  // --- errors ------------------------------------------------------------------------------
  [[noreturn]] void fail(std::size_t pos, std::string message) const { throw Failure{pos, std::move(message)}; }
  std::string near() const {
    if (pos_ >= s_.size()) return "the end of the file";
    std::string_view rest = s_.substr(pos_, 20);
    rest = rest.substr(0, rest.find('\n'));
    return "'" + std::string(rest) + "'";
  }

  // --- lexical ---------------------------------------------------------------------------
  // Skips white space and comments; `///` metadata lines are left for the top level.
  void skip(bool top = false) {
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (std::isspace(static_cast<unsigned char>(c))) {
        ++pos_;
      } else if (s_.substr(pos_, 2) == "//") {
        if (top && s_.substr(pos_, 3) == "///") return;
        pos_ = std::min(s_.size(), s_.find('\n', pos_));
      } else if (s_.substr(pos_, 2) == "/*") {
        std::size_t end = s_.find("*/", pos_ + 2);
        if (end == std::string_view::npos) fail(pos_, "a /* comment is not closed");
        pos_ = end + 2;
      } else {
        return;
      }
    }
  }
  bool peek(std::string_view tok) {
    skip();
    return s_.substr(pos_, tok.size()) == tok;
  }
  bool accept(std::string_view tok) {
    if (!peek(tok)) return false;
    pos_ += tok.size();
    return true;
  }
  void expect(std::string_view tok) {
    if (!accept(tok)) fail(pos_, "expected '" + std::string(tok) + "' but found " + near());
  }
  bool peekWord(std::string_view w) {
    skip();
    return s_.substr(pos_, w.size()) == w && (pos_ + w.size() >= s_.size() || !identChar(s_[pos_ + w.size()]));
  }
  bool word(std::string_view w) {
    if (!peekWord(w)) return false;
    pos_ += w.size();
    return true;
  }
  void expectWord(std::string_view w) {
    if (!word(w)) fail(pos_, "expected '" + std::string(w) + "' but found " + near());
  }
  std::string identifier(const std::string& what) {
    skip();
    if (pos_ < s_.size() && s_[pos_] == '`') {
      std::size_t end = s_.find('`', pos_ + 1);
      if (end == std::string_view::npos) fail(pos_, "a `delimited identifier` is not closed");
      std::string id(s_.substr(pos_ + 1, end - pos_ - 1));
      pos_ = end + 1;
      return id;
    }
    if (pos_ >= s_.size() || !identStart(s_[pos_])) fail(pos_, "expected " + what + " but found " + near());
    std::size_t start = pos_;
    while (pos_ < s_.size() && identChar(s_[pos_])) ++pos_;
    return std::string(s_.substr(start, pos_ - start));
  }
  bool peekIdentifier() {
    skip();
    return pos_ < s_.size() && (identStart(s_[pos_]) || s_[pos_] == '`');
  }
  bool peekString() {
    skip();
    return pos_ < s_.size() && (s_[pos_] == '"' || s_[pos_] == '\'');
  }
  std::string text(const std::string& what) {
    if (!peekString()) fail(pos_, "expected " + what + " in quotes but found " + near());
    char q = s_[pos_];
    std::size_t start = pos_++;
    std::string out;
    while (pos_ < s_.size() && s_[pos_] != q) {
      if (s_[pos_] == '\n') fail(start, "a string is not closed on its line");
      if (s_[pos_] == '\\' && pos_ + 1 < s_.size()) {
        char e = s_[++pos_];
        out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
      } else {
        out += s_[pos_];
      }
      ++pos_;
    }
    if (pos_ >= s_.size()) fail(start, "a string is not closed");
    ++pos_;
    return out;
  }
  // A name: an identifier or a quoted string.
  std::string name(const std::string& what) { return peekString() ? text(what) : identifier(what); }
  std::string trailingComment() {
    std::size_t p = pos_;
    while (p < s_.size() && (s_[p] == ' ' || s_[p] == '\t')) ++p;
    if (s_.substr(p, 2) != "//") return {};
    std::size_t end = std::min(s_.size(), s_.find('\n', p));
    std::string c(s_.substr(p + 2, end - p - 2));
    c.erase(0, c.find_first_not_of(" \t"));
    c.erase(c.find_last_not_of(" \t\r") + 1);
    pos_ = end;
    return c;
  }

  // --- FHIRPath inside the map -------------------------------------------------------------
  // The text of a parenthesised expression (without the parentheses).
  std::string parenthesised() {
    skip();
    std::size_t open = pos_;
    expect("(");
    std::size_t start = pos_;
    int depth = 1;
    while (pos_ < s_.size() && depth > 0) {
      char c = s_[pos_];
      if (c == '\'' || c == '"' || c == '`') {
        std::size_t end = s_.find(c, pos_ + 1);
        while (end != std::string_view::npos && s_[end - 1] == '\\') end = s_.find(c, end + 1);
        if (end == std::string_view::npos) fail(pos_, "a string in an expression is not closed");
        pos_ = end + 1;
        continue;
      }
      if (c == '(') ++depth;
      if (c == ')') --depth;
      ++pos_;
    }
    if (depth > 0) fail(open, "a '(' is not closed");
    std::string expr(s_.substr(start, pos_ - 1 - start));
    checkFhirPath(expr, start);
    return expr;
  }
  // An expression that runs until one of `stops` (or a stop word) at the top level.
  std::string until(const std::vector<std::string_view>& stops, const std::vector<std::string_view>& words = {}) {
    skip();
    std::size_t start = pos_;
    int depth = 0;
    while (pos_ < s_.size()) {
      char c = s_[pos_];
      if (c == '\'' || c == '"' || c == '`') {
        std::size_t end = s_.find(c, pos_ + 1);
        if (end == std::string_view::npos) fail(pos_, "a string in an expression is not closed");
        pos_ = end + 1;
        continue;
      }
      if (depth == 0) {
        bool stop = std::any_of(stops.begin(), stops.end(), [&](std::string_view t) { return s_.substr(pos_, t.size()) == t; });
        bool stop_word = (pos_ == start || !identChar(s_[pos_ - 1])) &&
                         std::any_of(words.begin(), words.end(), [&](std::string_view w) {
                           return s_.substr(pos_, w.size()) == w &&
                                  (pos_ + w.size() >= s_.size() || !identChar(s_[pos_ + w.size()]));
                         });
        if (stop || stop_word) break;
      }
      if (c == '(' || c == '[' || c == '{') ++depth;
      if (c == ')' || c == ']' || c == '}') --depth;
      if (depth < 0) break;
      ++pos_;
    }
    std::string expr(s_.substr(start, pos_ - start));
    expr.erase(expr.find_last_not_of(" \t\r\n") + 1);
    if (expr.empty()) fail(start, "expected a FHIRPath expression but found " + near());
    return expr;
  }
  // where/check/log/default: `(expr)` or an expression up to the next part of the rule.
  std::string clause() {
    skip();
    std::size_t start = pos_;
    if (peek("(")) {
      // "(a) and (b)" is one expression, not a parenthesised one: only a lone group is unwrapped.
      std::size_t save = pos_;
      std::string inner = parenthesised();
      skip();
      bool alone = pos_ >= s_.size() || s_.substr(pos_, 2) == "->" || s_[pos_] == ';' || s_[pos_] == ',' ||
                   peekWord("check") || peekWord("log") || peekWord("then") || peekWord("as") || s_[pos_] == '"';
      if (alone) return inner;
      pos_ = save;
    }
    std::string expr = until({"->", ";", ",", "\""}, {"check", "log", "then"});
    checkFhirPath(expr, start);
    return expr;
  }
  // Checks the syntax of a FHIRPath expression found at `pos`; an error is placed at its own
  // line and column in the map. (Functions are resolved when the map is compiled for running.)
  void checkFhirPath(std::string& expr, std::size_t pos) {
    expr = singleQuoted(expr);
    auto e = fhirpath::parse(expr);
    if (e.isOk()) return;
    std::string msg = e.status().message();
    // Functions are the engine's business: a map may use one this gateway does not have (or an
    // extension of the reference implementation); compiling the map for running reports it.
    if (msg.find("unknown function") != std::string::npos) return;
    std::size_t line = 0, col = 0, used = 0;
    if (std::sscanf(msg.c_str(), "%zu:%zu: %zn", &line, &col, &used) == 2 && used > 0) {
      // Move to that line and column inside the expression.
      std::size_t p = pos;
      for (std::size_t l = 1; l < line && p < s_.size(); ++p) {
        if (s_[p] == '\n') ++l;
      }
      fail(p + col - 1, "FHIRPath: " + msg.substr(used));
    }
    fail(pos, "FHIRPath: " + msg);
  }
  // Maps written for the reference implementation quote FHIRPath strings with " as well as ':
  // they are taken as the standard '...'.
  static std::string singleQuoted(const std::string& expr) {
    if (expr.find('"') == std::string::npos) return expr;
    std::string out;
    char quote = 0;
    for (char c : expr) {
      if (quote == 0 && (c == '\'' || c == '"')) {
        quote = c;
        out += '\'';
      } else if (quote != 0 && c == quote) {
        quote = 0;
        out += '\'';
      } else if (quote == '"' && c == '\'') {
        out += "\\'";
      } else {
        out += c;
      }
    }
    return out;
  }

  // --- declarations ------------------------------------------------------------------------
  void metadata(Map& m) {
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
    if (value.size() >= 2 && (value.front() == '\'' || value.front() == '"') && value.back() == value.front()) {
      value = value.substr(1, value.size() - 2);
    }
    m.metadata[key] = value;
    pos_ = end;
  }

  EmbeddedConceptMap conceptMap(std::size_t start) {
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
          {"==", "equal"}, {"!=", "disjoint"}, {">=", "wider"}, {">-", "subsumes"}, {"<=", "narrower"},
          {"<-", "specializes"}, {"~", "inexact"}, {"=", "equivalent"}, {"--", "unmatched"}, {"-", "unmatched"}};
      bool matched = false;
      for (const auto& [op, eq] : kOps) {
        if (accept(op)) {
          mp.equivalence = eq;
          matched = true;
          break;
        }
      }
      if (!matched) fail(pos_, "expected a concept map relation (==, =, !=, >=, >-, <=, <-, ~, -) but found " + near());
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
  std::string code() {
    skip();
    std::size_t start = pos_;
    while (pos_ < s_.size() && (identChar(s_[pos_]) || s_[pos_] == '-' || s_[pos_] == '.')) ++pos_;
    if (pos_ == start) fail(pos_, "expected a code but found " + near());
    return std::string(s_.substr(start, pos_ - start));
  }

  Group group(std::size_t start) {
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

  Rule rule() {
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
      if (!s.element.empty() && s.variable.empty() && !t.element.empty() && t.variable.empty() && t.transform.empty() &&
          s.condition.empty() && s.check.empty()) {
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
        fail(rule_start, "this rule needs a name (\"name\" before its ';'): only a rule with one source "
                         "element (src.element ...) is named after it");
      }
      r.name = s.element;
    }
    return r;
  }

  Source source() {
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

  Target target() {
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

  void transform(Target& t) {
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
      fail(start, "unknown transform '" + id + "' (create, copy, truncate, escape, cast, append, translate, "
                  "reference, dateOp, uuid, pointer, evaluate, cc, c, qty, id, cp)");
    }
    t.transform = id;
    if (accept(")")) return;
    do {
      skip();
      if (peekString()) {
        t.parameters.push_back({Parameter::Kind::kString, text("a parameter")});
      } else if (pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '-')) {
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

  Parameter number() {
    skip();
    std::size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    bool decimal = false;
    if (pos_ + 1 < s_.size() && s_[pos_] == '.' && std::isdigit(static_cast<unsigned char>(s_[pos_ + 1]))) {
      decimal = true;
      ++pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    std::string v(s_.substr(start, pos_ - start));
    if (v == "-" || v.empty()) fail(start, "expected a number");
    return {decimal ? Parameter::Kind::kDecimal : Parameter::Kind::kInteger, v};
  }

  std::string_view s_;
  std::string file_;
  std::size_t pos_ = 0;
};

}  // namespace

core::Result<Map> parseMap(std::string_view text, const std::string& file) {
  Reader r(text, file);
  try {
    return r.read();
  } catch (const Failure& f) {
    return core::invalid(r.at(f.pos).toString() + ": " + f.message);
  }
}

}  // namespace onedoor::fml
