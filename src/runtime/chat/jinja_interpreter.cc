#include "runtime/chat/jinja_interpreter.h"

#include <memory>
#include <unordered_map>

#include "runtime/chat/jinja_filters.h"
#include "runtime/chat/jinja_globals.h"
#include "runtime/chat/jinja_methods.h"
#include "runtime/chat/jinja_objects.h"
#include "runtime/chat/jinja_ops.h"
#include "runtime/chat/jinja_tests.h"
#include "runtime/chat/jinja_text.h"

namespace foundry::runtime::jinja {
namespace {

// One variable scope. The template body, each for-loop iteration, each macro call and each
// `with` block get their own; `if` does not (jinja2 scoping). Lookups walk to the parent.
struct Frame {
  std::unordered_map<std::string, Value> vars;
  std::shared_ptr<Frame> parent;
};
using FramePtr = std::shared_ptr<Frame>;

FramePtr ChildFrame(const FramePtr& parent) {
  auto f = std::make_shared<Frame>();
  f->parent = parent;
  return f;
}

// A macro, or the `caller` of a call block: parameters and body from the syntax tree, plus the
// scope it was defined in (macros see that scope's variables as they are at call time).
class Macro final : public Object {
 public:
  Macro(std::string name, const Stmt* def, FramePtr closure)
      : name_(std::move(name)), def_(def), closure_(std::move(closure)) {}
  std::string_view type_name() const override { return "Macro"; }
  bool is_callable() const override { return true; }
  std::string repr() const override { return "<Macro '" + name_ + "'>"; }
  const std::string& name() const { return name_; }
  const Stmt& def() const { return *def_; }
  const FramePtr& closure() const { return closure_; }

 private:
  std::string name_;
  const Stmt* def_;  // owned by the Program, which outlives the render
  FramePtr closure_;
};

enum class Flow { kNormal, kBreak, kContinue };

Status At(const SourcePos& pos, const Status& st) {
  if (st.ok()) return st;
  return Status(st.code(), PositionPrefix(pos) + st.message());
}

template <class T>
Result<T> At(const SourcePos& pos, Result<T> r) {
  if (r.ok()) return r;
  return At(pos, r.status());
}

class Interpreter {
 public:
  Interpreter(const Value& context, const RenderOptions& options)
      : context_(context), options_(options), globals_(MakeGlobals(options, &namespaces_)) {}

  // Values cannot outlive a render (it returns text), so whatever cycles it built can be cut:
  // a macro holds the scope it was defined in, which holds the macro; namespaces can hold
  // themselves. Clearing those scopes and namespaces frees everything.
  ~Interpreter() {
    for (const FramePtr& f : closure_frames_) f->vars.clear();
    for (const auto& ns : namespaces_) ns->Clear();
  }
  Interpreter(const Interpreter&) = delete;
  Interpreter& operator=(const Interpreter&) = delete;

  Result<std::string> Run(const Program& program) {
    auto root = ChildFrame(nullptr);
    std::string out;
    FOUNDRY_RETURN_IF_ERROR(ExecBody(program.body, root, out));
    return out;
  }

 private:
  // Counts nesting of Eval/Exec/macro calls; see kMaxEvalDepth.
  class DepthGuard {
   public:
    explicit DepthGuard(Interpreter* in) : in_(in) { ++in_->depth_; }
    ~DepthGuard() { --in_->depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    bool exceeded() const { return in_->depth_ > kMaxEvalDepth; }

   private:
    Interpreter* in_;
  };

  Status TooDeep(const SourcePos& pos) const {
    return At(pos, Status::ResourceExhausted("RecursionError: template nesting deeper than " +
                                             std::to_string(kMaxEvalDepth) + " while rendering"));
  }

  Status Step(const SourcePos& pos) {
    if (++steps_ > options_.max_steps)
      return At(pos, Status::ResourceExhausted(
                         "more than " + std::to_string(options_.max_steps) +
                         " loop iterations and macro calls (RenderOptions::max_steps)"));
    return Status::Ok();
  }

