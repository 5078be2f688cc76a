// Who may do what: every role against every resource and method, on objects of the member's
// own project ("own") and of another project ("other"). Expected answers follow
// docs/api.md: NOT_FOUND where the object is invisible, PERMISSION_DENIED where it is visible
// but the role may not act.

#include <functional>

#include "service/service_test_fixture.h"

namespace plasmanet::service {
namespace {

using Code = absl::StatusCode;
constexpr Code kOk = Code::kOk;
constexpr Code kNf = Code::kNotFound;
constexpr Code kPd = Code::kPermissionDenied;

// One resource: how to make a fresh object of alice's project, and each method.
struct Resource {
  std::string name;
  std::function<std::string()> make;  // returns the id
  std::function<absl::Status(const RequestContext&, const std::string&)> get;
  std::function<absl::StatusOr<std::vector<std::string>>(const RequestContext&)> list;  // ids
  std::function<absl::Status(const RequestContext&, const std::string&)> del;
  std::function<absl::Status(const RequestContext&)> create;  // next to alice's objects
};

struct Expect {
  Code get, del, create;
  bool sees_in_list;
};

class AuthorizationMatrixTest : public ServiceTest {
 protected:
  void SetUp() override {
    vpc_ = MakeVpc(alice_);
    subnet_ = MakeSubnet(alice_, vpc_.meta.id, "10.0.0.0/20");
    network_ = *svc().external_networks.Create(
        admin_, {.cidr = "203.0.113.0/24", .gateway_ip = "203.0.113.1", .physical_network = "p"});
  }

  std::vector<Resource> Resources() {
    Services& s = svc();
    return {
        {"vpc", [&]() { return MakeVpc(alice_).meta.id; },
         [&](const RequestContext& c, const std::string& id) { return s.vpcs.Get(c, id).status(); },
         [&](const RequestContext& c) -> absl::StatusOr<std::vector<std::string>> {
           PN_ASSIGN_OR_RETURN(auto page, s.vpcs.List(c, {}));
           std::vector<std::string> ids;
           for (const auto& item : page.items) ids.push_back(item.meta.id);
           return ids;
         },
         [&](const RequestContext& c, const std::string& id) { return s.vpcs.Delete(c, id); },
         [&](const RequestContext& c) {
           return s.vpcs.Create(Scoped(c), {.cidr_blocks = {"10.1.0.0/16"}}).status();
         }},
        {"subnet",
         [&]() {
           return MakeSubnet(alice_, vpc_.meta.id, absl::StrCat("10.0.", 16 + next_++, ".0/24"))
               .meta.id;
         },
         [&](const RequestContext& c, const std::string& id) {
           return s.subnets.Get(c, id).status();
         },
         [&](const RequestContext& c) -> absl::StatusOr<std::vector<std::string>> {
           PN_ASSIGN_OR_RETURN(auto page, s.subnets.List(c, {}));
           std::vector<std::string> ids;
           for (const auto& item : page.items) ids.push_back(item.meta.id);
           return ids;
         },
         [&](const RequestContext& c, const std::string& id) { return s.subnets.Delete(c, id); },
         [&](const RequestContext& c) {
           return s.subnets
               .Create(c, {.vpc_id = vpc_.meta.id,
                           .ipv4_cidr = absl::StrCat("10.0.", 16 + next_++, ".0/24")})
               .status();
         }},
        {"port", [&]() { return MakePort(alice_, subnet_.meta.id).meta.id; },
         [&](const RequestContext& c, const std::string& id) {
           return s.ports.Get(c, id).status();
         },
         [&](const RequestContext& c) -> absl::StatusOr<std::vector<std::string>> {
           PN_ASSIGN_OR_RETURN(auto page, s.ports.List(c, {}));
           std::vector<std::string> ids;
           for (const auto& item : page.items) ids.push_back(item.meta.id);
           return ids;
         },
         [&](const RequestContext& c, const std::string& id) { return s.ports.Delete(c, id); },
         [&](const RequestContext& c) {
           return s.ports.Create(c, {.subnet_id = subnet_.meta.id}).status();
         }},
        {"security_group",
         [&]() { return s.security_groups.Create(alice_, {.name = "g"})->meta.id; },
         [&](const RequestContext& c, const std::string& id) {
           return s.security_groups.Get(c, id).status();
         },
         [&](const RequestContext& c) -> absl::StatusOr<std::vector<std::string>> {
           PN_ASSIGN_OR_RETURN(auto page, s.security_groups.List(c, {}));
           std::vector<std::string> ids;
           for (const auto& item : page.items) ids.push_back(item.meta.id);
           return ids;
         },
         [&](const RequestContext& c, const std::string& id) {
           return s.security_groups.Delete(c, id);
         },
         [&](const RequestContext& c) {
           return s.security_groups.Create(Scoped(c), {.name = "h"}).status();
         }},
        {"floating_ip",
         [&]() {
           return s.floating_ips.Create(alice_, {.external_network_id = network_.meta.id})->meta.id;
         },
         [&](const RequestContext& c, const std::string& id) {
           return s.floating_ips.Get(c, id).status();
         },
         [&](const RequestContext& c) -> absl::StatusOr<std::vector<std::string>> {
           PN_ASSIGN_OR_RETURN(auto page, s.floating_ips.List(c, {}));
           std::vector<std::string> ids;
           for (const auto& item : page.items) ids.push_back(item.meta.id);
           return ids;
         },
         [&](const RequestContext& c, const std::string& id) {
           return s.floating_ips.Delete(c, id);
         },
         [&](const RequestContext& c) {
           return s.floating_ips.Create(Scoped(c), {.external_network_id = network_.meta.id})
               .status();
         }},
    };
  }

