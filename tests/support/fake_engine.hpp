// A recording docker::ContainerEngine for unit tests of the launch order.
//
// It models what the launcher relies on: create makes a container (the
// daemon's answer is "c1", "c2", ...), remove deletes it, a container created
// with HostConfig.AutoRemove vanishes once it has run and its exit has been
// read, a wait becomes ready (and the attached stream reaches EOF) when the
// container exits. Every call is recorded as one line ("create", "attach c1",
// "wait c1 removed", "start c1", "kill c1 15", "remove c1"); with log_fd set
// each line is also written there, for a launch run in a forked child.
// A failure is injected per call name (fail["start"] = ...).
#pragma once

#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <vector>

#include "docker/engine.hpp"
#include "util/error.hpp"
#include "util/unique_fd.hpp"

namespace sr::test {

// One end of a socketpair; the engine holds the other (the container's
// side) and closes it when the container exits.
class FakeStream final : public docker::RawStream {
 public:
  explicit FakeStream(util::UniqueFd fd) : fd_(std::move(fd)) {}
  [[nodiscard]] int fd() const override { return fd_.get(); }
  util::Result<IoResult> read(std::span<char> buf) override {
    ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), MSG_DONTWAIT);
    if (n > 0) return IoResult{IoState::ok, static_cast<std::size_t>(n)};
    if (n == 0) return IoResult{IoState::eof, 0};
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult{IoState::again, 0};
    return util::fail_errno("recv(fake attach)");
  }
  util::Result<IoResult> write(std::span<const char> data) override {
    ssize_t n = ::send(fd_.get(), data.data(), data.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) return IoResult{IoState::ok, static_cast<std::size_t>(n)};
    if (errno == EAGAIN || errno == EWOULDBLOCK) return IoResult{IoState::again, 0};
    return util::fail_errno("send(fake attach)");
  }
  util::Result<void> close_write() override {
    ::shutdown(fd_.get(), SHUT_WR);
    return {};
  }

 private:
  util::UniqueFd fd_;
};

class FakeEngine final : public docker::ContainerEngine {
 public:
  std::vector<std::string> calls;
  std::map<std::string, util::Error> fail;  // by call name: "create", "attach", "wait", "start", "kill", ...
  std::set<std::string> containers;         // what exists on the "daemon"
  int exit_status = 0;                      // the container's status when it exits
  bool exits_on_start = true;               // false: it runs until exit() (or a kill)
  bool kill_ends_container = true;          // a forwarded signal ends it with 128+signo
  std::function<void()> on_start;           // e.g. raise a signal mid-run
  std::function<void()> on_kill;            // runs on every kill call, failed or not
  int log_fd = -1;
  std::string attach_detach_keys;           // the last attach's detachKeys

  // Ends the running container with `status`.
  void exit(int status) {
    exit_status = status;
    exited_ = true;
    peer_.close();
    for (auto& w : waits_) {
      std::uint64_t one = 1;
      (void)!::write(w->get(), &one, sizeof one);
    }
  }

  util::Result<docker::Created> create_container(const nlohmann::json& body,
                                                 const docker::CreateOptions&) override {
    record("create");
    if (auto f = failure("create")) return std::unexpected(*f);
    std::string id = "c" + std::to_string(++next_id_);
    containers.insert(id);
    auto_remove_ = body.contains("HostConfig") && body["HostConfig"].value("AutoRemove", false);
    return docker::Created{id, {}};
  }

  util::Result<void> start_container(std::string_view id) override {
    record("start " + std::string(id));
    if (auto f = failure("start")) return std::unexpected(*f);
    if (on_start) on_start();
    if (exits_on_start) exit(exit_status);
    return {};
  }

