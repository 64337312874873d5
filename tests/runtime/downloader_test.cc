#include "foundry/runtime/downloader.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <stop_token>

#include "foundry/runtime/sha256.h"
#include "runtime/scoped_temp_dir.h"
#include "runtime/test_http_server.h"
#include "support/shared_data.h"

namespace foundry::runtime {
namespace {

namespace fs = std::filesystem;
using foundry::testing::HttpRequest;
using foundry::testing::HttpResponse;
using foundry::testing::ServeBytes;
using foundry::testing::TestHttpServer;

// The file served over HTTP: 327,648 bytes, sha256 from ../shared/models/README.md.
constexpr const char* kFile = "tinyllamas-stories-260k-q8_0.gguf";
constexpr const char* kFileSha = "3a1ffde700f058b27f77778987e4ac78282af1a8dbaec68bf8c797fcd28ff432";
constexpr const char* kId = "stories-generic-cpu:1";
const HardwareInfo kCpuOnly{};

std::filesystem::path RepoCatalogPath() {
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "catalog" / "catalog.json";
}

// A one-model catalog whose file lives at `url`.
std::string CatalogJson(const std::string& url, const std::string& sha256, std::optional<uint64_t> size) {
  std::string file = R"({"name": ")" + std::string(kFile) + R"(", "url": ")" + url + R"(", "fileSizeMb": 1)";
  if (!sha256.empty()) file += R"(, "sha256": ")" + sha256 + "\"";
  if (size) file += R"(, "sizeBytes": )" + std::to_string(*size);
  file += "}";
  return R"({"schemaVersion": 1, "models": [{"alias": "stories", "name": "stories", "publisher": "Us",
    "task": "text-generation", "license": "MIT", "licenseDescription": "d",
    "parentModelUri": "https://example.com/stories", "contextLength": 2048, "supportsToolCalling": false,
    "variants": [{"deviceTag": "generic-cpu", "version": 1, "quantization": "Q8_0", "file": )" +
         file + "}]}]}";
}

std::string ReadAll(const fs::path& p) { return foundry::testing::ReadFileText(p); }

class DownloaderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    bytes_ = ReadAll(foundry::testing::SharedPath(std::string("models/real/") + kFile));
    ASSERT_EQ(bytes_.size(), 327648u);
  }

  // Starts the server with `handler` and a catalog pointing at /models/<file> on it.
  void Serve(foundry::testing::HttpHandler handler, std::string sha256 = kFileSha,
             std::optional<uint64_t> size = std::nullopt) {
    server_ = TestHttpServer::Start(std::move(handler));
    ASSERT_NE(server_, nullptr);
    auto c = Catalog::Parse(CatalogJson(server_->Url(std::string("/models/") + kFile), sha256, size), "test");
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    catalog_.emplace(std::move(c).value());
    cache_.emplace(tmp_.path() / "cache", &*catalog_);
  }
  const CatalogModel& model() const { return *catalog_->FindById(kId); }
  fs::path Final() const { return cache_->PathFor(model()); }
  fs::path Partial() const { return fs::path(Final().string() + ".partial"); }

  Downloader Make(DownloaderOptions o = {}) {
    o.retry_delay = std::chrono::milliseconds(0);  // no waiting between attempts in tests
    auto d = Downloader::Create(std::move(o));
    EXPECT_TRUE(d.ok()) << d.status().ToString();
    return std::move(d).value();
  }
  // Neither the final file nor the cache listing shows the model.
  void ExpectNotCached() {
    EXPECT_FALSE(fs::exists(Final()));
    EXPECT_FALSE(cache_->IsCached(model()));
    auto list = cache_->List();
    ASSERT_TRUE(list.ok());
    EXPECT_TRUE(list->empty());
  }

  foundry::testing::ScopedTempDir tmp_;
  std::string bytes_;
  std::unique_ptr<TestHttpServer> server_;
  std::optional<Catalog> catalog_;
  std::optional<ModelCache> cache_;
};

