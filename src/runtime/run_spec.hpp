// What the option parser hands the launcher: the Engine API create body plus
// the client-side behaviour of `docker run`.
#pragma once

#include <nlohmann/json.hpp>
#include <map>
#include <string>
#include <vector>

namespace sr::runtime {

enum class PullPolicy { missing, always, never };

struct RunSpec {
  std::string image;                // as given by the user
  nlohmann::json create_body;       // POST /containers/create body
  std::string name;                 // ?name=
  std::string platform;             // ?platform= and pull platform
  PullPolicy pull = PullPolicy::missing;
  bool detach = false;              // -d: print the full ID, return
  bool interactive = false;         // -i: attach and forward stdin
  bool tty = false;                 // -t: raw mode, resize, no demux
  bool auto_remove = false;         // --rm
  bool sig_proxy = true;            // --sig-proxy
  bool quiet = false;               // -q: no pull progress
  std::vector<std::string> attach_streams = {"stdout", "stderr"};  // -a (stdin added by -i)
  // Where each user env key came from ("-e", "--env-file FILE"), for egress
  // collision messages. A key missing here is reported as "-e/--env-file".
  std::map<std::string, std::string> env_origins;
  std::string user_network;         // --network/--net as given, "" when absent
  bool dry_run = false;             // --dry-run: print the create request, create nothing
  bool show_tokens = false;         // --show-tokens: do not redact tokens in --dry-run
  std::string cidfile;              // --cidfile: refused when it exists, written after create
  std::string detach_keys;          // --detach-keys: the attach's detachKeys
  std::vector<std::string> egress_allow;     // --egress-allow HOST (runtime/egress_narrowing.hpp)
  std::vector<std::string> egress_profiles;  // --egress-profile NAME
};

}  // namespace sr::runtime
