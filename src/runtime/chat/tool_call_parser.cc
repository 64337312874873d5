// ToolCallParser (declared in tool_calls.h): a small state machine over the generated text.
//
// Content mode scans for an opening marker (holding back a possible marker prefix); block mode
// feeds the block's JSON byte by byte to a JsonStream whose callbacks find call objects, their
// "name" and their "arguments"/"parameters" value; after-value mode looks for ';', the closing
// tag or the end of the block; skip mode drops a broken block's remainder. Every decision
// depends only on the bytes seen, never on how they were split, which is what makes streaming
// and whole-text parsing agree.

#include <optional>

#include "foundry/runtime/chat/tool_calls.h"
#include "runtime/chat/json_stream.h"

namespace foundry::runtime::chat {
namespace {

// How one kind of markup block starts and ends.
struct Opener {
  std::string_view marker;  // empty: bare JSON at the start of the output
  std::string_view close;   // closing tag, optional in the output; empty: none
  bool semicolons;          // several JSON values separated by ';'
  bool needs_args;          // a call without arguments is no call (bare JSON: it may be an answer)
};

constexpr Opener kBare{"", "", true, true};
constexpr Opener kHermes{"<tool_call>", "</tool_call>", false, false};
constexpr Opener kPythonTag{"<|python_tag|>", "", true, false};
constexpr Opener kPhi4{"<|tool_call|>", "<|/tool_call|>", false, false};
constexpr Opener kMistral{"[TOOL_CALLS]", "", false, false};

// The marker opener of each format (the bare JSON fallback comes with every format but kNone).
const Opener* MarkerOpener(ToolCallFormat f) {
  switch (f) {
    case ToolCallFormat::kHermes: return &kHermes;
    case ToolCallFormat::kLlama3: return &kPythonTag;
    case ToolCallFormat::kPhi4: return &kPhi4;
    case ToolCallFormat::kMistral: return &kMistral;
    case ToolCallFormat::kGeneric:
    case ToolCallFormat::kNone: break;
  }
  return nullptr;
}

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

size_t LeadingSpace(std::string_view s) {
  size_t n = 0;
  while (n < s.size() && IsSpace(s[n])) ++n;
  return n;
}

// Length of the longest suffix of `text` that is a proper prefix of `marker`.
size_t PrefixSuffix(std::string_view text, std::string_view marker) {
  if (marker.empty()) return 0;
  for (size_t k = std::min(marker.size() - 1, text.size()); k > 0; --k)
    if (text.substr(text.size() - k) == marker.substr(0, k)) return k;
  return 0;
}

bool IsArgsKey(std::string_view key) { return key == "arguments" || key == "parameters"; }

}  // namespace

class ToolCallParser::Impl final : public JsonStream::Listener {
 public:
  explicit Impl(ToolCallParserOptions options) : options_(std::move(options)), json_(this) {
    if (!options_.make_id)
      options_.make_id = [](int index) { return "call_" + std::to_string(index); };
    marker_ = MarkerOpener(options_.format);
  }

  void Feed(std::string_view text, std::vector<ToolCallEvent>* out) {
    if (finished_) return;
    pending_.append(text);
    Run(false, out);
  }

  void Finish(std::vector<ToolCallEvent>* out) {
    if (finished_) return;
    Run(true, out);
    finished_ = true;
  }

  const std::vector<ToolCall>& calls() const { return calls_; }
  const std::string& content() const { return content_; }
  const std::vector<std::string>& errors() const { return errors_; }

  void OnValueBegin(char first) override;
  void OnValueEnd(char first, const std::string* decoded, bool with_byte) override;

 private:
  enum class Mode { kContent, kBlock, kAfterValue, kSkip };

  // The call object being read.
  struct Call {
    size_t depth = 0;  // path size at its '{'
    std::string name;
    bool has_name = false;
    bool args_begun = false, args_done = false, args_string = false;
    size_t args_depth = 0;
    std::string held_args;  // argument text seen before the call could start
    bool started = false;
    int index = -1;
  };

  void Run(bool at_end, std::vector<ToolCallEvent>* out) {
    out_ = out;
    for (bool progressed = true; progressed;) {
      switch (mode_) {
        case Mode::kContent: progressed = StepContent(at_end); break;
        case Mode::kBlock: progressed = StepBlock(at_end); break;
        case Mode::kAfterValue: progressed = StepAfterValue(at_end); break;
        case Mode::kSkip: progressed = StepSkip(at_end); break;
      }
    }
    out_ = nullptr;
  }

