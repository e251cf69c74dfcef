// A Pratt parser for FHIRPath. Precedence, loosest first: implies; or xor; and; in contains;
// = ~ != !~; < > <= >=; |; is as; + - &; * / div mod; unary + -; . [] (invocation).
#include "fhirpath/parser.h"

#include "fhirpath/lexer.h"
#include "fhirpath/nodes.h"

namespace onedoor::fhirpath {
namespace {

using TK = Token::Kind;

struct BinaryInfo {
  int power;
  BinaryOp op;
};

std::optional<BinaryInfo> binaryInfo(const Token& t) {
  if (t.kind == TK::kSymbol) {
    const std::string& s = t.text;
    if (s == "*") return BinaryInfo{10, BinaryOp::kMul};
    if (s == "/") return BinaryInfo{10, BinaryOp::kDiv};
    if (s == "+") return BinaryInfo{9, BinaryOp::kAdd};
    if (s == "-") return BinaryInfo{9, BinaryOp::kSub};
    if (s == "&") return BinaryInfo{9, BinaryOp::kConcat};
    if (s == "|") return BinaryInfo{7, BinaryOp::kUnion};
    if (s == "<") return BinaryInfo{6, BinaryOp::kLt};
    if (s == ">") return BinaryInfo{6, BinaryOp::kGt};
    if (s == "<=") return BinaryInfo{6, BinaryOp::kLe};
    if (s == ">=") return BinaryInfo{6, BinaryOp::kGe};
    if (s == "=") return BinaryInfo{5, BinaryOp::kEq};
    if (s == "~") return BinaryInfo{5, BinaryOp::kEquiv};
    if (s == "!=") return BinaryInfo{5, BinaryOp::kNe};
    if (s == "!~") return BinaryInfo{5, BinaryOp::kNotEquiv};
    return std::nullopt;
  }
  if (t.kind != TK::kIdentifier) return std::nullopt;
  const std::string& s = t.text;
  if (s == "div") return BinaryInfo{10, BinaryOp::kIntDiv};
  if (s == "mod") return BinaryInfo{10, BinaryOp::kMod};
  if (s == "in") return BinaryInfo{4, BinaryOp::kIn};
  if (s == "contains") return BinaryInfo{4, BinaryOp::kContains};
  if (s == "and") return BinaryInfo{3, BinaryOp::kAnd};
  if (s == "or") return BinaryInfo{2, BinaryOp::kOr};
  if (s == "xor") return BinaryInfo{2, BinaryOp::kXor};
  if (s == "implies") return BinaryInfo{1, BinaryOp::kImplies};
  return std::nullopt;
}

constexpr int kTypeOpPower = 8;
constexpr int kUnaryPower = 11;

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : t_(std::move(tokens)) {}

  core::Result<ExprPtr> run() {
    GW_ASSIGN_OR_RETURN(ExprPtr e, expression(0));
    if (peek().kind != TK::kEnd) return error(peek(), "unexpected '" + describe(peek()) + "'");
    return e;
  }

 private:
  const Token& peek(std::size_t ahead = 0) const {
    return t_[std::min(pos_ + ahead, t_.size() - 1)];
  }
  const Token& next() { return t_[std::min(pos_++, t_.size() - 1)]; }

  static std::string describe(const Token& t) { return t.kind == TK::kEnd ? "end of expression" : t.text; }

  core::Status error(const Token& at, const std::string& message) const {
    std::string where = std::to_string(at.line) + ":" + std::to_string(at.column);
    return core::invalid(where + ": " + message, where);
  }

  core::Status expect(std::string_view symbol) {
    if (!peek().symbol(symbol)) {
      return error(peek(), "expected '" + std::string(symbol) + "' but found '" + describe(peek()) + "'");
    }
    next();
    return core::Status::ok();
  }

