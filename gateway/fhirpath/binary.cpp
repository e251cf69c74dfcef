// Binary operators (https://hl7.org/fhirpath/N1/#operations).
#include "fhirpath/nodes.h"

namespace onedoor::fhirpath {
namespace {

Collection boolResult(std::optional<bool> b) {
  return b ? Collection{Value::boolean(*b)} : Collection{};
}

core::Result<Collection> logic(const BinaryExpr& e, Context& ctx, const Collection& focus) {
  GW_ASSIGN_OR_RETURN(Collection lc, e.left().eval(ctx, focus));
  GW_ASSIGN_OR_RETURN(auto l, singletonBoolean(e, lc));
  // Short-circuit where the left side decides (false and x, true or x, false implies x).
  if (e.op() == BinaryOp::kAnd && l && !*l) return boolResult(false);
  if (e.op() == BinaryOp::kOr && l && *l) return boolResult(true);
  if (e.op() == BinaryOp::kImplies && l && !*l) return boolResult(true);
  GW_ASSIGN_OR_RETURN(Collection rc, e.right().eval(ctx, focus));
  GW_ASSIGN_OR_RETURN(auto r, singletonBoolean(e, rc));
  switch (e.op()) {
    case BinaryOp::kAnd:
      if (r && !*r) return boolResult(false);
      if (l && r) return boolResult(true);
      return Collection{};
    case BinaryOp::kOr:
      if (r && *r) return boolResult(true);
      if (l && r) return boolResult(false);
      return Collection{};
    case BinaryOp::kXor:
      if (l && r) return boolResult(*l != *r);
      return Collection{};
    case BinaryOp::kImplies:
      if (r && *r) return boolResult(true);
      if (l && r) return boolResult(false);  // true implies false
      return Collection{};
    default: return Collection{};
  }
}

ArithOp arithOp(BinaryOp op) {
  switch (op) {
    case BinaryOp::kMul: return ArithOp::kMul;
    case BinaryOp::kDiv: return ArithOp::kDiv;
    case BinaryOp::kIntDiv: return ArithOp::kIntDiv;
    case BinaryOp::kMod: return ArithOp::kMod;
    case BinaryOp::kSub: return ArithOp::kSub;
    default: return ArithOp::kAdd;
  }
}

}  // namespace

core::Result<Collection> BinaryExpr::eval(Context& ctx, const Collection& focus) const {
  switch (op_) {
    case BinaryOp::kAnd:
    case BinaryOp::kOr:
    case BinaryOp::kXor:
    case BinaryOp::kImplies:
      return logic(*this, ctx, focus);
    default:
      break;
  }
  GW_ASSIGN_OR_RETURN(Collection l, left_->eval(ctx, focus));
  GW_ASSIGN_OR_RETURN(Collection r, right_->eval(ctx, focus));
  switch (op_) {
    case BinaryOp::kUnion: {
      Collection out;
      DistinctAppender append(out);
      for (const auto& v : l) append.add(v);
      for (const auto& v : r) append.add(v);
      return out;
    }
    case BinaryOp::kEq: return boolResult(collectionsEqual(l, r));
    case BinaryOp::kNe: {
      auto eq = collectionsEqual(l, r);
      return boolResult(eq ? std::optional<bool>(!*eq) : std::nullopt);
    }
    case BinaryOp::kEquiv: return boolResult(collectionsEquivalent(l, r));
    case BinaryOp::kNotEquiv: return boolResult(!collectionsEquivalent(l, r));
    case BinaryOp::kIn:
    case BinaryOp::kContains: {
      const Collection& item = op_ == BinaryOp::kIn ? l : r;
      const Collection& set = op_ == BinaryOp::kIn ? r : l;
      if (item.empty()) return Collection{};
      if (item.size() > 1) return evalError(*this, "membership needs a single item to look for");
      return boolResult(containsEqual(set, item.front()));
    }
    case BinaryOp::kConcat: {
      if (l.size() > 1 || r.size() > 1) return evalError(*this, "& needs single values");
      std::string out;
      for (const auto* side : {&l, &r}) {
        if (side->empty()) continue;
        auto s = side->front().toDisplayString();
        if (!s) return evalError(*this, "& needs strings");
        out += *s;
      }
      return Collection{Value::string(out)};
    }
    default: break;
  }
  if (l.empty() || r.empty()) return Collection{};
  if (l.size() > 1 || r.size() > 1) {
    return evalError(*this, "this operator needs single values (got " + std::to_string(l.size()) +
                                " and " + std::to_string(r.size()) + ")");
  }
  switch (op_) {
    case BinaryOp::kLt:
    case BinaryOp::kGt:
    case BinaryOp::kLe:
    case BinaryOp::kGe: {
      auto c = compareItems(l.front(), r.front());
      if (!c.isOk()) return evalError(*this, c.status().message());
      if (!*c) return Collection{};
      int v = **c;
      bool b = op_ == BinaryOp::kLt ? v < 0 : op_ == BinaryOp::kGt ? v > 0 : op_ == BinaryOp::kLe ? v <= 0 : v >= 0;
      return boolResult(b);
    }
    default: {
      auto v = arithmetic(arithOp(op_), l.front(), r.front());
      if (!v.isOk()) return evalError(*this, v.status().message());
      if (!*v) return Collection{};
      return Collection{**v};
    }
  }
}

}  // namespace onedoor::fhirpath
