// A fixture for service tests: a real SQLite store in a fresh temporary directory, the full set
// of services over it, and principals for two tenants, an admin and the VM service.
#pragma once

#include <atomic>
#include <filesystem>
#include <memory>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include "service/services.h"
#include "store/sqlite/sqlite_store.h"
#include "testing/status_matchers.h"

namespace plasmanet::service {

class ServiceTest : public ::testing::Test {
 protected:
  ServiceTest() {
    static std::atomic<int> counter{0};
    dir_ = std::filesystem::temp_directory_path() /
           absl::StrCat("plasmanet-service-test-", getpid(), "-", counter++);
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    Reopen();
  }
  ~ServiceTest() override {
    services_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Closes and reopens the store, with fresh services: what a daemon restart does.
  void Reopen() {
    services_.reset();
    store_.reset();
    auto store = store::sqlite::SqliteStore::Open((dir_ / "store.db").string());
    ASSERT_TRUE(store.ok()) << store.status();
    store_ = std::move(*store);
    services_ = std::make_unique<Services>(*store_, clock_, std::nullopt, quotas_);
  }

  Services& svc() { return *services_; }
  int64_t Revision() { return *store_->CurrentRevision(); }

  // Runs `call`, which must fail, and checks that the store did not change.
  template <typename F>
  absl::Status FailsWithoutChange(F call) {
    const int64_t before = Revision();
    absl::Status status = testing::GetStatus(call());
    EXPECT_FALSE(status.ok());
    EXPECT_EQ(Revision(), before) << "a refused request changed the store: " << status;
    return status;
  }

  model::Vpc MakeVpc(const RequestContext& ctx, std::vector<std::string> cidrs = {"10.0.0.0/16"}) {
    absl::StatusOr<model::Vpc> vpc = svc().vpcs.Create(ctx, {.name = "vpc", .cidr_blocks = cidrs});
    EXPECT_TRUE(vpc.ok()) << vpc.status();
    return vpc.ok() ? *vpc : model::Vpc{};
  }
  model::Subnet MakeSubnet(const RequestContext& ctx, const std::string& vpc_id,
                           const std::string& v4, const std::string& v6 = "") {
    absl::StatusOr<model::Subnet> subnet =
        svc().subnets.Create(ctx, {.vpc_id = vpc_id, .ipv4_cidr = v4, .ipv6_cidr = v6});
    EXPECT_TRUE(subnet.ok()) << subnet.status();
    return subnet.ok() ? *subnet : model::Subnet{};
  }
  // Attaches the VPC to `network_id` through a gateway (SNAT on).
  model::Vpc AttachGateway(const RequestContext& ctx, const std::string& vpc_id,
                           const std::string& network_id) {
    absl::StatusOr<model::Vpc> vpc = svc().vpcs.Update(
        ctx, vpc_id, "", {.gateway = model::VpcGatewaySpec{.external_network_id = network_id}});
    EXPECT_TRUE(vpc.ok()) << vpc.status();
    return vpc.ok() ? *vpc : model::Vpc{};
  }
  model::Port MakePort(const RequestContext& ctx, const std::string& subnet_id) {
    absl::StatusOr<model::Port> port = svc().ports.Create(ctx, {.subnet_id = subnet_id});
    EXPECT_TRUE(port.ok()) << port.status();
    return port.ok() ? *port : model::Port{};
  }

  const RequestContext alice_{{"alice", {"acme", "web"}, {auth::Role::kMember}}, std::nullopt};
  const RequestContext rita_{{"rita", {"acme", "web"}, {auth::Role::kReader}}, std::nullopt};
  const RequestContext bob_{{"bob", {"globex", "shop"}, {auth::Role::kMember}}, std::nullopt};
  const RequestContext admin_{{"root", {"*", "*"}, {auth::Role::kAdmin}}, std::nullopt};
  const RequestContext vm_service_{{"plasmavmc", {"*", "*"}, {auth::Role::kService}},
                                   auth::Scope{"acme", "web"}};

  FakeClock clock_;
  Quotas quotas_;  // what Reopen() gives the services
  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Services> services_;
};

}  // namespace plasmanet::service
