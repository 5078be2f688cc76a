// plasmanet.v1 over a real gRPC channel to an in-process server on a real SQLite store.

#include <filesystem>
#include <fstream>

#include <absl/strings/str_cat.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <unistd.h>

#include "api/api_server.h"
#include "api/grpc_call.h"
#include "model/json_codec.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "store/sqlite/sqlite_store.h"

namespace plasmanet::api {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

constexpr char kTokens[] = R"(
alice-token-0123456789  acme    web   member
rita-token-01234567890  acme    web   reader
bob-token-012345678901  globex  shop  member
admin-token-0123456789  *       *     admin
vmc-token-012345678901  *       *     service
)";
constexpr char kAlice[] = "alice-token-0123456789";
constexpr char kRita[] = "rita-token-01234567890";
constexpr char kBob[] = "bob-token-012345678901";
constexpr char kAdmin[] = "admin-token-0123456789";
constexpr char kVmc[] = "vmc-token-012345678901";
constexpr char kJwtSecret[] = "jwt-secret-0123456789-0123456789-0123";

// An HS256 JWT as an identity provider would mint it.
std::string Jwt(const nlohmann::json& claims) {
  const std::string signed_part = auth::Base64UrlEncode(R"({"alg":"HS256","typ":"JWT"})") + "." +
                                  auth::Base64UrlEncode(claims.dump());
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  HMAC(EVP_sha256(), kJwtSecret, static_cast<int>(std::strlen(kJwtSecret)),
       reinterpret_cast<const unsigned char*>(signed_part.data()), signed_part.size(), mac,
       &length);
  return signed_part + "." +
         auth::Base64UrlEncode(std::string(reinterpret_cast<char*>(mac), length));
}

// What a call returned: code, message and the field trailer.
struct Outcome {
  grpc::StatusCode code;
  std::string message;
  std::string field;
};

