#include "foundry/runtime/catalog.h"

#include <gtest/gtest.h>

#include <cctype>
#include <filesystem>
#include <set>

#include <nlohmann/json.hpp>

#include "foundry/runtime/sha256.h"
#include "support/shared_data.h"

namespace foundry::runtime {
namespace {

using nlohmann::json;

std::filesystem::path RepoCatalogPath() {
  // tests/runtime/catalog_test.cc -> <repo>/catalog/catalog.json
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "catalog" / "catalog.json";
}

// `<name>-<device-tag>:<version>`: name of [A-Za-z0-9._-], a known tag, version 1-9 then digits.
// (Hand-written: std::regex trips GCC 12's -Wmaybe-uninitialized under the sanitizers.)
bool FollowsIdGrammar(std::string_view id) {
  size_t colon = id.rfind(':');
  if (colon == std::string_view::npos) return false;
  std::string_view version = id.substr(colon + 1), stem = id.substr(0, colon);
  if (version.empty() || version[0] < '1' || version[0] > '9') return false;
  for (char c : version)
    if (c < '0' || c > '9') return false;
  std::string_view name;
  for (std::string_view tag : {"-generic-cpu", "-cuda-gpu"})
    if (stem.ends_with(tag)) name = stem.substr(0, stem.size() - tag.size());
  if (name.empty()) return false;
  for (char c : name)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != '_') return false;
  return true;
}

const HardwareInfo kCpuOnly{.has_cuda = false};
const HardwareInfo kWithCuda{.has_cuda = true};

class RepoCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto c = Catalog::LoadFile(RepoCatalogPath());
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_.emplace(std::move(c).value());
  }
  const Catalog& catalog() const { return *catalog_; }
  std::optional<Catalog> catalog_;
};

TEST_F(RepoCatalogTest, HasTheFoundrySeedAliasesEachWithACpuVariant) {
  for (const char* alias : {"phi-4-mini", "phi-4", "qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-coder-0.5b",
                            "llama-3.2-1b", "qwen2.5-7b", "qwen3-0.6b", "gemma-3-1b", "mistral-7b", "tinyllama-v0"}) {
    auto variants = catalog().VariantsOf(alias);
    ASSERT_FALSE(variants.empty()) << alias;
    bool has_cpu = false;
    for (const CatalogModel* m : variants) has_cpu |= m->device_tag == "generic-cpu";
    EXPECT_TRUE(has_cpu) << alias;
  }
}

TEST_F(RepoCatalogTest, EveryEntryFollowsTheIdGrammarAndPointsAtAHuggingFaceGguf) {
  std::set<std::string> ids;
  for (const CatalogModel& m : catalog().models()) {
    SCOPED_TRACE(m.id);
    EXPECT_TRUE(FollowsIdGrammar(m.id));
    EXPECT_EQ(m.id, m.name + "-" + m.device_tag + ":" + std::to_string(m.version));
    EXPECT_TRUE(ids.insert(m.id).second);
    EXPECT_TRUE(m.file.name.ends_with(".gguf"));
    if (!m.file.url.empty()) {
      EXPECT_TRUE(m.file.url.starts_with("https://huggingface.co/"));
      EXPECT_NE(m.file.url.find("/resolve/main/"), std::string::npos);
      EXPECT_TRUE(m.file.url.ends_with("/" + m.file.name));
    } else {
      EXPECT_TRUE(m.is_test_model) << "only test models may lack a URL";
    }
    EXPECT_FALSE(m.license.empty());
    EXPECT_FALSE(m.publisher.empty());
    EXPECT_GT(m.context_length, 0u);
    EXPECT_GT(m.file.size_mb, 0u);
    EXPECT_TRUE(m.task == "chat-completion" || m.task == "text-generation");
    EXPECT_EQ(m.execution_provider, m.device == DeviceType::kGpu ? "CUDAExecutionProvider" : "CPUExecutionProvider");
  }
}

// The offline test model is the very file in ../shared, byte for byte.
TEST_F(RepoCatalogTest, TinyllamaEntryMatchesTheSharedFile) {
  auto m = catalog().Resolve("tinyllama-v0", kCpuOnly);
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const CatalogModel& e = **m;
  EXPECT_EQ(e.id, "tinyllama-v0-generic-cpu:1");
  EXPECT_EQ(e.file.name, "tinyllama-v0-f32.gguf");
  EXPECT_TRUE(e.file.url.empty());
  EXPECT_TRUE(e.is_test_model);
  auto path = foundry::testing::SharedPath("models/real/tinyllama-v0-f32.gguf");
  auto sha = Sha256File(path);
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(e.file.sha256, *sha);
  ASSERT_TRUE(e.file.size_bytes.has_value());
  EXPECT_EQ(*e.file.size_bytes, std::filesystem::file_size(path));
}

