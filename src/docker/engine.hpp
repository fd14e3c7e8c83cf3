// The container engine the launcher drives: the Engine API calls of
// `docker run`, `stop`, `kill` and `rm`, above any transport.
//
// docker::Client (docker/client.hpp) is the implementation that speaks the
// Docker Engine API; a second engine (Podman's compatible API, or another
// runtime) implements this interface. Unit tests use a recording fake
// (tests/support/fake_engine.hpp) to prove the launch order. Errors follow
// docker/errors.hpp: kinds not_found and conflict as the daemon answers.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "docker/image_ref.hpp"
#include "docker/transport.hpp"
#include "util/error.hpp"

namespace sr::docker {

enum class WaitCondition { next_exit, removed, not_running };
enum class Force { no, yes };
enum class RemoveVolumes { no, yes };

struct CreateOptions {
  std::string name;      // ?name=, empty for a generated name
  std::string platform;  // ?platform=, empty for the daemon's default
};

struct Created {
  std::string id;
  std::vector<std::string> warnings;
};

struct AttachStreams {
  bool in = false;
  bool out = true;
  bool err = true;
};

struct WaitOutcome {
  int status_code = 0;
  std::string error;  // the daemon's Error.Message, usually empty
};

// A pull progress message as the daemon streams it, e.g.
// {"status":"Pull complete","id":"a46fbb00284b"}.
using PullObserver = std::function<void(const nlohmann::json& message)>;

// A wait the engine has registered (a start issued after it cannot lose the
// exit). It must not outlive the engine that made it.
class PendingWait {
 public:
  PendingWait() = default;
  PendingWait(const PendingWait&) = delete;
  PendingWait& operator=(const PendingWait&) = delete;
  // Cancels a wait still in flight.
  virtual ~PendingWait() = default;

  // Readable once the outcome is available; for poll loops.
  [[nodiscard]] virtual int ready_fd() const = 0;
  // Blocks until the wait completes; call at most once.
  virtual util::Result<WaitOutcome> get() = 0;
  // Aborts the wait; get() then returns an error.
  virtual void cancel() = 0;
};

class ContainerEngine {
 public:
  ContainerEngine() = default;
  ContainerEngine(const ContainerEngine&) = delete;
  ContainerEngine& operator=(const ContainerEngine&) = delete;
  virtual ~ContainerEngine() = default;

  virtual util::Result<Created> create_container(const nlohmann::json& body, const CreateOptions& opts) = 0;
  // An already started container is success.
  virtual util::Result<void> start_container(std::string_view id) = 0;
  // detach_keys: the attach's detachKeys ("ctrl-p,ctrl-q" form), empty for
  // the engine's default.
  virtual util::Result<std::unique_ptr<RawStream>> attach_container(std::string_view id, AttachStreams streams,
                                                                    std::string_view detach_keys) = 0;
  // Returns once the engine has registered the wait, so a start issued after
  // it cannot lose the exit.
  virtual util::Result<std::unique_ptr<PendingWait>> wait_container(std::string_view id,
                                                                    WaitCondition condition) = 0;
  // signal: a number ("15") or a name ("SIGTERM").
  virtual util::Result<void> kill_container(std::string_view id, std::string_view signal) = 0;
  virtual util::Result<void> resize_container(std::string_view id, unsigned height, unsigned width) = 0;
  virtual util::Result<void> remove_container(std::string_view id, Force force,
                                              RemoveVolumes volumes = RemoveVolumes::no) = 0;
  virtual util::Result<nlohmann::json> inspect_container(std::string_view id) = 0;
  // timeout_s < 0 leaves the container's own StopTimeout; signal empty for
  // its StopSignal. An already stopped container is success.
  virtual util::Result<void> stop_container(std::string_view id, int timeout_s, std::string_view signal) = 0;

  virtual util::Result<nlohmann::json> inspect_image(std::string_view name) = 0;
  // Streams progress to observer; a failure reported inside the stream is an
  // error. registry_auth: the X-Registry-Auth value (docker/registry_auth.hpp),
  // empty to send none.
  virtual util::Result<void> pull_image(const ImageRef& ref, std::string_view platform,
                                        const PullObserver& observer, std::string registry_auth = {}) = 0;
};

}  // namespace sr::docker
