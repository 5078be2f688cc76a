// plasmanet-store-copy against real stores: SQLite into a real etcd and back, refusal of a
// non-empty destination, and a verification that finds a difference. The binary runs as a
// separate process, as an operator would run it.

#include "store/store_copy.h"

#include <filesystem>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "store/sqlite/sqlite_store.h"
#include "testing/etcd_server.h"
#include "testing/process.h"
#include "testing/status_matchers.h"

namespace plasmanet::store {
namespace {

using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::ProcessResult;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

class StoreCopyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("plasmanet-store-copy-", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ASSERT_THAT(etcd_.Start(), IsOk());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string SqliteUrl(const std::string& name) const {
    return absl::StrCat("sqlite:", (dir_ / name).string());
  }

  // Writes `count` keys of assorted sizes (some values empty, some binary, one 300 KiB) through
  // several transactions, deleting a few again so the source has history.
  static void Fill(Store& store, int count) {
    for (int i = 0; i < count; i += 50) {
      Txn txn;
      for (int j = i; j < std::min(count, i + 50); ++j) {
        std::string value = j % 7 == 0 ? "" : absl::StrCat("value-", j, std::string(j % 300, 'v'));
        if (j % 11 == 0) value.push_back('\0');
        txn.ops.push_back(Op::Put(absl::StrCat("/v1/k/", j), std::move(value)));
      }
      ASSERT_THAT(store.Commit(std::move(txn)), IsOk());
    }
    ASSERT_THAT(store.Commit(Txn{{}, {Op::Put("/v1/big", std::string(300 * 1024, 'b'))}}), IsOk());
    ASSERT_THAT(store.Commit(Txn{{}, {Op::Delete("/v1/k/3"), Op::Delete("/v1/k/4")}}), IsOk());
  }

  static ProcessResult RunCopy(const std::vector<std::string>& args) {
    absl::StatusOr<ProcessResult> result =
        testing::RunProgram(STORE_COPY_PATH, args, absl::Seconds(120));
    EXPECT_THAT(result, IsOk());
    return result.ok() ? *result : ProcessResult{};
  }

  std::filesystem::path dir_;
  testing::EtcdServer etcd_;
};

TEST_F(StoreCopyTest, SqliteToEtcdAndBackKeepsEveryKeyAndValue) {
  {
    auto source = sqlite::SqliteStore::Open((dir_ / "source.db").string());
    ASSERT_THAT(source, IsOk());
    Fill(**source, 1000);
  }
  // 998 keys of /v1/k/ plus /v1/big.
  ProcessResult to_etcd = RunCopy({"--from", SqliteUrl("source.db"), "--to", etcd_.store_url()});
  EXPECT_EQ(to_etcd.exit_code, 0) << to_etcd.stderr_text;
  EXPECT_THAT(to_etcd.stdout_text, HasSubstr("copied 999 keys"));
  EXPECT_THAT(to_etcd.stdout_text,
              HasSubstr("verify: source 999 keys, destination 999 keys, 0 missing, 0 extra, "
                        "0 different"));

  // A second copy would mix two deployments' data: refused.
  ProcessResult again = RunCopy({"--from", SqliteUrl("source.db"), "--to", etcd_.store_url()});
  EXPECT_EQ(again.exit_code, 1);
  EXPECT_THAT(again.stderr_text, HasSubstr("the destination is not empty"));

  ProcessResult back = RunCopy({"--from", etcd_.store_url(), "--to", SqliteUrl("back.db")});
  EXPECT_EQ(back.exit_code, 0) << back.stderr_text;
  EXPECT_THAT(back.stdout_text, HasSubstr("copied 999 keys"));
  EXPECT_THAT(back.stdout_text, HasSubstr("stores match"));

  ProcessResult verify =
      RunCopy({"--from", SqliteUrl("source.db"), "--to", SqliteUrl("back.db"), "--verify-only"});
  EXPECT_EQ(verify.exit_code, 0) << verify.stdout_text << verify.stderr_text;
  EXPECT_THAT(verify.stdout_text, Not(HasSubstr("copied")));
}

TEST_F(StoreCopyTest, VerifyOnlyReportsEveryKindOfDifference) {
  {
    auto source = sqlite::SqliteStore::Open((dir_ / "source.db").string());
    ASSERT_THAT(source, IsOk());
    Fill(**source, 100);
  }
  ASSERT_EQ(RunCopy({"--from", SqliteUrl("source.db"), "--to", etcd_.store_url()}).exit_code, 0);
  {
    auto etcd = OpenStore(etcd_.store_url());
    ASSERT_THAT(etcd, IsOk());
    ASSERT_THAT((*etcd)->Commit(Txn{{},
                                    {Op::Put("/v1/k/10", "changed"), Op::Delete("/v1/k/20"),
                                     Op::Put("/v1/zzz", "new")}}),
                IsOk());
  }
  ProcessResult verify =
      RunCopy({"--from", SqliteUrl("source.db"), "--to", etcd_.store_url(), "--verify-only"});
  EXPECT_EQ(verify.exit_code, 1);
  EXPECT_THAT(verify.stdout_text, HasSubstr("1 missing, 1 extra, 1 different"));
  EXPECT_THAT(verify.stdout_text, HasSubstr("different: /v1/k/10"));
  EXPECT_THAT(verify.stdout_text, HasSubstr("missing: /v1/k/20"));
  EXPECT_THAT(verify.stdout_text, HasSubstr("extra: /v1/zzz"));
}

TEST_F(StoreCopyTest, BatchesStayWithinTheLimitsAndBadUrlsAreRefused) {
  auto source = sqlite::SqliteStore::Open((dir_ / "source.db").string());
  ASSERT_THAT(source, IsOk());
  Fill(**source, 250);  // 248 small keys and one of 300 KiB
  auto destination = OpenStore(etcd_.store_url());
  ASSERT_THAT(destination, IsOk());
  absl::StatusOr<CopyReport> copied =
      CopyStore(**source, **destination, {.batch_ops = 100, .batch_bytes = 200 * 1024});
  ASSERT_THAT(copied, IsOk());
  EXPECT_EQ(copied->keys, 249);
  // /v1/big sorts first and exceeds batch_bytes, so it goes alone; then 100 + 100 + 48.
  EXPECT_EQ(copied->transactions, 4);
  absl::StatusOr<VerifyReport> check = VerifyStores(**source, **destination, 7);
  ASSERT_THAT(check, IsOk());
  EXPECT_TRUE(check->ok());
  EXPECT_EQ(check->destination_keys, 249);

  ProcessResult bad = RunCopy({"--from", "etcd:ftp://x", "--to", SqliteUrl("x.db")});
  EXPECT_EQ(bad.exit_code, 1);
  EXPECT_THAT(bad.stderr_text, HasSubstr("unknown scheme 'ftp'"));
  EXPECT_EQ(RunCopy({"--from", SqliteUrl("source.db")}).exit_code, 2);
}

}  // namespace
}  // namespace plasmanet::store