TEST_F(RepoCatalogTest, AliasResolvesByHardware) {
  auto cpu = catalog().Resolve("qwen2.5-0.5b", kCpuOnly);
  ASSERT_TRUE(cpu.ok());
  EXPECT_EQ((*cpu)->id, "qwen2.5-0.5b-instruct-generic-cpu:1");
  auto gpu = catalog().Resolve("qwen2.5-0.5b", kWithCuda);
  ASSERT_TRUE(gpu.ok());
  EXPECT_EQ((*gpu)->id, "qwen2.5-0.5b-instruct-cuda-gpu:1");
  // Case-insensitive, as Foundry Local.
  auto upper = catalog().Resolve("Phi-4-MINI", kCpuOnly);
  ASSERT_TRUE(upper.ok());
  EXPECT_EQ((*upper)->id, "Phi-4-mini-instruct-generic-cpu:1");
}

TEST_F(RepoCatalogTest, ExactIdAndIdWithoutVersion) {
  auto exact = catalog().Resolve("QWEN2.5-0.5B-INSTRUCT-CUDA-GPU:1", kCpuOnly);  // an ID is taken as is
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ((*exact)->id, "qwen2.5-0.5b-instruct-cuda-gpu:1");
  auto noversion = catalog().Resolve("qwen2.5-0.5b-instruct-generic-cpu", kWithCuda);
  ASSERT_TRUE(noversion.ok());
  EXPECT_EQ((*noversion)->id, "qwen2.5-0.5b-instruct-generic-cpu:1");
  EXPECT_EQ(catalog().FindById("qwen2.5-0.5b-instruct-generic-cpu:1"), *noversion);
  EXPECT_EQ(catalog().FindById("qwen2.5-0.5b-instruct-generic-cpu:9"), nullptr);
}

TEST_F(RepoCatalogTest, UnknownNameIsNotFound) {
  auto r = catalog().Resolve("no-such-model", kCpuOnly);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("no-such-model"), std::string::npos);
  EXPECT_EQ(catalog().Resolve("qwen2.5-0.5b-instruct-generic-cpu:7", kCpuOnly).status().code(), StatusCode::kNotFound);
}

TEST_F(RepoCatalogTest, ListShowsRunnableVariantsWithTheResolvedOneFirst) {
  auto cpu = catalog().List(kCpuOnly);
  for (const CatalogModel* m : cpu) EXPECT_EQ(m->device, DeviceType::kCpu) << m->id;
  size_t n_cpu = 0;
  for (const CatalogModel& m : catalog().models()) n_cpu += m.device == DeviceType::kCpu;
  EXPECT_EQ(cpu.size(), n_cpu);
  auto all = catalog().List(kWithCuda);
  EXPECT_EQ(all.size(), catalog().models().size());
  // The first row of each alias group is what the alias resolves to.
  std::set<std::string> seen;
  for (const CatalogModel* m : all) {
    if (!seen.insert(m->alias).second) continue;
    auto r = catalog().Resolve(m->alias, kWithCuda);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(*r, m) << m->alias;
  }
}

TEST_F(RepoCatalogTest, Filters) {
  auto apply = [&](std::string_view expr, const HardwareInfo& hw) {
    auto f = ModelFilter::Parse(expr);
    EXPECT_TRUE(f.ok()) << expr << ": " << f.status().ToString();
    std::vector<std::string> ids;
    if (f.ok())
      for (const CatalogModel* m : catalog().List(hw, &*f)) ids.push_back(m->id);
    return ids;
  };
  auto gpu = apply("device=GPU", kWithCuda);
  ASSERT_FALSE(gpu.empty());
  for (const auto& id : gpu) EXPECT_TRUE(id.find("-cuda-gpu:") != std::string::npos) << id;
  EXPECT_TRUE(apply("device=gpu", kCpuOnly).empty());  // nothing runnable
  for (const auto& id : apply("device=!gpu", kWithCuda)) EXPECT_TRUE(id.find("-generic-cpu:") != std::string::npos) << id;
  EXPECT_EQ(apply("provider=cuda", kWithCuda), gpu);
  EXPECT_EQ(apply("provider=CUDAExecutionProvider", kWithCuda), gpu);
  EXPECT_EQ(apply("task=text-generation", kCpuOnly), std::vector<std::string>{"tinyllama-v0-generic-cpu:1"});

  auto qwen25 = apply("alias=qwen2.5*", kCpuOnly);
  std::set<std::string> aliases;
  for (const auto& id : qwen25) aliases.insert(catalog().FindById(id)->alias);
  EXPECT_EQ(aliases, (std::set<std::string>{"qwen2.5-0.5b", "qwen2.5-1.5b", "qwen2.5-coder-0.5b", "qwen2.5-7b"}));
  EXPECT_EQ(apply("ALIAS=Qwen2.5-0.5B", kCpuOnly), std::vector<std::string>{"qwen2.5-0.5b-instruct-generic-cpu:1"});
  auto not_qwen = apply("alias=!qwen*", kCpuOnly);
  EXPECT_EQ(not_qwen.size() + apply("alias=qwen*", kCpuOnly).size(), catalog().List(kCpuOnly).size());
  EXPECT_EQ(apply("alias=*", kCpuOnly).size(), catalog().List(kCpuOnly).size());
}

