// scripts/ovn-sandbox refuses bad input saying why, and starts nothing when it does.

#include <filesystem>
#include <string>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "testing/ovn_sandbox.h"
#include "testing/ports.h"
#include "testing/process.h"

namespace plasmanet::e2e {
namespace {

using ::testing::HasSubstr;

// A TCP port on 127.0.0.1 held by this process (listening) while the object lives.
class HeldPort {
 public:
  HeldPort() {
    absl::StatusOr<testing::LoopbackListener> listener = testing::ListenOnLoopback(1);
    if (listener.ok()) {
      fd_ = listener->fd;
      port_ = listener->port;
    }
  }
  ~HeldPort() { close(fd_); }
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

class SandboxScriptTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::string> dir = testing::MakeTempDir("plasmanet-sandbox-script");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *dir;
  }
  void TearDown() override {
    Run({"stop"});  // whatever a failing test let start
    std::filesystem::remove_all(dir_);
  }

  testing::ProcessResult Run(std::vector<std::string> args) {
    args.insert(args.begin() + 1, {"--run-dir", dir_});
    absl::StatusOr<testing::ProcessResult> r =
        testing::RunProgram(testing::SandboxScript(), args, absl::Seconds(60));
    EXPECT_TRUE(r.ok()) << r.status();
    return r.value_or(testing::ProcessResult{});
  }

  // Nothing was started: no pid file and no database in the run directory.
  void ExpectNothingStarted() {
    for (const auto& entry : std::filesystem::directory_iterator(dir_)) {
      const std::string ext = entry.path().extension();
      EXPECT_NE(ext, ".pid") << entry.path();
      EXPECT_NE(ext, ".db") << entry.path();
    }
  }

  std::string dir_;
};

TEST_F(SandboxScriptTest, ATakenPortIsRefusedNamingItAndNothingStarts) {
  HeldPort held;
  ASSERT_GT(held.port(), 0);
  const testing::ProcessResult r = Run({"start", "--nb-port", std::to_string(held.port())});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.stderr_text,
              HasSubstr("port 127.0.0.1:" + std::to_string(held.port()) + " (for nb) is taken"));
  ExpectNothingStarted();
}

TEST_F(SandboxScriptTest, ABadPortNumberOrOptionIsRefusedAndNothingStarts) {
  testing::ProcessResult r = Run({"start", "--sb-port", "70000"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.stderr_text, HasSubstr("--sb-port must be a TCP port number, not '70000'"));
  r = Run({"start", "--nb-port", "http"});
  EXPECT_THAT(r.stderr_text, HasSubstr("--nb-port must be a TCP port number, not 'http'"));
  r = Run({"start", "--frobnicate"});
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_THAT(r.stderr_text, HasSubstr("usage: scripts/ovn-sandbox"));
  ExpectNothingStarted();
}

TEST_F(SandboxScriptTest, StatusOfASandboxThatIsNotRunningSaysSoAndFails) {
  const testing::ProcessResult r = Run({"status"});
  EXPECT_NE(r.exit_code, 0);
  EXPECT_THAT(r.stdout_text, HasSubstr("nb         stopped"));
}

}  // namespace
}  // namespace plasmanet::e2e
