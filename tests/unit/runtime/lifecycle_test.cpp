// runtime::run_lifecycle against a recording engine: the ownership check
// comes before any stop, kill or rm, and one refused container makes the
// status 1 without stopping the others from being tried.
#include <catch2/catch.hpp>

#include "runtime/lifecycle.hpp"
#include "support/fake_engine.hpp"
#include "support/recording_diagnostics.hpp"

using sr::runtime::LifecycleOptions;
using sr::runtime::LifecycleVerb;
using sr::runtime::run_lifecycle;
using sr::test::FakeEngine;
using sr::test::RecordingDiagnostics;

TEST_CASE("stop, kill and rm touch no container sandbox-run did not start", "[lifecycle]") {
  for (auto verb : {LifecycleVerb::stop, LifecycleVerb::kill, LifecycleVerb::rm}) {
    FakeEngine engine;  // its containers carry no sandbox-run label
    RecordingDiagnostics diag;
    LifecycleOptions options;
    options.verb = verb;
    options.containers = {"a", "b"};
    CHECK(run_lifecycle(options, engine, diag) == 1);
    CHECK(engine.calls == std::vector<std::string>{"inspect a", "inspect b"});
  }
}
