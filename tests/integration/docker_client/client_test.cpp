#include <catch2/catch.hpp>

#include <poll.h>

#include <string>

#include "docker/client.hpp"
#include "docker/frames.hpp"

using namespace sr::docker;
using sr::util::ErrorKind;

namespace {

const char* kImage = "sandbox-run-test/busybox:latest";

enum class Via { beast, curl };

std::unique_ptr<Client> make_client(Via via) {
  auto ep = endpoint_from_env();
  REQUIRE(ep);
  auto t = via == Via::curl ? make_curl_transport(*ep) : make_transport(*ep);
  REQUIRE(t);
  return std::make_unique<Client>(std::move(*t), ep->api_version);
}

nlohmann::json body(std::vector<std::string> cmd, bool open_stdin = false) {
  return {{"Image", kImage},
          {"Cmd", cmd},
          {"AttachStdout", true},
          {"AttachStderr", true},
          {"AttachStdin", open_stdin},
          {"OpenStdin", open_stdin},
          {"StdinOnce", open_stdin},
          {"Labels", {{"sandbox-run-test", "docker_client"}}}};
}

struct Output {
  std::string out;
  std::string err;
};

// Reads the multiplexed stream to its end, optionally sending input first.
Output drain(RawStream& s, std::string input = {}, bool close_input = false) {
  std::string_view pending = input;
  bool closed = false;
  FrameDemuxer demux;
  Output o;
  char buf[8192];
  for (;;) {
    while (!pending.empty()) {
      auto w = s.write({pending.data(), pending.size()});
      REQUIRE(w);
      if (w->state == RawStream::IoState::again) break;
      pending.remove_prefix(w->bytes);
    }
    if (pending.empty() && close_input && !closed) {
      REQUIRE(s.close_write());
      closed = true;
    }
    auto r = s.read(buf);
    REQUIRE(r);
    if (r->state == RawStream::IoState::eof) break;
    if (r->state == RawStream::IoState::again) {
      pollfd p{s.fd(), static_cast<short>(POLLIN | (pending.empty() ? 0 : POLLOUT)), 0};
      ::poll(&p, 1, -1);
      continue;
    }
    REQUIRE(demux.feed({buf, r->bytes}, [&](StreamId id, std::string_view payload) -> sr::util::Result<void> {
      (id == StreamId::stderr_stream ? o.err : o.out) += payload;
      return {};
    }));
  }
  return o;
}

}  // namespace

TEST_CASE("create, attach, wait, start and remove a container", "[docker]") {
  auto via = GENERATE(Via::beast, Via::curl);
  auto client = make_client(via);
  auto created = client->create_container(body({"sh", "-c", "echo out; echo err >&2; exit 3"}), {});
  REQUIRE(created);
  auto stream = client->attach_container(created->id, AttachStreams{false, true, true});
  REQUIRE(stream);
  auto wait = client->wait_container(created->id, WaitCondition::next_exit);
  REQUIRE(wait);
  REQUIRE(client->start_container(created->id));
  auto output = drain(**stream);
  CHECK(output.out == "out\n");
  CHECK(output.err == "err\n");
  auto outcome = (*wait)->get();
  REQUIRE(outcome);
  CHECK(outcome->status_code == 3);
  auto inspected = client->inspect_container(created->id);
  REQUIRE(inspected);
  CHECK((*inspected)["State"]["ExitCode"] == 3);
  REQUIRE(client->remove_container(created->id, Force::yes));
  auto gone = client->inspect_container(created->id);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().kind == ErrorKind::not_found);
}

TEST_CASE("stdin reaches the container and a half-close ends it", "[docker]") {
  auto via = GENERATE(Via::beast, Via::curl);
  auto client = make_client(via);
  auto created = client->create_container(body({"sh", "-c", "wc -c; echo bye"}, true), {});
  REQUIRE(created);
  auto stream = client->attach_container(created->id, AttachStreams{true, true, true});
  REQUIRE(stream);
  auto wait = client->wait_container(created->id, WaitCondition::next_exit);
  REQUIRE(wait);
  REQUIRE(client->start_container(created->id));
  std::string input(100000, 'x');
  auto output = drain(**stream, input, true);
  CHECK(output.out == "100000\nbye\n");
  auto outcome = (*wait)->get();
  REQUIRE(outcome);
  CHECK(outcome->status_code == 0);
  REQUIRE(client->remove_container(created->id, Force::yes));
}

