// `docker run` over the Engine API, after the Docker CLI's
// cli/command/container/run.go: create (pulling per policy), attach and wait
// registered before start, stream, exit with the container's status.
#include "runtime/launcher.hpp"

#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <optional>
#include <string>

#include "docker/engine.hpp"
#include "docker/registry_auth.hpp"
#include "runtime/cidfile.hpp"
#include "runtime/io_pump.hpp"
#include "runtime/lifecycle.hpp"
#include "runtime/pull_display.hpp"
#include "runtime/signals.hpp"
#include "runtime/terminal.hpp"
#include "util/exit_status.hpp"

namespace sr::runtime {

namespace {

// The Docker CLI's runStartContainerErr: the OCI runtime's message says
// whether the command was missing (127) or not executable (126).
int start_error_status(const util::Error& e) {
  const std::string& m = e.message;
  if (m.find("executable file not found") != std::string::npos ||
      m.find("no such file or directory") != std::string::npos ||
      m.find("system cannot find the file specified") != std::string::npos)
    return util::kExitNotFound;
  if (m.find("permission denied") != std::string::npos || m.find("is a directory") != std::string::npos)
    return util::kExitCannotInvoke;
  return util::kExitLauncher;
}

bool wants(const RunSpec& spec, std::string_view stream) {
  return std::find(spec.attach_streams.begin(), spec.attach_streams.end(), stream) != spec.attach_streams.end();
}

class Launch {
 public:
  Launch(const RunSpec& spec, docker::ContainerEngine& engine, const LaunchHooks& hooks, Diagnostics& diag)
      : spec_(spec), engine_(engine), hooks_(hooks), diag_(diag) {}

  int run() {
    streams_ = docker::AttachStreams{spec_.interactive || wants(spec_, "stdin"), wants(spec_, "stdout"),
                                     wants(spec_, "stderr")};
    if (spec_.tty && streams_.in && !::isatty(STDIN_FILENO)) {
      diag_.error("launcher", "the input device is not a TTY");
      return 1;
    }
    auto ref = docker::parse_image_ref(spec_.image);
    if (!ref) return fail(ref.error());
    ref_ = *ref;
    // The keys act only on an attached stdin: other launches skip config.json.
    if (spec_.detach_keys.empty() && streams_.in && !spec_.detach) spec_.detach_keys = default_detach_keys();
    // The Docker CLI watches a TTY's input for the detach keys itself
    // (default ctrl-p,ctrl-q); without a TTY only the daemon does.
    if (spec_.tty && streams_.in && !spec_.detach) {
      auto keys = detach_key_bytes(spec_.detach_keys.empty() ? "ctrl-p,ctrl-q" : spec_.detach_keys);
      if (!keys) return fail(keys.error().context("--detach-keys"));
      detach_sequence_ = std::move(*keys);
    }
    if (spec_.pull == PullPolicy::always) {
      if (auto r = pull(); !r) return fail(r.error());
    }
    if (hooks_.before_create) {
      auto image = ensure_image();
      if (!image) return fail(image.error());
      if (auto r = hooks_.before_create(spec_, *image); !r) return fail(r.error());
    }
    // Marks the container as one `sandbox-run exec|stop|kill|rm` may touch.
    spec_.create_body["Labels"][std::string(kManagedLabel)] = "1";
    // From here on a signal must not kill us before the container we may
    // create is cleaned up: signals are read from the poll loop instead.
    auto watcher = SignalWatcher::block(proxied_signals());
    if (!watcher) return fail(watcher.error());
    signals_.emplace(std::move(*watcher));
    auto cidfile = CidFile::create(spec_.cidfile);
    if (!cidfile) return fail(cidfile.error());
    auto created = create();
    if (!created) {
      cidfile->discard();
      return fail(created.error());
    }
    id_ = created->id;
    if (auto r = cidfile->write(id_); !r) return fail_after_create(r.error());
    for (const auto& w : created->warnings) std::fprintf(stderr, "WARNING: %s\n", w.c_str());
    return spec_.detach ? run_detached() : run_attached();
  }

 private:
  int fail(const util::Error& e, int status = util::kExitLauncher) {
    diag_.error(e);
    return status;
  }

