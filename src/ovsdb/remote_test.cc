#include "ovsdb/remote.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::ovsdb {
namespace {

using ::plasmanet::testing::IsOk;
using ::testing::HasSubstr;

TEST(RemoteTest, ParsesEverySchemeAndPrintsItBack) {
  for (const char* text : {"unix:/run/ovn/ovnnb_db.sock", "tcp:127.0.0.1:6641",
                           "ssl:ovn-central.example:6641", "tcp:[fd00::5]:6641"}) {
    absl::StatusOr<Remote> remote = ParseRemote(text);
    ASSERT_THAT(remote, IsOk()) << text;
    EXPECT_EQ(remote->ToString(), text);
  }
  Remote v6 = *ParseRemote("ssl:[fd00::5]:6643");
  EXPECT_EQ(v6.kind, Remote::Kind::kSsl);
  EXPECT_EQ(v6.host, "fd00::5");
  EXPECT_EQ(v6.port, 6643);
}

TEST(RemoteTest, RefusesMalformedRemotesSayingWhy) {
  struct Case {
    const char* text;
    const char* why;
  };
  for (const Case& c :
       {Case{"", "unknown scheme"}, Case{"http://x:1", "unknown scheme"},
        Case{"unix:", "empty socket path"}, Case{"tcp:127.0.0.1", "missing port"},
        Case{"tcp::6641", "empty host"}, Case{"tcp:h:0", "port must be 1-65535"},
        Case{"tcp:h:70000", "port must be 1-65535"}, Case{"tcp:h:66x", "port must be 1-65535"},
        Case{"tcp:fd00::5:6641", "brackets"}, Case{"tcp:[fd00::5:6641", "unterminated"}}) {
    absl::StatusOr<Remote> remote = ParseRemote(c.text);
    EXPECT_EQ(remote.status().code(), absl::StatusCode::kInvalidArgument) << c.text;
    EXPECT_THAT(remote.status().message(), HasSubstr(c.why)) << c.text;
  }
}

TEST(RemoteTest, ListsNameClusterMembers) {
  absl::StatusOr<std::vector<Remote>> remotes =
      ParseRemoteList("tcp:127.0.0.1:6641,tcp:127.0.0.1:6643,unix:/tmp/nb.sock");
  ASSERT_THAT(remotes, IsOk());
  ASSERT_EQ(remotes->size(), 3u);
  EXPECT_EQ((*remotes)[1].port, 6643);
  EXPECT_EQ(ParseRemoteList("tcp:127.0.0.1:6641,").status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace plasmanet::ovsdb
