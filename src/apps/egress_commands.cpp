#include "apps/egress_commands.hpp"

// Each library exposes its commands as `int sr::<lib>::cmd_<name>(args)`.
// Add one include and one row per command; keep the order of `--help`.

namespace sr::apps {

const std::vector<EgressCommand>& egress_commands() {
  static const std::vector<EgressCommand> table = {
  };
  return table;
}

}  // namespace sr::apps