  core::Result<ExprPtr> expression(int min_power) {
    GW_ASSIGN_OR_RETURN(ExprPtr left, prefix());
    while (true) {
      const Token& t = peek();
      if (t.keyword("is") || t.keyword("as")) {
        if (kTypeOpPower <= min_power) break;
        next();
        GW_ASSIGN_OR_RETURN(std::string type, typeSpecifier());
        left = std::make_unique<TypeExpr>(t.line, t.column, t.text == "is", std::move(left), type);
        continue;
      }
      auto info = binaryInfo(t);
      if (!info || info->power <= min_power) break;
      Token op = next();
      GW_ASSIGN_OR_RETURN(ExprPtr right, expression(info->power));
      left = std::make_unique<BinaryExpr>(op.line, op.column, info->op, std::move(left), std::move(right));
    }
    return left;
  }

  core::Result<std::string> typeSpecifier() {
    const Token& first = next();
    if (first.kind != TK::kIdentifier && first.kind != TK::kDelimited) {
      return error(first, "expected a type name");
    }
    std::string name = first.text;
    if (peek().symbol(".") && (peek(1).kind == TK::kIdentifier || peek(1).kind == TK::kDelimited)) {
      next();
      name += "." + next().text;
    }
    return name;
  }

  core::Result<ExprPtr> prefix() {
    const Token& t = peek();
    if (t.symbol("+") || t.symbol("-")) {
      next();
      GW_ASSIGN_OR_RETURN(ExprPtr operand, expression(kUnaryPower - 1));
      ExprPtr u = std::make_unique<UnaryExpr>(t.line, t.column, t.text[0], std::move(operand));
      return u;
    }
    GW_ASSIGN_OR_RETURN(ExprPtr term, this->term());
    return postfix(std::move(term));
  }

  core::Result<ExprPtr> postfix(ExprPtr e) {
    while (true) {
      const Token& t = peek();
      if (t.symbol(".")) {
        next();
        GW_ASSIGN_OR_RETURN(e, invocation(std::move(e)));
      } else if (t.symbol("[")) {
        next();
        GW_ASSIGN_OR_RETURN(ExprPtr index, expression(0));
        GW_RETURN_IF_ERROR(expect("]"));
        e = std::make_unique<IndexerExpr>(t.line, t.column, std::move(e), std::move(index));
      } else {
        return e;
      }
    }
  }

  // identifier | function call | $this/$index/$total, applied to `target` (null: the focus).
  core::Result<ExprPtr> invocation(ExprPtr target) {
    const Token& t = next();
    if (t.kind == TK::kDollar) {
      if (target != nullptr) return error(t, "$" + t.text + " cannot follow '.'");
      VariableExpr::Which which;
      if (t.text == "this") which = VariableExpr::Which::kThis;
      else if (t.text == "index") which = VariableExpr::Which::kIndex;
      else if (t.text == "total") which = VariableExpr::Which::kTotal;
      else return error(t, "unknown variable $" + t.text);
      ExprPtr v = std::make_unique<VariableExpr>(t.line, t.column, which);
      return v;
    }
    if (t.kind != TK::kIdentifier && t.kind != TK::kDelimited) {
      return error(t, "expected a name but found '" + describe(t) + "'");
    }
    if (t.kind == TK::kIdentifier && peek().symbol("(")) {
      next();
      const FunctionDef* fn = findFunction(t.text);
      if (fn == nullptr) return error(t, "unknown function '" + t.text + "'");
      std::vector<ExprPtr> args;
      std::string type_arg;
      if (!peek().symbol(")")) {
        while (true) {
          if (fn->type_argument && args.empty() && type_arg.empty()) {
            GW_ASSIGN_OR_RETURN(type_arg, typeSpecifier());
          } else {
            GW_ASSIGN_OR_RETURN(ExprPtr a, expression(0));
            args.push_back(std::move(a));
          }
          if (peek().symbol(",")) {
            next();
            continue;
          }
          break;
        }
      }
      GW_RETURN_IF_ERROR(expect(")"));
      int n = static_cast<int>(args.size()) + (type_arg.empty() ? 0 : 1);
      if (n < fn->min_args || n > fn->max_args) {
        std::string want = fn->min_args == fn->max_args
                               ? std::to_string(fn->min_args)
                               : std::to_string(fn->min_args) + " to " + std::to_string(fn->max_args);
        return error(t, t.text + "() takes " + want + " argument(s), not " + std::to_string(n));
      }
      ExprPtr call = std::make_unique<CallExpr>(t.line, t.column, std::move(target), fn, std::move(args), type_arg);
      return call;
    }
    ExprPtr m = std::make_unique<MemberExpr>(t.line, t.column, std::move(target), t.text);
    return m;
  }

