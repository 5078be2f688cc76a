// plasmanetd as a user runs it: it starts on an embedded store or on a real etcd, says so, and
// stops cleanly on SIGTERM; a bad flag or an unreachable etcd is refused with a clear message.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <absl/strings/str_cat.h>
#include <absl/time/clock.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "subprocess.h"
#include "testing/etcd_server.h"
#include "testing/ports.h"

namespace plasmanet {
namespace {

using ::testing::HasSubstr;

testing::Child Start(std::vector<std::string> args) {
  return testing::Spawn(PLASMANETD_PATH, std::move(args), STDERR_FILENO);
}

// Reads lines until one contains `text`; returns everything read.
std::string ReadUntil(FILE* f, const std::string& text) {
  std::string all;
  char line[1024];
  while (std::fgets(line, sizeof(line), f) != nullptr) {
    all += line;
    if (std::string(line).find(text) != std::string::npos) break;
  }
  return all;
}

class DaemonTest : public ::testing::Test {
 protected:
  DaemonTest() {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("plasmanetd-test-", getpid());
    std::filesystem::create_directories(dir_);
    tokens_ = (dir_ / "tokens").string();
    std::ofstream(tokens_) << "alice-token-0123456789 acme web member\n";
  }
  // Flags every start needs: a token file and a free port.
  std::vector<std::string> With(std::vector<std::string> args) {
    args.insert(args.end(), {"--tokens", tokens_, "--listen", "127.0.0.1:0", "--audit-log",
                             (dir_ / "audit.log").string()});
    return args;
  }
  std::string tokens_;
  ~DaemonTest() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(DaemonTest, StartsOnSqliteAndStopsCleanlyOnSigterm) {
  const std::string pidfile = (dir_ / "pid").string();
  testing::Child p =
      Start(With({"--store", "sqlite:" + (dir_ / "db").string(), "--pidfile", pidfile}));
  ASSERT_GT(p.pid, 0);
  const std::string started = ReadUntil(p.output, "started");
  EXPECT_THAT(started, HasSubstr(absl::StrCat("started pid=", p.pid)));
  EXPECT_THAT(started, HasSubstr("store opened backend=sqlite"));
  EXPECT_THAT(started, HasSubstr("api listening address=127.0.0.1:0"));
  EXPECT_THAT(started, HasSubstr("tokens=1"));
  EXPECT_THAT(started, HasSubstr("audit log opened"));
  EXPECT_TRUE(std::filesystem::exists(pidfile));

  kill(p.pid, SIGTERM);
  const std::string rest = ReadUntil(p.output, "\x01");  // to EOF
  int status = 0;
  waitpid(p.pid, &status, 0);
  fclose(p.output);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_THAT(rest, HasSubstr("stopping signal=SIGTERM"));
  EXPECT_THAT(rest, HasSubstr("stopped"));
  EXPECT_FALSE(std::filesystem::exists(pidfile));
}

TEST_F(DaemonTest, StartsOnEtcdAndRefusesAnUnreachableOne) {
  plasmanet::testing::EtcdServer etcd;
  ASSERT_TRUE(etcd.Start().ok());
  testing::Child p = Start(With({"--store", etcd.store_url()}));
  ASSERT_GT(p.pid, 0);
  const std::string started = ReadUntil(p.output, "started");
  EXPECT_THAT(started, HasSubstr("etcd connected endpoint=" + etcd.client_url()));
  EXPECT_THAT(started, HasSubstr("store opened backend=etcd"));
  EXPECT_THAT(started, HasSubstr(absl::StrCat("started pid=", p.pid)));
  kill(p.pid, SIGTERM);
  const std::string rest = ReadUntil(p.output, "\x01");
  int status = 0;
  waitpid(p.pid, &status, 0);
  fclose(p.output);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  EXPECT_THAT(rest, HasSubstr("store closed backend=etcd"));

  absl::StatusOr<int> port = plasmanet::testing::PickFreePort();
  ASSERT_TRUE(port.ok());
  const std::string nowhere = absl::StrCat("http://127.0.0.1:", *port);
  testing::Child refused = Start(With({"--store", absl::StrCat("etcd:", nowhere, "?timeout=1s")}));
  const std::string out = ReadUntil(refused.output, "\x01");
  waitpid(refused.pid, &status, 0);
  fclose(refused.output);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1) << status;
  EXPECT_THAT(out, HasSubstr("cannot open store"));
  EXPECT_THAT(out, HasSubstr("etcd unavailable"));
  EXPECT_THAT(out, HasSubstr(nowhere));
}

TEST_F(DaemonTest, RefusesBadStoreAndSecondInstance) {
  testing::Child bad = Start(With({"--store", "mysql://x"}));
  const std::string out = ReadUntil(bad.output, "\x01");
  int status = 0;
  waitpid(bad.pid, &status, 0);
  fclose(bad.output);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  EXPECT_THAT(out, HasSubstr("unknown kind; expected sqlite:PATH"));

  const std::string store = "sqlite:" + (dir_ / "db").string();
  testing::Child first = Start(With({"--store", store}));
  ReadUntil(first.output, "started");
  testing::Child second = Start(With({"--store", store}));
  const std::string refused = ReadUntil(second.output, "\x01");
  waitpid(second.pid, &status, 0);
  fclose(second.output);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  EXPECT_THAT(refused, HasSubstr("in use by another process"));
  kill(first.pid, SIGTERM);
  ReadUntil(first.output, "\x01");
  waitpid(first.pid, &status, 0);
  fclose(first.output);
}

TEST_F(DaemonTest, RefusesToRunWithoutAValidTokenFile) {
  int status = 0;
  testing::Child none = Start({"--store", "sqlite:" + (dir_ / "db").string(), "--audit-log",
                               (dir_ / "audit.log").string()});
  const std::string missing = ReadUntil(none.output, "\x01");
  waitpid(none.pid, &status, 0);
  fclose(none.output);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_THAT(missing, HasSubstr("--tokens, --jwt-hs256-secret or --jwt-rs256-key is required"));

  std::ofstream(tokens_) << "short acme web member\n";
  testing::Child bad = Start(With({"--store", "sqlite:" + (dir_ / "db").string()}));
  const std::string refused = ReadUntil(bad.output, "\x01");
  waitpid(bad.pid, &status, 0);
  fclose(bad.output);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  EXPECT_THAT(refused, HasSubstr("line 1: tokens must be at least 16 characters"));
}

TEST_F(DaemonTest, ReadsEveryFlagFromAConfigFile) {
  const std::string config = (dir_ / "plasmanetd.toml").string();
  std::ofstream(config) << "store = \"sqlite:" << (dir_ / "db").string() << "\"\n"
                        << "tokens = \"" << tokens_ << "\"\n"
                        << "listen = \"127.0.0.1:0\"\n"
                        << "audit-log = \"" << (dir_ / "audit.log").string() << "\"\n"
                        << "log-level = \"debug\"\n";
  testing::Child p = Start({"--config", config});
  const std::string started = ReadUntil(p.output, "started");
  EXPECT_THAT(started, HasSubstr("tokens=1"));
  EXPECT_THAT(started, HasSubstr((dir_ / "db").string()));
  kill(p.pid, SIGTERM);
  ReadUntil(p.output, "\x01");
  int status = 0;
  waitpid(p.pid, &status, 0);
  fclose(p.output);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);

