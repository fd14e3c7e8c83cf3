// Container wait on a background thread. The daemon writes the response head
// as soon as it has registered the wait, so returning after the head is what
// makes "wait before start" lose no exit.
#include <sys/eventfd.h>

#include <future>
#include <mutex>
#include <thread>

#include "docker/client.hpp"
#include "docker/errors.hpp"
#include "util/unique_fd.hpp"

namespace sr::docker {

namespace {

std::string_view condition_name(WaitCondition c) {
  switch (c) {
    case WaitCondition::next_exit: return "next-exit";
    case WaitCondition::removed: return "removed";
    case WaitCondition::not_running: return "not-running";
  }
  return "not-running";
}

util::Result<WaitOutcome> parse_outcome(const Response& r, const std::string& path) {
  if (r.status != 200) return std::unexpected(api_error("POST", path, r.status, r.body));
  auto j = nlohmann::json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object() || !j.contains("StatusCode"))
    return util::fail(util::ErrorKind::api, "POST " + path + ": malformed wait response");
  WaitOutcome out;
  out.status_code = j["StatusCode"].get<int>();
  if (auto e = j.find("Error"); e != j.end() && e->is_object()) {
    out.error = e->value("Message", std::string());
    if (out.error.empty()) out.error = "unknown error";
  }
  return out;
}

// The exit status is read on a background thread from the body of the
// wait's response; ready_ (an eventfd) tells the launcher's poll loop.
class ApiWait final : public PendingWait {
 public:
  // Cancels a wait still in flight and joins the thread.
  ~ApiWait() override {
    cancel();
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] int ready_fd() const override { return ready_.get(); }
  util::Result<WaitOutcome> get() override {
    if (thread_.joinable()) thread_.join();
    return outcome_;
  }
  void cancel() override { cancel_.cancel(); }

  util::UniqueFd ready_;
  Cancellation cancel_;
  std::thread thread_;
  util::Result<WaitOutcome> outcome_ = WaitOutcome{};
};

}  // namespace

util::Result<std::unique_ptr<PendingWait>> Client::wait_container(std::string_view id, WaitCondition condition) {
  std::string path = "/containers/" + url_encode(id) + "/wait";
  std::string query = "condition=" + std::string(condition_name(condition));
  auto w = std::make_unique<ApiWait>();
  w->ready_ = util::UniqueFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK));
  if (!w->ready_) return util::fail_errno("eventfd(container wait)");

  auto head = std::make_shared<std::promise<void>>();
  auto head_set = std::make_shared<std::once_flag>();
  auto signal_head = [head, head_set] { std::call_once(*head_set, [&] { head->set_value(); }); };
  std::future<void> head_arrived = head->get_future();

  ApiWait* pw = w.get();
  pw->thread_ = std::thread([this, pw, path, query, signal_head] {
    RequestHooks hooks;
    // Only a 200 head means the wait is registered; an error answer is
    // left to finish so wait_container() reports it deterministically.
    hooks.on_headers = [&](long status) {
      if (status == 200) signal_head();
    };
    hooks.cancel = &pw->cancel_;
    auto r = call("POST", path, query, {}, hooks);
    pw->outcome_ = r ? parse_outcome(*r, path) : util::Result<WaitOutcome>(std::unexpected(r.error()));
    // ready before the head signal: a wait that failed outright must already
    // read as done when wait_container() wakes up and checks.
    std::uint64_t one = 1;
    (void)!::write(pw->ready_.get(), &one, sizeof one);
    signal_head();
  });
  head_arrived.wait();

  // A wait that failed outright (no such container, daemon gone) ends before
  // or right at its head: report it now rather than after start.
  std::uint64_t value = 0;
  if (::read(w->ready_.get(), &value, sizeof value) == sizeof value) {
    w->thread_.join();
    if (!w->outcome_) return std::unexpected(w->outcome_.error());
    std::uint64_t one = 1;
    (void)!::write(w->ready_.get(), &one, sizeof one);
  }
  return std::unique_ptr<PendingWait>(std::move(w));
}

}  // namespace sr::docker