  core::Result<ExprPtr> literal(const Token& at, Value v) {
    ExprPtr e = std::make_unique<LiteralExpr>(at.line, at.column, Collection{std::move(v)});
    return e;
  }

  core::Result<ExprPtr> term() {
    const Token& t = peek();
    switch (t.kind) {
      case TK::kEnd: return error(t, "unexpected end of expression");
      case TK::kString:
        next();
        return literal(t, Value::string(t.text));
      case TK::kNumber: {
        next();
        const Token& unit = peek();
        std::string text = t.text;
        bool is_long = !text.empty() && text.back() == 'L';
        if (is_long) text.pop_back();
        auto d = Decimal::parse(text);
        if (!d) return error(t, "number out of range");
        if (unit.kind == TK::kString || (unit.kind == TK::kIdentifier && calendarUnit(unit.text))) {
          next();
          Quantity q;
          q.value = *d;
          if (unit.kind == TK::kString && parseUcum(unit.text)) {
            q.unit = unit.text;
          } else if (unit.kind == TK::kString && !calendarUnit(unit.text)) {
            return error(unit, "unknown UCUM unit '" + unit.text + "'");
          } else {
            q.unit = *calendarUnit(unit.text);
            q.calendar = true;
          }
          return literal(t, Value::quantity(std::move(q)));
        }
        if (text.find('.') == std::string::npos) {
          auto i = d->toInt64();
          if (!i) return error(t, "integer out of range");
          return literal(t, Value::integer(*i));
        }
        return literal(t, Value::decimal(*d));
      }
      case TK::kDateTime: {
        next();
        auto v = t.text.find('T') == std::string::npos ? Temporal::parseDate(t.text)
                                                       : Temporal::parseDateTime(t.text);
        if (!v) return error(t, "invalid date/time literal @" + t.text);
        return literal(t, Value::temporal(*v));
      }
      case TK::kTime: {
        next();
        auto v = Temporal::parseTime(t.text);
        if (!v) return error(t, "invalid time literal @T" + t.text + " (times have no time zone)");
        return literal(t, Value::temporal(*v));
      }
      case TK::kPercent: {
        next();
        ExprPtr v = std::make_unique<VariableExpr>(t.line, t.column, VariableExpr::Which::kExternal, t.text);
        return v;
      }
      case TK::kSymbol:
        if (t.text == "(") {
          next();
          GW_ASSIGN_OR_RETURN(ExprPtr inner, expression(0));
          GW_RETURN_IF_ERROR(expect(")"));
          return inner;
        }
        if (t.text == "{") {
          next();
          GW_RETURN_IF_ERROR(expect("}"));
          ExprPtr e = std::make_unique<LiteralExpr>(t.line, t.column, Collection{});
          return e;
        }
        return error(t, "unexpected '" + t.text + "'");
      case TK::kIdentifier:
        if (t.text == "true" || t.text == "false") {
          next();
          return literal(t, Value::boolean(t.text == "true"));
        }
        [[fallthrough]];
      default:
        return invocation(nullptr);
    }
  }

  std::vector<Token> t_;
  std::size_t pos_ = 0;
};

}  // namespace

core::Result<ExprPtr> parse(std::string_view text) {
  GW_ASSIGN_OR_RETURN(auto tokens, tokenize(text));
  return Parser(std::move(tokens)).run();
}

}  // namespace onedoor::fhirpath
