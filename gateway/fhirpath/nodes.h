#pragma once
// The Expr node kinds of the compiled tree (internal to the fhirpath folder).

#include <string>
#include <vector>

#include "fhirpath/expr.h"
#include "fhirpath/operators.h"

namespace onedoor::fhirpath {

class CallExpr;
using FnImpl = core::Result<Collection> (*)(Context& ctx, const Collection& input, const CallExpr& call);

struct FunctionDef {
  const char* name;
  int min_args;
  int max_args;
  FnImpl impl;
  bool type_argument = false;  // is/as/ofType: the argument is a type specifier, not evaluated
};

const FunctionDef* findFunction(std::string_view name);

class LiteralExpr : public Expr {
 public:
  LiteralExpr(std::uint32_t l, std::uint32_t c, Collection v) : Expr(l, c), values_(std::move(v)) {}
  core::Result<Collection> eval(Context&, const Collection&) const override { return values_; }
  const Collection& values() const { return values_; }

 private:
  Collection values_;
};

// `name` on the focus (no target) or on `target`: navigation, or a type filter (Patient.name).
class MemberExpr : public Expr {
 public:
  MemberExpr(std::uint32_t l, std::uint32_t c, ExprPtr target, std::string name)
      : Expr(l, c), target_(std::move(target)), name_(std::move(name)) {}
  core::Result<Collection> eval(Context& ctx, const Collection& focus) const override;
  std::optional<std::string> qualifiedName() const override;
  const Expr* target() const { return target_.get(); }
  const std::string& name() const { return name_; }

 private:
  ExprPtr target_;
  std::string name_;
};

class CallExpr : public Expr {
 public:
  CallExpr(std::uint32_t l, std::uint32_t c, ExprPtr target, const FunctionDef* fn,
           std::vector<ExprPtr> args, std::string type_arg)
      : Expr(l, c), target_(std::move(target)), fn_(fn), args_(std::move(args)), type_arg_(std::move(type_arg)) {}
  core::Result<Collection> eval(Context& ctx, const Collection& focus) const override;

  const std::string& name() const { return name_; }
  std::size_t argCount() const { return args_.size(); }
  const Expr& arg(std::size_t i) const { return *args_[i]; }
  const Expr* target() const { return target_.get(); }
  const FunctionDef& def() const { return *fn_; }
  // Evaluates argument i with $this as its focus (the item being iterated over, or the
  // expression's input at the top level) — not the function's own input: in
  // name.given.combine(name.family) the argument starts again from the resource.
  core::Result<Collection> evalArg(Context& ctx, std::size_t i, const Collection& input) const;
  const std::string& typeArg() const { return type_arg_; }

 private:
  ExprPtr target_;
  const FunctionDef* fn_;
  std::vector<ExprPtr> args_;
  std::string type_arg_;
  std::string name_ = fn_ ? fn_->name : "";
};

class IndexerExpr : public Expr {
 public:
  IndexerExpr(std::uint32_t l, std::uint32_t c, ExprPtr target, ExprPtr index)
      : Expr(l, c), target_(std::move(target)), index_(std::move(index)) {}
  core::Result<Collection> eval(Context& ctx, const Collection& focus) const override;

 private:
  ExprPtr target_;
  ExprPtr index_;
};

class UnaryExpr : public Expr {
 public:
  UnaryExpr(std::uint32_t l, std::uint32_t c, char op, ExprPtr operand)
      : Expr(l, c), op_(op), operand_(std::move(operand)) {}
  core::Result<Collection> eval(Context& ctx, const Collection& focus) const override;
  char op() const { return op_; }
  const Expr& operand() const { return *operand_; }

 private:
  char op_;
  ExprPtr operand_;
};

enum class BinaryOp {
  kMul, kDiv, kIntDiv, kMod, kAdd, kSub, kConcat, kUnion, kLt, kGt, kLe, kGe, kEq, kEquiv, kNe,
  kNotEquiv, kIn, kContains, kAnd, kOr, kXor, kImplies
};

class BinaryExpr : public Expr {
 public:
  BinaryExpr(std::uint32_t l, std::uint32_t c, BinaryOp op, ExprPtr left, ExprPtr right)
      : Expr(l, c), op_(op), left_(std::move(left)), right_(std::move(right)) {}
  core::Result<Collection> eval(Context& ctx, const Collection& focus) const override;
  BinaryOp op() const { return op_; }
  const Expr& left() const { return *left_; }
  const Expr& right() const { return *right_; }

 private:
  BinaryOp op_;
  ExprPtr left_;
  ExprPtr right_;
};

// `x is T` / `x as T`.
class TypeExpr : public Expr {
 public:
  TypeExpr(std::uint32_t l, std::uint32_t c, bool is, ExprPtr operand, std::string type)
      : Expr(l, c), is_(is), operand_(std::move(operand)), type_(std::move(type)) {}
  core::Result<Collection> eval(Context& ctx, const Collection& focus) const override;
  bool isTest() const { return is_; }
  const Expr& operand() const { return *operand_; }
  const std::string& type() const { return type_; }

 private:
  bool is_;
  ExprPtr operand_;
  std::string type_;
};

class VariableExpr : public Expr {
 public:
  enum class Which { kThis, kIndex, kTotal, kExternal };
  VariableExpr(std::uint32_t l, std::uint32_t c, Which which, std::string name = {})
      : Expr(l, c), which_(which), name_(std::move(name)) {}
  core::Result<Collection> eval(Context& ctx, const Collection& focus) const override;

 private:
  Which which_;
  std::string name_;
};

// Boolean view of a collection for logic: empty → nullopt; one Boolean → it; one other item →
// true; several items → error.
core::Result<std::optional<bool>> singletonBoolean(const Expr& at, const Collection& c);

// Type tests shared by `is`, `as`, is(), as(), ofType(): the item is of the named type
// (exact=false walks the FHIR base types).
// `primitives_as_system`: an unqualified System type name also matches FHIR primitives of that
// System type (`answer is Boolean` on a FHIR boolean), as R4's own invariants assume.
bool isOfType(const Value& v, const std::string& type, bool exact, bool primitives_as_system = false);
// Checks that a type name is known (System.X, FHIR.X, or a bare name either resolves to).
bool knownType(const std::string& type, const fhir::Model* model);

}  // namespace onedoor::fhirpath