  Status Append(std::string& out, std::string_view piece, const SourcePos& pos) const {
    if (out.size() + piece.size() > options_.max_output_bytes)
      return At(pos, Status::ResourceExhausted("output larger than " +
                                               std::to_string(options_.max_output_bytes) +
                                               " bytes (RenderOptions::max_output_bytes)"));
    out.append(piece);
    return Status::Ok();
  }

  Value Lookup(const std::string& name, const FramePtr& frame) const {
    for (const Frame* f = frame.get(); f; f = f->parent.get()) {
      auto it = f->vars.find(name);
      if (it != f->vars.end()) return it->second;
    }
    if (context_.is_dict())
      if (const Value* v = context_.dict().Find(name)) return *v;
    if (const Value* v = globals_.Find(name)) return *v;
    return Value::Undefined("UndefinedError: " + text::Repr(name) + " is undefined");
  }

  // ---- statements -------------------------------------------------------------------------

  Status ExecBody(const Body& body, const FramePtr& frame, std::string& out) {
    for (const StmtPtr& s : body) {
      FOUNDRY_RETURN_IF_ERROR(Exec(*s, frame, out));
      if (flow_ != Flow::kNormal) break;
    }
    return Status::Ok();
  }

  Status Exec(const Stmt& s, const FramePtr& frame, std::string& out) {
    DepthGuard guard(this);
    if (guard.exceeded()) return TooDeep(s.pos);
    switch (s.kind) {
      case StmtKind::kText:
        return Append(out, s.text, s.pos);
      case StmtKind::kOutput: {
        FOUNDRY_ASSIGN_OR_RETURN(Value v, Eval(*s.expr, frame));
        return Append(out, ops::Str(v), s.pos);
      }
      case StmtKind::kIf: {
        FOUNDRY_ASSIGN_OR_RETURN(Value test, Eval(*s.expr, frame));
        return ExecBody(test.Truthy() ? s.body : s.else_body, frame, out);
      }
      case StmtKind::kFor:
        return ExecFor(s, frame, out);
      case StmtKind::kSet: {
        FOUNDRY_ASSIGN_OR_RETURN(Value v, Eval(*s.expr, frame));
        return Assign(s.target, std::move(v), frame, s.pos);
      }
      case StmtKind::kSetBlock: {
        FOUNDRY_ASSIGN_OR_RETURN(Value v, RenderBlock(s, frame));
        return Assign(s.target, std::move(v), frame, s.pos);
      }
      case StmtKind::kMacro:
        closure_frames_.push_back(frame);
        frame->vars[s.name] = Value::FromObject(std::make_shared<Macro>(s.name, &s, frame));
        return Status::Ok();
      case StmtKind::kCallBlock: {
        FOUNDRY_ASSIGN_OR_RETURN(Value v, EvalCall(*s.expr, frame, &s));
        return Append(out, ops::Str(v), s.pos);
      }
      case StmtKind::kFilterBlock: {
        FOUNDRY_ASSIGN_OR_RETURN(Value v, RenderBlock(s, frame));
        return Append(out, ops::Str(v), s.pos);
      }
      case StmtKind::kWith: {
        auto inner = ChildFrame(frame);
        for (size_t i = 0; i < s.with_targets.size(); ++i) {
          FOUNDRY_ASSIGN_OR_RETURN(Value v, Eval(*s.with_values[i], frame));
          inner->vars[s.with_targets[i]] = std::move(v);
        }
        return ExecBody(s.body, inner, out);
      }
      case StmtKind::kBreak:
        flow_ = Flow::kBreak;
        return Status::Ok();
      case StmtKind::kContinue:
        flow_ = Flow::kContinue;
        return Status::Ok();
    }
    return At(s.pos, Status::Internal("unknown statement kind"));
  }

  // The body of a block set or filter block, rendered and passed through its filter chain.
  Result<Value> RenderBlock(const Stmt& s, const FramePtr& frame) {
    std::string text;
    FOUNDRY_RETURN_IF_ERROR(ExecBody(s.body, frame, text));
    Value v(std::move(text));
    if (!s.filter) return v;
    return EvalFilter(*s.filter, frame, &v);
  }

