#pragma once
// Inside the FML reader (parser.cpp: the map, its tokens and clauses; parser_rules.cpp: concept
// maps, groups, rules, sources, targets and transforms): the recursive-descent Reader over one
// map's text. Made per parseMap() call, used by one thread; errors are thrown as ReadFailure (a
// position and a message) and become file:line:col there.

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "fml/ast.h"

namespace onedoor::fml {

struct ReadFailure {
  std::size_t pos;
  std::string message;
};

inline bool identStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
inline bool identChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

inline const std::set<std::string, std::less<>> kSourceListModes = {"first", "not_first", "last",
                                                                    "not_last", "only_one"};
inline const std::set<std::string, std::less<>> kTargetListModes = {"first", "share", "last",
                                                                    "collate"};
inline const std::set<std::string, std::less<>> kTransforms = {
    "create", "copy",    "truncate", "escape", "cast", "append", "translate", "reference", "dateOp",
    "uuid",   "pointer", "evaluate", "cc",     "c",    "qty",    "id",        "cp"};

class Reader {
 public:
  Reader(std::string_view text, std::string file);
  // The line and column of a byte offset.
  Location at(std::size_t pos) const;
  Map read();
  [[noreturn]] void fail(std::size_t pos, std::string message) const {
    throw ReadFailure{pos, std::move(message)};
  }
  std::string near() const;
  // Skips white space and comments; `///` metadata lines are left for the top level.
  void skip(bool top = false);
  bool peek(std::string_view tok);
  bool accept(std::string_view tok);
  void expect(std::string_view tok);
  bool peekWord(std::string_view w);
  bool word(std::string_view w);
  void expectWord(std::string_view w);
  std::string identifier(const std::string& what);
  bool peekIdentifier();
  bool peekString();
  std::string text(const std::string& what);
  // A name: an identifier or a quoted string.
  std::string name(const std::string& what) { return peekString() ? text(what) : identifier(what); }
  std::string trailingComment();
  // The text of a parenthesised expression (without the parentheses).
  std::string parenthesised();
  // An expression that runs until one of `stops` (or a stop word) at the top level.
  std::string until(const std::vector<std::string_view>& stops,
                    const std::vector<std::string_view>& words = {});
  // where/check/log/default: `(expr)` or an expression up to the next part of the rule.
  std::string clause();
  // Checks the syntax of a FHIRPath expression found at `pos`; an error is placed at its own
  // line and column in the map. (Functions are resolved when the map is compiled for running.)
  void checkFhirPath(std::string& expr, std::size_t pos);
  // Maps written for the reference implementation quote FHIRPath strings with " as well as ':
  // they are taken as the standard '...'.
  static std::string singleQuoted(const std::string& expr);
  void metadata(Map& m);
  EmbeddedConceptMap conceptMap(std::size_t start);
  std::string code();
  Group group(std::size_t start);
  Rule rule();
  Source source();
  Target target();
  void transform(Target& t);
  Parameter number();

  std::string_view s_;
  std::string file_;
  std::size_t pos_ = 0;
};

}  // namespace onedoor::fml
