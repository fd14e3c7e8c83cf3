#include <catch2/catch.hpp>

#include "docker/image_ref.hpp"

using sr::docker::parse_image_ref;

TEST_CASE("plain names get the latest tag", "[image_ref]") {
  auto r = parse_image_ref("busybox");
  REQUIRE(r);
  CHECK(r->domain.empty());
  CHECK(r->path == "busybox");
  CHECK(r->tag == "latest");
  CHECK(r->repository() == "busybox");
  CHECK(r->familiar() == "busybox:latest");
  CHECK(r->pull_tag() == "latest");
}

TEST_CASE("a registry host with a port is not a tag", "[image_ref]") {
  auto r = parse_image_ref("127.0.0.1:5000/sandbox-run-test/busybox");
  REQUIRE(r);
  CHECK(r->domain == "127.0.0.1:5000");
  CHECK(r->path == "sandbox-run-test/busybox");
  CHECK(r->tag == "latest");
  CHECK(r->repository() == "127.0.0.1:5000/sandbox-run-test/busybox");

  auto t = parse_image_ref("localhost:5000/x:1.2");
  REQUIRE(t);
  CHECK(t->domain == "localhost:5000");
  CHECK(t->path == "x");
  CHECK(t->tag == "1.2");

  auto l = parse_image_ref("localhost/x");
  REQUIRE(l);
  CHECK(l->domain == "localhost");
}

TEST_CASE("the first component is a path without '.' or ':'", "[image_ref]") {
  auto r = parse_image_ref("sandbox-run-test/busybox:v1");
  REQUIRE(r);
  CHECK(r->domain.empty());
  CHECK(r->path == "sandbox-run-test/busybox");
  CHECK(r->familiar() == "sandbox-run-test/busybox:v1");
}

TEST_CASE("digests, with and without a tag", "[image_ref]") {
  std::string digest = "sha256:" + std::string(64, 'a');
  auto r = parse_image_ref("busybox@" + digest);
  REQUIRE(r);
  CHECK(r->tag.empty());
  CHECK(r->digest == digest);
  CHECK(r->pull_tag() == digest);
  CHECK(r->familiar() == "busybox@" + digest);

  auto both = parse_image_ref("docker.io/library/busybox:1.36@" + digest);
  REQUIRE(both);
  CHECK(both->domain == "docker.io");
  CHECK(both->tag == "1.36");
  CHECK(both->familiar() == "busybox:1.36@" + digest);
}

TEST_CASE("malformed references are rejected", "[image_ref]") {
  CHECK_FALSE(parse_image_ref(""));
  CHECK_FALSE(parse_image_ref("BusyBox"));
  CHECK_FALSE(parse_image_ref("busybox:"));
  CHECK_FALSE(parse_image_ref("busybox:-bad"));
  CHECK_FALSE(parse_image_ref("busybox@sha256:short"));
  CHECK_FALSE(parse_image_ref("a//b"));
  CHECK_FALSE(parse_image_ref("-a"));
  auto e = parse_image_ref("Upper");
  REQUIRE_FALSE(e);
  CHECK(e.error().kind == sr::util::ErrorKind::invalid_argument);
  CHECK(e.error().message.find("lowercase") != std::string::npos);
}