class ApiTest : public ::testing::Test {
 protected:
  ApiTest() {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("plasmanet-api-test-", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    store_ = std::move(*store::sqlite::SqliteStore::Open((dir_ / "store.db").string()));
    services_ = std::make_unique<service::Services>(*store_, RealClock::Get());
    tokens_ = std::make_unique<auth::Authenticator>(
        *auth::TokenFile::Parse(kTokens),
        std::move(*auth::JwtVerifier::Create(kJwtSecret, "", RealClock::Get())));
    audit_ = std::move(*AuditLog::Open((dir_ / "audit.log").string(), RealClock::Get()));
    server_ = std::move(*ApiServer::Start(*services_, *tokens_, *audit_,
                                          {.listen = "127.0.0.1:0", .replica_status = [] {
                                             v1::ReplicaStatus status;
                                             status.set_replica("test-replica");
                                             status.set_role(v1::ReplicaStatus::LEADER);
                                             return status;
                                           }}));
    channel_ = grpc::CreateChannel(absl::StrCat("127.0.0.1:", server_->port()),
                                   grpc::InsecureChannelCredentials());
    vpcs_ = v1::VpcService::NewStub(channel_);
    subnets_ = v1::SubnetService::NewStub(channel_);
    ports_ = v1::PortService::NewStub(channel_);
    groups_ = v1::SecurityGroupService::NewStub(channel_);
    networks_ = v1::ExternalNetworkService::NewStub(channel_);
    fips_ = v1::FloatingIpService::NewStub(channel_);
    status_ = v1::StatusService::NewStub(channel_);
  }
  ~ApiTest() override {
    server_->Shutdown(absl::Seconds(1));
    services_.reset();
    store_.reset();
    std::filesystem::remove_all(dir_);
  }

  // Calls stub->method(request) with `token`, returning the outcome; the response goes to *out.
  template <typename Stub, typename Method, typename Request, typename Response>
  Outcome Call(Stub& stub, Method method, const char* token, const Request& request,
               Response* out) {
    grpc::ClientContext context;
    if (token != nullptr) context.AddMetadata("authorization", absl::StrCat("Bearer ", token));
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
    grpc::Status status = ((*stub).*method)(&context, request, out);
    Outcome outcome{status.error_code(), status.error_message(), ""};
    auto it = context.GetServerTrailingMetadata().find(kFieldTrailer);
    if (it != context.GetServerTrailingMetadata().end()) {
      outcome.field = std::string(it->second.data(), it->second.size());
    }
    return outcome;
  }

  v1::Vpc CreateVpc(const char* token, const std::string& cidr) {
    v1::CreateVpcRequest request;
    request.mutable_vpc()->mutable_metadata()->set_name("vpc");
    request.mutable_vpc()->add_cidr_blocks(cidr);
    v1::Vpc vpc;
    Outcome o = Call(vpcs_, &v1::VpcService::Stub::CreateVpc, token, request, &vpc);
    EXPECT_EQ(o.code, grpc::StatusCode::OK) << o.message;
    return vpc;
  }
  v1::Subnet CreateSubnet(const char* token, const std::string& vpc_id, const std::string& cidr) {
    v1::CreateSubnetRequest request;
    request.mutable_subnet()->set_vpc_id(vpc_id);
    request.mutable_subnet()->set_ipv4_cidr(cidr);
    v1::Subnet subnet;
    Outcome o = Call(subnets_, &v1::SubnetService::Stub::CreateSubnet, token, request, &subnet);
    EXPECT_EQ(o.code, grpc::StatusCode::OK) << o.message;
    return subnet;
  }
  Outcome CreatePort(const char* token, const std::string& subnet_id, v1::Port* port,
                     const std::string& ip = "") {
    v1::CreatePortRequest request;
    request.mutable_port()->set_subnet_id(subnet_id);
    if (!ip.empty()) request.mutable_port()->add_fixed_ips(ip);
    return Call(ports_, &v1::PortService::Stub::CreatePort, token, request, port);
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<service::Services> services_;
  std::unique_ptr<auth::Authenticator> tokens_;
  std::unique_ptr<AuditLog> audit_;
  std::unique_ptr<ApiServer> server_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<v1::VpcService::Stub> vpcs_;
  std::unique_ptr<v1::SubnetService::Stub> subnets_;
  std::unique_ptr<v1::PortService::Stub> ports_;
  std::unique_ptr<v1::SecurityGroupService::Stub> groups_;
  std::unique_ptr<v1::ExternalNetworkService::Stub> networks_;
  std::unique_ptr<v1::FloatingIpService::Stub> fips_;
  std::unique_ptr<v1::StatusService::Stub> status_;
};

TEST_F(ApiTest, ReplicaStatusIsForAdminAndServicePrincipalsOnly) {
  for (const char* token : {kAdmin, kVmc}) {
    v1::ReplicaStatus status;
    Outcome o =
        Call(status_, &v1::StatusService::Stub::GetStatus, token, v1::GetStatusRequest(), &status);
    EXPECT_EQ(o.code, grpc::StatusCode::OK) << o.message;
    EXPECT_EQ(status.replica(), "test-replica");
    EXPECT_EQ(status.role(), v1::ReplicaStatus::LEADER);
  }
  for (const char* token : {kAlice, kRita}) {
    v1::ReplicaStatus status;
    Outcome o =
        Call(status_, &v1::StatusService::Stub::GetStatus, token, v1::GetStatusRequest(), &status);
    EXPECT_EQ(o.code, grpc::StatusCode::PERMISSION_DENIED);
    EXPECT_THAT(o.message, HasSubstr("admin and service"));
    EXPECT_EQ(status.replica(), "");
  }
  v1::ReplicaStatus status;
  EXPECT_EQ(
      Call(status_, &v1::StatusService::Stub::GetStatus, nullptr, v1::GetStatusRequest(), &status)
          .code,
      grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ApiTest, CallsWithoutAValidBearerTokenAreUnauthenticated) {
  v1::ListVpcsResponse out;
  EXPECT_EQ(Call(vpcs_, &v1::VpcService::Stub::ListVpcs, nullptr, v1::ListVpcsRequest(), &out).code,
            grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_EQ(
      Call(vpcs_, &v1::VpcService::Stub::ListVpcs, "not-a-token", v1::ListVpcsRequest(), &out).code,
      grpc::StatusCode::UNAUTHENTICATED);
  grpc::ClientContext basic;
  basic.AddMetadata("authorization", absl::StrCat("Basic ", kAlice));
  EXPECT_EQ(vpcs_->ListVpcs(&basic, v1::ListVpcsRequest(), &out).error_code(),
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ApiTest, TenantBuildsANetworkAndAnotherTenantSeesNothingOfIt) {
  v1::Vpc vpc = CreateVpc(kAlice, "10.0.0.0/16");
  EXPECT_EQ(vpc.metadata().project_id(), "web");
  EXPECT_FALSE(vpc.metadata().etag().empty());
  v1::Subnet subnet = CreateSubnet(kAlice, vpc.metadata().id(), "10.0.1.0/24");
  EXPECT_EQ(subnet.gateway_ipv4(), "10.0.1.1");
  EXPECT_TRUE(subnet.dhcp_enabled());
  v1::Port port;
  ASSERT_EQ(CreatePort(kAlice, subnet.metadata().id(), &port).code, grpc::StatusCode::OK);
  EXPECT_THAT(port.fixed_ips(), ::testing::ElementsAre("10.0.1.2"));
  EXPECT_EQ(port.status(), v1::PORT_STATUS_DOWN);
  ASSERT_THAT(port.security_group_ids(), SizeIs(1));

  // Bob: every read is NOT_FOUND, every listing empty, every change refused as NOT_FOUND.
  v1::Vpc v;
  v1::Subnet s;
  v1::Port p;
  v1::SecurityGroup g;
  v1::DeleteResponse d;
  v1::GetVpcRequest get_vpc;
  get_vpc.set_id(vpc.metadata().id());
  EXPECT_EQ(Call(vpcs_, &v1::VpcService::Stub::GetVpc, kBob, get_vpc, &v).code,
            grpc::StatusCode::NOT_FOUND);
  v1::GetSubnetRequest get_subnet;
  get_subnet.set_id(subnet.metadata().id());
  EXPECT_EQ(Call(subnets_, &v1::SubnetService::Stub::GetSubnet, kBob, get_subnet, &s).code,
            grpc::StatusCode::NOT_FOUND);
  v1::GetPortRequest get_port;
  get_port.set_id(port.metadata().id());
  EXPECT_EQ(Call(ports_, &v1::PortService::Stub::GetPort, kBob, get_port, &p).code,
            grpc::StatusCode::NOT_FOUND);
  v1::GetSecurityGroupRequest get_group;
  get_group.set_id(port.security_group_ids(0));
  EXPECT_EQ(
      Call(groups_, &v1::SecurityGroupService::Stub::GetSecurityGroup, kBob, get_group, &g).code,
      grpc::StatusCode::NOT_FOUND);
  v1::DeletePortRequest delete_port;
  delete_port.set_id(port.metadata().id());
  EXPECT_EQ(Call(ports_, &v1::PortService::Stub::DeletePort, kBob, delete_port, &d).code,
            grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(CreatePort(kBob, subnet.metadata().id(), &p).code, grpc::StatusCode::NOT_FOUND);
  v1::ListPortsResponse bobs;
  EXPECT_EQ(
      Call(ports_, &v1::PortService::Stub::ListPorts, kBob, v1::ListPortsRequest(), &bobs).code,
      grpc::StatusCode::OK);
  EXPECT_THAT(bobs.ports(), SizeIs(0));
  v1::ListPortsResponse alices;
  Call(ports_, &v1::PortService::Stub::ListPorts, kAlice, v1::ListPortsRequest(), &alices);
  EXPECT_THAT(alices.ports(), SizeIs(1));

  // Same CIDR for Bob: fine.
  v1::Vpc bob_vpc = CreateVpc(kBob, "10.0.0.0/16");
  EXPECT_EQ(bob_vpc.metadata().project_id(), "shop");
}

TEST_F(ApiTest, ErrorsCarryTheRightCodeAndField) {
  v1::CreateVpcRequest bad;
  bad.mutable_vpc()->add_cidr_blocks("10.0.0.1/16");
  v1::Vpc vpc;
  Outcome o = Call(vpcs_, &v1::VpcService::Stub::CreateVpc, kAlice, bad, &vpc);
  EXPECT_EQ(o.code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(o.field, "vpc.cidr_blocks[0]");
  EXPECT_THAT(o.message, HasSubstr("the network is 10.0.0.0/16"));

  EXPECT_EQ(Call(vpcs_, &v1::VpcService::Stub::CreateVpc, kRita, v1::CreateVpcRequest(), &vpc).code,
            grpc::StatusCode::PERMISSION_DENIED);

  vpc = CreateVpc(kAlice, "10.0.0.0/16");
  v1::Subnet tiny = CreateSubnet(kAlice, vpc.metadata().id(), "10.0.0.0/29");
  v1::DeleteResponse d;
  v1::DeleteVpcRequest delete_vpc;
  delete_vpc.set_id(vpc.metadata().id());
  o = Call(vpcs_, &v1::VpcService::Stub::DeleteVpc, kAlice, delete_vpc, &d);
  EXPECT_EQ(o.code, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(o.message, HasSubstr("still has subnets"));

  v1::Port port;
  ASSERT_EQ(CreatePort(kAlice, tiny.metadata().id(), &port, "10.0.0.5").code, grpc::StatusCode::OK);
  o = CreatePort(kAlice, tiny.metadata().id(), &port, "10.0.0.5");
  EXPECT_EQ(o.code, grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_EQ(o.field, "port.fixed_ips[0]");
  for (int i = 0; i < 4; ++i)
    ASSERT_EQ(CreatePort(kAlice, tiny.metadata().id(), &port).code, grpc::StatusCode::OK);
  EXPECT_EQ(CreatePort(kAlice, tiny.metadata().id(), &port).code,
            grpc::StatusCode::RESOURCE_EXHAUSTED);

  v1::CreateSubnetRequest overlapping;
  overlapping.mutable_subnet()->set_vpc_id(vpc.metadata().id());
  overlapping.mutable_subnet()->set_ipv4_cidr("10.0.0.0/24");
  v1::Subnet s;
  o = Call(subnets_, &v1::SubnetService::Stub::CreateSubnet, kAlice, overlapping, &s);
  EXPECT_EQ(o.code, grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(o.field, "subnet.ipv4_cidr");
}

TEST_F(ApiTest, OversizedRequestsAreRefusedBeforeAnyHandler) {
  v1::CreateVpcRequest huge;
  huge.mutable_vpc()->mutable_metadata()->set_name(std::string(2 << 20, 'x'));
  v1::Vpc vpc;
  EXPECT_EQ(Call(vpcs_, &v1::VpcService::Stub::CreateVpc, kAlice, huge, &vpc).code,
            grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_EQ(*store_->CurrentRevision(), 0);
}

TEST_F(ApiTest, InvalidUtf8InNamesIsRefused) {
  // proto3 strings must be UTF-8: the server's parser refuses the request.
  v1::CreateVpcRequest request;
  request.mutable_vpc()->mutable_metadata()->set_name("bad \xff name");
  request.mutable_vpc()->add_cidr_blocks("10.0.0.0/16");
  v1::Vpc vpc;
  EXPECT_NE(Call(vpcs_, &v1::VpcService::Stub::CreateVpc, kAlice, request, &vpc).code,
            grpc::StatusCode::OK);
  EXPECT_EQ(*store_->CurrentRevision(), 0);
}

TEST_F(ApiTest, SecurityGroupsRulesAndExplicitMembership) {
  v1::CreateSecurityGroupRequest create;
  create.mutable_security_group()->mutable_metadata()->set_name("web");
  v1::SecurityGroup group;
  ASSERT_EQ(
      Call(groups_, &v1::SecurityGroupService::Stub::CreateSecurityGroup, kAlice, create, &group)
          .code,
      grpc::StatusCode::OK);
  EXPECT_THAT(group.rules(), SizeIs(2));
  v1::AddSecurityGroupRuleRequest add;
  add.set_security_group_id(group.metadata().id());
  add.mutable_rule()->set_direction("ingress");
  add.mutable_rule()->set_ethertype("IPv4");
  add.mutable_rule()->set_protocol("tcp");
  add.mutable_rule()->set_port_range_min(443);
  add.mutable_rule()->set_port_range_max(443);
  ASSERT_EQ(
      Call(groups_, &v1::SecurityGroupService::Stub::AddSecurityGroupRule, kAlice, add, &group)
          .code,
      grpc::StatusCode::OK);
  ASSERT_THAT(group.rules(), SizeIs(3));
  EXPECT_EQ(group.rules(2).port_range_min(), 443);
  add.mutable_rule()->set_port_range_max(70000);
  Outcome o =
      Call(groups_, &v1::SecurityGroupService::Stub::AddSecurityGroupRule, kAlice, add, &group);
  EXPECT_EQ(o.code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(o.field, "rule.port_range_max");

  // Several rules in one call: all or none.
  v1::AddSecurityGroupRuleRequest many;
  many.set_security_group_id(group.metadata().id());
  for (int port : {5432, 6379}) {
    v1::SecurityGroupRule* rule = many.add_rules();
    rule->set_direction("ingress");
    rule->set_ethertype("IPv4");
    rule->set_protocol("tcp");
    rule->set_port_range_min(port);
    rule->set_port_range_max(port);
  }
  ASSERT_EQ(
      Call(groups_, &v1::SecurityGroupService::Stub::AddSecurityGroupRule, kAlice, many, &group)
          .code,
      grpc::StatusCode::OK);
  EXPECT_THAT(group.rules(), SizeIs(5));
  many.mutable_rules(0)->set_port_range_min(7000);
  many.mutable_rules(0)->set_port_range_max(7000);  // new; rules[1] (6379) is a duplicate now
  o = Call(groups_, &v1::SecurityGroupService::Stub::AddSecurityGroupRule, kAlice, many, &group);
  EXPECT_EQ(o.code, grpc::StatusCode::ALREADY_EXISTS);
  EXPECT_THAT(o.message, HasSubstr("rules[1]"));
  v1::GetSecurityGroupRequest get;
  get.set_id(group.metadata().id());
  ASSERT_EQ(
      Call(groups_, &v1::SecurityGroupService::Stub::GetSecurityGroup, kAlice, get, &group).code,
      grpc::StatusCode::OK);
  EXPECT_THAT(group.rules(), SizeIs(5)) << "the new rule of the refused call was not added";

  v1::Vpc vpc = CreateVpc(kAlice, "10.0.0.0/16");
  v1::Subnet subnet = CreateSubnet(kAlice, vpc.metadata().id(), "10.0.1.0/24");
  v1::CreatePortRequest with_group;
  with_group.mutable_port()->set_subnet_id(subnet.metadata().id());
  with_group.mutable_security_groups()->add_ids(group.metadata().id());
  v1::Port port;
  ASSERT_EQ(Call(ports_, &v1::PortService::Stub::CreatePort, kAlice, with_group, &port).code,
            grpc::StatusCode::OK);
  EXPECT_THAT(port.security_group_ids(), ::testing::ElementsAre(group.metadata().id()));
  v1::CreatePortRequest no_groups;
  no_groups.mutable_port()->set_subnet_id(subnet.metadata().id());
  no_groups.mutable_security_groups();  // present and empty: no groups at all
  ASSERT_EQ(Call(ports_, &v1::PortService::Stub::CreatePort, kAlice, no_groups, &port).code,
            grpc::StatusCode::OK);
  EXPECT_THAT(port.security_group_ids(), SizeIs(0));
}

TEST_F(ApiTest, AdminRunsExternalNetworksTenantsTakeFloatingIps) {
  v1::CreateExternalNetworkRequest create;
  v1::ExternalNetwork* n = create.mutable_external_network();
  n->set_cidr("203.0.113.0/24");
  n->set_gateway_ip("203.0.113.1");
  n->set_physical_network("physnet1");
  v1::ExternalNetwork network;
  EXPECT_EQ(Call(networks_, &v1::ExternalNetworkService::Stub::CreateExternalNetwork, kAlice,
                 create, &network)
                .code,
            grpc::StatusCode::PERMISSION_DENIED);
  ASSERT_EQ(Call(networks_, &v1::ExternalNetworkService::Stub::CreateExternalNetwork, kAdmin,
                 create, &network)
                .code,
            grpc::StatusCode::OK);
  v1::CreateFloatingIpRequest fip_request;
  fip_request.mutable_floating_ip()->set_external_network_id(network.metadata().id());
  v1::FloatingIp fip;
  ASSERT_EQ(
      Call(fips_, &v1::FloatingIpService::Stub::CreateFloatingIp, kAlice, fip_request, &fip).code,
      grpc::StatusCode::OK);
  EXPECT_EQ(fip.floating_ip_address(), "203.0.113.2");
  EXPECT_EQ(fip.metadata().project_id(), "web");
}

TEST_F(ApiTest, VmServiceCreatesPortsInTheProjectItNames) {
  v1::Vpc vpc = CreateVpc(kAlice, "10.0.0.0/16");
  v1::Subnet subnet = CreateSubnet(kAlice, vpc.metadata().id(), "10.0.1.0/24");
  v1::Port port;
  ASSERT_EQ(CreatePort(kVmc, subnet.metadata().id(), &port).code, grpc::StatusCode::OK);
  EXPECT_EQ(port.metadata().project_id(), "web");
  v1::Vpc refused;
  EXPECT_EQ(
      Call(vpcs_, &v1::VpcService::Stub::CreateVpc, kVmc, v1::CreateVpcRequest(), &refused).code,
      grpc::StatusCode::INVALID_ARGUMENT);  // platform principal: names no scope
  v1::CreateVpcRequest scoped;
  scoped.mutable_scope()->set_org_id("acme");
  scoped.mutable_scope()->set_project_id("web");
  scoped.mutable_vpc()->add_cidr_blocks("10.1.0.0/16");
  EXPECT_EQ(Call(vpcs_, &v1::VpcService::Stub::CreateVpc, kVmc, scoped, &refused).code,
            grpc::StatusCode::PERMISSION_DENIED);
}

TEST_F(ApiTest, WatchPortsStreamsSnapshotThenChangesInScopeAndResumes) {
  v1::Vpc vpc = CreateVpc(kAlice, "10.0.0.0/16");
  v1::Subnet subnet = CreateSubnet(kAlice, vpc.metadata().id(), "10.0.1.0/24");
  v1::Port first;
  ASSERT_EQ(CreatePort(kAlice, subnet.metadata().id(), &first).code, grpc::StatusCode::OK);

  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kAlice));
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto stream = ports_->WatchPorts(&context, v1::WatchPortsRequest());
  v1::PortEvent event;
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.type(), v1::PortEvent::EXISTING);
  EXPECT_EQ(event.port().metadata().id(), first.metadata().id());
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.type(), v1::PortEvent::SYNCED);

  // Another tenant's port is not seen; this tenant's new port is.
  v1::Vpc bob_vpc = CreateVpc(kBob, "10.0.0.0/16");
  v1::Subnet bob_subnet = CreateSubnet(kBob, bob_vpc.metadata().id(), "10.0.1.0/24");
  v1::Port bobs;
  ASSERT_EQ(CreatePort(kBob, bob_subnet.metadata().id(), &bobs).code, grpc::StatusCode::OK);
  v1::Port second;
  ASSERT_EQ(CreatePort(kAlice, subnet.metadata().id(), &second).code, grpc::StatusCode::OK);
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.type(), v1::PortEvent::CREATED);
  EXPECT_EQ(event.port().metadata().id(), second.metadata().id());
  const int64_t created_at = event.revision();

  // What the reconciler (#4) will do when OVN binds the port: the status becomes ACTIVE.
  absl::StatusOr<std::optional<store::KeyValue>> kv =
      store_->Get("/v1/ports/" + second.metadata().id());
  ASSERT_TRUE(kv.ok() && kv->has_value());
  absl::StatusOr<model::Port> stored = model::Decode<model::Port>((*kv)->value);
  stored->status = model::PortStatus::kActive;
  stored->binding_chassis = "hv1";
  ASSERT_TRUE(store_->Commit({{}, {store::Op::Put((*kv)->key, model::Encode(*stored))}}).ok());
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.type(), v1::PortEvent::UPDATED);
  EXPECT_EQ(event.port().status(), v1::PORT_STATUS_ACTIVE);
  EXPECT_EQ(event.port().binding_chassis(), "hv1");

  v1::DeletePortRequest del;
  del.set_id(second.metadata().id());
  v1::DeleteResponse d;
  ASSERT_EQ(Call(ports_, &v1::PortService::Stub::DeletePort, kAlice, del, &d).code,
            grpc::StatusCode::OK);
  ASSERT_TRUE(stream->Read(&event));
  EXPECT_EQ(event.type(), v1::PortEvent::DELETED);
  EXPECT_EQ(event.port().metadata().id(), second.metadata().id());
  context.TryCancel();

  // Resuming after the CREATED event replays exactly what followed it.
  grpc::ClientContext resumed;
  resumed.AddMetadata("authorization", absl::StrCat("Bearer ", kAlice));
  resumed.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  v1::WatchPortsRequest from;
  from.set_start_revision(created_at);
  auto again = ports_->WatchPorts(&resumed, from);
  ASSERT_TRUE(again->Read(&event));
  EXPECT_EQ(event.type(), v1::PortEvent::UPDATED);
  ASSERT_TRUE(again->Read(&event));
  EXPECT_EQ(event.type(), v1::PortEvent::DELETED);
  resumed.TryCancel();
}

TEST_F(ApiTest, WatchRefusesANegativeRevision) {
  grpc::ClientContext context;
  context.AddMetadata("authorization", absl::StrCat("Bearer ", kAlice));
  v1::WatchPortsRequest request;
  request.set_start_revision(-1);
  auto stream = ports_->WatchPorts(&context, request);
  v1::PortEvent event;
  EXPECT_FALSE(stream->Read(&event));
  grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("start_revision"));
}

TEST_F(ApiTest, WatchFromCompactedHistoryIsOutOfRangeAndShutdownEndsStreams) {
  CreateVpc(kAlice, "10.0.0.0/16");
  CreateVpc(kAlice, "10.1.0.0/16");
  ASSERT_TRUE(store_->Compact(2).ok());
  grpc::ClientContext old;
  old.AddMetadata("authorization", absl::StrCat("Bearer ", kAlice));
  v1::WatchPortsRequest stale;
  stale.set_start_revision(1);  // the change at revision 2 is no longer kept
  auto stream = ports_->WatchPorts(&old, stale);
  v1::PortEvent event;
  EXPECT_FALSE(stream->Read(&event));
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::OUT_OF_RANGE);

  grpc::ClientContext live;
  live.AddMetadata("authorization", absl::StrCat("Bearer ", kAlice));
  auto watching = ports_->WatchPorts(&live, v1::WatchPortsRequest());
  ASSERT_TRUE(watching->Read(&event));
  EXPECT_EQ(event.type(), v1::PortEvent::SYNCED);
  const absl::Time before = absl::Now();
  server_->Shutdown(absl::Seconds(30));
  EXPECT_LT(absl::Now() - before, absl::Seconds(5)) << "a watch stream held shutdown";
  EXPECT_FALSE(watching->Read(&event));
  EXPECT_EQ(watching->Finish().error_code(), grpc::StatusCode::UNAVAILABLE);
}

TEST_F(ApiTest, RequestIdReplaysAndValidateOnlyChangesNothing) {
  v1::CreateVpcRequest request;
  request.mutable_vpc()->add_cidr_blocks("10.0.0.0/16");
  request.set_request_id("9b2c61f0-retry-safe");
  v1::Vpc first, second;
  ASSERT_EQ(Call(vpcs_, &v1::VpcService::Stub::CreateVpc, kAlice, request, &first).code,
            grpc::StatusCode::OK);
  ASSERT_EQ(Call(vpcs_, &v1::VpcService::Stub::CreateVpc, kAlice, request, &second).code,
            grpc::StatusCode::OK);
  EXPECT_EQ(first.metadata().id(), second.metadata().id());
  EXPECT_EQ(first.metadata().etag(), second.metadata().etag());

  const int64_t before = *store_->CurrentRevision();
  v1::CreateVpcRequest dry;
  dry.mutable_vpc()->add_cidr_blocks("10.1.0.0/16");
  dry.set_validate_only(true);
  v1::Vpc would_be;
  ASSERT_EQ(Call(vpcs_, &v1::VpcService::Stub::CreateVpc, kAlice, dry, &would_be).code,
            grpc::StatusCode::OK);
  EXPECT_EQ(would_be.cidr_blocks(0), "10.1.0.0/16");
  dry.mutable_vpc()->set_cidr_blocks(0, "10.1.0.1/16");
  Outcome o = Call(vpcs_, &v1::VpcService::Stub::CreateVpc, kAlice, dry, &would_be);
  EXPECT_EQ(o.code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(o.field, "vpc.cidr_blocks[0]");
  v1::DeleteVpcRequest delete_dry;
  delete_dry.set_id(first.metadata().id());
  delete_dry.set_validate_only(true);
  v1::DeleteResponse d;
  ASSERT_EQ(Call(vpcs_, &v1::VpcService::Stub::DeleteVpc, kAlice, delete_dry, &d).code,
            grpc::StatusCode::OK);
  EXPECT_EQ(*store_->CurrentRevision(), before);
  v1::ListVpcsResponse list;
  Call(vpcs_, &v1::VpcService::Stub::ListVpcs, kAlice, v1::ListVpcsRequest(), &list);
  EXPECT_THAT(list.vpcs(), SizeIs(1));
}

TEST_F(ApiTest, EveryMutationLeavesOneAuditLineReadsNone) {
  v1::Vpc vpc = CreateVpc(kAlice, "10.0.0.0/16");
  v1::Vpc refused;
  Call(vpcs_, &v1::VpcService::Stub::CreateVpc, kRita, v1::CreateVpcRequest(), &refused);
  Call(vpcs_, &v1::VpcService::Stub::CreateVpc, "forged-token", v1::CreateVpcRequest(), &refused);
  v1::ListVpcsResponse list;
  Call(vpcs_, &v1::VpcService::Stub::ListVpcs, kAlice, v1::ListVpcsRequest(), &list);
  v1::DeleteVpcRequest del;
  del.set_id(vpc.metadata().id());
  del.set_request_id("audit-del-1");
  v1::DeleteResponse d;
  Call(vpcs_, &v1::VpcService::Stub::DeleteVpc, kAlice, del, &d);

  std::ifstream in(dir_ / "audit.log");
  std::vector<nlohmann::json> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 4u);
  EXPECT_EQ(lines[0]["method"], "CreateVpc");
  EXPECT_EQ(lines[0]["object"], vpc.metadata().id());
  EXPECT_EQ(lines[0]["project"], "web");
  EXPECT_EQ(lines[0]["roles"][0], "member");
  EXPECT_EQ(lines[0]["code"], "OK");
  EXPECT_EQ(lines[1]["code"], "PERMISSION_DENIED");
  EXPECT_EQ(lines[1]["principal"], "acme/web/rita...");
  EXPECT_EQ(lines[2]["code"], "UNAUTHENTICATED");
  EXPECT_EQ(lines[2]["principal"], "");
  EXPECT_EQ(lines[3]["method"], "DeleteVpc");
  EXPECT_EQ(lines[3]["request_id"], "audit-del-1");
  EXPECT_EQ(lines[3]["object"], vpc.metadata().id());
}

TEST_F(ApiTest, UpdateTakesAFieldMaskAndRefusesStaleEtags) {
  v1::Vpc vpc = CreateVpc(kAlice, "10.0.0.0/16");
  v1::UpdateVpcRequest update;
  *update.mutable_vpc()->mutable_metadata() = vpc.metadata();
  update.mutable_vpc()->mutable_metadata()->set_name("renamed");
  update.mutable_vpc()->add_cidr_blocks("10.9.0.0/16");  // not in the mask: ignored
  update.mutable_update_mask()->add_paths("name");
  v1::Vpc renamed;
  ASSERT_EQ(Call(vpcs_, &v1::VpcService::Stub::UpdateVpc, kAlice, update, &renamed).code,
            grpc::StatusCode::OK);
  EXPECT_EQ(renamed.metadata().name(), "renamed");
  EXPECT_EQ(renamed.cidr_blocks(0), "10.0.0.0/16");
  EXPECT_NE(renamed.metadata().etag(), vpc.metadata().etag());

  // The same request again carries the old etag now: ABORTED.
  v1::Vpc out;
  Outcome o = Call(vpcs_, &v1::VpcService::Stub::UpdateVpc, kAlice, update, &out);
  EXPECT_EQ(o.code, grpc::StatusCode::ABORTED);
  EXPECT_THAT(o.message, HasSubstr("stale"));
  update.mutable_update_mask()->set_paths(0, "cidr_blocks");
  o = Call(vpcs_, &v1::VpcService::Stub::UpdateVpc, kAlice, update, &out);
  EXPECT_EQ(o.code, grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(o.field, "update_mask");
  update.clear_update_mask();
  EXPECT_EQ(Call(vpcs_, &v1::VpcService::Stub::UpdateVpc, kAlice, update, &out).field,
            "update_mask");
  update.mutable_update_mask()->add_paths("name");
  EXPECT_EQ(Call(vpcs_, &v1::VpcService::Stub::UpdateVpc, kBob, update, &out).code,
            grpc::StatusCode::NOT_FOUND);
}

TEST_F(ApiTest, SignedJwtsAuthenticateWithTheirClaims) {
  const int64_t now = absl::ToUnixSeconds(absl::Now());
  const std::string carol = Jwt({{"sub", "carol"},
                                 {"org", "initech"},
                                 {"project", "tps"},
                                 {"roles", {"member"}},
                                 {"exp", now + 300}});
  v1::Vpc vpc = CreateVpc(carol.c_str(), "10.0.0.0/16");
  EXPECT_EQ(vpc.metadata().org_id(), "initech");
  EXPECT_EQ(vpc.metadata().project_id(), "tps");
  v1::GetVpcRequest get;
  get.set_id(vpc.metadata().id());
  v1::Vpc out;
  EXPECT_EQ(Call(vpcs_, &v1::VpcService::Stub::GetVpc, kAlice, get, &out).code,
            grpc::StatusCode::NOT_FOUND);
  const std::string expired =
      Jwt({{"org", "initech"}, {"project", "tps"}, {"roles", "member"}, {"exp", now - 5}});
  Outcome o = Call(vpcs_, &v1::VpcService::Stub::GetVpc, expired.c_str(), get, &out);
  EXPECT_EQ(o.code, grpc::StatusCode::UNAUTHENTICATED);
  EXPECT_THAT(o.message, HasSubstr("expired"));
  std::string forged = carol;
  // A character inside the signature (the last one may carry only padding bits).
  char& c = forged[forged.size() - 5];
  c = c == 'A' ? 'B' : 'A';
  EXPECT_EQ(Call(vpcs_, &v1::VpcService::Stub::GetVpc, forged.c_str(), get, &out).code,
            grpc::StatusCode::UNAUTHENTICATED);
}

TEST_F(ApiTest, ListsPaginate) {
  for (int i = 0; i < 5; ++i) CreateVpc(kAlice, "10.0.0.0/16");
  v1::ListVpcsRequest request;
  request.set_page_size(2);
  std::set<std::string> seen;
  int pages = 0;
  while (true) {
    v1::ListVpcsResponse page;
    ASSERT_EQ(Call(vpcs_, &v1::VpcService::Stub::ListVpcs, kAlice, request, &page).code,
              grpc::StatusCode::OK);
    ++pages;
    for (const v1::Vpc& v : page.vpcs()) seen.insert(v.metadata().id());
    if (page.next_page_token().empty()) break;
    request.set_page_token(page.next_page_token());
  }
  EXPECT_EQ(seen.size(), 5u);
  EXPECT_EQ(pages, 3);
}

}  // namespace
}  // namespace plasmanet::api