  // Each Step returns true after switching mode (run again) and false when it needs more text.
  bool StepContent(bool at_end);
  bool StepBlock(bool at_end);
  bool StepAfterValue(bool at_end);
  bool StepSkip(bool at_end);

  void BeginBlock(const Opener& opener, std::string_view marker_text);
  void BeginValue();
  void EndBlock();
  bool FailBlock(const std::string& reason);
  void Truncated();

  // Resolves the key of a value at path depth `d` relative to the open call: its key in the
  // call object or in the call's "function" object; nullopt when it is neither.
  std::optional<std::string_view> MemberKey(size_t d) const;
  void MaybeStart();
  void Start();
  void EndCall();
  void EndOpenCall();
  void AppendArgs(std::string_view text);

  void Push(ToolCallEvent::Kind kind, int index, std::string id, std::string_view text);
  void EmitContent(std::string_view text) {
    if (text.empty()) return;
    content_.append(text);
    Push(ToolCallEvent::Kind::kContent, -1, {}, text);
  }

  ToolCallParserOptions options_;
  const Opener* marker_ = nullptr;
  std::vector<ToolCallEvent>* out_ = nullptr;
  bool finished_ = false;

  Mode mode_ = Mode::kContent;
  std::string pending_;     // text received but not yet consumed
  bool at_start_ = true;    // nothing but whitespace seen so far
  bool strip_space_ = false;  // drop whitespace (right after a block)

  // The current block.
  const Opener* opener_ = nullptr;
  JsonStream json_;
  std::string block_text_;  // the block's text so far (given back as content if it fails)
  bool block_started_ = false;  // a call of this block has started
  bool root_array_ = false, wrapper_ = false;
  std::optional<Call> call_;
  bool capture_ = false, capture_byte_ = false;  // the byte being fed is argument text
  std::string fail_;        // set by a callback: the block is not a tool-call block