TEST_F(DownloaderTest, CompleteDownloadIsVerifiedRenamedAndCached) {
  Serve([&](const HttpRequest& r) { return ServeBytes(r, bytes_); });
  Downloader d = Make();
  std::vector<DownloadProgress> seen;
  std::vector<std::string> names;
  DownloadControl control{.on_progress = [&](const DownloadProgress& p) {
    seen.push_back(p);
    names.emplace_back(p.file_name);
    return true;
  }};
  auto r = d.Download(model(), *cache_, control);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->path, Final());
  EXPECT_EQ(r->size_bytes, bytes_.size());
  EXPECT_EQ(r->sha256, kFileSha);
  EXPECT_FALSE(r->was_cached);
  EXPECT_EQ(r->attempts, 1u);
  EXPECT_EQ(r->resumed_from_bytes, 0u);
  EXPECT_EQ(r->source, server_->Url(std::string("/models/") + kFile));
  EXPECT_EQ(ReadAll(Final()), bytes_);
  EXPECT_FALSE(fs::exists(Partial()));

  ASSERT_GE(seen.size(), 2u);
  EXPECT_EQ(seen.front().bytes_done, 0u);
  for (size_t i = 1; i < seen.size(); ++i) EXPECT_GE(seen[i].bytes_done, seen[i - 1].bytes_done);
  EXPECT_EQ(seen.back().bytes_done, bytes_.size());
  EXPECT_EQ(seen.back().bytes_total, bytes_.size());
  for (const auto& n : names) EXPECT_EQ(n, kFile);

  auto found = cache_->Find("stories", kCpuOnly);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->path, Final());

  // Already there: trusted, nothing fetched.
  auto again = d.Download(model(), *cache_);
  ASSERT_TRUE(again.ok());
  EXPECT_TRUE(again->was_cached);
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_F(DownloaderTest, DroppedConnectionLeavesOnlyAPartialAndTheNextCallResumesWithRange) {
  std::atomic<int> calls = 0;
  const size_t half = bytes_.size() / 2;
  Serve([&](const HttpRequest& r) {
    HttpResponse res = ServeBytes(r, bytes_);
    if (calls++ == 0) res.cut_after_bytes = half;  // the connection drops midway
    return res;
  });
  Downloader d = Make({.max_attempts = 1});
  auto first = d.Download(model(), *cache_);
  ASSERT_EQ(first.status().code(), StatusCode::kUnavailable) << first.status().ToString();
  EXPECT_NE(first.status().message().find("resumes"), std::string::npos) << first.status().message();
  ExpectNotCached();
  ASSERT_TRUE(fs::exists(Partial()));
  EXPECT_EQ(fs::file_size(Partial()), half);

  auto second = d.Download(model(), *cache_);
  ASSERT_TRUE(second.ok()) << second.status().ToString();
  EXPECT_EQ(second->resumed_from_bytes, half);
  EXPECT_EQ(second->sha256, kFileSha);
  EXPECT_EQ(ReadAll(Final()), bytes_);
  EXPECT_FALSE(fs::exists(Partial()));
  auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[0].Header("range"), "");
  EXPECT_EQ(reqs[1].Header("range"), "bytes=" + std::to_string(half) + "-");
}

TEST_F(DownloaderTest, RetriesWithinOneCallResumeToo) {
  std::atomic<int> calls = 0;
  Serve([&](const HttpRequest& r) {
    HttpResponse res = ServeBytes(r, bytes_);
    if (calls++ < 2) res.cut_after_bytes = res.body.size() / 3;
    return res;
  });
  Downloader d = Make({.max_attempts = 3});
  auto r = d.Download(model(), *cache_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->attempts, 3u);
  EXPECT_EQ(r->sha256, kFileSha);
  auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_NE(reqs[1].Header("range"), "");
  EXPECT_NE(reqs[2].Header("range"), "");
}

TEST_F(DownloaderTest, ServerThatIgnoresRangeRestartsTheFile) {
  Serve([&](const HttpRequest&) { return HttpResponse{.status = 200, .body = bytes_}; });
  fs::create_directories(Partial().parent_path());
  std::ofstream(Partial(), std::ios::binary) << std::string(1000, '\xAB');  // stale garbage
  Downloader d = Make();
  auto r = d.Download(model(), *cache_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->resumed_from_bytes, 1000u);
  EXPECT_EQ(ReadAll(Final()), bytes_);
  EXPECT_EQ(server_->requests().at(0).Header("range"), "bytes=1000-");
}

