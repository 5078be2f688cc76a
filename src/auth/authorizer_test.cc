#include "auth/authorizer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::auth {
namespace {

using ::plasmanet::testing::HasFieldError;
using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::testing::_;

const Scope kMine{"acme", "web"};
const Scope kTheirs{"globex", "web"};

Principal Member() { return {"alice", kMine, {Role::kMember}}; }
Principal Reader() { return {"rita", kMine, {Role::kReader}}; }
Principal Admin() { return {"root", {"*", "*"}, {Role::kAdmin}}; }
Principal Service() { return {"vmc", {"*", "*"}, {Role::kService}}; }

TEST(AuthorizerTest, ProjectPrincipalsSeeOnlyTheirProject) {
  EXPECT_TRUE(CanRead(Member(), Kind::kPort, kMine));
  EXPECT_TRUE(CanRead(Reader(), Kind::kVpc, kMine));
  EXPECT_FALSE(CanRead(Member(), Kind::kPort, kTheirs));
  EXPECT_FALSE(CanRead(Member(), Kind::kPort, {"acme", "db"}));
  EXPECT_TRUE(CanRead(Member(), Kind::kExternalNetwork, kTheirs));
}

TEST(AuthorizerTest, OtherTenantsObjectsAreNotFoundNotDenied) {
  EXPECT_THAT(CheckWrite(Member(), Kind::kPort, kTheirs), StatusIs(absl::StatusCode::kNotFound, _));
  EXPECT_THAT(CheckWrite(Reader(), Kind::kPort, kTheirs), StatusIs(absl::StatusCode::kNotFound, _));
}

TEST(AuthorizerTest, RolesGateWritesInOwnScope) {
  EXPECT_THAT(CheckWrite(Member(), Kind::kSubnet, kMine), IsOk());
  EXPECT_THAT(CheckWrite(Reader(), Kind::kSubnet, kMine),
              StatusIs(absl::StatusCode::kPermissionDenied, _));
  EXPECT_THAT(CheckWrite(Member(), Kind::kExternalNetwork, kMine),
              StatusIs(absl::StatusCode::kPermissionDenied, _));
  EXPECT_THAT(CheckWrite(Admin(), Kind::kExternalNetwork, kTheirs), IsOk());
  EXPECT_THAT(CheckWrite(Service(), Kind::kPort, kTheirs), IsOk());
  EXPECT_THAT(CheckWrite(Service(), Kind::kVpc, kTheirs),
              StatusIs(absl::StatusCode::kPermissionDenied, _));
  EXPECT_FALSE(CanRead(Principal{"nobody", kMine, {}}, Kind::kExternalNetwork, kMine));
}

TEST(AuthorizerTest, CreateScopeDefaultsToOwnProject) {
  EXPECT_EQ(*ResolveCreateScope(Member(), std::nullopt), kMine);
  EXPECT_THAT(ResolveCreateScope(Member(), kTheirs),
              StatusIs(absl::StatusCode::kPermissionDenied, _));
  EXPECT_EQ(*ResolveCreateScope(Admin(), kTheirs), kTheirs);
  EXPECT_THAT(ResolveCreateScope(Admin(), std::nullopt),
              HasFieldError(absl::StatusCode::kInvalidArgument, "scope"));
  EXPECT_THAT(ResolveCreateScope(Service(), Scope{"a/b", "p"}),
              HasFieldError(absl::StatusCode::kInvalidArgument, "scope.org_id"));
}

}  // namespace
}  // namespace plasmanet::auth
