#include "foundry/runtime/chat/jinja.h"

#include <exception>
#include <new>

#include "runtime/chat/jinja_ast.h"
#include "runtime/chat/jinja_interpreter.h"
#include "runtime/chat/jinja_lexer.h"
#include "runtime/chat/jinja_parser.h"

namespace foundry::runtime::jinja {
namespace {

// Nothing below throws on purpose; this keeps std's (bad_alloc, length_error) from escaping.
template <class T, class F>
Result<T> Guarded(F&& body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return Status::ResourceExhausted("out of memory while processing a template");
  } catch (const std::exception& e) {
    return Status::Internal(std::string("template engine: ") + e.what());
  } catch (...) {
    return Status::Internal("template engine: unknown exception");
  }
}

}  // namespace

Result<Template> Template::Parse(std::string_view source) {
  return Guarded<Template>([&]() -> Result<Template> {
    if (source.size() > kMaxSourceBytes)
      return Status::InvalidArgument("template is " + std::to_string(source.size()) +
                                     " bytes; the limit is " + std::to_string(kMaxSourceBytes));
    std::string normalized = NormalizeSource(source);
    FOUNDRY_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lex(normalized));
    FOUNDRY_ASSIGN_OR_RETURN(std::unique_ptr<Program> program,
                             ParseProgram(std::move(tokens), kMaxNestingDepth));
    return Template(std::shared_ptr<const Program>(std::move(program)));
  });
}

Result<std::string> Template::Render(const Value& context, const RenderOptions& options) const {
  return Guarded<std::string>(
      [&]() -> Result<std::string> { return RenderProgram(*program_, context, options); });
}

}  // namespace foundry::runtime::jinja