TEST_F(DownloaderTest, CompletePartialLeftBeforeTheRenameIsPublishedOn416) {
  Serve([&](const HttpRequest& r) { return ServeBytes(r, bytes_); });
  fs::create_directories(Partial().parent_path());
  std::ofstream(Partial(), std::ios::binary) << bytes_;
  Downloader d = Make();
  auto r = d.Download(model(), *cache_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sha256, kFileSha);
  EXPECT_EQ(ReadAll(Final()), bytes_);
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_F(DownloaderTest, WithoutCatalogChecksThe416SizeDecides) {
  Serve([&](const HttpRequest& r) { return ServeBytes(r, bytes_); }, "");
  fs::create_directories(Partial().parent_path());
  std::ofstream(Partial(), std::ios::binary) << bytes_;
  Downloader d = Make();
  auto r = d.Download(model(), *cache_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sha256, kFileSha);
  EXPECT_EQ(server_->requests().size(), 1u);
}

TEST_F(DownloaderTest, OverlongPartialStartsOver) {
  Serve([&](const HttpRequest& r) { return ServeBytes(r, bytes_); });
  fs::create_directories(Partial().parent_path());
  std::ofstream(Partial(), std::ios::binary) << bytes_ << "trailing junk";
  Downloader d = Make({.max_attempts = 2});
  auto r = d.Download(model(), *cache_);  // 416 -> does not check out -> from byte 0
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(ReadAll(Final()), bytes_);
  auto reqs = server_->requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_EQ(reqs[1].Header("range"), "");
}

TEST_F(DownloaderTest, CorruptBytesAreRejectedAndDeleted) {
  std::string bad = bytes_;
  bad[bad.size() / 2] ^= 0x01;
  Serve([&](const HttpRequest& r) { return ServeBytes(r, bad); });
  Downloader d = Make();
  auto r = d.Download(model(), *cache_);
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("corrupt"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(kFileSha), std::string::npos);
  EXPECT_NE(r.status().message().find(kId), std::string::npos);
  ExpectNotCached();
  EXPECT_FALSE(fs::exists(Partial()));
}

TEST_F(DownloaderTest, WrongSizeIsRejectedWithoutAHash) {
  Serve([&](const HttpRequest& r) { return ServeBytes(r, bytes_); }, "", bytes_.size() + 1);
  Downloader d = Make();
  auto r = d.Download(model(), *cache_);
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("expects " + std::to_string(bytes_.size() + 1)), std::string::npos)
      << r.status().message();
  ExpectNotCached();
  EXPECT_FALSE(fs::exists(Partial()));
}

TEST_F(DownloaderTest, NoHashInTheCatalogStillDownloadsAndReportsTheDigest) {
  Serve([&](const HttpRequest& r) { return ServeBytes(r, bytes_); }, "");
  Downloader d = Make();
  auto r = d.Download(model(), *cache_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sha256, kFileSha);
}

