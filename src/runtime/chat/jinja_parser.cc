#include "runtime/chat/jinja_parser.h"

#include <initializer_list>
#include <string_view>

namespace foundry::runtime::jinja {
namespace {

class Parser {
 public:
  Parser(std::vector<Token> tokens, int max_depth)
      : tokens_(std::move(tokens)), max_depth_(max_depth) {}

  Result<std::unique_ptr<Program>> Run() {
    auto program = std::make_unique<Program>();
    std::string end;
    FOUNDRY_RETURN_IF_ERROR(ParseUntil(program->body, {}, &end, ""));
    return program;
  }

 private:
  // Keeps recursion bounded: every nested statement body and expression level takes one.
  class DepthGuard {
   public:
    explicit DepthGuard(Parser* p) : p_(p) { ++p_->depth_; }
    ~DepthGuard() { --p_->depth_; }
    DepthGuard(const DepthGuard&) = delete;
    DepthGuard& operator=(const DepthGuard&) = delete;
    bool exceeded() const { return p_->depth_ > p_->max_depth_; }

   private:
    Parser* p_;
  };

  const Token& Cur() const { return tokens_[pos_]; }
  const Token& Peek(size_t n = 1) const {
    size_t i = pos_ + n;
    return i < tokens_.size() ? tokens_[i] : tokens_.back();
  }
  void Next() {
    if (pos_ + 1 < tokens_.size()) ++pos_;
  }
  bool IsOp(std::string_view op) const { return Cur().kind == TokenKind::kOp && Cur().text == op; }
  bool IsName(std::string_view name) const {
    return Cur().kind == TokenKind::kName && Cur().text == name;
  }

  static std::string Describe(const Token& t) {
    switch (t.kind) {
      case TokenKind::kData:
        return "template data";
      case TokenKind::kVarBegin:
        return "begin of print statement";
      case TokenKind::kVarEnd:
        return "end of print statement";
      case TokenKind::kBlockBegin:
        return "begin of statement block";
      case TokenKind::kBlockEnd:
        return "end of statement block";
      case TokenKind::kName:
        return "'" + t.text + "'";
      case TokenKind::kString:
        return "string";
      case TokenKind::kInt:
        return "integer";
      case TokenKind::kFloat:
        return "float";
      case TokenKind::kOp:
        return "'" + t.text + "'";
      case TokenKind::kEof:
        return "end of template";
    }
    return "token";
  }

  Status Error(const SourcePos& pos, const std::string& msg) const {
    return Status::InvalidArgument(PositionPrefix(pos) + "TemplateSyntaxError: " + msg);
  }
  Status Unexpected(const std::string& expected) const {
    return Error(Cur().pos, "expected " + expected + ", got " + Describe(Cur()));
  }
  Status Expect(std::string_view op) {
    if (!IsOp(op)) return Unexpected(std::string("'").append(op).append("'"));
    Next();
    return Status::Ok();
  }
  Status ExpectName(std::string_view name) {
    if (!IsName(name)) return Unexpected("'" + std::string(name) + "'");
    Next();
    return Status::Ok();
  }
  Status ExpectBlockEnd() {
    if (Cur().kind != TokenKind::kBlockEnd) return Unexpected("end of statement block");
    Next();
    return Status::Ok();
  }
  Result<std::string> ExpectIdentifier() {
    if (Cur().kind != TokenKind::kName) return Unexpected("name");
    std::string name = Cur().text;
    Next();
    return name;
  }

  static ExprPtr MakeExpr(ExprKind kind, SourcePos pos) {
    auto e = std::make_unique<Expr>();
    e->kind = kind;
    e->pos = pos;
    return e;
  }
  static StmtPtr MakeStmt(StmtKind kind, SourcePos pos) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind;
    s->pos = pos;
    return s;
  }

  // ---- statements -------------------------------------------------------------------------

