#include "fml/parser.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "fhirpath/parser.h"
#include "fml/fml_reader.h"

namespace onedoor::fml {

Reader::Reader(std::string_view text, std::string file) : s_(text), file_(std::move(file)) {
  if (s_.substr(0, 3) == "\xEF\xBB\xBF") pos_ = 3;
}

Location Reader::at(std::size_t pos) const {
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

Map Reader::read() {
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
      if (st.mode != "source" && st.mode != "target" && st.mode != "queried" &&
          st.mode != "produced") {
        fail(start,
             "a structure is used as source, target, queried or produced, not '" + st.mode + "'");
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
  if (m.url.empty())
    fail(0, "the map has no URL (write: map \"http://...\" = name, or /// url = '...')");
  if (m.groups.empty()) fail(pos_, "the map has no group");
  return m;
}

std::string Reader::near() const {
  if (pos_ >= s_.size()) return "the end of the file";
  std::string_view rest = s_.substr(pos_, 20);
  rest = rest.substr(0, rest.find('\n'));
  return "'" + std::string(rest) + "'";
}

void Reader::skip(bool top) {
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

bool Reader::peek(std::string_view tok) {
  skip();
  return s_.substr(pos_, tok.size()) == tok;
}

bool Reader::accept(std::string_view tok) {
  if (!peek(tok)) return false;
  pos_ += tok.size();
  return true;
}

void Reader::expect(std::string_view tok) {
  if (!accept(tok)) fail(pos_, "expected '" + std::string(tok) + "' but found " + near());
}

bool Reader::peekWord(std::string_view w) {
  skip();
  return s_.substr(pos_, w.size()) == w &&
         (pos_ + w.size() >= s_.size() || !identChar(s_[pos_ + w.size()]));
}

bool Reader::word(std::string_view w) {
  if (!peekWord(w)) return false;
  pos_ += w.size();
  return true;
}

void Reader::expectWord(std::string_view w) {
  if (!word(w)) fail(pos_, "expected '" + std::string(w) + "' but found " + near());
}

std::string Reader::identifier(const std::string& what) {
  skip();
  if (pos_ < s_.size() && s_[pos_] == '`') {
    std::size_t end = s_.find('`', pos_ + 1);
    if (end == std::string_view::npos) fail(pos_, "a `delimited identifier` is not closed");
    std::string id(s_.substr(pos_ + 1, end - pos_ - 1));
    pos_ = end + 1;
    return id;
  }
  if (pos_ >= s_.size() || !identStart(s_[pos_]))
    fail(pos_, "expected " + what + " but found " + near());
  std::size_t start = pos_;
  while (pos_ < s_.size() && identChar(s_[pos_])) ++pos_;
  return std::string(s_.substr(start, pos_ - start));
}

bool Reader::peekIdentifier() {
  skip();
  return pos_ < s_.size() && (identStart(s_[pos_]) || s_[pos_] == '`');
}

bool Reader::peekString() {
  skip();
  return pos_ < s_.size() && (s_[pos_] == '"' || s_[pos_] == '\'');
}

std::string Reader::text(const std::string& what) {
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

std::string Reader::trailingComment() {
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

std::string Reader::parenthesised() {
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

std::string Reader::until(const std::vector<std::string_view>& stops,
                          const std::vector<std::string_view>& words) {
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
      bool stop = std::any_of(stops.begin(), stops.end(),
                              [&](std::string_view t) { return s_.substr(pos_, t.size()) == t; });
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

std::string Reader::clause() {
  skip();
  std::size_t start = pos_;
  if (peek("(")) {
    // "(a) and (b)" is one expression, not a parenthesised one: only a lone group is unwrapped.
    std::size_t save = pos_;
    std::string inner = parenthesised();
    skip();
    bool alone = pos_ >= s_.size() || s_.substr(pos_, 2) == "->" || s_[pos_] == ';' ||
                 s_[pos_] == ',' || peekWord("check") || peekWord("log") || peekWord("then") ||
                 peekWord("as") || s_[pos_] == '"';
    if (alone) return inner;
    pos_ = save;
  }
  std::string expr = until({"->", ";", ",", "\""}, {"check", "log", "then"});
  checkFhirPath(expr, start);
  return expr;
}

void Reader::checkFhirPath(std::string& expr, std::size_t pos) {
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

std::string Reader::singleQuoted(const std::string& expr) {
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

core::Result<Map> parseMap(std::string_view text, const std::string& file) {
  Reader r(text, file);
  try {
    return r.read();
  } catch (const ReadFailure& f) {
    return core::invalid(r.at(f.pos).toString() + ": " + f.message);
  }
}

}  // namespace onedoor::fml
