#pragma once
// Parser for jinja chat templates: tokens -> Program. Internal to the jinja interpreter.

#include <memory>
#include <vector>

#include "foundry/core/status.h"
#include "runtime/chat/jinja_ast.h"
#include "runtime/chat/jinja_lexer.h"

namespace foundry::runtime::jinja {

// Builds the syntax tree from Lex() output. Nesting of statements and expressions deeper than
// `max_depth` is rejected so the recursive descent (and later the interpreter) stays within a
// bounded stack. kInvalidArgument ("line L, column C: TemplateSyntaxError: ...") for syntax
// errors and unknown tags; kUnimplemented for jinja2 tags this interpreter does not support
// (include, extends, import, block, recursive loops).
Result<std::unique_ptr<Program>> ParseProgram(std::vector<Token> tokens, int max_depth);

}  // namespace foundry::runtime::jinja