  // Parses statements into `body` until a `{% <end> ...` tag whose name is in `ends`; consumes
  // the block-begin and the tag name and reports it in *end (the caller parses the rest of the
  // tag). With no `ends`, parses to the end of the template. `owner` names the open block.
  Status ParseUntil(Body& body, std::initializer_list<std::string_view> ends, std::string* end,
                    std::string_view owner) {
    DepthGuard guard(this);
    if (guard.exceeded())
      return Error(Cur().pos, "statements nested deeper than " + std::to_string(max_depth_));
    while (true) {
      const Token& t = Cur();
      switch (t.kind) {
        case TokenKind::kEof: {
          if (ends.size() == 0) return Status::Ok();
          std::string want;
          for (std::string_view e : ends)
            want += (want.empty() ? "'" : " or '") + std::string(e) + "'";
          return Error(t.pos,
                       "Unexpected end of template. Jinja was looking for the following "
                       "tags: " +
                           want +
                           ". The innermost block that needs to be closed "
                           "is '" +
                           std::string(owner) + "'.");
        }
        case TokenKind::kData: {
          auto s = MakeStmt(StmtKind::kText, t.pos);
          s->text = t.text;
          body.push_back(std::move(s));
          Next();
          break;
        }
        case TokenKind::kVarBegin: {
          auto s = MakeStmt(StmtKind::kOutput, t.pos);
          Next();
          FOUNDRY_ASSIGN_OR_RETURN(s->expr, ParseTuple(true, false));
          if (Cur().kind != TokenKind::kVarEnd) return Unexpected("end of print statement");
          Next();
          body.push_back(std::move(s));
          break;
        }
        case TokenKind::kBlockBegin: {
          Next();
          if (Cur().kind != TokenKind::kName) return Unexpected("statement name");
          for (std::string_view e : ends) {
            if (Cur().text == e) {
              *end = Cur().text;
              Next();
              return Status::Ok();
            }
          }
          FOUNDRY_ASSIGN_OR_RETURN(StmtPtr s, ParseStatement());
          body.push_back(std::move(s));
          break;
        }
        default:
          return Error(t.pos, "unexpected " + Describe(t));
      }
    }
  }

