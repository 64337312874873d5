#include "foundry/runtime/model_cache.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "runtime/scoped_temp_dir.h"

namespace foundry::runtime {
namespace {

namespace fs = std::filesystem;

// Two aliases, the first with CPU and CUDA variants.
constexpr std::string_view kCatalog = R"({"schemaVersion": 1, "models": [
  {"alias": "toy", "name": "toy-chat", "publisher": "Us", "task": "chat-completion", "license": "MIT",
   "licenseDescription": "d", "parentModelUri": "https://example.com/toy", "contextLength": 128,
   "supportsToolCalling": false,
   "variants": [
     {"deviceTag": "generic-cpu", "version": 1, "quantization": "Q4_K_M", "file": {"name": "toy-q4_k_m.gguf", "url": "https://example.com/toy-q4_k_m.gguf", "fileSizeMb": 1}},
     {"deviceTag": "cuda-gpu", "version": 1, "quantization": "Q8_0", "file": {"name": "toy-q8_0.gguf", "url": "https://example.com/toy-q8_0.gguf", "fileSizeMb": 1}}
   ]},
  {"alias": "other", "name": "other", "publisher": "Us", "task": "chat-completion", "license": "MIT",
   "licenseDescription": "d", "parentModelUri": "https://example.com/other", "contextLength": 128,
   "supportsToolCalling": false,
   "variants": [
     {"deviceTag": "generic-cpu", "version": 1, "quantization": "F32", "file": {"name": "other.gguf", "url": "https://example.com/other.gguf", "fileSizeMb": 1}}
   ]}
]})";

const HardwareInfo kCpuOnly{.has_cuda = false};
const HardwareInfo kWithCuda{.has_cuda = true};

void WriteFile(const fs::path& p, size_t size) {
  fs::create_directories(p.parent_path());
  std::ofstream(p, std::ios::binary) << std::string(size, 'x');
}

class ModelCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    auto c = Catalog::Parse(kCatalog, "inline");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_.emplace(std::move(c).value());
    root_ = tmp_.path() / "models";
  }
  const CatalogModel& Model(std::string_view id) { return *catalog_->FindById(id); }

  foundry::testing::ScopedTempDir tmp_;
  std::optional<Catalog> catalog_;
  fs::path root_;
};

TEST_F(ModelCacheTest, LayoutIsTheModelIdWithColonReplaced) {
  ModelCache cache(root_, &*catalog_);
  EXPECT_EQ(cache.root(), root_);
  EXPECT_EQ(cache.DirFor(Model("toy-chat-generic-cpu:1")), root_ / "toy-chat-generic-cpu-1");
  EXPECT_EQ(cache.PathFor(Model("toy-chat-generic-cpu:1")), root_ / "toy-chat-generic-cpu-1" / "toy-q4_k_m.gguf");
}

TEST_F(ModelCacheTest, MissingRootIsAnEmptyCache) {
  ModelCache cache(root_, &*catalog_);
  auto list = cache.List();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  EXPECT_TRUE(list->empty());
  EXPECT_EQ(cache.Find("toy", kCpuOnly).status().code(), StatusCode::kNotFound);
}

TEST_F(ModelCacheTest, ListsCatalogAndBringYourOwnModelsButNotPartials) {
  ModelCache cache(root_, &*catalog_);
  WriteFile(cache.PathFor(Model("toy-chat-generic-cpu:1")), 100);
  WriteFile(cache.PathFor(Model("toy-chat-cuda-gpu:1")).string() + ".partial", 50);  // unfinished
  WriteFile(cache.PathFor(Model("other-generic-cpu:1")).string() + ".partial", 50);   // unfinished
  WriteFile(root_ / "my-model.gguf", 10);
  WriteFile(root_ / "deep" / "er" / "Custom-Llama.GGUF", 20);
  WriteFile(root_ / "deep" / "notes.txt", 5);
  WriteFile(root_ / "deep" / "half.gguf.partial", 5);
  // A .gguf inside a catalog folder under another name is the user's, not the catalog's.
  WriteFile(cache.DirFor(Model("toy-chat-generic-cpu:1")) / "extra.gguf", 30);

  auto list = cache.List();
  ASSERT_TRUE(list.ok()) << list.status().ToString();
  ASSERT_EQ(list->size(), 4u);
  const CachedModel& toy = (*list)[0];
  EXPECT_EQ(toy.id, "toy-chat-generic-cpu:1");
  EXPECT_EQ(toy.alias, "toy");
  EXPECT_EQ(toy.size_bytes, 100u);
  EXPECT_TRUE(toy.is_catalog_model());
  EXPECT_EQ(toy.catalog_model, &Model("toy-chat-generic-cpu:1"));
  // BYO models by path.
  EXPECT_EQ((*list)[1].id, "Custom-Llama");
  EXPECT_EQ((*list)[1].path, root_ / "deep" / "er" / "Custom-Llama.GGUF");
  EXPECT_EQ((*list)[1].size_bytes, 20u);
  EXPECT_EQ((*list)[2].id, "my-model");
  EXPECT_EQ((*list)[3].id, "extra");
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_FALSE((*list)[i].is_catalog_model());
    EXPECT_TRUE((*list)[i].alias.empty());
  }
  EXPECT_TRUE(cache.IsCached(Model("toy-chat-generic-cpu:1")));
  EXPECT_FALSE(cache.IsCached(Model("toy-chat-cuda-gpu:1")));
  EXPECT_FALSE(cache.IsCached(Model("other-generic-cpu:1")));
}

