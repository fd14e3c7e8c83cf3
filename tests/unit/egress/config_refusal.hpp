// For config.yaml parsing tests: the message of a refusal, checked to be one.
#pragma once

#include <catch2/catch.hpp>

#include <string>

#include "egress/config.hpp"

namespace sr_test {

// parse_config(text) must fail with ErrorKind::invalid_argument; its message.
inline std::string config_refusal(const std::string& text) {
  auto r = sr::egress::parse_config(text, "config.yaml");
  REQUIRE_FALSE(r);
  CHECK(r.error().kind == sr::util::ErrorKind::invalid_argument);
  return r.error().message;
}

}  // namespace sr_test