  Result<StmtPtr> ParseStatement() {
    const Token& t = Cur();
    const std::string& n = t.text;
    if (n == "if") return ParseIf();
    if (n == "for") return ParseFor();
    if (n == "set") return ParseSet();
    if (n == "macro") return ParseMacro();
    if (n == "call") return ParseCallBlock();
    if (n == "filter") return ParseFilterBlock();
    if (n == "with") return ParseWith();
    if (n == "break" || n == "continue") {
      auto s = MakeStmt(n == "break" ? StmtKind::kBreak : StmtKind::kContinue, t.pos);
      if (loop_depth_ == 0) return Error(t.pos, "'" + n + "' outside of a loop");
      Next();
      FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    static constexpr std::string_view kUnsupported[] = {"include", "extends",    "import", "from",
                                                        "block",   "autoescape", "do",     "trans"};
    for (std::string_view u : kUnsupported) {
      if (n == u)
        return Status::Unimplemented(PositionPrefix(t.pos) + "TemplateSyntaxError: tag '" + n +
                                     "' is not supported by this interpreter");
    }
    return Error(t.pos, "Encountered unknown tag '" + n + "'.");
  }

  Result<StmtPtr> ParseIf() {
    auto s = MakeStmt(StmtKind::kIf, Cur().pos);
    Next();
    FOUNDRY_ASSIGN_OR_RETURN(s->expr, ParseTuple(false, false));
    FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
    std::string end;
    FOUNDRY_RETURN_IF_ERROR(ParseUntil(s->body, {"elif", "else", "endif"}, &end, "if"));
    Stmt* tail = s.get();
    while (end == "elif") {
      auto elif = MakeStmt(StmtKind::kIf, Cur().pos);
      FOUNDRY_ASSIGN_OR_RETURN(elif->expr, ParseTuple(false, false));
      FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
      FOUNDRY_RETURN_IF_ERROR(ParseUntil(elif->body, {"elif", "else", "endif"}, &end, "if"));
      Stmt* next = elif.get();
      tail->else_body.push_back(std::move(elif));
      tail = next;
    }
    if (end == "else") {
      FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
      FOUNDRY_RETURN_IF_ERROR(ParseUntil(tail->else_body, {"endif"}, &end, "if"));
    }
    FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  // `x`, `a, b`, `(a, b)`; with_namespace also allows `ns.attr`.
  Result<Target> ParseTarget(bool with_namespace) {
    Target t;
    if (with_namespace && Cur().kind == TokenKind::kName && Peek().kind == TokenKind::kOp &&
        Peek().text == ".") {
      t.names.push_back(Cur().text);
      Next();
      Next();
      FOUNDRY_ASSIGN_OR_RETURN(t.attr, ExpectIdentifier());
      return t;
    }
    bool parens = IsOp("(");
    if (parens) Next();
    while (true) {
      FOUNDRY_ASSIGN_OR_RETURN(std::string name, ExpectIdentifier());
      if (name == "true" || name == "false" || name == "none" || name == "True" ||
          name == "False" || name == "None")
        return Error(tokens_[pos_ - 1].pos, "Can't assign to '" + name + "'");
      t.names.push_back(std::move(name));
      if (!IsOp(",")) break;
      t.is_tuple = true;
      Next();
      if (parens ? IsOp(")") : Cur().kind != TokenKind::kName) break;
    }
    if (parens) FOUNDRY_RETURN_IF_ERROR(Expect(")"));
    return t;
  }

  Result<StmtPtr> ParseFor() {
    auto s = MakeStmt(StmtKind::kFor, Cur().pos);
    Next();
    FOUNDRY_ASSIGN_OR_RETURN(s->target, ParseTarget(false));
    FOUNDRY_RETURN_IF_ERROR(ExpectName("in"));
    FOUNDRY_ASSIGN_OR_RETURN(s->expr, ParseTuple(false, false));
    if (IsName("if")) {
      Next();
      FOUNDRY_ASSIGN_OR_RETURN(s->cond, ParseExpression(true));
    }
    if (IsName("recursive"))
      return Status::Unimplemented(PositionPrefix(Cur().pos) +
                                   "TemplateSyntaxError: recursive loops are not supported");
    FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
    ++loop_depth_;
    std::string end;
    Status st = ParseUntil(s->body, {"endfor", "else"}, &end, "for");
    --loop_depth_;
    FOUNDRY_RETURN_IF_ERROR(st);
    if (end == "else") {
      FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
      FOUNDRY_RETURN_IF_ERROR(ParseUntil(s->else_body, {"endfor"}, &end, "for"));
    }
    FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  Result<StmtPtr> ParseSet() {
    SourcePos pos = Cur().pos;
    Next();
    FOUNDRY_ASSIGN_OR_RETURN(Target target, ParseTarget(true));
    if (IsOp("=")) {
      auto s = MakeStmt(StmtKind::kSet, pos);
      s->target = std::move(target);
      Next();
      FOUNDRY_ASSIGN_OR_RETURN(s->expr, ParseTuple(true, false));
      FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
      return s;
    }
    if (target.is_tuple) return Unexpected("'='");
    auto s = MakeStmt(StmtKind::kSetBlock, pos);
    s->target = std::move(target);
    if (IsOp("|")) {
      FOUNDRY_ASSIGN_OR_RETURN(s->filter, ParseFilterChain(nullptr));
    }
    FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
    std::string end;
    FOUNDRY_RETURN_IF_ERROR(ParseUntil(s->body, {"endset"}, &end, "set"));
    FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  Status ParseParams(Params& params) {
    FOUNDRY_RETURN_IF_ERROR(Expect("("));
    while (!IsOp(")")) {
      if (!params.names.empty()) FOUNDRY_RETURN_IF_ERROR(Expect(","));
      if (IsOp(")")) break;
      FOUNDRY_ASSIGN_OR_RETURN(std::string name, ExpectIdentifier());
      ExprPtr dflt;
      if (IsOp("=")) {
        Next();
        FOUNDRY_ASSIGN_OR_RETURN(dflt, ParseExpression(true));
      } else if (!params.defaults.empty() && params.defaults.back()) {
        return Error(tokens_[pos_ - 1].pos, "non-default argument follows default argument");
      }
      params.names.push_back(std::move(name));
      params.defaults.push_back(std::move(dflt));
    }
    Next();
    return Status::Ok();
  }

  // Macro and caller bodies are new functions: `break` inside them needs its own loop.
  Status ParseFunctionBody(Body& body, std::string_view end_tag, std::string_view owner) {
    int saved = loop_depth_;
    loop_depth_ = 0;
    std::string end;
    Status st = ParseUntil(body, {end_tag}, &end, owner);
    loop_depth_ = saved;
    FOUNDRY_RETURN_IF_ERROR(st);
    return ExpectBlockEnd();
  }

  Result<StmtPtr> ParseMacro() {
    auto s = MakeStmt(StmtKind::kMacro, Cur().pos);
    Next();
    FOUNDRY_ASSIGN_OR_RETURN(s->name, ExpectIdentifier());
    FOUNDRY_RETURN_IF_ERROR(ParseParams(s->params));
    FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
    FOUNDRY_RETURN_IF_ERROR(ParseFunctionBody(s->body, "endmacro", "macro"));
    return s;
  }

  Result<StmtPtr> ParseCallBlock() {
    auto s = MakeStmt(StmtKind::kCallBlock, Cur().pos);
    Next();
    if (IsOp("(")) FOUNDRY_RETURN_IF_ERROR(ParseParams(s->params));
    FOUNDRY_ASSIGN_OR_RETURN(s->expr, ParseExpression(true));
    if (s->expr->kind != ExprKind::kCall) return Error(s->expr->pos, "expected call");
    FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
    FOUNDRY_RETURN_IF_ERROR(ParseFunctionBody(s->body, "endcall", "call"));
    return s;
  }

  Result<StmtPtr> ParseFilterBlock() {
    auto s = MakeStmt(StmtKind::kFilterBlock, Cur().pos);
    Next();
    FOUNDRY_ASSIGN_OR_RETURN(s->filter, ParseFilterChain(nullptr));
    FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
    std::string end;
    FOUNDRY_RETURN_IF_ERROR(ParseUntil(s->body, {"endfilter"}, &end, "filter"));
    FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  Result<StmtPtr> ParseWith() {
    auto s = MakeStmt(StmtKind::kWith, Cur().pos);
    Next();
    while (Cur().kind != TokenKind::kBlockEnd) {
      if (!s->with_targets.empty()) FOUNDRY_RETURN_IF_ERROR(Expect(","));
      FOUNDRY_ASSIGN_OR_RETURN(std::string name, ExpectIdentifier());
      FOUNDRY_RETURN_IF_ERROR(Expect("="));
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
      s->with_targets.push_back(std::move(name));
      s->with_values.push_back(std::move(value));
    }
    Next();
    std::string end;
    FOUNDRY_RETURN_IF_ERROR(ParseUntil(s->body, {"endwith"}, &end, "with"));
    FOUNDRY_RETURN_IF_ERROR(ExpectBlockEnd());
    return s;
  }

  // ---- expressions ------------------------------------------------------------------------

  bool IsTupleEnd() const {
    TokenKind k = Cur().kind;
    return k == TokenKind::kVarEnd || k == TokenKind::kBlockEnd || k == TokenKind::kEof ||
           IsOp(")") || IsName("if") || IsName("recursive");
  }

  // Comma-separated expressions; a tuple if there is a comma (or empty, inside parentheses).
  Result<ExprPtr> ParseTuple(bool with_condexpr, bool explicit_parens) {
    SourcePos pos = Cur().pos;
    std::vector<ExprPtr> items;
    bool is_tuple = false;
    while (true) {
      if (!items.empty()) {
        if (!IsOp(",")) break;
        Next();
        is_tuple = true;
      }
      if (!items.empty() && IsTupleEnd()) break;
      if (items.empty() && explicit_parens && IsOp(")")) {
        is_tuple = true;
        break;
      }
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr e, with_condexpr ? ParseExpression(true) : ParseOr());
      items.push_back(std::move(e));
    }
    if (!is_tuple) return std::move(items[0]);
    auto t = MakeExpr(ExprKind::kTuple, pos);
    t->children = std::move(items);
    return t;
  }

  Result<ExprPtr> ParseExpression(bool with_condexpr) {
    return with_condexpr ? ParseCondExpr() : ParseOr();
  }

  Result<ExprPtr> ParseCondExpr() {
    DepthGuard guard(this);
    if (guard.exceeded())
      return Error(Cur().pos, "expression nested deeper than " + std::to_string(max_depth_));
    FOUNDRY_ASSIGN_OR_RETURN(ExprPtr expr, ParseOr());
    while (IsName("if")) {
      auto c = MakeExpr(ExprKind::kCondExpr, Cur().pos);
      Next();
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr test, ParseOr());
      ExprPtr other;
      if (IsName("else")) {
        Next();
        FOUNDRY_ASSIGN_OR_RETURN(other, ParseCondExpr());
      }
      c->children.push_back(std::move(expr));
      c->children.push_back(std::move(test));
      c->children.push_back(std::move(other));
      expr = std::move(c);
    }
    return expr;
  }

  template <class F>
  Result<ExprPtr> ParseLeftAssoc(ExprKind kind, std::string_view keyword, F operand) {
    FOUNDRY_ASSIGN_OR_RETURN(ExprPtr left, operand());
    while (IsName(keyword)) {
      auto e = MakeExpr(kind, Cur().pos);
      Next();
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr right, operand());
      e->children.push_back(std::move(left));
      e->children.push_back(std::move(right));
      left = std::move(e);
    }
    return left;
  }

  Result<ExprPtr> ParseOr() {
    return ParseLeftAssoc(ExprKind::kOr, "or", [this] { return ParseAnd(); });
  }
  Result<ExprPtr> ParseAnd() {
    return ParseLeftAssoc(ExprKind::kAnd, "and", [this] { return ParseNot(); });
  }

  Result<ExprPtr> ParseNot() {
    if (!IsName("not")) return ParseCompare();
    DepthGuard guard(this);
    if (guard.exceeded())
      return Error(Cur().pos, "expression nested deeper than " + std::to_string(max_depth_));
    auto e = MakeExpr(ExprKind::kNot, Cur().pos);
    Next();
    FOUNDRY_ASSIGN_OR_RETURN(ExprPtr operand, ParseNot());
    e->children.push_back(std::move(operand));
    return e;
  }

  Result<ExprPtr> ParseCompare() {
    SourcePos pos = Cur().pos;
    FOUNDRY_ASSIGN_OR_RETURN(ExprPtr first, ParseMath1());
    std::vector<ops::CmpOp> cmp;
    std::vector<ExprPtr> operands;
    while (true) {
      ops::CmpOp op;
      if (Cur().kind == TokenKind::kOp && Cur().text == "==")
        op = ops::CmpOp::kEq;
      else if (IsOp("!="))
        op = ops::CmpOp::kNe;
      else if (IsOp("<"))
        op = ops::CmpOp::kLt;
      else if (IsOp("<="))
        op = ops::CmpOp::kLe;
      else if (IsOp(">"))
        op = ops::CmpOp::kGt;
      else if (IsOp(">="))
        op = ops::CmpOp::kGe;
      else if (IsName("in"))
        op = ops::CmpOp::kIn;
      else if (IsName("not") && Peek().kind == TokenKind::kName && Peek().text == "in") {
        op = ops::CmpOp::kNotIn;
        Next();
      } else {
        break;
      }
      Next();
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr rhs, ParseMath1());
      cmp.push_back(op);
      operands.push_back(std::move(rhs));
    }
    if (cmp.empty()) return first;
    auto e = MakeExpr(ExprKind::kCompare, pos);
    e->children.push_back(std::move(first));
    for (auto& o : operands) e->children.push_back(std::move(o));
    e->cmp_ops = std::move(cmp);
    return e;
  }

  Result<ExprPtr> Binary(ops::BinOp op, ExprPtr left, ExprPtr right, SourcePos pos) {
    auto e = MakeExpr(ExprKind::kBinary, pos);
    e->bin_op = op;
    e->children.push_back(std::move(left));
    e->children.push_back(std::move(right));
    return e;
  }

  Result<ExprPtr> ParseMath1() {
    FOUNDRY_ASSIGN_OR_RETURN(ExprPtr left, ParseConcat());
    while (IsOp("+") || IsOp("-")) {
      ops::BinOp op = IsOp("+") ? ops::BinOp::kAdd : ops::BinOp::kSub;
      SourcePos pos = Cur().pos;
      Next();
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr right, ParseConcat());
      FOUNDRY_ASSIGN_OR_RETURN(left, Binary(op, std::move(left), std::move(right), pos));
    }
    return left;
  }