TEST_F(ModelCacheTest, WithoutACatalogEveryGgufIsBringYourOwn) {
  ModelCache with(root_, &*catalog_);
  WriteFile(with.PathFor(Model("toy-chat-generic-cpu:1")), 100);
  ModelCache without(root_, nullptr);
  auto list = without.List();
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].id, "toy-q4_k_m");
  EXPECT_FALSE((*list)[0].is_catalog_model());
}

TEST_F(ModelCacheTest, FindByIdAliasAndIdWithoutVersion) {
  ModelCache cache(root_, &*catalog_);
  WriteFile(cache.PathFor(Model("toy-chat-generic-cpu:1")), 100);
  WriteFile(cache.PathFor(Model("toy-chat-cuda-gpu:1")), 200);
  WriteFile(root_ / "byo" / "My-Model.gguf", 10);

  auto by_id = cache.Find("TOY-CHAT-GENERIC-CPU:1", kWithCuda);
  ASSERT_TRUE(by_id.ok()) << by_id.status().ToString();
  EXPECT_EQ(by_id->id, "toy-chat-generic-cpu:1");
  auto no_version = cache.Find("toy-chat-cuda-gpu", kCpuOnly);
  ASSERT_TRUE(no_version.ok());
  EXPECT_EQ(no_version->id, "toy-chat-cuda-gpu:1");
  // The alias picks by hardware, like Catalog::Resolve.
  auto alias_cpu = cache.Find("toy", kCpuOnly);
  ASSERT_TRUE(alias_cpu.ok());
  EXPECT_EQ(alias_cpu->id, "toy-chat-generic-cpu:1");
  auto alias_gpu = cache.Find("Toy", kWithCuda);
  ASSERT_TRUE(alias_gpu.ok());
  EXPECT_EQ(alias_gpu->id, "toy-chat-cuda-gpu:1");
  auto byo = cache.Find("my-model", kCpuOnly);
  ASSERT_TRUE(byo.ok());
  EXPECT_EQ(byo->path, root_ / "byo" / "My-Model.gguf");
}

// A BYO folder names its model with inference_model.json {"Name": ...} (Foundry Local's own
// marker file); with several .gguf files in the folder, "File" says which one. Malformed or
// ambiguous files give no alias, never an error.
TEST_F(ModelCacheTest, ByoFolderGivesItsModelAnAlias) {
  ModelCache cache(root_, &*catalog_);
  WriteFile(cache.PathFor(Model("toy-chat-generic-cpu:1")), 100);
  WriteFile(root_ / "mine" / "llama-3.2-1b-q4.gguf", 10);
  std::ofstream(root_ / "mine" / "inference_model.json") << R"({"Name": "my-llama", "PromptTemplate": null})";
  WriteFile(root_ / "two" / "a.gguf", 10);
  WriteFile(root_ / "two" / "b.gguf", 10);
  std::ofstream(root_ / "two" / "inference_model.json") << R"({"Name": "bee", "File": "b.gguf"})";
  WriteFile(root_ / "ambiguous" / "c.gguf", 10);
  WriteFile(root_ / "ambiguous" / "d.gguf", 10);
  std::ofstream(root_ / "ambiguous" / "inference_model.json") << R"({"Name": "which"})";
  WriteFile(root_ / "bad" / "e.gguf", 10);
  std::ofstream(root_ / "bad" / "inference_model.json") << R"({"Name": 42)";
  WriteFile(root_ / "shadow" / "f.gguf", 10);
  std::ofstream(root_ / "shadow" / "inference_model.json") << R"({"Name": "toy"})";

  auto mine = cache.Find("My-Llama", kCpuOnly);
  ASSERT_TRUE(mine.ok()) << mine.status().ToString();
  EXPECT_EQ(mine->id, "llama-3.2-1b-q4");  // the id stays the file name
  EXPECT_EQ(mine->alias, "my-llama");
  auto by_id = cache.Find("llama-3.2-1b-q4", kCpuOnly);
  ASSERT_TRUE(by_id.ok());
  EXPECT_EQ(by_id->path, mine->path);
  auto bee = cache.Find("bee", kCpuOnly);
  ASSERT_TRUE(bee.ok());
  EXPECT_EQ(bee->path, root_ / "two" / "b.gguf");
  EXPECT_EQ(cache.Find("which", kCpuOnly).status().code(), StatusCode::kNotFound);
  auto list = cache.List();
  ASSERT_TRUE(list.ok());
  for (const CachedModel& m : *list) {
    if (m.path.filename() == "a.gguf" || m.path.filename() == "c.gguf" || m.path.filename() == "e.gguf") {
      EXPECT_EQ(m.alias, "") << m.path;
    }
  }
  // The user's own naming wins over a catalog alias.
  auto shadow = cache.Find("toy", kCpuOnly);
  ASSERT_TRUE(shadow.ok());
  EXPECT_EQ(shadow->path, root_ / "shadow" / "f.gguf");
}

