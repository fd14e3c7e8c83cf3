#include "cli/run/spec.hpp"

#include <unistd.h>

#include <climits>

namespace sr::cli {

ParseContext process_context() {
  std::string cwd;
  char buf[PATH_MAX];
  if (::getcwd(buf, sizeof buf) != nullptr) cwd = buf;
  return ParseContext{process_env_lookup(), std::move(cwd)};
}

util::Result<Command> parse_run_command(std::span<const std::string> args,
                                        const ParseContext& context) {
  SR_ASSIGN(const CommandLine line, parse_command_line(run_option_table(), args));
  SpecBuilder builder(context.lookup, context.cwd);
  for (const auto& o : line.options) {
    if (auto r = o.def->apply(builder, o.value); !r) return std::unexpected(bad_value(std::move(r.error()), o));
  }
  Command cmd;
  cmd.action = builder.action;
  if (cmd.action != Action::run) return cmd;
  SR_ASSIGN(cmd.spec, builder.finish(line.positional));
  return cmd;
}

std::string usage_text() {
  return "Usage:  sandbox-run [OPTIONS] IMAGE [COMMAND] [ARG...]\n"
         "        sandbox-run exec [OPTIONS] CONTAINER COMMAND [ARG...]\n"
         "        sandbox-run stop|kill|rm [OPTIONS] CONTAINER [CONTAINER...]\n"
         "\n"
         "Create and run a new container from an image, like `docker run`, through the\n"
         "Docker Engine API (DOCKER_HOST, DOCKER_CONTEXT, DOCKER_CONFIG, DOCKER_TLS_VERIFY,\n"
         "DOCKER_CERT_PATH). exec, stop, kill and rm act on sandboxes sandbox-run started;\n"
         "to run an image named like one of them, write `sandbox-run run IMAGE`.\n"
         "\n"
         "Options:\n" +
         format_option_help(run_option_table()) +
         "\n"
         "Egress:\n"
         "  With egress set up (`sandbox-egress setup`, then `sandbox-egress start`) the\n"
         "  sandbox reaches the network only through the credential proxy and holds proxy\n"
         "  tokens, never real keys. Without it the run is a plain `docker run` with\n"
         "  unrestricted network (said once on a terminal); `sandbox.require_egress: true`\n"
         "  in config.yaml refuses it instead. Settings and egress state live in\n"
         "  $SANDBOX_RUN_HOME (default ~/.sandbox-run): config.yaml and egress/.\n"
         "  `sandbox-egress allow HOST`, `allow --preset pypi|github|huggingface`.\n"
         "\n"
         "Exit status: 125 when sandbox-run or the daemon fails, 126 when the command\n"
         "cannot be invoked, 127 when it is not found, otherwise the container's.\n"
         "--error-format json (or SANDBOX_RUN_ERROR_FORMAT=json) prints sandbox-run's own\n"
         "failures as one JSON object on stderr: {\"error\": {\"kind\", \"message\", \"fix\"}}.\n";
}

}  // namespace sr::cli
