#include "service/vpc_service.h"

#include "service/service_test_fixture.h"

namespace plasmanet::service {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::StatusIs;
using ::testing::HasSubstr;

using VpcServiceTest = ServiceTest;

TEST_F(VpcServiceTest, CreateStampsIdentityAndScope) {
  clock_.Advance(absl::Seconds(5));
  absl::StatusOr<model::Vpc> vpc =
      svc().vpcs.Create(alice_, {.name = "prod",
                                 .labels = {{"env", "prod"}},
                                 .cidr_blocks = {"10.0.0.0/16", "fd00:10::/48"}});
  ASSERT_TRUE(vpc.ok()) << vpc.status();
  EXPECT_TRUE(IsUuid(vpc->meta.id));
  EXPECT_EQ(vpc->meta.org_id, "acme");
  EXPECT_EQ(vpc->meta.project_id, "web");
  EXPECT_EQ(vpc->meta.created_at, clock_.Now());
  EXPECT_EQ(vpc->meta.revision, Revision());

  absl::StatusOr<model::Vpc> got = svc().vpcs.Get(alice_, vpc->meta.id);
  ASSERT_TRUE(got.ok()) << got.status();
  EXPECT_EQ(got->meta.name, "prod");
  EXPECT_EQ(got->meta.labels.at("env"), "prod");
  EXPECT_EQ(got->cidr_blocks, vpc->cidr_blocks);
  EXPECT_EQ(got->meta.revision, vpc->meta.revision);
}

TEST_F(VpcServiceTest, InvalidInputIsRefusedAndChangesNothing) {
  EXPECT_THAT(FailsWithoutChange(
                  [&] { return svc().vpcs.Create(alice_, {.cidr_blocks = {"10.0.0.1/16"}}); }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "vpc.cidr_blocks[0]"));
  EXPECT_THAT(FailsWithoutChange([&] { return svc().vpcs.Create(alice_, {}); }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "vpc.cidr_blocks"));
}

TEST_F(VpcServiceTest, ReadersCannotCreateOrDelete) {
  EXPECT_THAT(FailsWithoutChange(
                  [&] { return svc().vpcs.Create(rita_, {.cidr_blocks = {"10.0.0.0/16"}}); }),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("may not change vpc")));
  model::Vpc vpc = MakeVpc(alice_);
  EXPECT_TRUE(svc().vpcs.Get(rita_, vpc.meta.id).ok());
  EXPECT_THAT(FailsWithoutChange([&] { return svc().vpcs.Delete(rita_, vpc.meta.id); }),
              StatusIs(absl::StatusCode::kPermissionDenied, HasSubstr("may not change vpc")));
}

TEST_F(VpcServiceTest, OverlappingVpcsAreAllowed) {
  model::Vpc a = MakeVpc(alice_, {"10.0.0.0/16"});
  model::Vpc b = MakeVpc(alice_, {"10.0.0.0/16"});
  model::Vpc c = MakeVpc(bob_, {"10.0.0.0/8"});
  EXPECT_NE(a.meta.id, b.meta.id);
  EXPECT_EQ(svc().vpcs.List(alice_, {})->items.size(), 2u);
  EXPECT_EQ(svc().vpcs.List(bob_, {})->items.size(), 1u);
}

TEST_F(VpcServiceTest, DeleteRefusedWhileSubnetsRemain) {
  model::Vpc vpc = MakeVpc(alice_);
  model::Subnet subnet = MakeSubnet(alice_, vpc.meta.id, "10.0.1.0/24");
  EXPECT_THAT(FailsWithoutChange([&] { return svc().vpcs.Delete(alice_, vpc.meta.id); }),
              StatusIs(absl::StatusCode::kFailedPrecondition, HasSubstr("still has subnets")));
  ASSERT_TRUE(svc().subnets.Delete(alice_, subnet.meta.id).ok());
  ASSERT_TRUE(svc().vpcs.Delete(alice_, vpc.meta.id).ok());
  EXPECT_THAT(svc().vpcs.Get(alice_, vpc.meta.id),
              HasFieldError(absl::StatusCode::kNotFound, "vpc_id"));
  EXPECT_TRUE(svc().vpcs.List(alice_, {})->items.empty());
}

TEST_F(VpcServiceTest, ListPaginatesWithTokens) {
  for (int i = 0; i < 7; ++i) MakeVpc(alice_);
  std::set<std::string> seen;
  ListOptions options{.page_size = 3};
  int pages = 0;
  while (true) {
    absl::StatusOr<ListPage<model::Vpc>> page = svc().vpcs.List(alice_, options);
    ASSERT_TRUE(page.ok()) << page.status();
    ++pages;
    for (const model::Vpc& v : page->items) EXPECT_TRUE(seen.insert(v.meta.id).second);
    if (page->next_page_token.empty()) break;
    options.page_token = page->next_page_token;
  }
  EXPECT_EQ(seen.size(), 7u);
  EXPECT_EQ(pages, 3);
  EXPECT_THAT(svc().vpcs.List(alice_, {.page_size = -1}),
              HasFieldError(absl::StatusCode::kInvalidArgument, "page_size"));
  EXPECT_THAT(svc().vpcs.List(alice_, {.page_token = "/v1/scope/globex/shop/vpc/x"}),
              HasFieldError(absl::StatusCode::kInvalidArgument, "page_token"));
}

TEST_F(VpcServiceTest, PlatformPrincipalsMustNameAProject) {
  EXPECT_THAT(FailsWithoutChange(
                  [&] { return svc().vpcs.Create(admin_, {.cidr_blocks = {"10.0.0.0/16"}}); }),
              HasFieldError(absl::StatusCode::kInvalidArgument, "scope"));
  RequestContext admin_for_acme = admin_;
  admin_for_acme.scope = auth::Scope{"acme", "web"};
  model::Vpc vpc = MakeVpc(admin_for_acme);
  EXPECT_EQ(vpc.meta.project_id, "web");
  EXPECT_TRUE(svc().vpcs.Get(alice_, vpc.meta.id).ok());
}

}  // namespace
}  // namespace plasmanet::service