  std::vector<ToolCall> calls_;
  std::string content_;
  std::vector<std::string> errors_;
  int next_index_ = 0;
};

void ToolCallParser::Impl::Push(ToolCallEvent::Kind kind, int index, std::string id,
                                std::string_view text) {
  const bool merges = kind == ToolCallEvent::Kind::kContent || kind == ToolCallEvent::Kind::kArguments;
  if (merges && !out_->empty() && out_->back().kind == kind && out_->back().index == index) {
    out_->back().text.append(text);
    return;
  }
  out_->push_back({.kind = kind, .index = index, .id = std::move(id), .text = std::string(text)});
}

bool ToolCallParser::Impl::StepContent(bool at_end) {
  if (options_.format == ToolCallFormat::kNone) {
    EmitContent(pending_);
    pending_.clear();
    return false;
  }
  if (strip_space_) {
    pending_.erase(0, LeadingSpace(pending_));
    if (pending_.empty()) return false;
    strip_space_ = false;
  }
  const size_t space = LeadingSpace(pending_);
  if (at_start_) {
    if (space == pending_.size()) {
      if (at_end) {
        EmitContent(pending_);
        pending_.clear();
      }
      return false;
    }
    if (pending_[space] == '{') {
      const std::string leading = pending_.substr(0, space);  // given back if no call follows
      pending_.erase(0, space);
      at_start_ = false;
      BeginBlock(kBare, leading);
      return true;
    }
  }
  if (marker_) {
    const size_t at = pending_.find(marker_->marker);
    if (at != std::string::npos) {
      // Whitespace before a block at the very start of the output is dropped.
      if (!(at_start_ && at == space)) EmitContent(std::string_view(pending_).substr(0, at));
      at_start_ = false;
      const std::string marker_text = pending_.substr(at, marker_->marker.size());
      pending_.erase(0, at + marker_->marker.size());
      BeginBlock(*marker_, marker_text);
      return true;
    }
  }
  const size_t keep = at_end || !marker_ ? 0 : PrefixSuffix(pending_, marker_->marker);
  const size_t emit = pending_.size() - keep;
  if (at_start_ && emit <= space && !at_end) return false;  // still only leading whitespace
  EmitContent(std::string_view(pending_).substr(0, emit));
  if (emit > 0) at_start_ = false;
  pending_.erase(0, emit);
  return false;
}

void ToolCallParser::Impl::BeginBlock(const Opener& opener, std::string_view marker_text) {
  opener_ = &opener;
  mode_ = Mode::kBlock;
  block_text_ = std::string(marker_text);
  block_started_ = false;
  BeginValue();
}

void ToolCallParser::Impl::BeginValue() {
  json_ = JsonStream(this);
  root_array_ = wrapper_ = false;
  call_.reset();
  capture_ = capture_byte_ = false;
  fail_.clear();
}

bool ToolCallParser::Impl::StepBlock(bool at_end) {
  for (size_t i = 0; i < pending_.size(); ++i) {
    const char c = pending_[i];
    capture_byte_ = false;
    const JsonStream::Step step = json_.Feed(c);
    if (step == JsonStream::Step::kError) {
      pending_.erase(0, i);  // the offending byte is not part of the block
      return FailBlock(std::string(json_.error()));
    }
    block_text_ += c;
    if (!fail_.empty()) {
      pending_.erase(0, i + 1);
      return FailBlock(fail_);
    }
    if (capture_ || capture_byte_) AppendArgs(std::string_view(&c, 1));
    if (step == JsonStream::Step::kDone) {
      pending_.erase(0, i + 1);
      if (!block_started_ && opener_ == &kBare) return FailBlock("the JSON reply holds no tool call");
      mode_ = Mode::kAfterValue;
      return true;
    }
  }
  pending_.clear();
  if (!at_end) return false;
  Truncated();
  return true;
}

bool ToolCallParser::Impl::StepAfterValue(bool at_end) {
  const size_t space = LeadingSpace(pending_);
  const std::string_view rest = std::string_view(pending_).substr(space);
  if (rest.empty()) {
    if (!at_end) return false;
    pending_.clear();
    EndBlock();
    return true;
  }
  if (opener_->semicolons && rest[0] == ';') {
    block_text_ += pending_.substr(0, space + 1);
    pending_.erase(0, space + 1);
    mode_ = Mode::kBlock;
    BeginValue();
    return true;
  }
  const std::string_view close = opener_->close;
  if (!close.empty()) {
    if (rest.starts_with(close)) {
      pending_.erase(0, space + close.size());
      EndBlock();
      return true;
    }
    if (close.starts_with(rest)) {
      if (!at_end) return false;  // may still become the closing tag
      pending_.clear();           // the output ended inside the closing tag
      EndBlock();
      return true;
    }
  }
  pending_.erase(0, space);  // the block ended without (or before) its closing tag
  EndBlock();
  return true;
}

bool ToolCallParser::Impl::StepSkip(bool at_end) {
  const std::string_view close = opener_->close;
  if (close.empty()) {  // nothing ends the block but the end of the output
    pending_.clear();
    return false;
  }
  const size_t at = pending_.find(close);
  if (at != std::string::npos) {
    pending_.erase(0, at + close.size());
    EndBlock();
    return true;
  }
  const size_t keep = at_end ? 0 : PrefixSuffix(pending_, close);
  pending_.erase(0, pending_.size() - keep);
  return false;
}

void ToolCallParser::Impl::EndBlock() {
  mode_ = Mode::kContent;
  strip_space_ = true;
  block_text_.clear();
  call_.reset();
}

bool ToolCallParser::Impl::FailBlock(const std::string& reason) {
  fail_.clear();
  if (!block_started_) {  // nothing reported yet: the block was text after all
    EmitContent(block_text_);
    block_text_.clear();
    call_.reset();
    mode_ = Mode::kContent;
    return true;
  }
  errors_.push_back("malformed tool call markup, rest of the block dropped: " + reason);
  EndOpenCall();
  mode_ = Mode::kSkip;
  return true;
}

void ToolCallParser::Impl::Truncated() {
  if (!block_started_) {
    EmitContent(block_text_);
    block_text_.clear();
    call_.reset();
    mode_ = Mode::kContent;
    return;
  }
  errors_.push_back("the output ended inside a tool call");
  EndOpenCall();
  EndBlock();
}

std::optional<std::string_view> ToolCallParser::Impl::MemberKey(size_t d) const {
  const auto& path = json_.path();
  const size_t base = call_->depth;
  if (d == base + 1) return std::string_view(path[base].key);
  if (d == base + 2 && path[base].key == "function" && path[base + 1].is_object)
    return std::string_view(path[base + 1].key);
  return std::nullopt;
}

void ToolCallParser::Impl::OnValueBegin(char first) {
  const auto& path = json_.path();
  const size_t d = path.size();
  if (d == 0) {  // the root: a call object, or an array of them
    if (first == '[') {
      if (opener_ == &kBare) fail_ = "a JSON array is no tool call";
      root_array_ = true;
      return;
    }
    call_ = Call{.depth = 0};
    return;
  }
  if (!call_) {
    const bool element = (d == 1 && root_array_) ||
                         (d == 2 && wrapper_ && path[0].key == "tool_calls" && !path[1].is_object);
    if (!element) return;
    if (first != '{') {
      fail_ = "a tool call must be a JSON object";
      return;
    }
    call_ = Call{.depth = d};
    return;
  }
  Call& c = *call_;
  const auto key = MemberKey(d);
  if (!key) return;
  if (c.depth == 0 && d == 1 && *key == "tool_calls" && first == '[' && !c.has_name && !c.started) {
    call_.reset();  // {"tool_calls": [...]}: the root wraps the calls
    wrapper_ = true;
    return;
  }
  if (IsArgsKey(*key) && !c.args_begun) {
    c.args_begun = true;
    c.args_depth = d;
    c.args_string = first == '"';
    capture_ = !c.args_string;
    MaybeStart();
  }
}

void ToolCallParser::Impl::OnValueEnd(char first, const std::string* decoded, bool with_byte) {
  if (!call_) return;
  Call& c = *call_;
  const size_t d = json_.path().size();
  if (d == c.depth) {
    EndCall();
    return;
  }
  const auto key = MemberKey(d);
  if (!key) return;
  if (*key == "name" && first == '"' && !c.has_name && decoded && !decoded->empty()) {
    c.name = *decoded;
    c.has_name = true;
    MaybeStart();
    return;
  }
  if (IsArgsKey(*key) && c.args_begun && !c.args_done && d == c.args_depth) {
    c.args_done = true;
    if (c.args_string) {
      AppendArgs(decoded ? std::string_view(*decoded) : std::string_view());
    } else {
      capture_ = false;
      capture_byte_ = with_byte;
    }
  }
}

void ToolCallParser::Impl::MaybeStart() {
  if (!call_->started && call_->has_name && call_->args_begun) Start();
}

void ToolCallParser::Impl::Start() {
  Call& c = *call_;
  c.started = true;
  c.index = next_index_++;
  block_started_ = true;
  ToolCall call{.index = c.index, .id = options_.make_id(c.index), .name = c.name, .complete = false};
  Push(ToolCallEvent::Kind::kCallStart, c.index, call.id, c.name);
  calls_.push_back(std::move(call));
  if (!c.held_args.empty()) {
    std::string held = std::move(c.held_args);
    c.held_args.clear();
    AppendArgs(held);
  }
}

void ToolCallParser::Impl::EndCall() {
  Call& c = *call_;
  if (!c.started) {
    if (!c.has_name || (opener_->needs_args && !c.args_begun)) {
      if (!block_started_) {
        fail_ = "a call object without a name";
      } else {
        errors_.push_back("dropped a tool call object without a name");
      }
      call_.reset();
      return;
    }
    Start();
  }
  if (!c.args_begun) AppendArgs("{}");
  calls_.back().complete = true;
  Push(ToolCallEvent::Kind::kCallEnd, c.index, {}, {});
  call_.reset();
}

void ToolCallParser::Impl::EndOpenCall() {
  if (call_ && call_->started) {
    calls_.back().complete = call_->args_done;
    Push(ToolCallEvent::Kind::kCallEnd, call_->index, {}, {});
  }
  call_.reset();
  capture_ = capture_byte_ = false;
}

void ToolCallParser::Impl::AppendArgs(std::string_view text) {
  if (!call_ || text.empty()) return;
  if (!call_->started) {
    call_->held_args.append(text);
    return;
  }
  calls_.back().arguments.append(text);
  Push(ToolCallEvent::Kind::kArguments, call_->index, {}, text);
}

ToolCallParser::ToolCallParser(ToolCallParserOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}
ToolCallParser::~ToolCallParser() = default;
ToolCallParser::ToolCallParser(ToolCallParser&&) noexcept = default;
ToolCallParser& ToolCallParser::operator=(ToolCallParser&&) noexcept = default;

void ToolCallParser::Feed(std::string_view text, std::vector<ToolCallEvent>* out) {
  impl_->Feed(text, out);
}
void ToolCallParser::Finish(std::vector<ToolCallEvent>* out) { impl_->Finish(out); }
const std::vector<ToolCall>& ToolCallParser::calls() const { return impl_->calls(); }
const std::string& ToolCallParser::content() const { return impl_->content(); }
const std::vector<std::string>& ToolCallParser::errors() const { return impl_->errors(); }

ParsedToolCalls ParseToolCalls(std::string_view text, ToolCallParserOptions options) {
  ToolCallParser parser(std::move(options));
  std::vector<ToolCallEvent> events;
  parser.Feed(text, &events);
  parser.Finish(&events);
  return {.content = parser.content(), .calls = parser.calls(), .errors = parser.errors()};
}

}  // namespace foundry::runtime::chat