  util::Result<std::unique_ptr<docker::RawStream>> attach_container(std::string_view id, docker::AttachStreams,
                                                                    std::string_view detach_keys) override {
    record("attach " + std::string(id));
    attach_detach_keys = detach_keys;
    if (auto f = failure("attach")) return std::unexpected(*f);
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) return util::fail_errno("socketpair");
    peer_.reset(fds[1]);
    return std::make_unique<FakeStream>(util::UniqueFd(fds[0]));
  }

  util::Result<std::unique_ptr<docker::PendingWait>> wait_container(std::string_view id,
                                                                    docker::WaitCondition condition) override {
    record("wait " + std::string(id) + (condition == docker::WaitCondition::removed ? " removed" : " next-exit"));
    if (auto f = failure("wait")) return std::unexpected(*f);
    auto ready = std::make_shared<util::UniqueFd>(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
    waits_.push_back(ready);
    return std::make_unique<Wait>(*this, std::string(id), ready);
  }

  util::Result<void> kill_container(std::string_view id, std::string_view signal) override {
    record("kill " + std::string(id) + " " + std::string(signal));
    if (on_kill) on_kill();
    if (auto f = failure("kill")) return std::unexpected(*f);
    if (kill_ends_container) exit(128 + std::stoi(std::string(signal)));
    return {};
  }

  util::Result<void> resize_container(std::string_view, unsigned, unsigned) override { return {}; }

  util::Result<void> remove_container(std::string_view id, docker::Force, docker::RemoveVolumes) override {
    record("remove " + std::string(id));
    if (auto f = failure("remove")) return std::unexpected(*f);
    if (containers.erase(std::string(id)) == 0)
      return util::fail(util::ErrorKind::not_found, "No such container: " + std::string(id));
    return {};
  }

  util::Result<nlohmann::json> inspect_container(std::string_view id) override {
    record("inspect " + std::string(id));
    if (auto f = failure("inspect")) return std::unexpected(*f);
    return nlohmann::json{{"Id", std::string(id)}};
  }

  util::Result<void> stop_container(std::string_view id, int, std::string_view) override {
    record("stop " + std::string(id));
    return {};
  }

  util::Result<nlohmann::json> inspect_image(std::string_view name) override {
    record("inspect-image " + std::string(name));
    if (auto f = failure("inspect-image")) return std::unexpected(*f);
    return nlohmann::json{{"Id", "sha256:fake"}};
  }

  util::Result<void> pull_image(const docker::ImageRef& ref, std::string_view, const docker::PullObserver&,
                                std::string) override {
    record("pull " + ref.familiar());
    if (auto f = failure("pull")) return std::unexpected(*f);
    return {};
  }

  // Whether `call` was recorded, and its position (calls.size() if never).
  [[nodiscard]] std::size_t position(const std::string& call) const {
    std::size_t i = 0;
    while (i < calls.size() && calls[i] != call) ++i;
    return i;
  }

 private:
  class Wait final : public docker::PendingWait {
   public:
    Wait(FakeEngine& engine, std::string id, std::shared_ptr<util::UniqueFd> ready)
        : engine_(engine), id_(std::move(id)), ready_(std::move(ready)) {}
    [[nodiscard]] int ready_fd() const override { return ready_->get(); }
    util::Result<docker::WaitOutcome> get() override {
      if (!engine_.exited_) return util::fail(util::ErrorKind::api, "fake wait: the container has not exited");
      // The daemon's AutoRemove: gone once it has run and exited.
      if (engine_.auto_remove_) engine_.containers.erase(id_);
      return docker::WaitOutcome{engine_.exit_status, {}};
    }
    void cancel() override {}

   private:
    FakeEngine& engine_;
    std::string id_;
    std::shared_ptr<util::UniqueFd> ready_;
  };

  void record(std::string call) {
    if (log_fd >= 0) {
      std::string line = call + "\n";
      (void)!::write(log_fd, line.data(), line.size());
    }
    calls.push_back(std::move(call));
  }

  std::optional<util::Error> failure(const std::string& name) const {
    auto it = fail.find(name);
    if (it == fail.end()) return std::nullopt;
    return it->second;
  }

  int next_id_ = 0;
  bool auto_remove_ = false;
  bool exited_ = false;
  util::UniqueFd peer_;
  std::vector<std::shared_ptr<util::UniqueFd>> waits_;
};

}  // namespace sr::test
