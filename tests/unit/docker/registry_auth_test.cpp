#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <map>

#include "docker/registry_auth.hpp"
#include "util/base64.hpp"

using namespace sr::docker;
using nlohmann::json;

namespace {

ImageRef ref(std::string_view text) { return parse_image_ref(text).value(); }

json decode_header(const std::string& header) {
  std::string std_alphabet = header;
  for (char& c : std_alphabet) c = c == '-' ? '+' : c == '_' ? '/' : c;
  return json::parse(sr::util::base64_decode(std_alphabet).value());
}

// A fake helper process: records its calls, answers from a table.
struct FakeHelpers {
  std::map<std::string, std::string> answers;  // "<helper> <server>" -> stdout
  std::vector<std::string> calls;
  CredentialHelper seam() {
    return [this](std::string_view helper, std::string_view server)
               -> sr::util::Result<std::optional<std::string>> {
      std::string call = std::string(helper) + " " + std::string(server);
      calls.push_back(call);
      auto it = answers.find(call);
      if (it == answers.end()) return std::nullopt;
      return it->second;
    };
  }
};

}  // namespace

TEST_CASE("registry keys follow the Docker CLI", "[registry_auth]") {
  CHECK(registry_key(ref("busybox")) == "https://index.docker.io/v1/");
  CHECK(registry_key(ref("docker.io/library/busybox")) == "https://index.docker.io/v1/");
  CHECK(registry_key(ref("127.0.0.1:5001/sr/busybox:1")) == "127.0.0.1:5001");
  CHECK(registry_key(ref("localhost/x")) == "localhost");
  CHECK(auth_key_hostname("https://127.0.0.1:5001/v2/") == "127.0.0.1:5001");
  CHECK(auth_key_hostname("registry.example") == "registry.example");
}

TEST_CASE("an auths entry's base64 user:password becomes the X-Registry-Auth JSON", "[registry_auth]") {
  json config = {{"auths", {{"127.0.0.1:5001", {{"auth", sr::util::base64_encode("alice:s3cr:et")}}}}}};
  auto auth = lookup_auth(config, "127.0.0.1:5001", FakeHelpers{}.seam());
  REQUIRE(auth);
  REQUIRE(*auth);
  json sent = decode_header(encode_registry_auth(**auth));
  CHECK(sent == json{{"username", "alice"}, {"password", "s3cr:et"}, {"serveraddress", "127.0.0.1:5001"}});
}

TEST_CASE("auths keys written as URLs match by host; identity tokens pass through", "[registry_auth]") {
  json config = {{"auths", {{"http://127.0.0.1:5001/v2/", {{"identitytoken", "tok"}}}}}};
  auto auth = lookup_auth(config, "127.0.0.1:5001", FakeHelpers{}.seam());
  REQUIRE(auth);
  REQUIRE(*auth);
  CHECK((*auth)->identitytoken == "tok");
  CHECK((*auth)->username.empty());
  auto none = lookup_auth(config, "127.0.0.1:5002", FakeHelpers{}.seam());
  REQUIRE(none);
  CHECK_FALSE(*none);
}

TEST_CASE("credHelpers win over credsStore, which wins over auths", "[registry_auth]") {
  FakeHelpers helpers;
  helpers.answers["pass 127.0.0.1:5001"] = R"({"ServerURL":"127.0.0.1:5001","Username":"bob","Secret":"pw"})";
  helpers.answers["desktop https://index.docker.io/v1/"] =
      R"({"ServerURL":"https://index.docker.io/v1/","Username":"<token>","Secret":"idt"})";
  json config = {{"credHelpers", {{"127.0.0.1:5001", "pass"}}},
                 {"credsStore", "desktop"},
                 {"auths", {{"127.0.0.1:5001", {{"auth", sr::util::base64_encode("x:y")}}}}}};
  auto mine = lookup_auth(config, "127.0.0.1:5001", helpers.seam());
  REQUIRE(mine);
  REQUIRE(*mine);
  CHECK((*mine)->username == "bob");
  CHECK((*mine)->password == "pw");
  auto hub = lookup_auth(config, "https://index.docker.io/v1/", helpers.seam());
  REQUIRE(hub);
  REQUIRE(*hub);
  CHECK((*hub)->identitytoken == "idt");
  CHECK(helpers.calls == std::vector<std::string>{"pass 127.0.0.1:5001", "desktop https://index.docker.io/v1/"});
}

TEST_CASE("a malformed auth value is refused without quoting it", "[registry_auth]") {
  json config = {{"auths", {{"r:1", {{"auth", sr::util::base64_encode("no-colon-secret")}}}}}};
  auto auth = lookup_auth(config, "r:1", FakeHelpers{}.seam());
  REQUIRE_FALSE(auth);
  CHECK(auth.error().message.find("no-colon-secret") == std::string::npos);
  CHECK(auth.error().message.find("auths[\"r:1\"]") != std::string::npos);
}

TEST_CASE("the real helper seam runs docker-credential-<name> get from PATH", "[registry_auth]") {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("sr-credhelper-" + std::to_string(::getpid()));
  fs::create_directories(dir);
  {
    std::ofstream script(dir / "docker-credential-fake");
    script << "#!/bin/sh\nread server\n[ \"$1\" = get ] || exit 3\n"
              "if [ \"$server\" = known ]; then echo '{\"Username\":\"u\",\"Secret\":\"s\"}'; exit 0; fi\n"
              "echo 'credentials not found in native keychain'; echo leak-on-stderr >&2; exit 1\n";
  }
  fs::permissions(dir / "docker-credential-fake", fs::perms::owner_all);
  std::string old_path = std::getenv("PATH");
  ::setenv("PATH", (dir.string() + ":" + old_path).c_str(), 1);
  auto known = run_credential_helper("fake", "known\n");
  auto unknown = run_credential_helper("fake", "other\n");
  auto missing = run_credential_helper("absent-helper", "x");
  ::setenv("PATH", old_path.c_str(), 1);
  fs::remove_all(dir);
  REQUIRE(known);
  REQUIRE(*known);
  CHECK(json::parse(**known)["Secret"] == "s");
  REQUIRE(unknown);
  CHECK_FALSE(*unknown);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().message.find("docker-credential-absent-helper") != std::string::npos);
}