  // Removes the container on a failure path after create when --rm was
  // given (the daemon's AutoRemove only acts once it has run and exited).
  int fail_after_create(const util::Error& e, int status = util::kExitLauncher) {
    int code = fail(e, status);
    remove_if_auto();
    return code;
  }

  void remove_if_auto() {
    if (!spec_.auto_remove || id_.empty()) return;
    auto r = engine_.remove_container(id_, docker::Force::yes, docker::RemoveVolumes::yes);
    // 404: already gone; 409: the daemon's own removal is in progress.
    if (!r && r.error().kind != util::ErrorKind::not_found && r.error().kind != util::ErrorKind::conflict)
      diag_.error("launcher", r.error().context("removing container " + id_).message);
  }

  util::Result<void> pull() {
    Verbosity v = pull_verbosity(spec_.quiet);
    auto auth = docker::registry_auth_for(ref_);
    if (!auth) return util::with_context<void>(std::unexpected(std::move(auth.error())), "pulling image " + ref_.familiar());
    auto r = engine_.pull_image(ref_, spec_.platform,
                                [v](const nlohmann::json& msg) { show_pull_message(msg, v); }, std::move(*auth));
    return util::with_context(std::move(r), "pulling image " + ref_.familiar());
  }

  util::Result<docker::Created> create() {
    docker::CreateOptions opts{spec_.name, spec_.platform};
    auto created = engine_.create_container(spec_.create_body, opts);
    if (created || !is_missing_image(created.error())) return created;
    if (spec_.pull == PullPolicy::never)
      return util::fail(util::ErrorKind::not_found,
                        "Unable to find image '" + ref_.familiar() + "' locally (--pull never)");
    if (spec_.pull == PullPolicy::always) return created;
    if (!spec_.quiet) std::fprintf(stderr, "Unable to find image '%s' locally\n", ref_.familiar().c_str());
    SR_TRY(pull_interruptible());
    return engine_.create_container(spec_.create_body, opts);
  }

  // The pull between a create that found no image and the second create:
  // no container exists, so a signal (^C) ends the run at once, as before
  // the first create, instead of waiting blocked until a long pull is over.
  util::Result<void> pull_interruptible() {
    std::optional<int> pending = signals_ ? signals_->next() : std::nullopt;
    signals_.reset();  // unblocks
    if (pending) std::raise(*pending);
    auto pulled = pull();
    auto watcher = SignalWatcher::block(proxied_signals());
    if (!watcher) return std::unexpected(watcher.error());
    signals_.emplace(std::move(*watcher));
    return pulled;
  }

  // The image's inspect JSON, pulling it first per policy (the order the
  // create-then-pull path of create() follows, done up front).
  util::Result<nlohmann::json> ensure_image() {
    auto image = engine_.inspect_image(spec_.image);
    if (image || image.error().kind != util::ErrorKind::not_found) return image;
    if (spec_.pull == PullPolicy::never)
      return util::fail(util::ErrorKind::not_found,
                        "Unable to find image '" + ref_.familiar() + "' locally (--pull never)");
    if (spec_.pull == PullPolicy::missing && !spec_.quiet)
      std::fprintf(stderr, "Unable to find image '%s' locally\n", ref_.familiar().c_str());
    SR_TRY(pull());
    return engine_.inspect_image(spec_.image);
  }

  static bool is_missing_image(const util::Error& e) {
    return e.kind == util::ErrorKind::not_found && e.message.find("No such image") != std::string::npos;
  }

  int run_detached() {
    if (auto r = engine_.start_container(id_); !r) return fail_after_create(r.error(), start_error_status(r.error()));
    std::printf("%s\n", id_.c_str());
    std::fflush(stdout);
    if (hooks_.after_start) hooks_.after_start();
    return 0;
  }

