// Docker Engine API client: the calls `docker run` needs; the ContainerEngine
// (docker/engine.hpp) the launcher drives, plus exec, networks and info.
//
// Paths are prefixed with /v<version>, the lower of the daemon's API version
// and kMaxApiVersion, unless DOCKER_API_VERSION fixes it. The daemon's
// version is negotiated once, lazily, like the Docker CLI: the Api-Version
// header of GET /_ping (one cheap round trip), else GET /version. Errors follow docker/errors.hpp; every call is
// safe to make from several threads at once.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "docker/engine.hpp"
#include "docker/image_ref.hpp"
#include "docker/transport.hpp"
#include "util/error.hpp"

namespace sr::docker {

inline constexpr std::string_view kMaxApiVersion = "1.43";

// "1.41" < "1.43": compares dotted numeric versions.
int compare_api_versions(std::string_view a, std::string_view b);

class Client final : public ContainerEngine {
 public:
  explicit Client(std::unique_ptr<Transport> transport, std::string fixed_api_version = {});
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // A client for the daemon the environment names (docker/host.hpp).
  static util::Result<std::unique_ptr<Client>> from_env();

  // The negotiated API version, e.g. "1.41".
  util::Result<std::string> api_version();
  [[nodiscard]] std::string describe() const { return transport_->describe(); }

  util::Result<Created> create_container(const nlohmann::json& body, const CreateOptions& opts) override;
  // A 304 (already started) is success.
  util::Result<void> start_container(std::string_view id) override;
  // detach_keys: the attach's detachKeys ("ctrl-p,ctrl-q" form), empty for
  // the daemon's default.
  util::Result<std::unique_ptr<RawStream>> attach_container(std::string_view id, AttachStreams streams,
                                                            std::string_view detach_keys = {}) override;
  // Returns once the daemon has registered the wait, so a start issued after
  // it cannot lose the exit.
  util::Result<std::unique_ptr<PendingWait>> wait_container(std::string_view id,
                                                            WaitCondition condition) override;
  // signal: a number ("15") or a name ("SIGTERM").
  util::Result<void> kill_container(std::string_view id, std::string_view signal) override;
  util::Result<void> resize_container(std::string_view id, unsigned height, unsigned width) override;
  util::Result<void> remove_container(std::string_view id, Force force,
                                      RemoveVolumes volumes = RemoveVolumes::no) override;
  util::Result<nlohmann::json> inspect_container(std::string_view id) override;

  // POST /containers/{id}/stop; timeout_s < 0 leaves the container's own
  // StopTimeout; signal empty for its StopSignal. A 304 is success.
  util::Result<void> stop_container(std::string_view id, int timeout_s, std::string_view signal) override;

  // The exec API (docker/exec.cpp): create returns the exec's ID; a
  // hijacked start streams its I/O (raw with tty, multiplexed without); the
  // exit code is read from inspect_exec once the stream has ended.
  util::Result<std::string> create_exec(std::string_view container, const nlohmann::json& body);
  util::Result<std::unique_ptr<RawStream>> start_exec_attached(std::string_view exec_id, bool tty);
  util::Result<void> start_exec_detached(std::string_view exec_id, bool tty);
  util::Result<nlohmann::json> inspect_exec(std::string_view exec_id);
  util::Result<void> resize_exec(std::string_view exec_id, unsigned height, unsigned width);

  util::Result<nlohmann::json> inspect_image(std::string_view name) override;
  // Networks (docker/network.cpp). create_network: a 409 (the name is
  // taken, e.g. created concurrently) is ErrorKind::conflict.
  util::Result<nlohmann::json> inspect_network(std::string_view name);
  util::Result<void> create_network(const nlohmann::json& body);
  util::Result<void> remove_network(std::string_view name);
  // GET /containers/json?filters=..., e.g. {"label": ["io.x"]}: running ones
  // (with All::yes, stopped and created ones too).
  enum class All { no, yes };
  util::Result<nlohmann::json> list_containers(const nlohmann::json& filters, All all = All::no);
  util::Result<nlohmann::json> inspect_volume(std::string_view name);
  // GET /info: the daemon's configuration (Runtimes, DefaultRuntime, ...).
  util::Result<nlohmann::json> info();
  // GET /version: the engine's name and components (Docker Engine, Podman).
  util::Result<nlohmann::json> version();
  // Streams progress to observer; an {"error":...} message in the stream is
  // an error. registry_auth: the X-Registry-Auth value (docker/registry_auth.hpp),
  // empty to send none.
  util::Result<void> pull_image(const ImageRef& ref, std::string_view platform,
                                const PullObserver& observer, std::string registry_auth = {}) override;

 private:
  util::Result<Response> call(std::string_view method, std::string_view path,
                              std::string_view query, std::string body = {},
                              const RequestHooks& hooks = {});
  util::Result<std::string> versioned(std::string_view path, std::string_view query);

  std::unique_ptr<Transport> transport_;
  std::mutex version_mu_;
  std::string version_;
};

// Percent-encodes a query value.
std::string url_encode(std::string_view value);

}  // namespace sr::docker
