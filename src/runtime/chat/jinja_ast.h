#pragma once
// Syntax tree of a parsed jinja template. Internal to the jinja interpreter.
//
// Nodes are plain tagged structs; the comment on each kind says which fields it uses. A Program
// owns its tree and is immutable after parsing (shared by Template copies and render threads).

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "foundry/runtime/chat/jinja_value.h"
#include "runtime/chat/jinja_lexer.h"
#include "runtime/chat/jinja_ops.h"

namespace foundry::runtime::jinja {

struct Expr;
struct Stmt;
using ExprPtr = std::unique_ptr<Expr>;
using StmtPtr = std::unique_ptr<Stmt>;
using Body = std::vector<StmtPtr>;

enum class ExprKind {
  kLiteral,   // literal
  kName,      // name
  kList,      // children = items
  kTuple,     // children = items
  kDict,      // children = key0, value0, key1, value1, ...
  kGetAttr,   // children[0] = object; name = attribute
  kGetItem,   // children[0] = object, children[1] = key
  kSlice,     // children[0] = object; children[1..3] = start, stop, step (null if absent)
  kCall,      // children[0] = callee, children[1..] = positional args; kwargs
  kFilter,    // children[0] = input (null: a filter block's body), children[1..] = args;
              // name = filter; kwargs
  kTest,      // children[0] = input, children[1..] = args; name = test; negated; kwargs
  kNot,       // children[0]
  kNeg,       // children[0]
  kPos,       // children[0]
  kAnd,       // children[0], children[1]
  kOr,        // children[0], children[1]
  kBinary,    // children[0], children[1]; bin_op
  kConcat,    // children = operands of ~
  kCompare,   // children[0] compared with children[i + 1] by cmp_ops[i] (chained)
  kCondExpr,  // children[0] = value if children[1] (test) else children[2] (null: Undefined)
};

struct Expr {
  ExprKind kind = ExprKind::kLiteral;
  SourcePos pos;
  Value literal;
  std::string name;
  bool negated = false;
  ops::BinOp bin_op = ops::BinOp::kAdd;
  std::vector<ops::CmpOp> cmp_ops;
  std::vector<ExprPtr> children;
  std::vector<std::pair<std::string, ExprPtr>> kwargs;
};

// An assignment target: `x`, `a, b` (tuple unpacking) or `ns.attr` (namespace attribute).
struct Target {
  std::vector<std::string> names;  // one name unless unpacking
  bool is_tuple = false;
  std::string attr;  // non-empty: names[0].attr = value
};

// A macro parameter list: names with optional default expressions.
struct Params {
  std::vector<std::string> names;
  std::vector<ExprPtr> defaults;  // parallel to names; null: no default
};

enum class StmtKind {
  kText,         // text
  kOutput,       // expr
  kIf,           // expr = test; body; else_body (elif chains nest an kIf in else_body)
  kFor,          // target; expr = iterable; cond = loop filter (may be null); body; else_body
  kSet,          // target; expr = value
  kSetBlock,     // target (single name or ns.attr); body; filter = filter chain or null
  kMacro,        // name; params; body
  kCallBlock,    // expr = the call; params = caller's parameters; body = caller's body
  kFilterBlock,  // filter = chain whose innermost input is null (the body's output); body
  kWith,         // with_targets / with_values; body
  kBreak,
  kContinue,
};

struct Stmt {
  StmtKind kind = StmtKind::kText;
  SourcePos pos;
  std::string text;
  std::string name;
  ExprPtr expr;
  ExprPtr cond;
  ExprPtr filter;
  Target target;
  Params params;
  std::vector<std::string> with_targets;
  std::vector<ExprPtr> with_values;
  Body body;
  Body else_body;
};

struct Program {
  Body body;
};

}  // namespace foundry::runtime::jinja