  Status Bind(const Target& t, const Value& v, Frame& frame, const SourcePos& pos) {
    if (!t.is_tuple) {
      frame.vars[t.names[0]] = v;
      return Status::Ok();
    }
    FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> parts, At(pos, ops::Iterate(v)));
    if (parts.size() != t.names.size()) {
      std::string want = std::to_string(t.names.size());
      return At(pos, parts.size() < t.names.size()
                         ? ops::ValueError("not enough values to unpack (expected " + want +
                                           ", got " + std::to_string(parts.size()) + ")")
                         : ops::ValueError("too many values to unpack (expected " + want + ")"));
    }
    for (size_t i = 0; i < parts.size(); ++i) frame.vars[t.names[i]] = std::move(parts[i]);
    return Status::Ok();
  }

  Status Assign(const Target& t, Value v, const FramePtr& frame, const SourcePos& pos) {
    if (t.attr.empty()) return Bind(t, v, *frame, pos);
    Value obj = Lookup(t.names[0], frame);
    auto* ns = obj.is_object() ? dynamic_cast<Namespace*>(obj.object().get()) : nullptr;
    if (!ns)
      return At(pos, Status::InvalidArgument(
                         "TemplateRuntimeError: cannot assign attribute on non-namespace object"));
    ns->SetAttr(t.attr, std::move(v));
    return Status::Ok();
  }

  Status ExecFor(const Stmt& s, const FramePtr& frame, std::string& out) {
    FOUNDRY_ASSIGN_OR_RETURN(Value iterable, Eval(*s.expr, frame));
    FOUNDRY_ASSIGN_OR_RETURN(std::vector<Value> items, At(s.expr->pos, ops::Iterate(iterable)));
    if (s.cond) {
      std::vector<Value> kept;
      for (Value& item : items) {
        FOUNDRY_RETURN_IF_ERROR(Step(s.pos));
        auto probe = ChildFrame(frame);
        FOUNDRY_RETURN_IF_ERROR(Bind(s.target, item, *probe, s.pos));
        FOUNDRY_ASSIGN_OR_RETURN(Value keep, Eval(*s.cond, probe));
        if (keep.Truthy()) kept.push_back(std::move(item));
      }
      items = std::move(kept);
    }
    if (items.empty()) return ExecBody(s.else_body, frame, out);
    auto shared = std::make_shared<const std::vector<Value>>(std::move(items));
    for (size_t i = 0; i < shared->size(); ++i) {
      FOUNDRY_RETURN_IF_ERROR(Step(s.pos));
      auto iter = ChildFrame(frame);
      FOUNDRY_RETURN_IF_ERROR(Bind(s.target, (*shared)[i], *iter, s.pos));
      iter->vars["loop"] = Value::FromObject(std::make_shared<LoopContext>(shared, i));
      FOUNDRY_RETURN_IF_ERROR(ExecBody(s.body, iter, out));
      Flow flow = flow_;
      flow_ = Flow::kNormal;
      if (flow == Flow::kBreak) break;
    }
    return Status::Ok();
  }

  // ---- expressions ------------------------------------------------------------------------

  Result<Value> Eval(const Expr& e, const FramePtr& frame) {
    DepthGuard guard(this);
    if (guard.exceeded()) return TooDeep(e.pos);
    FOUNDRY_ASSIGN_OR_RETURN(Value v, EvalInner(e, frame));
    if (v.depth() > kMaxValueDepth)
      return At(e.pos, Status::ResourceExhausted("RecursionError: value nested deeper than " +
                                                 std::to_string(kMaxValueDepth) + " levels"));
    return v;
  }

