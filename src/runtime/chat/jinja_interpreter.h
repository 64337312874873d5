#pragma once
// Executes a parsed jinja Program against a context. Internal; Template::Render is the public
// entry point.

#include <string>

#include "foundry/core/status.h"
#include "foundry/runtime/chat/jinja.h"
#include "runtime/chat/jinja_ast.h"

namespace foundry::runtime::jinja {

// Deepest nesting of evaluation (expressions, statements and macro calls together) one render
// may reach; bounds the native stack whatever the template does. Measured cost: about 1 KiB of
// stack per level in release builds and 7 KiB under ASan, so 500 levels stay within 4 MiB even
// there. Real chat templates use well under 100 (the shared/templates suite passes with 60).
inline constexpr int kMaxEvalDepth = 500;
// Deepest list/dict nesting a render may build (JSON input is limited to 256 levels).
inline constexpr uint32_t kMaxValueDepth = 512;

// Renders `program` with `context` (a dict). Errors as documented on Template::Render.
// `program` must outlive the call. Thread-safe for distinct calls: all state is per call.
Result<std::string> RenderProgram(const Program& program, const Value& context,
                                  const RenderOptions& options);

}  // namespace foundry::runtime::jinja
