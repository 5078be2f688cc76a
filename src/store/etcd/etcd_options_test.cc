// The etcd store URL: what it accepts, and the INVALID_ARGUMENT (naming the problem) for what it
// does not. No etcd needed.

#include "store/etcd/etcd_options.h"

#include <filesystem>
#include <fstream>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "testing/status_matchers.h"

namespace plasmanet::store::etcd {
namespace {

using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

class EtcdOptionsTest : public ::testing::Test {
 protected:
  EtcdOptionsTest() {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("plasmanet-etcd-url-", getpid());
    std::filesystem::create_directories(dir_);
    std::ofstream(dir_ / "password") << "s3cret\n";
    std::ofstream(dir_ / "ca.pem") << "CA";
    std::ofstream(dir_ / "c.pem") << "CERT";
    std::ofstream(dir_ / "c.key") << "KEY";
  }
  ~EtcdOptionsTest() override { std::filesystem::remove_all(dir_); }

  std::string File(const char* name) const { return (dir_ / name).string(); }

  static void ExpectInvalid(const std::string& spec, const std::string& message) {
    EXPECT_THAT(ParseEtcdUrl(spec),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(message)))
        << spec;
  }

  std::filesystem::path dir_;
};

TEST_F(EtcdOptionsTest, ParsesEndpointsAndOptions) {
  absl::StatusOr<EtcdOptions> options = ParseEtcdUrl(
      absl::StrCat("http://10.0.0.1:2379,http://etcd2,http://[::1]:32379/?user=plasmanet&",
                   "password-file=", File("password"),
                   "&timeout=1500ms&max-txn-ops=256&max-request-bytes=4194304&"
                   "retained-revisions=0"));
  ASSERT_THAT(options, IsOk());
  ASSERT_EQ(options->endpoints.size(), 3u);
  EXPECT_EQ(options->endpoints[0].target(), "10.0.0.1:2379");
  EXPECT_EQ(options->endpoints[1].target(), "etcd2:2379");  // etcd's default client port
  EXPECT_EQ(options->endpoints[2].host, "::1");
  EXPECT_EQ(options->endpoints[2].target(), "[::1]:32379");
  EXPECT_FALSE(options->tls());
  EXPECT_EQ(options->user, "plasmanet");
  EXPECT_EQ(options->password, "s3cret");  // the first line, without its newline
  EXPECT_EQ(options->timeout, absl::Milliseconds(1500));
  EXPECT_EQ(options->max_txn_ops, 256);
  EXPECT_EQ(options->max_request_bytes, 4194304);
  EXPECT_EQ(options->retained_revisions, 0);
  EXPECT_EQ(options->EndpointList(), "http://10.0.0.1:2379,http://etcd2,http://[::1]:32379/");
}

TEST_F(EtcdOptionsTest, ReadsTlsFiles) {
  absl::StatusOr<EtcdOptions> options =
      ParseEtcdUrl(absl::StrCat("https://a:2379,https://b:2379?ca=", File("ca.pem"),
                                "&cert=", File("c.pem"), "&key=", File("c.key")));
  ASSERT_THAT(options, IsOk());
  EXPECT_TRUE(options->tls());
  EXPECT_EQ(options->ca_pem, "CA");
  EXPECT_EQ(options->cert_pem, "CERT");
  EXPECT_EQ(options->key_pem, "KEY");
  // The system's roots and no client certificate are fine too.
  EXPECT_THAT(ParseEtcdUrl("https://a:2379"), IsOk());
}

TEST_F(EtcdOptionsTest, RefusesMalformedEndpoints) {
  ExpectInvalid("", "no endpoint");
  ExpectInvalid("?user=x", "no endpoint");
  ExpectInvalid("127.0.0.1:2379", "has no scheme");
  ExpectInvalid("ftp://127.0.0.1:2379", "unknown scheme 'ftp'");
  ExpectInvalid("http://:2379", "has no host");
  ExpectInvalid("http://", "has no host");
  ExpectInvalid("http://a:2379,,http://b:2379", "'' has no scheme");
  ExpectInvalid("http://a:port", "bad port 'port'");
  ExpectInvalid("http://a:0", "bad port '0'");
  ExpectInvalid("http://a:70000", "bad port '70000'");
  ExpectInvalid("http://a:", "empty port");
  ExpectInvalid("http://[::1:2379", "unclosed '['");
  ExpectInvalid("http://a:2379/v3", "has a path");
  ExpectInvalid("http://a:2379,https://b:2379", "mix http:// and https://");
}

TEST_F(EtcdOptionsTest, RefusesBadOptions) {
  ExpectInvalid("http://a?colour=blue", "unknown option 'colour'");
  ExpectInvalid("http://a?timeout", "option 'timeout' has no value");
  ExpectInvalid("http://a?timeout=soon", "timeout='soon' is not a positive duration");
  ExpectInvalid("http://a?timeout=-1s", "not a positive duration");
  ExpectInvalid("http://a?max-txn-ops=0", "max-txn-ops='0' is not a whole number >= 1");
  ExpectInvalid("http://a?max-request-bytes=1k", "max-request-bytes='1k'");
  ExpectInvalid("http://a?retained-revisions=-5", "retained-revisions='-5'");
  ExpectInvalid(absl::StrCat("http://a?ca=", File("ca.pem")), "need https:// endpoints");
  ExpectInvalid(absl::StrCat("https://a?cert=", File("c.pem")), "give both or neither");
  ExpectInvalid("http://a?user=root", "user and password-file go together");
  ExpectInvalid("http://a?user=root&password-file=/nonexistent/pw",
                "password-file: cannot read '/nonexistent/pw'");
  ExpectInvalid("https://a?ca=/nonexistent/ca.pem", "ca: cannot read '/nonexistent/ca.pem'");
  std::ofstream(File("empty"));
  ExpectInvalid(absl::StrCat("http://a?user=root&password-file=", File("empty")), "is empty");
}

}  // namespace
}  // namespace plasmanet::store::etcd