  testing::Child missing = Start({"--config", (dir_ / "nope.toml").string()});
  const std::string refused = ReadUntil(missing.output, "\x01");
  waitpid(missing.pid, &status, 0);
  fclose(missing.output);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
  EXPECT_THAT(refused, HasSubstr("nope.toml"));
}

TEST_F(DaemonTest, RefusesBadNetworkSettingsBeforeOpeningAnything) {
  const std::filesystem::path db = dir_ / "network.db";
  const auto refused = [&](std::vector<std::string> flags, const std::string& message) {
    flags.insert(flags.begin(), {"--store", "sqlite:" + db.string()});
    testing::Child child = Start(With(flags));
    const std::string out = ReadUntil(child.output, "\x01");
    int status = 0;
    waitpid(child.pid, &status, 0);
    fclose(child.output);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << out;
    EXPECT_THAT(out, HasSubstr(message));
  };
  refused({"--dns-server", "10.0.0.300"}, "bad --dns-server value=10.0.0.300");
  refused({"--dns-zone", "my_zone"}, "bad --dns-zone value=my_zone");
  refused({"--dns-zone", "a..b"}, "bad --dns-zone");
  refused({"--underlay-mtu", "1000"}, "--underlay-mtu");
  refused({"--leader-lease-ttl", "1"}, "the lease TTL must be whole seconds, at least 2");
  EXPECT_FALSE(std::filesystem::exists(db)) << "a refused start must not create the store";
}

TEST_F(DaemonTest, RefusesHalfATlsConfiguration) {
  testing::Child half = Start(With(
      {"--store", "sqlite:" + (dir_ / "db").string(), "--tls-cert", (dir_ / "cert.pem").string()}));
  const std::string out = ReadUntil(half.output, "\x01");
  int status = 0;
  waitpid(half.pid, &status, 0);
  fclose(half.output);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 1);
  EXPECT_THAT(out, HasSubstr("TLS needs both a certificate and a key"));
}

}  // namespace
}  // namespace plasmanet
