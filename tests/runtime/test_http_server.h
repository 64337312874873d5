#pragma once
// TestHttpServer: a small real HTTP/1.1 server on 127.0.0.1 (ephemeral port) for the
// downloader tests. One connection at a time, each closed after its response, which is all a
// single-file download needs. A handler decides every response, including faults: a body cut
// short (the connection drops midway) or a stall (headers and some bytes, then silence until
// the client gives up).
//
// Test-only and header-only (the test CMake builds one executable per *_test.cc).
// Thread-safety: the server thread runs handlers; requests() may be read from any thread.

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace foundry::testing {

struct HttpRequest {
  std::string method, path;
  std::vector<std::pair<std::string, std::string>> headers;  // names lowercased

  // The value of header `name` (lowercase), or "" if absent.
  std::string Header(std::string_view name) const {
    for (const auto& [k, v] : headers)
      if (k == name) return v;
    return "";
  }
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // besides Content-Length
  // Send only this many body bytes (Content-Length still announces the whole body), then...
  std::optional<size_t> cut_after_bytes;
  // ...close the connection (false) or keep it open, silent, until the client leaves (true).
  bool stall = false;
};

using HttpHandler = std::function<HttpResponse(const HttpRequest&)>;

class TestHttpServer {
 public:
  // nullptr if the socket cannot be set up (the test then fails on ASSERT_NE).
  static std::unique_ptr<TestHttpServer> Start(HttpHandler handler) {
    int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return nullptr;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;  // ephemeral
    socklen_t len = sizeof addr;
    int wake[2];
    if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 8) != 0 ||
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0 || ::pipe2(wake, O_CLOEXEC) != 0) {
      ::close(fd);
      return nullptr;
    }
    return std::unique_ptr<TestHttpServer>(new TestHttpServer(fd, wake, ntohs(addr.sin_port), std::move(handler)));
  }

  ~TestHttpServer() {
    char b = 1;
    (void)!::write(wake_[1], &b, 1);
    thread_.join();
    ::close(listen_fd_);
    ::close(wake_[0]);
    ::close(wake_[1]);
  }
  TestHttpServer(const TestHttpServer&) = delete;
  TestHttpServer& operator=(const TestHttpServer&) = delete;

  uint16_t port() const { return port_; }
  // "http://127.0.0.1:<port><path>"
  std::string Url(std::string_view path) const {
    return "http://127.0.0.1:" + std::to_string(port_) + std::string(path);
  }
  std::vector<HttpRequest> requests() const {
    std::lock_guard lock(mu_);
    return requests_;
  }

 private:
  TestHttpServer(int fd, int wake[2], uint16_t port, HttpHandler handler)
      : listen_fd_(fd), wake_{wake[0], wake[1]}, port_(port), handler_(std::move(handler)) {
    thread_ = std::jthread([this] { Loop(); });
  }

  // Waits until `fd` is readable; false if the server is stopping.
  bool WaitReadable(int fd) const {
    pollfd p[2] = {{fd, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    while (true) {
      int n = ::poll(p, 2, -1);
      if (n < 0) continue;  // EINTR
      if (p[1].revents) return false;
      if (p[0].revents) return true;
    }
  }

  void Loop() {
    while (WaitReadable(listen_fd_)) {
      int conn = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
      if (conn < 0) continue;
      Serve(conn);
      ::close(conn);
    }
  }

  static bool SendAll(int fd, std::string_view s) {
    while (!s.empty()) {
      ssize_t n = ::send(fd, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return false;  // the client left
      s.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void Serve(int conn) {
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
      if (in.size() > 64 * 1024 || !WaitReadable(conn)) return;
      ssize_t n = ::recv(conn, buf, sizeof buf, 0);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    HttpRequest req;
    std::string_view head(in.data(), in.find("\r\n\r\n"));
    size_t eol = head.find("\r\n");
    std::string_view first = head.substr(0, eol);
    size_t sp1 = first.find(' '), sp2 = first.rfind(' ');
    if (sp1 == std::string_view::npos || sp2 <= sp1) return;
    req.method = first.substr(0, sp1);
    req.path = first.substr(sp1 + 1, sp2 - sp1 - 1);
    while (eol != std::string_view::npos) {
      head.remove_prefix(eol + 2);
      eol = head.find("\r\n");
      std::string_view line = head.substr(0, eol);
      size_t colon = line.find(':');
      if (colon == std::string_view::npos) continue;
      std::string name(line.substr(0, colon));
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      req.headers.emplace_back(std::move(name), std::string(value));
    }
    {
      std::lock_guard lock(mu_);
      requests_.push_back(req);
    }
    HttpResponse res = handler_(req);
    std::string out = "HTTP/1.1 " + std::to_string(res.status) + " " + Reason(res.status) + "\r\n";
    out += "Content-Length: " + std::to_string(res.body.size()) + "\r\nConnection: close\r\n";
    for (const auto& [k, v] : res.headers) out += k + ": " + v + "\r\n";
    out += "\r\n";
    size_t n = res.cut_after_bytes ? std::min(*res.cut_after_bytes, res.body.size()) : res.body.size();
    if (!SendAll(conn, out) || !SendAll(conn, std::string_view(res.body).substr(0, n))) return;
    if (res.stall) {
      // Silent until the client closes (recv returns 0) or the server stops.
      while (WaitReadable(conn) && ::recv(conn, buf, sizeof buf, 0) > 0) {
      }
    }
  }

  static std::string Reason(int status) {
    switch (status) {
      case 200: return "OK";
      case 206: return "Partial Content";
      case 404: return "Not Found";
      case 416: return "Range Not Satisfiable";
      case 500: return "Internal Server Error";
      default: return "Status";
    }
  }

  int listen_fd_;
  int wake_[2];
  uint16_t port_;
  HttpHandler handler_;
  mutable std::mutex mu_;
  std::vector<HttpRequest> requests_;  // guarded by mu_
  std::jthread thread_;  // joined in the destructor, before the fds close
};

// Serves `bytes` as a file: honours `Range: bytes=<start>-` (206 with Content-Range, or 416
// when start is past the end), else 200 with the whole body.
inline HttpResponse ServeBytes(const HttpRequest& req, const std::string& bytes) {
  std::string range = req.Header("range");
  if (range.rfind("bytes=", 0) == 0 && range.back() == '-') {
    uint64_t start = std::stoull(range.substr(6, range.size() - 7));
    if (start >= bytes.size())
      return {.status = 416, .headers = {{"Content-Range", "bytes */" + std::to_string(bytes.size())}}};
    return {.status = 206,
            .body = bytes.substr(start),
            .headers = {{"Content-Range", "bytes " + std::to_string(start) + "-" +
                                              std::to_string(bytes.size() - 1) + "/" + std::to_string(bytes.size())}}};
  }
  return {.status = 200, .body = bytes};
}

}  // namespace foundry::testing
