// The seam between the Engine API client and the wire.
//
// Transport carries one HTTP exchange at a time per call; implementations
// must allow concurrent calls from different threads (the launcher waits on
// one thread while it starts and kills on another). CurlTransport is the real
// one; unit tests use hand-written fakes.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "docker/host.hpp"
#include "util/error.hpp"

namespace sr::docker {

struct Request {
  std::string method;  // "GET", "POST", "DELETE", "HEAD"
  std::string target;  // versioned path with query: "/v1.41/containers/create?name=x"
  std::string body;    // sent as application/json when non-empty
};

struct Response {
  long status = 0;
  std::string body;  // empty when the caller consumed it through on_data
  // Response header fields as received, names as sent by the peer.
  std::vector<std::pair<std::string, std::string>> headers;

  // The first header named `name` (case-insensitive), empty when absent.
  [[nodiscard]] std::string header(std::string_view name) const;
};

// Lets another thread abort a transfer that is blocked on the network (a
// wait that will never complete). Thread-safe.
class Cancellation {
 public:
  // Called by the transport once it has a socket; false if already cancelled.
  bool arm(int fd);
  void disarm();
  // Shuts the armed socket down so the blocked transfer fails promptly.
  void cancel();
  [[nodiscard]] bool cancelled() const;

 private:
  mutable std::mutex mu_;
  int fd_ = -1;
  bool cancelled_ = false;
};

// Optional per-request callbacks.
struct RequestHooks {
  // Called once when the response head has arrived, with the status.
  std::function<void(long status)> on_headers;
  // Receives the body of a 2xx response as it streams; return false to abort.
  // When set, Response::body stays empty for 2xx responses.
  std::function<bool(std::string_view chunk)> on_data;
  Cancellation* cancel = nullptr;
  // Extra request header fields, e.g. X-Registry-Auth.
  std::vector<std::pair<std::string, std::string>> headers;
};

// A bidirectional byte stream left after an HTTP 101 upgrade (attach).
class RawStream {
 public:
  virtual ~RawStream() = default;
  // Pollable descriptor: readable when read() may make progress.
  [[nodiscard]] virtual int fd() const = 0;
  // Reads what is available without blocking. 0 bytes with
  // IoState::eof at end of stream; IoState::again when nothing is ready.
  enum class IoState { ok, again, eof };
  struct IoResult {
    IoState state;
    std::size_t bytes;
  };
  virtual util::Result<IoResult> read(std::span<char> buf) = 0;
  // Writes without blocking; IoState::again when the socket is full.
  virtual util::Result<IoResult> write(std::span<const char> data) = 0;
  // Half-closes the sending side (stdin EOF reaches the container).
  virtual util::Result<void> close_write() = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Performs one request. Transport failures (connect, timeout, cancel) are
  // errors; any HTTP status is a Response.
  virtual util::Result<Response> perform(const Request& req, const RequestHooks& hooks) = 0;
  util::Result<Response> perform(const Request& req) { return perform(req, RequestHooks{}); }
  // Sends req with "Connection: Upgrade" / "Upgrade: tcp" and returns the
  // raw stream on 101. Other statuses come back as Response in the error
  // (api_error formatted by the caller through the returned status/body).
  struct Hijacked {
    long status = 0;                    // 101 on success
    std::string body;                   // error body when status != 101
    std::unique_ptr<RawStream> stream;  // set when status == 101
  };
  virtual util::Result<Hijacked> hijack(const Request& req) = 0;
  // For messages: "unix:///var/run/docker.sock".
  [[nodiscard]] virtual std::string describe() const = 0;
};

// The transport for an endpoint: plain HTTP on Boost.Beast for unix sockets
// and tcp without TLS (the common, latency-critical case: nothing to
// initialize), libcurl when TLS is on.
util::Result<std::unique_ptr<Transport>> make_transport(const Endpoint& endpoint);

// libcurl-backed transport for an Endpoint. Keeps a small pool of easy
// handles so connections are reused, one handle per concurrent call.
util::Result<std::unique_ptr<Transport>> make_curl_transport(const Endpoint& endpoint);

}  // namespace sr::docker