  // Creates by platform-wide principals name alice's project; others create in their own.
  RequestContext Scoped(RequestContext c) {
    if (c.principal.platform_wide()) c.scope = auth::Scope{"acme", "web"};
    return c;
  }

  model::Vpc vpc_;
  model::Subnet subnet_;
  model::ExternalNetwork network_;
  int next_ = 0;  // distinct subnet CIDRs for every subnet the test makes
};

TEST_F(AuthorizationMatrixTest, EveryRoleResourceAndMethod) {
  const RequestContext rob{{"rob", {"globex", "shop"}, {auth::Role::kReader}}, std::nullopt};
  struct Who {
    std::string name;
    RequestContext ctx;
    std::map<std::string, Expect> expect;  // by resource name
  };
  // Creating "next to alice's objects": bob and rob create VPCs, groups and floating IPs in
  // their own project (allowed for bob), but subnets and ports inside alice's VPC/subnet.
  const std::vector<Who> matrix = {
      {"admin",
       admin_,
       {{"vpc", {kOk, kOk, kOk, true}},
        {"subnet", {kOk, kOk, kOk, true}},
        {"port", {kOk, kOk, kOk, true}},
        {"security_group", {kOk, kOk, kOk, true}},
        {"floating_ip", {kOk, kOk, kOk, true}}}},
      {"member own",
       alice_,
       {{"vpc", {kOk, kOk, kOk, true}},
        {"subnet", {kOk, kOk, kOk, true}},
        {"port", {kOk, kOk, kOk, true}},
        {"security_group", {kOk, kOk, kOk, true}},
        {"floating_ip", {kOk, kOk, kOk, true}}}},
      {"reader own",
       rita_,
       {{"vpc", {kOk, kPd, kPd, true}},
        {"subnet", {kOk, kPd, kPd, true}},
        {"port", {kOk, kPd, kPd, true}},
        {"security_group", {kOk, kPd, kPd, true}},
        {"floating_ip", {kOk, kPd, kPd, true}}}},
      {"member other",
       bob_,
       {{"vpc", {kNf, kNf, kOk, false}},
        {"subnet", {kNf, kNf, kNf, false}},
        {"port", {kNf, kNf, kNf, false}},
        {"security_group", {kNf, kNf, kOk, false}},
        {"floating_ip", {kNf, kNf, kOk, false}}}},
      {"reader other",
       rob,
       {{"vpc", {kNf, kNf, kPd, false}},
        {"subnet", {kNf, kNf, kNf, false}},
        {"port", {kNf, kNf, kNf, false}},
        {"security_group", {kNf, kNf, kPd, false}},
        {"floating_ip", {kNf, kNf, kPd, false}}}},
      {"service",
       RequestContext{vm_service_.principal, std::nullopt},
       {{"vpc", {kOk, kPd, kPd, true}},
        {"subnet", {kOk, kPd, kPd, true}},
        {"port", {kOk, kOk, kOk, true}},
        {"security_group", {kOk, kPd, kPd, true}},
        {"floating_ip", {kOk, kPd, kPd, true}}}},
  };
  for (const Resource& r : Resources()) {
    const std::string id = r.make();
    for (const Who& who : matrix) {
      SCOPED_TRACE(who.name + " on " + r.name);
      const Expect& e = who.expect.at(r.name);
      EXPECT_EQ(r.get(who.ctx, id).code(), e.get);
      absl::StatusOr<std::vector<std::string>> listed = r.list(who.ctx);
      ASSERT_TRUE(listed.ok()) << listed.status();
      EXPECT_EQ(std::count(listed->begin(), listed->end(), id) == 1, e.sees_in_list);
      EXPECT_EQ(r.create(who.ctx).code(), e.create);
      // Each delete on a fresh object, so one role's success does not hide the next answer.
      const std::string victim = r.make();
      EXPECT_EQ(r.del(who.ctx, victim).code(), e.del);
    }
  }
}

TEST_F(AuthorizationMatrixTest, ExternalNetworksAreReadableByAllAndWritableByAdminsOnly) {
  const RequestContext rob{{"rob", {"globex", "shop"}, {auth::Role::kReader}}, std::nullopt};
  for (const RequestContext& who : {alice_, rita_, bob_, rob, vm_service_}) {
    SCOPED_TRACE(who.principal.subject);
    EXPECT_TRUE(svc().external_networks.Get(who, network_.meta.id).ok());
    EXPECT_EQ(svc().external_networks.List(who, {})->items.size(), 1u);
    EXPECT_EQ(svc().external_networks.Delete(who, network_.meta.id).code(), kPd);
    EXPECT_EQ(svc()
                  .external_networks
                  .Create(who, {.cidr = "198.51.100.0/24",
                                .gateway_ip = "198.51.100.1",
                                .physical_network = "p"})
                  .status()
                  .code(),
              kPd);
  }
}

}  // namespace
}  // namespace plasmanet::service
