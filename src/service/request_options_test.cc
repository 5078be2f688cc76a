// validate_only and request_id: what every mutation offers for dry runs and safe retries.

#include "service/service_test_fixture.h"

namespace plasmanet::service {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;
using ::testing::SizeIs;

class RequestOptionsTest : public ServiceTest {
 protected:
  RequestContext With(RequestContext ctx, std::string request_id, bool validate_only = false) {
    ctx.request_id = std::move(request_id);
    ctx.validate_only = validate_only;
    return ctx;
  }
};

TEST_F(RequestOptionsTest, ValidateOnlyRunsEveryCheckAndWritesNothing) {
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  const RequestContext dry = With(alice_, "", /*validate_only=*/true);
  const int64_t before = Revision();

  absl::StatusOr<model::Port> port = svc().ports.Create(dry, {.subnet_id = subnet.meta.id});
  ASSERT_TRUE(port.ok()) << port.status();
  EXPECT_EQ(port->fixed_ips.at(0).ToString(), "10.0.1.2");
  EXPECT_TRUE(svc().vpcs.Create(dry, {.cidr_blocks = {"10.9.0.0/16"}}).ok());
  EXPECT_TRUE(svc().security_groups.Create(dry, {.name = "web"}).ok());
  EXPECT_EQ(Revision(), before);
  // The dry run took no address: a real port may have the one it proposed.
  EXPECT_TRUE(
      svc().ports.Create(alice_, {.subnet_id = subnet.meta.id, .fixed_ips = {"10.0.1.2"}}).ok());

  // Checks that need the store still run: the subnet has a port, the VPC a subnet.
  EXPECT_THAT(svc().vpcs.Delete(dry, vpc.meta.id),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("still has subnets")));
  EXPECT_THAT(svc().ports.Create(dry, {.subnet_id = subnet.meta.id, .fixed_ips = {"10.0.1.2"}}),
              HasFieldError(absl::StatusCode::kAlreadyExists, "port.fixed_ips[0]"));
  EXPECT_THAT(svc().vpcs.Create(dry, {.cidr_blocks = {"10.0.0.1/16"}}),
              HasFieldError(absl::StatusCode::kInvalidArgument, "vpc.cidr_blocks[0]"));
  model::Vpc empty = MakeVpc(alice_);
  const int64_t after_setup = Revision();
  EXPECT_TRUE(svc().vpcs.Delete(dry, empty.meta.id).ok());
  EXPECT_TRUE(svc().vpcs.Get(alice_, empty.meta.id).ok());
  EXPECT_EQ(Revision(), after_setup);
}

TEST_F(RequestOptionsTest, SameRequestIdReturnsTheFirstResultAndDoesNothingAgain) {
  const RequestContext once = With(alice_, "c0ffee-1");
  absl::StatusOr<model::Vpc> first = svc().vpcs.Create(once, {.cidr_blocks = {"10.0.0.0/16"}});
  ASSERT_TRUE(first.ok()) << first.status();
  const int64_t after_first = Revision();
  absl::StatusOr<model::Vpc> again = svc().vpcs.Create(once, {.cidr_blocks = {"10.0.0.0/16"}});
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_EQ(again->meta.id, first->meta.id);
  EXPECT_EQ(again->meta.revision, first->meta.revision);
  EXPECT_EQ(Revision(), after_first);
  EXPECT_THAT(svc().vpcs.List(alice_, {})->items, SizeIs(1));

  // Ports: the replay hands back the same addresses and allocates nothing.
  model::Subnet subnet = MakeSubnet(alice_, first->meta.id, "10.0.1.0/24");
  const RequestContext port_once = With(alice_, "port-req-7");
  absl::StatusOr<model::Port> p1 = svc().ports.Create(port_once, {.subnet_id = subnet.meta.id});
  absl::StatusOr<model::Port> p2 = svc().ports.Create(port_once, {.subnet_id = subnet.meta.id});
  ASSERT_TRUE(p1.ok() && p2.ok());
  EXPECT_EQ(p1->meta.id, p2->meta.id);
  EXPECT_EQ(p1->fixed_ips, p2->fixed_ips);
  EXPECT_EQ(MakePort(alice_, subnet.meta.id).fixed_ips.at(0).ToString(), "10.0.1.3");

  // Survives a restart: the record is in the store, not in memory.
  Reopen();
  absl::StatusOr<model::Vpc> after_restart =
      svc().vpcs.Create(once, {.cidr_blocks = {"10.0.0.0/16"}});
  ASSERT_TRUE(after_restart.ok());
  EXPECT_EQ(after_restart->meta.id, first->meta.id);
}