  Result<ExprPtr> ParseConcat() {
    SourcePos pos = Cur().pos;
    FOUNDRY_ASSIGN_OR_RETURN(ExprPtr first, ParseMath2());
    if (!IsOp("~")) return first;
    auto e = MakeExpr(ExprKind::kConcat, pos);
    e->children.push_back(std::move(first));
    while (IsOp("~")) {
      Next();
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr next, ParseMath2());
      e->children.push_back(std::move(next));
    }
    return e;
  }

  Result<ExprPtr> ParseMath2() {
    FOUNDRY_ASSIGN_OR_RETURN(ExprPtr left, ParsePow());
    while (IsOp("*") || IsOp("/") || IsOp("//") || IsOp("%")) {
      ops::BinOp op = IsOp("*")    ? ops::BinOp::kMul
                      : IsOp("/")  ? ops::BinOp::kDiv
                      : IsOp("//") ? ops::BinOp::kFloorDiv
                                   : ops::BinOp::kMod;
      SourcePos pos = Cur().pos;
      Next();
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr right, ParsePow());
      FOUNDRY_ASSIGN_OR_RETURN(left, Binary(op, std::move(left), std::move(right), pos));
    }
    return left;
  }

  Result<ExprPtr> ParsePow() {
    FOUNDRY_ASSIGN_OR_RETURN(ExprPtr left, ParseUnary(true));
    while (IsOp("**")) {
      SourcePos pos = Cur().pos;
      Next();
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr right, ParseUnary(true));
      FOUNDRY_ASSIGN_OR_RETURN(left,
                               Binary(ops::BinOp::kPow, std::move(left), std::move(right), pos));
    }
    return left;
  }

  Result<ExprPtr> ParseUnary(bool with_filter) {
    DepthGuard guard(this);
    if (guard.exceeded())
      return Error(Cur().pos, "expression nested deeper than " + std::to_string(max_depth_));
    ExprPtr node;
    if (IsOp("-") || IsOp("+")) {
      node = MakeExpr(IsOp("-") ? ExprKind::kNeg : ExprKind::kPos, Cur().pos);
      Next();
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr operand, ParseUnary(false));
      node->children.push_back(std::move(operand));
    } else {
      FOUNDRY_ASSIGN_OR_RETURN(node, ParsePrimary());
    }
    FOUNDRY_ASSIGN_OR_RETURN(node, ParsePostfix(std::move(node)));
    if (with_filter) {
      FOUNDRY_ASSIGN_OR_RETURN(node, ParseFilterExpr(std::move(node)));
    }
    return node;
  }

  Result<ExprPtr> ParsePrimary() {
    const Token& t = Cur();
    switch (t.kind) {
      case TokenKind::kName: {
        auto e = MakeExpr(ExprKind::kLiteral, t.pos);
        if (t.text == "true" || t.text == "True")
          e->literal = Value(true);
        else if (t.text == "false" || t.text == "False")
          e->literal = Value(false);
        else if (t.text == "none" || t.text == "None")
          e->literal = Value::None();
        else {
          e->kind = ExprKind::kName;
          e->name = t.text;
        }
        Next();
        return e;
      }
      case TokenKind::kString: {
        auto e = MakeExpr(ExprKind::kLiteral, t.pos);
        std::string s;
        while (Cur().kind == TokenKind::kString) {
          s += Cur().text;
          Next();
        }
        e->literal = Value(std::move(s));
        return e;
      }
      case TokenKind::kInt:
      case TokenKind::kFloat: {
        auto e = MakeExpr(ExprKind::kLiteral, t.pos);
        e->literal = t.kind == TokenKind::kInt ? Value(t.int_value) : Value(t.float_value);
        Next();
        return e;
      }
      case TokenKind::kOp:
        if (t.text == "(") {
          Next();
          FOUNDRY_ASSIGN_OR_RETURN(ExprPtr e, ParseTuple(true, true));
          FOUNDRY_RETURN_IF_ERROR(Expect(")"));
          return e;
        }
        if (t.text == "[") return ParseList();
        if (t.text == "{") return ParseDict();
        break;
      default:
        break;
    }
    return Error(t.pos, "unexpected " + Describe(t));
  }

  Result<ExprPtr> ParseList() {
    auto e = MakeExpr(ExprKind::kList, Cur().pos);
    Next();
    while (!IsOp("]")) {
      if (!e->children.empty()) FOUNDRY_RETURN_IF_ERROR(Expect(","));
      if (IsOp("]")) break;
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr item, ParseExpression(true));
      e->children.push_back(std::move(item));
    }
    Next();
    return e;
  }

  Result<ExprPtr> ParseDict() {
    auto e = MakeExpr(ExprKind::kDict, Cur().pos);
    Next();
    while (!IsOp("}")) {
      if (!e->children.empty()) FOUNDRY_RETURN_IF_ERROR(Expect(","));
      if (IsOp("}")) break;
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr key, ParseExpression(true));
      FOUNDRY_RETURN_IF_ERROR(Expect(":"));
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
      e->children.push_back(std::move(key));
      e->children.push_back(std::move(value));
    }
    Next();
    return e;
  }

  Result<ExprPtr> ParsePostfix(ExprPtr node) {
    while (true) {
      if (IsOp(".") || IsOp("[")) {
        FOUNDRY_ASSIGN_OR_RETURN(node, ParseSubscript(std::move(node)));
      } else if (IsOp("(")) {
        FOUNDRY_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
      } else {
        return node;
      }
    }
  }

  Result<ExprPtr> ParseFilterExpr(ExprPtr node) {
    while (true) {
      if (IsOp("|")) {
        FOUNDRY_ASSIGN_OR_RETURN(node, ParseFilterChain(std::move(node)));
      } else if (IsName("is")) {
        FOUNDRY_ASSIGN_OR_RETURN(node, ParseTest(std::move(node)));
      } else if (IsOp("(")) {
        FOUNDRY_ASSIGN_OR_RETURN(node, ParseCall(std::move(node)));
      } else {
        return node;
      }
    }
  }

  Result<ExprPtr> ParseSubscript(ExprPtr node) {
    SourcePos pos = Cur().pos;
    if (IsOp(".")) {
      Next();
      if (Cur().kind == TokenKind::kName) {
        auto e = MakeExpr(ExprKind::kGetAttr, pos);
        e->name = Cur().text;
        e->children.push_back(std::move(node));
        Next();
        return e;
      }
      if (Cur().kind == TokenKind::kInt) {
        auto e = MakeExpr(ExprKind::kGetItem, pos);
        auto key = MakeExpr(ExprKind::kLiteral, Cur().pos);
        key->literal = Value(Cur().int_value);
        e->children.push_back(std::move(node));
        e->children.push_back(std::move(key));
        Next();
        return e;
      }
      return Unexpected("name or number");
    }
    Next();  // '['
    ExprPtr start, stop, step;
    bool is_slice = false;
    if (!IsOp(":")) {
      FOUNDRY_ASSIGN_OR_RETURN(start, ParseTuple(true, false));
    }
    if (IsOp(":")) {
      is_slice = true;
      Next();
      if (!IsOp("]") && !IsOp(":")) {
        FOUNDRY_ASSIGN_OR_RETURN(stop, ParseExpression(true));
      }
      if (IsOp(":")) {
        Next();
        if (!IsOp("]")) {
          FOUNDRY_ASSIGN_OR_RETURN(step, ParseExpression(true));
        }
      }
    }
    FOUNDRY_RETURN_IF_ERROR(Expect("]"));
    auto e = MakeExpr(is_slice ? ExprKind::kSlice : ExprKind::kGetItem, pos);
    e->children.push_back(std::move(node));
    e->children.push_back(std::move(start));
    if (is_slice) {
      e->children.push_back(std::move(stop));
      e->children.push_back(std::move(step));
    }
    return e;
  }

  // `(` args `)` into e->children (after whatever is there) and e->kwargs.
  Status ParseArgs(Expr& e) {
    FOUNDRY_RETURN_IF_ERROR(Expect("("));
    bool first = true;
    while (!IsOp(")")) {
      if (!first) FOUNDRY_RETURN_IF_ERROR(Expect(","));
      first = false;
      if (IsOp(")")) break;
      if (IsOp("*") || IsOp("**"))
        return Status::Unimplemented(PositionPrefix(Cur().pos) +
                                     "TemplateSyntaxError: *args and **kwargs are not supported");
      if (Cur().kind == TokenKind::kName && Peek().kind == TokenKind::kOp && Peek().text == "=") {
        std::string key = Cur().text;
        Next();
        Next();
        FOUNDRY_ASSIGN_OR_RETURN(ExprPtr value, ParseExpression(true));
        e.kwargs.emplace_back(std::move(key), std::move(value));
        continue;
      }
      if (!e.kwargs.empty()) return Error(Cur().pos, "invalid syntax for function call expression");
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr arg, ParseExpression(true));
      e.children.push_back(std::move(arg));
    }
    Next();
    return Status::Ok();
  }

  // A call is reported at its callee's start: `raise_exception(...)`, `x.strip()`.
  Result<ExprPtr> ParseCall(ExprPtr callee) {
    auto e = MakeExpr(ExprKind::kCall, callee->pos);
    e->children.push_back(std::move(callee));
    FOUNDRY_RETURN_IF_ERROR(ParseArgs(*e));
    return e;
  }

  // `| name(args) | name ...` applied to `input` (null for filter blocks and block sets).
  Result<ExprPtr> ParseFilterChain(ExprPtr input) {
    bool first = true;
    while (IsOp("|") || (first && !input)) {
      if (IsOp("|")) Next();
      first = false;
      auto e = MakeExpr(ExprKind::kFilter, Cur().pos);
      FOUNDRY_ASSIGN_OR_RETURN(e->name, ExpectIdentifier());
      e->children.push_back(std::move(input));
      if (IsOp("(")) FOUNDRY_RETURN_IF_ERROR(ParseArgs(*e));
      input = std::move(e);
    }
    return input;
  }

  Result<ExprPtr> ParseTest(ExprPtr node) {
    auto e = MakeExpr(ExprKind::kTest, Cur().pos);
    Next();  // 'is'
    if (IsName("not")) {
      e->negated = true;
      Next();
    }
    FOUNDRY_ASSIGN_OR_RETURN(e->name, ExpectIdentifier());
    e->children.push_back(std::move(node));
    TokenKind k = Cur().kind;
    if (IsOp("(")) {
      FOUNDRY_RETURN_IF_ERROR(ParseArgs(*e));
    } else if ((k == TokenKind::kName || k == TokenKind::kString || k == TokenKind::kInt ||
                k == TokenKind::kFloat || IsOp("[") || IsOp("{")) &&
               !IsName("else") && !IsName("or") && !IsName("and")) {
      if (IsName("is")) return Error(Cur().pos, "You cannot chain multiple tests with is");
      FOUNDRY_ASSIGN_OR_RETURN(ExprPtr arg, ParsePrimary());
      FOUNDRY_ASSIGN_OR_RETURN(arg, ParsePostfix(std::move(arg)));
      e->children.push_back(std::move(arg));
    }
    return e;
  }

  std::vector<Token> tokens_;
  size_t pos_ = 0;
  int max_depth_;
  int depth_ = 0;
  int loop_depth_ = 0;
};

}  // namespace

Result<std::unique_ptr<Program>> ParseProgram(std::vector<Token> tokens, int max_depth) {
  return Parser(std::move(tokens), max_depth).Run();
}

}  // namespace foundry::runtime::jinja
