#include "runtime/chat/jinja_tests.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "runtime/chat/jinja_objects.h"
#include "runtime/chat/jinja_ops.h"
#include "runtime/chat/jinja_text.h"

namespace foundry::runtime::jinja::tests {
namespace {

using TestFn = Result<bool> (*)(const Value& v, const ArgBinder& a);

Result<bool> Compared(ops::CmpOp op, const Value& v, const ArgBinder& a) {
  return ops::Compare(op, v, *a.Get(0));
}

Result<bool> Parity(const Value& v, bool want_even) {
  FOUNDRY_ASSIGN_OR_RETURN(Value r, ops::Binary(ops::BinOp::kMod, v, Value(2), 64));
  return ops::Equals(r, Value(0)) == want_even;
}

bool CaseTest(const Value& v, bool upper) {
  bool any_cased = false;
  for (char32_t c : text::Decode(ops::Str(v))) {
    if (upper ? text::IsLower(c) : text::IsUpper(c)) return false;
    any_cased = any_cased || text::IsCased(c);
  }
  return any_cased;
}

struct TestEntry {
  std::string_view name;
  size_t n_args;  // required extra arguments
  TestFn fn;
};

// Sorted by name for the lookup below.
constexpr TestEntry kTests[] = {
    {"!=", 1, [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kNe, v, a); }},
    {"<", 1, [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kLt, v, a); }},
    {"<=", 1, [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kLe, v, a); }},
    {"==", 1, [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kEq, v, a); }},
    {">", 1, [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kGt, v, a); }},
    {">=", 1, [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kGe, v, a); }},
    {"boolean", 0, [](const Value& v, const ArgBinder&) -> Result<bool> { return v.is_bool(); }},
    {"callable", 0,
     [](const Value& v, const ArgBinder&) -> Result<bool> {
       // Jinja's Undefined defines __call__ (to fail), so Python's callable() says yes.
       return v.is_undefined() || (v.is_object() && v.object()->is_callable());
     }},
    {"defined", 0,
     [](const Value& v, const ArgBinder&) -> Result<bool> { return !v.is_undefined(); }},
    {"divisibleby", 1,
     [](const Value& v, const ArgBinder& a) -> Result<bool> {
       FOUNDRY_ASSIGN_OR_RETURN(Value r, ops::Binary(ops::BinOp::kMod, v, *a.Get(0), 64));
       return ops::Equals(r, Value(0));
     }},
    {"eq", 1, [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kEq, v, a); }},
    {"equalto", 1,
     [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kEq, v, a); }},
    {"escaped", 0, [](const Value&, const ArgBinder&) -> Result<bool> { return false; }},
    {"even", 0, [](const Value& v, const ArgBinder&) { return Parity(v, true); }},
    {"false", 0,
     [](const Value& v, const ArgBinder&) -> Result<bool> {
       return v.is_bool() && !v.bool_value();
     }},
    {"float", 0, [](const Value& v, const ArgBinder&) -> Result<bool> { return v.is_float(); }},
    {"ge", 1, [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kGe, v, a); }},
    {"greaterthan", 1,
     [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kGt, v, a); }},
    {"gt", 1, [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kGt, v, a); }},
    {"in", 1, [](const Value& v, const ArgBinder& a) { return ops::Contains(*a.Get(0), v); }},
    {"integer", 0, [](const Value& v, const ArgBinder&) -> Result<bool> { return v.is_int(); }},
    {"iterable", 0,
     [](const Value& v, const ArgBinder&) -> Result<bool> {
       return v.is_undefined() || v.is_string() || v.is_sequence() || v.is_dict();
     }},
    {"le", 1, [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kLe, v, a); }},
    {"lessthan", 1,
     [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kLt, v, a); }},
    {"lower", 0,
     [](const Value& v, const ArgBinder&) -> Result<bool> { return CaseTest(v, false); }},
    {"lt", 1, [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kLt, v, a); }},
    {"mapping", 0, [](const Value& v, const ArgBinder&) -> Result<bool> { return v.is_dict(); }},
    {"ne", 1, [](const Value& v, const ArgBinder& a) { return Compared(ops::CmpOp::kNe, v, a); }},
    {"none", 0, [](const Value& v, const ArgBinder&) -> Result<bool> { return v.is_none(); }},
    {"number", 0,
     [](const Value& v, const ArgBinder&) -> Result<bool> { return v.is_number() || v.is_bool(); }},
    {"odd", 0, [](const Value& v, const ArgBinder&) { return Parity(v, false); }},
    {"sameas", 1,
     [](const Value& v, const ArgBinder& a) -> Result<bool> {
       // Python `is`: singletons and the same object; equal scalars stand in for identity.
       const Value& o = *a.Get(0);
       if (v.kind() != o.kind()) return false;
       if (v.is_object()) return v.object() == o.object();
       if (v.is_sequence() || v.is_dict()) return false;
       return ops::Equals(v, o);
     }},
    {"sequence", 0,
     [](const Value& v, const ArgBinder&) -> Result<bool> {
       return v.is_undefined() || v.is_string() || v.is_sequence() || v.is_dict();
     }},
    {"string", 0, [](const Value& v, const ArgBinder&) -> Result<bool> { return v.is_string(); }},
    {"true", 0,
     [](const Value& v, const ArgBinder&) -> Result<bool> {
       return v.is_bool() && v.bool_value();
     }},
    {"undefined", 0,
     [](const Value& v, const ArgBinder&) -> Result<bool> { return v.is_undefined(); }},
    {"upper", 0,
     [](const Value& v, const ArgBinder&) -> Result<bool> { return CaseTest(v, true); }},
};

static_assert(std::is_sorted(std::begin(kTests), std::end(kTests),
                             [](const TestEntry& a, const TestEntry& b) {
                               return a.name < b.name;
                             }),
              "kTests must stay sorted by name");

const TestEntry* Find(std::string_view name) {
  auto it = std::lower_bound(std::begin(kTests), std::end(kTests), name,
                             [](const TestEntry& e, std::string_view n) { return e.name < n; });
  return it != std::end(kTests) && it->name == name ? it : nullptr;
}

}  // namespace

bool Exists(std::string_view name) { return Find(name) != nullptr; }

Result<bool> Apply(std::string_view name, const Value& value, const CallArgs& args) {
  const TestEntry* t = Find(name);
  if (!t) {
    return Status::InvalidArgument("TemplateAssertionError: No test named " + text::Repr(name) +
                                   ".");
  }
  ArgBinder a(args, name);
  if (t->n_args == 0) {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({}));
  } else {
    FOUNDRY_RETURN_IF_ERROR(a.Bind({"other"}, 1));
  }
  return t->fn(value, a);
}

}  // namespace foundry::runtime::jinja::tests
