// Image references: [registry[:port]/]path[:tag][@digest], as the Docker CLI
// splits them (the first component is a registry when it contains '.' or
// ':' or is "localhost"; the tag defaults to "latest" without a digest).
#pragma once

#include <string>
#include <string_view>

#include "util/error.hpp"

namespace sr::docker {

struct ImageRef {
  std::string domain;  // registry host[:port], empty for Docker Hub
  std::string path;    // "library/busybox" style path as written, e.g. "busybox"
  std::string tag;     // "latest" when neither tag nor digest was given
  std::string digest;  // "sha256:..." or empty

  // Name without tag or digest: "busybox", "localhost:5000/x/y".
  [[nodiscard]] std::string repository() const;
  // What the Docker CLI prints: "busybox:latest", "x/y@sha256:...".
  [[nodiscard]] std::string familiar() const;
  // The ?tag= of a pull: the digest when present, else the tag.
  [[nodiscard]] std::string pull_tag() const;
};

// invalid_argument for empty names, upper-case repositories, bad tags.
util::Result<ImageRef> parse_image_ref(std::string_view ref);

}  // namespace sr::docker