TEST_CASE("wait on removed returns once AutoRemove is done", "[docker]") {
  auto client = make_client(Via::beast);
  auto b = body({"true"});
  b["HostConfig"] = {{"AutoRemove", true}};
  auto created = client->create_container(b, {});
  REQUIRE(created);
  auto wait = client->wait_container(created->id, WaitCondition::removed);
  REQUIRE(wait);
  REQUIRE(client->start_container(created->id));
  auto outcome = (*wait)->get();
  REQUIRE(outcome);
  CHECK(outcome->status_code == 0);
  auto gone = client->inspect_container(created->id);
  REQUIRE_FALSE(gone);
  CHECK(gone.error().kind == ErrorKind::not_found);
}

TEST_CASE("kill delivers a signal and a cancelled wait unblocks", "[docker]") {
  auto client = make_client(Via::beast);
  auto created = client->create_container(
      body({"sh", "-c", "trap 'echo got USR1; exit 42' USR1; echo ready; while true; do sleep 0.05; done"}), {});
  REQUIRE(created);
  auto stream = client->attach_container(created->id, AttachStreams{false, true, true});
  REQUIRE(stream);
  auto wait = client->wait_container(created->id, WaitCondition::next_exit);
  REQUIRE(wait);
  REQUIRE(client->start_container(created->id));
  // Read up to "ready" (the trap is set), then signal and read the rest.
  std::string seen;
  FrameDemuxer demux;
  char buf[4096];
  while (seen.find("ready\n") == std::string::npos) {
    pollfd p{(*stream)->fd(), POLLIN, 0};
    ::poll(&p, 1, -1);
    auto r = (*stream)->read(buf);
    REQUIRE(r);
    REQUIRE(r->state != RawStream::IoState::eof);
    REQUIRE(demux.feed({buf, r->bytes}, [&](StreamId, std::string_view d) -> sr::util::Result<void> {
      seen += d;
      return {};
    }));
  }
  REQUIRE(client->kill_container(created->id, "SIGUSR1"));
  auto rest = drain(**stream);
  CHECK(rest.out == "got USR1\n");
  auto outcome = (*wait)->get();
  REQUIRE(outcome);
  CHECK(outcome->status_code == 42);

  auto idle = client->create_container(body({"sleep", "30"}), {});
  REQUIRE(idle);
  auto never = client->wait_container(idle->id, WaitCondition::next_exit);
  REQUIRE(never);
  (*never)->cancel();
  CHECK_FALSE((*never)->get());
  REQUIRE(client->remove_container(created->id, Force::yes));
  REQUIRE(client->remove_container(idle->id, Force::yes));
}

TEST_CASE("daemon errors carry the status, message and kind", "[docker]") {
  auto via = GENERATE(Via::beast, Via::curl);
  auto client = make_client(via);
  std::string name = "sandbox-run-test-conflict-" + std::to_string(static_cast<int>(via));
  auto first = client->create_container(body({"true"}), CreateOptions{name, ""});
  REQUIRE(first);
  auto second = client->create_container(body({"true"}), CreateOptions{name, ""});
  REQUIRE_FALSE(second);
  CHECK(second.error().kind == ErrorKind::conflict);
  CHECK(second.error().message.starts_with("POST /containers/create: 409 Conflict: Conflict. The container name \"/" +
                                           name + "\" is already in use"));
  REQUIRE(client->remove_container(first->id, Force::yes));

  auto missing = client->inspect_image("sandbox-run-test/does-not-exist:latest");
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind == ErrorKind::not_found);
  auto attach = client->attach_container("sandbox-run-test-no-such-container", AttachStreams{});
  REQUIRE_FALSE(attach);
  CHECK(attach.error().kind == ErrorKind::not_found);
  CHECK(attach.error().message.find("No such container") != std::string::npos);
  auto image = client->inspect_image(kImage);
  REQUIRE(image);
}