  Result<Value> EvalInner(const Expr& e, const FramePtr& frame) {
    switch (e.kind) {
      case ExprKind::kLiteral:
        return e.literal;
      case ExprKind::kName:
        return Lookup(e.name, frame);
      case ExprKind::kList:
      case ExprKind::kTuple:
        return EvalSequence(e, frame);
      case ExprKind::kDict:
        return EvalDict(e, frame);
      case ExprKind::kGetAttr:
        return EvalGetAttr(e, frame);
      case ExprKind::kGetItem:
        return EvalGetItem(e, frame);
      case ExprKind::kSlice:
        return EvalSlice(e, frame);
      case ExprKind::kCall:
        return EvalCall(e, frame, nullptr);
      case ExprKind::kFilter:
        return EvalFilter(e, frame, nullptr);
      case ExprKind::kTest:
        return EvalTest(e, frame);
      case ExprKind::kNot: {
        FOUNDRY_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0], frame));
        return Value(!v.Truthy());
      }
      case ExprKind::kNeg:
      case ExprKind::kPos: {
        FOUNDRY_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0], frame));
        return At(e.pos, e.kind == ExprKind::kNeg ? ops::Negate(v) : ops::Positive(v));
      }
      case ExprKind::kAnd:
      case ExprKind::kOr: {
        // Python returns the deciding operand, not a bool.
        FOUNDRY_ASSIGN_OR_RETURN(Value left, Eval(*e.children[0], frame));
        if (left.Truthy() == (e.kind == ExprKind::kOr)) return left;
        return Eval(*e.children[1], frame);
      }
      case ExprKind::kBinary: {
        FOUNDRY_ASSIGN_OR_RETURN(Value left, Eval(*e.children[0], frame));
        FOUNDRY_ASSIGN_OR_RETURN(Value right, Eval(*e.children[1], frame));
        return At(e.pos, ops::Binary(e.bin_op, left, right, options_.max_output_bytes));
      }
      case ExprKind::kConcat:
        return EvalConcat(e, frame);
      case ExprKind::kCompare:
        return EvalCompare(e, frame);
      case ExprKind::kCondExpr: {
        FOUNDRY_ASSIGN_OR_RETURN(Value test, Eval(*e.children[1], frame));
        if (test.Truthy()) return Eval(*e.children[0], frame);
        if (e.children[2]) return Eval(*e.children[2], frame);
        return Value::Undefined("UndefinedError: the inline if-expression on line " +
                                std::to_string(e.pos.line) +
                                " evaluated to false and no else section was defined.");
      }
    }
    return At(e.pos, Status::Internal("unknown expression kind"));
  }

  Result<Value> EvalSequence(const Expr& e, const FramePtr& frame) {
    std::vector<Value> items;
    items.reserve(e.children.size());
    for (const ExprPtr& c : e.children) {
      FOUNDRY_ASSIGN_OR_RETURN(Value v, Eval(*c, frame));
      items.push_back(std::move(v));
    }
    return e.kind == ExprKind::kList ? Value::List(std::move(items))
                                     : Value::Tuple(std::move(items));
  }

  Result<Value> EvalDict(const Expr& e, const FramePtr& frame) {
    Dict d;
    for (size_t i = 0; i + 1 < e.children.size(); i += 2) {
      FOUNDRY_ASSIGN_OR_RETURN(Value k, Eval(*e.children[i], frame));
      FOUNDRY_ASSIGN_OR_RETURN(Value v, Eval(*e.children[i + 1], frame));
      FOUNDRY_RETURN_IF_ERROR(At(e.children[i]->pos, d.Insert(std::move(k), std::move(v))));
    }
    return Value::FromDict(std::move(d));
  }

  Result<Value> EvalGetAttr(const Expr& e, const FramePtr& frame) {
    FOUNDRY_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0], frame));
    if (obj.is_undefined()) return At(e.pos, ops::UndefinedError(obj));
    return methods::GetAttr(obj, e.name);
  }

  Result<Value> EvalGetItem(const Expr& e, const FramePtr& frame) {
    FOUNDRY_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0], frame));
    FOUNDRY_ASSIGN_OR_RETURN(Value key, Eval(*e.children[1], frame));
    if (obj.is_undefined()) return At(e.pos, ops::UndefinedError(obj));
    FOUNDRY_ASSIGN_OR_RETURN(Value v, At(e.pos, ops::GetItem(obj, key)));
    // jinja's getitem falls back to an attribute: "abc"["upper"] is the method.
    if (v.is_undefined() && key.is_string()) return methods::GetAttr(obj, key.string_value());
    return v;
  }

  Result<Value> EvalSlice(const Expr& e, const FramePtr& frame) {
    FOUNDRY_ASSIGN_OR_RETURN(Value obj, Eval(*e.children[0], frame));
    std::optional<int64_t> bounds[3];
    for (size_t i = 0; i < 3; ++i) {
      if (!e.children[i + 1]) continue;
      FOUNDRY_ASSIGN_OR_RETURN(Value b, Eval(*e.children[i + 1], frame));
      if (b.is_none()) continue;
      if (!b.is_int() && !b.is_bool())
        return At(e.pos, ops::TypeError("slice indices must be integers or None or have an "
                                        "__index__ method"));
      bounds[i] = b.is_bool() ? int64_t{b.bool_value()} : b.int_value();
    }
    return At(e.pos, ops::Slice(obj, bounds[0], bounds[1], bounds[2]));
  }

  Result<CallArgs> EvalArgs(const Expr& e, size_t first, const FramePtr& frame) {
    CallArgs args;
    for (size_t i = first; i < e.children.size(); ++i) {
      FOUNDRY_ASSIGN_OR_RETURN(Value v, Eval(*e.children[i], frame));
      args.positional.push_back(std::move(v));
    }
    for (const auto& [name, expr] : e.kwargs) {
      FOUNDRY_ASSIGN_OR_RETURN(Value v, Eval(*expr, frame));
      args.keyword.emplace_back(name, std::move(v));
    }
    return args;
  }

  // A call expression; `call_block` (for {% call %}) adds its body as the `caller` argument.
  Result<Value> EvalCall(const Expr& e, const FramePtr& frame, const Stmt* call_block) {
    FOUNDRY_ASSIGN_OR_RETURN(Value fn, Eval(*e.children[0], frame));
    FOUNDRY_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1, frame));
    if (call_block) {
      closure_frames_.push_back(frame);
      args.keyword.emplace_back(
          "caller", Value::FromObject(std::make_shared<Macro>("caller", call_block, frame)));
    }
    if (fn.is_undefined()) return At(e.pos, ops::UndefinedError(fn));
    if (!fn.is_object() || !fn.object()->is_callable())
      return At(e.pos, ops::TypeError("'" + ops::TypeName(fn) + "' object is not callable"));
    Object* obj = fn.object().get();
    if (auto* macro = dynamic_cast<Macro*>(obj)) return CallMacro(*macro, args, e.pos);
    if (auto* native = dynamic_cast<NativeFunction*>(obj)) return At(e.pos, native->Call(args));
    if (auto* method = dynamic_cast<BoundMethod*>(obj))
      return At(e.pos,
                methods::Call(method->self(), method->name(), args, options_.max_output_bytes));
    return At(e.pos, ops::TypeError("'" + ops::TypeName(fn) + "' object is not callable"));
  }

  Result<Value> CallMacro(const Macro& macro, const CallArgs& args, const SourcePos& pos) {
    FOUNDRY_RETURN_IF_ERROR(Step(pos));
    if (call_depth_ >= options_.max_call_depth)
      return At(pos, Status::ResourceExhausted("RecursionError: macro calls nested deeper than " +
                                               std::to_string(options_.max_call_depth) +
                                               " (RenderOptions::max_call_depth)"));
    const Params& params = macro.def().params;
    const std::string& name = macro.name();
    if (args.positional.size() > params.names.size())
      return At(pos, ops::TypeError("macro '" + name + "' takes not more than " +
                                    std::to_string(params.names.size()) + " argument(s)"));
    auto frame = ChildFrame(macro.closure());
    std::vector<bool> given(params.names.size(), false);
    for (size_t i = 0; i < args.positional.size(); ++i) {
      frame->vars[params.names[i]] = args.positional[i];
      given[i] = true;
    }
    for (const auto& [key, value] : args.keyword) {
      size_t i = 0;
      while (i < params.names.size() && params.names[i] != key) ++i;
      if (i == params.names.size()) {
        if (key == "caller") {
          frame->vars["caller"] = value;
          continue;
        }
        return At(pos,
                  ops::TypeError("macro '" + name + "' takes no keyword argument '" + key + "'"));
      }
      if (given[i])
        return At(pos, ops::TypeError("macro '" + name + "' got multiple values for argument '" +
                                      key + "'"));
      frame->vars[key] = value;
      given[i] = true;
    }
    ++call_depth_;
    Status st;
    for (size_t i = 0; i < params.names.size() && st.ok(); ++i) {
      if (given[i]) continue;
      if (params.defaults[i]) {
        auto v = Eval(*params.defaults[i], frame);
        if (!v.ok())
          st = v.status();
        else
          frame->vars[params.names[i]] = std::move(v).value();
      } else {
        frame->vars[params.names[i]] = Value::Undefined(
            "UndefinedError: parameter " + text::Repr(params.names[i]) + " was not provided");
      }
    }
    std::string out;
    if (st.ok()) st = ExecBody(macro.def().body, frame, out);
    --call_depth_;
    FOUNDRY_RETURN_IF_ERROR(st);
    return Value(std::move(out));
  }

  // `input | name(args)`; a null input child means the block body in *block_input.
  Result<Value> EvalFilter(const Expr& e, const FramePtr& frame, const Value* block_input) {
    Value input;
    if (e.children[0]) {
      FOUNDRY_ASSIGN_OR_RETURN(input, e.children[0]->kind == ExprKind::kFilter
                                          ? EvalFilter(*e.children[0], frame, block_input)
                                          : Eval(*e.children[0], frame));
    } else if (block_input) {
      input = *block_input;
    }
    FOUNDRY_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1, frame));
    return At(e.pos, filters::Apply(e.name, input, args, options_.max_output_bytes));
  }

  Result<Value> EvalTest(const Expr& e, const FramePtr& frame) {
    FOUNDRY_ASSIGN_OR_RETURN(Value v, Eval(*e.children[0], frame));
    FOUNDRY_ASSIGN_OR_RETURN(CallArgs args, EvalArgs(e, 1, frame));
    bool result = false;
    if (e.name == "filter" || e.name == "test") {
      // `"upper" is filter`: whether such a filter / test exists.
      bool known = v.is_string() && (e.name == "filter" ? filters::Exists(v.string_value())
                                                        : tests::Exists(v.string_value()));
      result = known;
    } else {
      FOUNDRY_ASSIGN_OR_RETURN(result, At(e.pos, tests::Apply(e.name, v, args)));
    }
    return Value(result != e.negated);
  }

  Result<Value> EvalConcat(const Expr& e, const FramePtr& frame) {
    std::string out;
    for (const ExprPtr& c : e.children) {
      FOUNDRY_ASSIGN_OR_RETURN(Value v, Eval(*c, frame));
      out += ops::Str(v);
      if (out.size() > options_.max_output_bytes)
        return At(e.pos,
                  Status::ResourceExhausted("string larger than " +
                                            std::to_string(options_.max_output_bytes) + " bytes"));
    }
    return Value(std::move(out));
  }

  Result<Value> EvalCompare(const Expr& e, const FramePtr& frame) {
    FOUNDRY_ASSIGN_OR_RETURN(Value left, Eval(*e.children[0], frame));
    for (size_t i = 0; i < e.cmp_ops.size(); ++i) {
      FOUNDRY_ASSIGN_OR_RETURN(Value right, Eval(*e.children[i + 1], frame));
      FOUNDRY_ASSIGN_OR_RETURN(bool ok, At(e.pos, ops::Compare(e.cmp_ops[i], left, right)));
      if (!ok) return Value(false);
      left = std::move(right);
    }
    return Value(true);
  }

  const Value& context_;
  const RenderOptions& options_;
  std::vector<std::shared_ptr<Namespace>> namespaces_;  // made by namespace(); see ~Interpreter
  std::vector<FramePtr> closure_frames_;                // scopes macros close over
  Dict globals_;
  Flow flow_ = Flow::kNormal;
  uint64_t steps_ = 0;
  int call_depth_ = 0;
  int depth_ = 0;
};

}  // namespace

Result<std::string> RenderProgram(const Program& program, const Value& context,
                                  const RenderOptions& options) {
  if (!context.is_dict() && !context.is_undefined() && !context.is_none())
    return Status::InvalidArgument("render context must be a dict, not " + ops::TypeName(context));
  return Interpreter(context, options).Run(program);
}

}  // namespace foundry::runtime::jinja
