#include "service/ipam_registry.h"

#include <filesystem>
#include <set>
#include <string>

#include <absl/strings/str_cat.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "store/sqlite/sqlite_store.h"
#include "testing/status_matchers.h"

namespace plasmanet::service {
namespace {

using ::plasmanet::testing::IsOk;

class IpamRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("plasmanet-ipam-test-", getpid());
    std::filesystem::create_directories(dir_);
    auto store = store::sqlite::SqliteStore::Open((dir_ / "store.db").string());
    ASSERT_THAT(store, IsOk());
    store_ = std::move(*store);
    family_.cidr = *IpPrefix::Parse("10.8.0.0/16");
    family_.gateway = *IpAddress::Parse("10.8.0.1");
    family_.pools = {{*IpAddress::Parse("10.8.0.2"), *IpAddress::Parse("10.8.255.254")}};
  }
  void TearDown() override {
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // What two servers' registries on one store propose for the same subnet, 100 each.
  int CommonProposals(bool shared) {
    IpamRegistry a(*store_, clock_, shared);
    IpamRegistry b(*store_, clock_, shared);
    std::set<std::string> from_a;
    int common = 0;
    for (int i = 0; i < 100; ++i) from_a.insert(a.Propose("subnet", family_)->ToString());
    for (int i = 0; i < 100; ++i) common += from_a.count(b.Propose("subnet", family_)->ToString());
    return common;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  FakeClock clock_;
  model::SubnetFamily family_;
};

TEST_F(IpamRegistryTest, ServersOnASharedStoreDoNotProposeTheSameAddresses) {
  // One server alone hands out addresses in order; two that did so would race for every one.
  EXPECT_EQ(CommonProposals(/*shared=*/false), 100);
  // Scattered over 65,533 addresses, two sets of 100 meet about 0.15 times on average.
  EXPECT_LT(CommonProposals(/*shared=*/true), 5);
}

}  // namespace
}  // namespace plasmanet::service