TEST_F(ModelCacheTest, FindSaysWhenACatalogModelIsNotDownloaded) {
  ModelCache cache(root_, &*catalog_);
  WriteFile(cache.PathFor(Model("other-generic-cpu:1")).string() + ".partial", 50);
  auto r = cache.Find("other", kCpuOnly);
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_NE(r.status().message().find("not downloaded"), std::string::npos) << r.status().message();
  auto unknown = cache.Find("nothing-like-it", kCpuOnly);
  EXPECT_EQ(unknown.status().code(), StatusCode::kNotFound);
  EXPECT_NE(unknown.status().message().find("nothing-like-it"), std::string::npos);
}

TEST_F(ModelCacheTest, CachedVariantThatCannotRunIsNotFound) {
  ModelCache cache(root_, &*catalog_);
  WriteFile(cache.PathFor(Model("toy-chat-cuda-gpu:1")), 200);
  EXPECT_EQ(cache.Find("toy", kCpuOnly).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(cache.Find("toy", kWithCuda).ok());
}

TEST_F(ModelCacheTest, RemoveDeletesCatalogFolderOrByoFile) {
  ModelCache cache(root_, &*catalog_);
  const CatalogModel& toy = Model("toy-chat-generic-cpu:1");
  WriteFile(cache.PathFor(toy), 100);
  WriteFile(cache.PathFor(toy).string() + ".partial", 10);
  WriteFile(root_ / "byo" / "mine.gguf", 10);
  WriteFile(root_ / "byo" / "README.txt", 10);

  auto m = cache.Find("toy", kCpuOnly);
  ASSERT_TRUE(m.ok());
  ASSERT_TRUE(cache.Remove(*m).ok());
  EXPECT_FALSE(fs::exists(cache.DirFor(toy)));
  EXPECT_EQ(cache.Remove(*m).code(), StatusCode::kNotFound);

  auto byo = cache.Find("mine", kCpuOnly);
  ASSERT_TRUE(byo.ok());
  ASSERT_TRUE(cache.Remove(*byo).ok());
  EXPECT_FALSE(fs::exists(root_ / "byo" / "mine.gguf"));
  EXPECT_TRUE(fs::exists(root_ / "byo" / "README.txt"));  // the folder's other files stay
  auto list = cache.List();
  ASSERT_TRUE(list.ok());
  EXPECT_TRUE(list->empty());
}

TEST_F(ModelCacheTest, RemoveRefusesPathsOutsideTheRoot) {
  ModelCache cache(root_, &*catalog_);
  fs::path outside = tmp_.path() / "elsewhere.gguf";
  WriteFile(outside, 10);
  CachedModel fake{.id = "elsewhere", .path = outside};
  EXPECT_EQ(cache.Remove(fake).code(), StatusCode::kFailedPrecondition);
  CachedModel sneaky{.id = "x", .path = root_ / ".." / "elsewhere.gguf"};
  EXPECT_EQ(cache.Remove(sneaky).code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(fs::exists(outside));
}

TEST_F(ModelCacheTest, RootThatIsAFileIsAnError) {
  WriteFile(root_, 1);
  ModelCache cache(root_, &*catalog_);
  EXPECT_EQ(cache.List().status().code(), StatusCode::kFailedPrecondition);
}

}  // namespace
}  // namespace foundry::runtime
