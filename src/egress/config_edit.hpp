// Editing config.yaml in place: the commands that change settings
// (enable, disable, setup, allow, deny, secrets add|rm, config set) rewrite
// only the lines of the keys they change and keep everything else byte for
// byte: comments, key order, quoting, unknown keys.
#pragma once

#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "util/error.hpp"

namespace sr::egress {

// One change: the key at `path` (a top-level key, or a section and a key in
// it, e.g. {"proxy", "enabled"}) set to `value`, or removed when nullopt.
// Keys are plain names ([A-Za-z0-9_.-]); values render in block style.
struct ConfigEdit {
  std::vector<std::string> path;
  std::optional<YAML::Node> value;
};

// Applies `edits` to the text of a config file whose name in messages is
// `source`. Contract:
//  - the text must load (parse_config); a malformed text is an error;
//  - a text using a YAML feature the edit cannot keep is refused, naming the
//    feature and the line (ErrorKind::invalid_argument): more than one
//    document or an end marker, tags, anchors and aliases, explicit `?` keys
//    or a property before a key at an edited level, a flow collection as the
//    top-level mapping or as an edited section;
//  - the result is checked before it is returned: it loads, every key not
//    edited reads back the same, and each edited key reads back as asked; if
//    not, the edit is refused and nothing is returned.
util::Result<std::string> edit_config_text(const std::string& text, const std::string& source,
                                           std::span<const ConfigEdit> edits);

// edit_config_text on the file at `path` ("" when missing), then written
// atomically with mode 0600, never through a symlink. On any error the file
// is left untouched.
util::Result<void> edit_config_file(const std::filesystem::path& path,
                                    std::span<const ConfigEdit> edits);

}  // namespace sr::egress