TEST_F(DownloaderTest, Http404IsNotFoundNamingUrlAndCode) {
  Serve([](const HttpRequest&) { return HttpResponse{.status = 404, .body = "nope"}; });
  Downloader d = Make();
  auto r = d.Download(model(), *cache_);
  ASSERT_EQ(r.status().code(), StatusCode::kNotFound) << r.status().ToString();
  EXPECT_NE(r.status().message().find("HTTP 404"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find(server_->Url(std::string("/models/") + kFile)), std::string::npos);
  EXPECT_EQ(server_->requests().size(), 1u);  // not retried
  ExpectNotCached();
  EXPECT_FALSE(fs::exists(Partial()));
}

TEST_F(DownloaderTest, Http500IsRetriedThenUnavailable) {
  Serve([](const HttpRequest&) { return HttpResponse{.status = 500, .body = "oops"}; });
  Downloader d = Make({.max_attempts = 2});
  auto r = d.Download(model(), *cache_);
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(r.status().message().find("HTTP 500"), std::string::npos);
  EXPECT_EQ(server_->requests().size(), 2u);
  ExpectNotCached();
}

TEST_F(DownloaderTest, CancelledByTheProgressCallbackKeepsThePartial) {
  Serve([&](const HttpRequest& r) { return ServeBytes(r, bytes_); });
  Downloader d = Make();
  DownloadControl control{.on_progress = [](const DownloadProgress& p) { return p.bytes_done == 0; }};
  auto r = d.Download(model(), *cache_, control);
  ASSERT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  ExpectNotCached();
  ASSERT_TRUE(fs::exists(Partial()));
  EXPECT_GT(fs::file_size(Partial()), 0u);
  EXPECT_LT(fs::file_size(Partial()), bytes_.size());
}

TEST_F(DownloaderTest, StopTokenCancelsAStalledTransfer) {
  Serve([&](const HttpRequest& r) {
    HttpResponse res = ServeBytes(r, bytes_);
    res.cut_after_bytes = 4096;
    res.stall = true;
    return res;
  });
  Downloader d = Make({.max_attempts = 1});
  std::stop_source stop;
  DownloadControl control{.on_progress =
                              [&](const DownloadProgress& p) {
                                if (p.bytes_done >= 4096) stop.request_stop();
                                return true;
                              },
                          .stop = stop.get_token()};
  auto r = d.Download(model(), *cache_, control);
  ASSERT_EQ(r.status().code(), StatusCode::kCancelled) << r.status().ToString();
  ExpectNotCached();
}

TEST_F(DownloaderTest, StopRequestedBeforeStartingFetchesNothing) {
  Serve([&](const HttpRequest& r) { return ServeBytes(r, bytes_); });
  Downloader d = Make();
  std::stop_source stop;
  stop.request_stop();
  auto r = d.Download(model(), *cache_, {.stop = stop.get_token()});
  EXPECT_EQ(r.status().code(), StatusCode::kCancelled);
  EXPECT_TRUE(server_->requests().empty());
}

TEST_F(DownloaderTest, StalledServerTimesOut) {
  Serve([&](const HttpRequest& r) {
    HttpResponse res = ServeBytes(r, bytes_);
    res.cut_after_bytes = 1000;
    res.stall = true;
    return res;
  });
  Downloader d = Make({.low_speed_bytes_per_s = 1000, .low_speed_time = std::chrono::milliseconds(1000), .max_attempts = 1});
  auto r = d.Download(model(), *cache_);
  ASSERT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
  EXPECT_NE(r.status().message().find("too slow"), std::string::npos) << r.status().message();
  ExpectNotCached();
  EXPECT_EQ(fs::file_size(Partial()), 1000u);  // kept for resuming
}

TEST_F(DownloaderTest, DiskFullIsResourceExhausted) {
  Serve([&](const HttpRequest& r) { return ServeBytes(r, bytes_); });
  // Writes to /dev/full fail with ENOSPC: the partial file points there.
  fs::create_directories(Partial().parent_path());
  fs::create_symlink("/dev/full", Partial());
  Downloader d = Make();
  auto r = d.Download(model(), *cache_);
  ASSERT_EQ(r.status().code(), StatusCode::kResourceExhausted) << r.status().ToString();
  EXPECT_NE(r.status().message().find("disk full"), std::string::npos) << r.status().message();
  ExpectNotCached();
}

TEST_F(DownloaderTest, ASecondDownloadOfTheSameFileIsRefusedWhileTheFirstRuns) {
  Serve([&](const HttpRequest& r) { return ServeBytes(r, bytes_); });
  fs::create_directories(Partial().parent_path());
  int fd = ::open(Partial().c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);  // as the first download would hold it
  Downloader d = Make();
  auto r = d.Download(model(), *cache_);
  ::close(fd);
  ASSERT_EQ(r.status().code(), StatusCode::kFailedPrecondition) << r.status().ToString();
  EXPECT_NE(r.status().message().find("in progress"), std::string::npos);
  EXPECT_TRUE(server_->requests().empty());
}

TEST_F(DownloaderTest, HttpMirrorReplacesTheCatalogUrl) {
  Serve([&](const HttpRequest& r) {
    if (r.path == std::string("/mirror/") + kFile) return ServeBytes(r, bytes_);
    return HttpResponse{.status = 404};
  });
  Downloader d = Make({.mirror = server_->Url("/mirror/")});  // trailing '/' is fine
  auto src = d.SourceFor(model().file);
  ASSERT_TRUE(src.ok());
  EXPECT_EQ(*src, server_->Url(std::string("/mirror/") + kFile));
  auto r = d.Download(model(), *cache_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->sha256, kFileSha);
  EXPECT_EQ(server_->requests().at(0).path, std::string("/mirror/") + kFile);
}

TEST(DownloaderOptionsTest, MirrorMustBeAUrlOrAnExistingDirectory) {
  auto d = Downloader::Create({.mirror = "/no/such/folder/anywhere"});
  EXPECT_EQ(d.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Downloader::Create({.max_attempts = 0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(Downloader::Create({.mirror = "https://example.com/models"}).ok());
}

TEST(FoundryProgressLineTest, MatchesTheSdkFixtureFormat) {
  EXPECT_EQ(FoundryProgressLine({.file_name = "m.gguf", .bytes_done = 1, .bytes_total = 8}),
            "Total 12.50% Downloading m.gguf");
  EXPECT_EQ(FoundryProgressLine({.file_name = "m.gguf", .bytes_done = 5, .bytes_total = 0}),
            "Total 0.00% Downloading m.gguf");
  EXPECT_EQ(FoundryProgressLine({.file_name = "m.gguf", .bytes_done = 8, .bytes_total = 8}),
            "Total 100.00% Downloading m.gguf");
}

// The repository catalog's offline test model, fetched from ../shared/models/real as a mirror.
class DirectoryMirrorTest : public ::testing::TestWithParam<bool> {};

TEST_P(DirectoryMirrorTest, TestModelComesFromTheMirrorFolder) {
  foundry::testing::ScopedTempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  auto catalog = Catalog::LoadFile(RepoCatalogPath());
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  ModelCache cache(tmp.path() / "cache", &*catalog);
  auto model = catalog->Resolve("tinyllama-v0", kCpuOnly);
  ASSERT_TRUE(model.ok());

  auto no_mirror = Downloader::Create({});
  ASSERT_TRUE(no_mirror.ok());
  auto refused = no_mirror->Download(**model, cache);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("mirror"), std::string::npos);

  const fs::path mirror = foundry::testing::SharedPath("models/real");
  auto d = Downloader::Create({.mirror = mirror.string(), .allow_hard_links = GetParam()});
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  uint64_t last_done = 0, last_total = 0;
  auto r = d->Download(**model, cache, {.on_progress = [&](const DownloadProgress& p) {
                                      last_done = p.bytes_done;
                                      last_total = p.bytes_total;
                                      return true;
                                    }});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->path, cache.PathFor(**model));
  EXPECT_EQ(r->sha256, (*model)->file.sha256);
  EXPECT_EQ(r->source, (mirror / "tinyllama-v0-f32.gguf").string());
  EXPECT_EQ(last_done, *(*model)->file.size_bytes);
  EXPECT_EQ(last_total, last_done);
  EXPECT_FALSE(fs::exists(r->path.string() + ".partial"));
  auto sha = Sha256File(r->path);
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(*sha, (*model)->file.sha256);
  auto found = cache.Find("tinyllama-v0", kCpuOnly);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(found->id, "tinyllama-v0-generic-cpu:1");
  ASSERT_TRUE(cache.Remove(*found).ok());
  EXPECT_TRUE(fs::exists(mirror / "tinyllama-v0-f32.gguf"));  // the mirror's copy is untouched
}

INSTANTIATE_TEST_SUITE_P(LinkOrCopy, DirectoryMirrorTest, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "HardLink" : "Copy"; });

// A mirror folder on the cache's file system: the cached file is the mirror's file, linked.
TEST(DirectoryMirrorLinkTest, HardLinkSharesTheMirrorFileAndCopyDoesNot) {
  foundry::testing::ScopedTempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  auto catalog = Catalog::LoadFile(RepoCatalogPath());
  ASSERT_TRUE(catalog.ok());
  const CatalogModel& model = **catalog->Resolve("tinyllama-v0", kCpuOnly);
  fs::path mirror = tmp.path() / "mirror";
  fs::create_directories(mirror);
  fs::copy_file(foundry::testing::SharedPath("models/real/tinyllama-v0-f32.gguf"), mirror / model.file.name);
  for (bool link : {true, false}) {
    ModelCache cache(tmp.path() / (link ? "linked" : "copied"), &*catalog);
    auto d = Downloader::Create({.mirror = mirror.string(), .allow_hard_links = link});
    ASSERT_TRUE(d.ok());
    auto r = d->Download(model, cache);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(fs::hard_link_count(r->path), link ? 2u : 1u);
    EXPECT_EQ(r->sha256, model.file.sha256);
  }
}

TEST(DirectoryMirrorErrorsTest, MissingOrCorruptMirrorFileIsRejected) {
  foundry::testing::ScopedTempDir tmp;
  ASSERT_FALSE(tmp.path().empty());
  auto catalog = Catalog::LoadFile(RepoCatalogPath());
  ASSERT_TRUE(catalog.ok());
  ModelCache cache(tmp.path() / "cache", &*catalog);
  const CatalogModel& model = **catalog->Resolve("tinyllama-v0", kCpuOnly);
  fs::path mirror = tmp.path() / "mirror";
  fs::create_directories(mirror);

  auto d = Downloader::Create({.mirror = "file://" + mirror.string()});
  ASSERT_TRUE(d.ok());
  auto missing = d->Download(model, cache);
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("tinyllama-v0-f32.gguf"), std::string::npos);

  // Right size, wrong bytes.
  std::ofstream(mirror / "tinyllama-v0-f32.gguf", std::ios::binary) << std::string(*model.file.size_bytes, 'z');
  for (bool link : {true, false}) {
    auto dd = Downloader::Create({.mirror = mirror.string(), .allow_hard_links = link});
    ASSERT_TRUE(dd.ok());
    auto corrupt = dd->Download(model, cache);
    EXPECT_EQ(corrupt.status().code(), StatusCode::kUnavailable) << corrupt.status().ToString();
    EXPECT_NE(corrupt.status().message().find("corrupt"), std::string::npos);
    EXPECT_FALSE(cache.IsCached(model));
    EXPECT_FALSE(fs::exists(cache.PathFor(model).string() + ".partial"));
  }
}

}  // namespace
}  // namespace foundry::runtime
