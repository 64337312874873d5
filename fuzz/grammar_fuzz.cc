// Parses arbitrary bytes as a GBNF grammar and as a JSON Schema; grammars that compile are
// then run over the input bytes with the matcher: no crash, no hang, errors as Status only.
#include <cstdint>
#include <memory>
#include <string_view>

#include "foundry/runtime/grammar/grammar_matcher.h"
#include "foundry/runtime/grammar/json_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace foundry::runtime::grammar;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto run = [&](foundry::Result<Grammar> g) {
    if (!g.ok()) return;
    GrammarMatcher m(std::make_shared<const Grammar>(std::move(g).value()));
    GrammarMatcher::StateId s = m.Walk(m.start(), text);
    if (s != GrammarMatcher::kDead) (void)m.MinBytesToAccept(s);
    m.TrimCache(0);
  };
  run(ParseGrammar(text));
  run(CompileJsonSchemaText(text));
  return 0;
}