TEST(ModelFilterTest, RejectsMalformedExpressions) {
  for (const char* bad : {"device", "size=1", "task=", "task=!", "=cpu"}) {
    auto f = ModelFilter::Parse(bad);
    EXPECT_EQ(f.status().code(), StatusCode::kInvalidArgument) << bad;
  }
  auto unknown = ModelFilter::Parse("size=1");
  EXPECT_NE(unknown.status().message().find("device, provider, task, alias"), std::string::npos);
}

TEST_F(RepoCatalogTest, FoundryListJsonHasEveryFieldTheSdksRequire) {
  json list = json::parse(catalog().ToFoundryListJson(kWithCuda));
  ASSERT_TRUE(list.is_array());
  ASSERT_EQ(list.size(), catalog().models().size());
  for (const json& e : list) {
    SCOPED_TRACE(e.dump());
    for (const char* key : {"name", "displayName", "providerType", "uri", "version", "modelType", "publisher", "task",
                            "alias", "license", "licenseDescription", "parentModelUri"})
      EXPECT_TRUE(e.contains(key) && e[key].is_string()) << key;
    EXPECT_EQ(e["modelType"], "GGUF");
    EXPECT_TRUE(e["promptTemplate"].is_null() || e["promptTemplate"].is_object());
    EXPECT_TRUE(e["fileSizeMb"].is_number_integer());
    EXPECT_TRUE(e["supportsToolCalling"].is_boolean());
    EXPECT_TRUE(e["maxOutputTokens"].is_number_integer() || e["maxOutputTokens"].is_null());
    EXPECT_TRUE(e.contains("minFLVersion"));
    EXPECT_TRUE(e["modelSettings"]["parameters"].is_array());
    std::string device = e["runtime"]["deviceType"];
    EXPECT_TRUE(device == "CPU" || device == "GPU" || device == "NPU");
    EXPECT_TRUE(e["runtime"]["executionProvider"].is_string());
    std::string name = e["name"];
    EXPECT_EQ(name, e["displayName"].get<std::string>() + ":" + e["version"].get<std::string>());
  }
  json cpu = json::parse(catalog().ToFoundryListJson(kCpuOnly));
  EXPECT_LT(cpu.size(), list.size());
}

// A two-version, CUDA-only catalog for the rules the repository catalog does not exercise.
constexpr std::string_view kVersioned = R"({"schemaVersion": 1, "models": [
  {"alias": "toy", "name": "toy-chat", "publisher": "Us", "task": "chat-completion", "license": "MIT",
   "licenseDescription": "d", "parentModelUri": "https://example.com/toy", "contextLength": 128,
   "maxOutputTokens": null, "supportsToolCalling": false,
   "variants": [
     {"deviceTag": "generic-cpu", "version": 1, "quantization": "F32", "file": {"name": "toy-v1.gguf", "url": "https://example.com/toy-v1.gguf", "fileSizeMb": 1}},
     {"deviceTag": "generic-cpu", "version": 2, "quantization": "F32", "file": {"name": "toy-v2.gguf", "url": "https://example.com/toy-v2.gguf", "fileSizeMb": 1}}
   ]},
  {"alias": "gpu-only", "name": "big", "publisher": "Us", "task": "chat-completion", "license": "MIT",
   "licenseDescription": "d", "parentModelUri": "https://example.com/big", "contextLength": 128,
   "supportsToolCalling": true,
   "variants": [
     {"deviceTag": "cuda-gpu", "version": 3, "quantization": "Q8_0", "file": {"name": "big.gguf", "url": "https://example.com/big.gguf", "fileSizeMb": 9}}
   ]}
]})";