  int run_attached() {
    std::unique_ptr<docker::RawStream> stream;
    if (streams_.in || streams_.out || streams_.err) {
      auto s = engine_.attach_container(id_, streams_, spec_.detach_keys);
      if (!s) return fail_after_create(s.error());
      stream = std::move(*s);
    }
    auto condition = spec_.auto_remove ? docker::WaitCondition::removed : docker::WaitCondition::next_exit;
    auto wait = engine_.wait_container(id_, condition);
    if (!wait) return fail_after_create(wait.error());

    std::optional<RawTerminal> raw;
    if (spec_.tty && streams_.in && ::isatty(STDIN_FILENO)) {
      auto t = RawTerminal::enter(STDIN_FILENO);
      if (!t) return fail_after_create(t.error());
      raw.emplace(std::move(*t));
    }
    if (auto r = engine_.start_container(id_); !r) {
      if (raw) raw->restore();
      return fail_after_create(r.error(), start_error_status(r.error()));
    }
    if (spec_.tty) resize();
    if (hooks_.after_start) hooks_.after_start();

    auto end = pump(make_pump_config(stream.get(), (*wait)->ready_fd()));
    if (raw) raw->restore();
    if (!end) return fail_after_create(end.error());
    if (end->detached) return 0;  // the container runs on, as after the CLI's ctrl-p ctrl-q
    if (end->stopped_by_signal != 0) {
      remove_if_auto();
      return die_of(end->stopped_by_signal);
    }
    auto outcome = (*wait)->get();
    if (!outcome) return fail_after_create(outcome.error().context("waiting for container " + id_));
    if (!outcome->error.empty()) {
      diag_.error("launcher", "waiting for container " + id_ + ": " + outcome->error);
      return util::kExitLauncher;
    }
    return outcome->status_code;
  }

  PumpConfig make_pump_config(docker::RawStream* stream, int done_fd) {
    PumpConfig cfg;
    cfg.detach_sequence = detach_sequence_;
    cfg.stream = stream;
    cfg.framing = spec_.tty ? Framing::raw : Framing::multiplexed;
    cfg.stdin_fd = streams_.in ? STDIN_FILENO : -1;
    cfg.signal_fd = signals_->fd();
    cfg.done_fd = done_fd;
    cfg.next_signal = [this] { return signals_->next(); };
    cfg.on_signal = [this](int signo) { return on_signal(signo); };
    return cfg;
  }

  SignalAction on_signal(int signo) {
    if (signo == SIGWINCH) {
      if (spec_.tty) resize();
      return SignalAction::keep_going;
    }
    // The Docker CLI proxies signals only without a TTY (with one, ^C is a
    // byte on stdin); an unproxied terminating signal ends the run here.
    if (!spec_.sig_proxy || spec_.tty) return SignalAction::stop;
    if (auto r = engine_.kill_container(id_, std::to_string(signo)); !r)
      diag_.error("launcher", r.error().context(std::string("forwarding ") + signal_name(signo)).message);
    // A container may ignore what we forward (a PID 1 without handlers
    // does); like the Docker CLI, the third SIGINT/SIGTERM gives up.
    if ((signo == SIGINT || signo == SIGTERM) && ++termination_signals_ >= 3) {
      diag_.error("launcher", "got 3 SIGTERM/SIGINTs, forcefully exiting");
      return SignalAction::stop;
    }
    return SignalAction::keep_going;
  }

  // The Docker CLI dies of a signal it does not proxy; after our cleanup we
  // do the same, so a parent sees the same wait status. 128+signo remains
  // the answer should the signal somehow not end the process.
  int die_of(int signo) {
    std::fflush(stdout);
    std::signal(signo, SIG_DFL);
    signals_.reset();  // unblocks; the raise below is then delivered at once
    std::raise(signo);
    return 128 + signo;
  }

  void resize() {
    // The Docker CLI sizes the container's TTY after our stdout terminal.
    auto size = terminal_size(STDOUT_FILENO);
    if (!size) size = terminal_size(STDIN_FILENO);
    if (!size) return;
    (void)engine_.resize_container(id_, size->rows, size->cols);
  }

  RunSpec spec_;  // a copy: before_create may edit it
  docker::ContainerEngine& engine_;
  const LaunchHooks& hooks_;
  Diagnostics& diag_;
  docker::ImageRef ref_;
  docker::AttachStreams streams_;
  std::optional<SignalWatcher> signals_;
  std::string id_;
  std::string detach_sequence_;  // with a TTY: the stdin bytes that detach
  int termination_signals_ = 0;
};

}  // namespace

int launch(const RunSpec& spec, docker::ContainerEngine& engine, Diagnostics& diag) {
  return Launch(spec, engine, LaunchHooks{}, diag).run();
}

int launch(const RunSpec& spec, docker::ContainerEngine& engine, const LaunchHooks& hooks, Diagnostics& diag) {
  return Launch(spec, engine, hooks, diag).run();
}

}  // namespace sr::runtime