TEST_F(RequestOptionsTest, RetriedDeleteSucceedsInsteadOfNotFound) {
  model::Vpc vpc = MakeVpc(alice_);
  const RequestContext once = With(alice_, "del-1");
  EXPECT_TRUE(svc().vpcs.Delete(once, vpc.meta.id).ok());
  EXPECT_TRUE(svc().vpcs.Delete(once, vpc.meta.id).ok());
  EXPECT_THAT(svc().vpcs.Delete(alice_, vpc.meta.id),
              HasFieldError(absl::StatusCode::kNotFound, "vpc_id"));
}

TEST_F(RequestOptionsTest, RequestIdsAreCheckedScopedAndExpire) {
  const RequestContext once = With(alice_, "shared-id");
  ASSERT_TRUE(svc().vpcs.Create(once, {.cidr_blocks = {"10.0.0.0/16"}}).ok());
  EXPECT_THAT(FailsWithoutChange([&] { return svc().security_groups.Create(once, {.name = "x"}); }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "request_id"));
  EXPECT_THAT(FailsWithoutChange([&] {
                return svc().vpcs.Create(With(alice_, "bad id!"), {.cidr_blocks = {"10.0.0.0/16"}});
              }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "request_id"));
  // Another project's identical id is another request.
  absl::StatusOr<model::Vpc> bobs =
      svc().vpcs.Create(With(bob_, "shared-id"), {.cidr_blocks = {"10.0.0.0/16"}});
  ASSERT_TRUE(bobs.ok()) << bobs.status();
  EXPECT_EQ(bobs->meta.project_id, "shop");
  // After a day the id may be used again.
  clock_.Advance(absl::Hours(25));
  absl::StatusOr<model::Vpc> fresh = svc().vpcs.Create(once, {.cidr_blocks = {"10.0.0.0/16"}});
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_THAT(svc().vpcs.List(alice_, {})->items, SizeIs(2));
}

TEST_F(RequestOptionsTest, ExpiredRequestRecordsAreSweptAndFreshOnesKept) {
  ASSERT_TRUE(svc().vpcs.Create(With(alice_, "old"), {.cidr_blocks = {"10.0.0.0/16"}}).ok());
  ASSERT_TRUE(svc().vpcs.Create(With(bob_, "old"), {.cidr_blocks = {"10.0.0.0/16"}}).ok());
  auto records = [&] { return store_->Range({.prefix = "/v1/requests/"})->kvs.size(); };
  ASSERT_EQ(records(), 2u);
  EXPECT_EQ(svc().SweepExpiredRequests().value_or(-1), 0) << "nothing has expired yet";

  clock_.Advance(absl::Hours(23));
  ASSERT_TRUE(svc().vpcs.Create(With(alice_, "new"), {.cidr_blocks = {"10.1.0.0/16"}}).ok());
  // An unreadable record would refuse its id forever (DATA_LOSS): it goes too.
  ASSERT_TRUE(store_->Commit({{}, {store::Op::Put("/v1/requests/acme/web/garbled", "{")}}).ok());
  clock_.Advance(absl::Hours(2));  // "old" is 25 h old, "new" 2 h
  EXPECT_EQ(svc().SweepExpiredRequests().value_or(-1), 3);
  ASSERT_EQ(records(), 1u);
  // The fresh one still replays: same id, same VPC, nothing new.
  const size_t vpcs = svc().vpcs.List(alice_, {})->items.size();
  ASSERT_TRUE(svc().vpcs.Create(With(alice_, "new"), {.cidr_blocks = {"10.1.0.0/16"}}).ok());
  EXPECT_EQ(svc().vpcs.List(alice_, {})->items.size(), vpcs);
}

}  // namespace
}  // namespace plasmanet::service