TEST(CatalogTest, IdWithoutVersionTakesTheHighestVersion) {
  auto c = Catalog::Parse(kVersioned, "inline");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  for (const char* name : {"toy-chat-generic-cpu", "toy-chat-generic-cpu:", "toy", "TOY"}) {
    auto r = c->Resolve(name, kCpuOnly);
    ASSERT_TRUE(r.ok()) << name;
    EXPECT_EQ((*r)->id, "toy-chat-generic-cpu:2") << name;
  }
  EXPECT_EQ((*c->Resolve("toy-chat-generic-cpu:1", kCpuOnly))->file.name, "toy-v1.gguf");
  EXPECT_FALSE(c->FindById("toy-chat-generic-cpu:2")->max_output_tokens.has_value());
}

TEST(CatalogTest, AliasWithNoRunnableVariantSaysWhatItNeeds) {
  auto c = Catalog::Parse(kVersioned, "inline");
  ASSERT_TRUE(c.ok());
  auto r = c->Resolve("gpu-only", kCpuOnly);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("CUDAExecutionProvider"), std::string::npos) << r.status().message();
  auto g = c->Resolve("gpu-only", kWithCuda);
  ASSERT_TRUE(g.ok());
  EXPECT_EQ((*g)->id, "big-cuda-gpu:3");
}

TEST(CatalogTest, DevicePriorityFollowsFoundryLocal) {
  EXPECT_EQ(DevicePriority("x-vitis-npu:1"), 0);
  EXPECT_EQ(DevicePriority("x-openvino-gpu:1"), 1);
  EXPECT_EQ(DevicePriority("x-cuda-gpu:1"), 2);
  EXPECT_EQ(DevicePriority("x-generic-gpu:1"), 3);
  EXPECT_EQ(DevicePriority("x-openvino-cpu:1"), 4);
  EXPECT_EQ(DevicePriority("x-generic-cpu:1"), 5);
  EXPECT_EQ(DevicePriority("my-model"), 6);
}

// Each malformed catalog is rejected with kInvalidArgument naming what is wrong.
TEST(CatalogTest, RejectsMalformedCatalogs) {
  const std::string good = std::string(kVersioned);
  auto replace = [&](std::string_view from, std::string_view to) {
    std::string s = good;
    size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
  };
  struct Case {
    std::string text, expect;
  } cases[] = {
      {"{not json", "not valid JSON"},
      {replace(R"("schemaVersion": 1)", R"("schemaVersion": 2)"), "schemaVersion 2"},
      {replace(R"("alias": "toy", )", ""), "'alias' is missing"},
      {replace(R"("deviceTag": "cuda-gpu")", R"("deviceTag": "openvino-npu")"), "deviceTag"},
      {replace(R"("version": 2)", R"("version": 1)"), "appears twice"},
      {replace(R"("alias": "gpu-only")", R"("alias": "TOY")"), "alias 'TOY' appears twice"},
      {replace(R"("name": "toy-v1.gguf")", R"("name": "../toy-v1.gguf")"), "plain file name"},
      {replace(R"("name": "toy-v1.gguf")", R"("name": "toy-v1.bin")"), "plain file name"},
      {replace(R"("url": "https://example.com/toy-v1.gguf")", R"("url": "ftp://example.com/toy-v1.gguf")"), "http(s)"},
      {replace(R"("fileSizeMb": 9})", R"("fileSizeMb": 9, "sha256": "abc"})"), "64 hex"},
      {replace(R"("contextLength": 128,)", R"("contextLength": -1,)"), "contextLength"},
      {replace(R"("name": "big")", R"("name": "big:1")"), "'name'"},
      {replace(R"("supportsToolCalling": true)", R"("supportsToolCalling": "yes")"), "supportsToolCalling"},
  };
  for (const Case& c : cases) {
    auto r = Catalog::Parse(c.text, "bad.json");
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.expect;
    EXPECT_NE(r.status().message().find(c.expect), std::string::npos) << r.status().message();
    EXPECT_NE(r.status().message().find("bad.json"), std::string::npos) << r.status().message();
  }
}

TEST(CatalogTest, MissingFileIsNotFound) {
  auto r = Catalog::LoadFile(std::filesystem::temp_directory_path() / "foundry-no-such-catalog.json");
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
}

}  // namespace
}  // namespace foundry::runtime
