// The plasmanet CLI, as a user runs it, against a running plasmanetd.

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include <absl/strings/ascii.h>
#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_split.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "plasmanetd_process.h"
#include "subprocess.h"
#include "testing/nbctl.h"
#include "testing/ovsdb_server.h"
#include "testing/wait.h"

namespace plasmanet {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr char kAcme[] = "acme-token-0123456789";
constexpr char kGlobex[] = "globex-token-01234567";
constexpr char kAdmin[] = "admin-token-0123456789";

struct Result {
  int exit_code;
  std::string output;  // stdout and stderr together
};

class CliTest : public ::testing::Test {
 protected:
  // Flags a fixture adds to the daemon's command line (called once dir_ exists).
  virtual std::vector<std::string> DaemonFlags() { return {}; }

  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("plasmanet-cli-test-", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    const std::string tokens = (dir_ / "tokens").string();
    std::ofstream(tokens) << kAcme << " acme web member\n"
                          << kGlobex << " globex shop member\n"
                          << kAdmin << " * * admin\n";
    std::vector<std::string> flags = {"--store",     "sqlite:" + (dir_ / "db").string(),
                                      "--tokens",    tokens,
                                      "--listen",    "127.0.0.1:0",
                                      "--audit-log", (dir_ / "audit.log").string()};
    for (std::string& flag : DaemonFlags()) flags.push_back(std::move(flag));
    daemon_ = std::make_unique<testing::PlasmanetdProcess>((dir_ / "plasmanetd.log").string());
    const absl::Status started = daemon_->Start(flags);
    ASSERT_TRUE(started.ok()) << started;
    port_ = daemon_->port();
  }
  void TearDown() override {
    if (daemon_ != nullptr) {
      EXPECT_TRUE(daemon_->Stop().ok());
    }
    std::filesystem::remove_all(dir_);
  }

  Result Cli(const char* token, const std::string& args) {
    const std::string command =
        absl::StrCat("PLASMANET_SERVER=127.0.0.1:", port_, " PLASMANET_TOKEN=", token, " ",
                     PLASMANET_CLI_PATH, " ", args, " 2>&1");
    FILE* pipe = popen(command.c_str(), "r");
    std::string output;
    char buffer[4096];
    size_t n;
    while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, n);
    const int status = pclose(pipe);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, output};
  }
  // Runs a command that must succeed; returns its output.
  std::string Ok(const char* token, const std::string& args) {
    Result r = Cli(token, args);
    EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
    return r.output;
  }

  // A command that must fail (exit status 1) with `message` in its output; returns the output.
  std::string Fails(const char* token, const std::string& args, const std::string& message) {
    Result r = Cli(token, args);
    EXPECT_EQ(r.exit_code, 1) << args << "\n" << r.output;
    EXPECT_THAT(r.output, ::testing::HasSubstr(message)) << args;
    return r.output;
  }

  std::filesystem::path dir_;
  std::unique_ptr<testing::PlasmanetdProcess> daemon_;
  int port_ = 0;
};

TEST_F(CliTest, TwoTenantsBuildTheSameNetworkAndSeeOnlyTheirOwn) {
  for (const char* token : {kAcme, kGlobex}) {
    Ok(token, "vpc create prod --cidr 10.0.0.0/16 --cidr fd00:1::/48");
    Ok(token,
       "subnet create web --vpc prod --cidr 10.0.1.0/24 --cidr fd00:1:0:1::/64 --dns 10.0.0.2");
    Ok(token, "sg create frontend");
    Ok(token, "sg rule add frontend --direction ingress --protocol tcp --port 80-81");
    Ok(token, "port create nic0 --subnet web --sg frontend --device-id vm-1");
  }
  const std::string acme_ports = Ok(kAcme, "port list");
  EXPECT_THAT(acme_ports, HasSubstr("nic0"));
  EXPECT_THAT(acme_ports, HasSubstr("10.0.1.2,fd00:1:0:1::2"));
  const std::string acme_vpcs = Ok(kAcme, "vpc list");
  EXPECT_THAT(acme_vpcs, HasSubstr("web"));        // project column
  EXPECT_THAT(acme_vpcs, Not(HasSubstr("shop")));  // globex's project
  EXPECT_THAT(Ok(kAcme, "sg get frontend"), HasSubstr("80-81"));
  // `rule add` shows the rule it added, with its id, and nothing else; `rule delete` removes it.
  nlohmann::json rule = nlohmann::json::parse(
      Ok(kAcme, "-o json sg rule add frontend --direction ingress --protocol udp --port 53"));
  EXPECT_EQ(rule["protocol"], "udp");
  const std::string rule_id = rule["id"];
  const std::string added =
      Ok(kAcme, "sg rule add frontend --direction ingress --protocol tcp --port 22");
  EXPECT_THAT(added, HasSubstr("22-22"));
  EXPECT_THAT(added, Not(HasSubstr("80-81")));
  EXPECT_THAT(Ok(kAcme, "sg rule delete frontend " + rule_id), Not(HasSubstr(rule_id)));
  // Logging is switched per group.
  EXPECT_EQ(nlohmann::json::parse(Ok(kAcme, "-o json sg update frontend --log on"))["log"], true);
  EXPECT_FALSE(nlohmann::json::parse(Ok(kAcme, "-o json sg update frontend --log off"))
                   .contains("log"));  // proto JSON leaves false out
  EXPECT_EQ(nlohmann::json::parse(Ok(kAcme, "-o json sg create audited --log"))["log"], true);
  EXPECT_NE(Cli(kAcme, "sg update frontend --log maybe").exit_code, 0);

  // Globex's port id is unknown to acme, by id as well as by name.
  nlohmann::json globex_port = nlohmann::json::parse(Ok(kGlobex, "-o json port get nic0"));
  const std::string id = globex_port["metadata"]["id"];
  Result foreign = Cli(kAcme, "port get " + id);
  EXPECT_EQ(foreign.exit_code, 1);
  EXPECT_THAT(foreign.output, HasSubstr("NOT_FOUND"));
  foreign = Cli(kAcme, "port delete " + id);
  EXPECT_EQ(foreign.exit_code, 1);
  EXPECT_THAT(foreign.output, HasSubstr("NOT_FOUND"));
  EXPECT_THAT(Ok(kGlobex, "port list"), HasSubstr(id));
}

TEST_F(CliTest, JsonOutputIsCanonicalProtobufJson) {
  Ok(kAcme, "vpc create prod --cidr 10.0.0.0/16");
  Ok(kAcme, "subnet create web --vpc prod --cidr 10.0.1.0/24");
  nlohmann::json port =
      nlohmann::json::parse(Ok(kAcme, "-o json port create nic0 --subnet web --ip 10.0.1.9"));
  EXPECT_EQ(port["fixed_ips"][0], "10.0.1.9");
  EXPECT_EQ(port["status"], "PORT_STATUS_DOWN");
  nlohmann::json list = nlohmann::json::parse(Ok(kAcme, "-o json vpc list"));
  ASSERT_TRUE(list.is_array());
  EXPECT_EQ(list.size(), 1u);
  EXPECT_EQ(list[0]["cidr_blocks"][0], "10.0.0.0/16");
  EXPECT_TRUE(nlohmann::json::parse(Ok(kGlobex, "-o json vpc list")).empty());
}

TEST_F(CliTest, SubnetsCarryMtuHostRoutesAndDnsAndChangeThem) {
  Ok(kAcme, "vpc create prod --cidr 10.0.0.0/16 --cidr fd00:1::/48");
  nlohmann::json subnet = nlohmann::json::parse(
      Ok(kAcme,
         "-o json subnet create web --vpc prod --cidr 10.0.1.0/24 --cidr fd00:1:0:1::/64 "
         "--mtu 1400 --host-route 192.168.0.0/16,10.0.1.9 --dns 10.0.1.53 "
         "--ipv6-address-mode slaac"));
  EXPECT_EQ(subnet["mtu"], 1400);
  EXPECT_EQ(subnet["host_routes"][0]["destination"], "192.168.0.0/16");
  EXPECT_EQ(subnet["host_routes"][0]["nexthop"], "10.0.1.9");
  EXPECT_EQ(subnet["ipv6_address_mode"], "slaac");
  nlohmann::json port = nlohmann::json::parse(Ok(kAcme, "-o json port create nic0 --subnet web"));
  ASSERT_EQ(port["fixed_ips"].size(), 2u);
  EXPECT_THAT(port["fixed_ips"][1].get<std::string>(), ::testing::StartsWith("fd00:1:0:1:"))
      << "SLAAC: the EUI-64 address of the MAC";

  subnet = nlohmann::json::parse(
      Ok(kAcme, "-o json subnet update web --mtu 1300 --no-host-routes --dns 10.0.1.54"));
  EXPECT_EQ(subnet["mtu"], 1300);
  EXPECT_FALSE(subnet.contains("host_routes"));
  EXPECT_EQ(subnet["dns_servers"], nlohmann::json::array({"10.0.1.54"}));
  Fails(kAcme, "subnet update web --mtu 1500", "INVALID_ARGUMENT: subnet.mtu");
  Fails(kAcme, "subnet update web --host-route 192.168.0.0/16", "DEST,NEXTHOP");
  EXPECT_EQ(nlohmann::json::parse(Ok(kAcme, "-o json subnet get web"))["mtu"], 1300)
      << "a refused update changes nothing";
}

TEST_F(CliTest, PortsChangeGroupsAndFloatingIpsMove) {
  Ok(kAcme, "vpc create prod --cidr 10.0.0.0/16");
  Ok(kAcme, "subnet create web --vpc prod --cidr 10.0.1.0/24");
  Ok(kAcme, "sg create frontend");
  Ok(kAcme, "port create nic0 --subnet web");
  nlohmann::json port = nlohmann::json::parse(Ok(kAcme, "-o json port update nic0 --sg frontend"));
  nlohmann::json group = nlohmann::json::parse(Ok(kAcme, "-o json sg get frontend"));
  EXPECT_EQ(port["security_group_ids"][0], group["metadata"]["id"]);
  port = nlohmann::json::parse(Ok(kAcme, "-o json port update nic0 --no-sg"));
  EXPECT_FALSE(port.contains("security_group_ids"));

  Ok(kAdmin, "extnet create public --cidr 203.0.113.0/24 --gateway 203.0.113.1 --physnet p1");
  nlohmann::json fip = nlohmann::json::parse(Ok(kAcme, "-o json fip create --extnet public"));
  const std::string fip_id = fip["metadata"]["id"];
  Result no_gateway = Cli(kAcme, "fip associate " + fip_id + " --port nic0");
  EXPECT_EQ(no_gateway.exit_code, 1);
  EXPECT_THAT(no_gateway.output, HasSubstr("FAILED_PRECONDITION: floating_ip.port_id"));
  nlohmann::json gw =
      nlohmann::json::parse(Ok(kAcme, "-o json vpc set-gateway prod --external-network public"));
  EXPECT_EQ(gw["gateway"]["external_ip"], "203.0.113.3");  // .2 is the floating IP
  const std::string id = fip["metadata"]["id"];
  fip = nlohmann::json::parse(Ok(kAcme, "-o json fip associate " + id + " --port nic0"));
  EXPECT_EQ(fip["fixed_ip_address"], "10.0.1.2");
  fip = nlohmann::json::parse(Ok(kAcme, "-o json fip disassociate " + id));
  EXPECT_FALSE(fip.contains("port_id"));
  Result taken = Cli(kGlobex, "fip associate " + id + " --port nic0");
  EXPECT_EQ(taken.exit_code, 1);
  EXPECT_THAT(taken.output, HasSubstr("NOT_FOUND"));
}

TEST_F(CliTest, VpcGatewayAndStaticRoutes) {
  Ok(kAdmin, "extnet create public --cidr 203.0.113.0/24 --gateway 203.0.113.1 --physnet p1");
  nlohmann::json vpc = nlohmann::json::parse(
      Ok(kAcme, "-o json vpc create prod --cidr 10.0.0.0/16 --external-network public --no-snat"));
  EXPECT_EQ(vpc["gateway"]["external_ip"], "203.0.113.2");
  EXPECT_EQ(vpc["gateway"]["enable_snat"], false);
  Ok(kAcme, "subnet create web --vpc prod --cidr 10.0.1.0/24");
  Result outside = Cli(kAcme, "vpc route add prod --destination 10.9.0.0/16 --nexthop 10.0.7.5");
  EXPECT_EQ(outside.exit_code, 1);
  EXPECT_THAT(outside.output,
              HasSubstr("FAILED_PRECONDITION: vpc.static_routes[0].nexthop: 10.0.7.5 is in none"));
  Ok(kAcme, "vpc route add prod --destination 10.9.0.0/16 --nexthop 10.0.1.5");
  Result twice = Cli(kAcme, "vpc route add prod --destination 10.9.0.0/16 --nexthop 10.0.1.6");
  EXPECT_EQ(twice.exit_code, 1);
  EXPECT_THAT(twice.output, HasSubstr("ALREADY_EXISTS"));
  const std::string table = Ok(kAcme, "vpc get prod");
  EXPECT_THAT(table, HasSubstr("203.0.113.2 (no snat)"));
  EXPECT_THAT(table, HasSubstr("10.9.0.0/16->10.0.1.5"));
  Result busy = Cli(kAcme, "subnet delete web");
  EXPECT_EQ(busy.exit_code, 1);
  EXPECT_THAT(busy.output, HasSubstr("FAILED_PRECONDITION"));
  vpc = nlohmann::json::parse(Ok(kAcme, "-o json vpc route remove prod --destination 10.9.0.0/16"));
  EXPECT_FALSE(vpc.contains("static_routes"));
  Ok(kAcme, "subnet delete web");
  vpc = nlohmann::json::parse(Ok(kAcme, "-o json vpc clear-gateway prod"));
  EXPECT_FALSE(vpc.contains("gateway"));
  Ok(kAdmin, "extnet delete public");  // nothing holds its addresses any more
}

TEST_F(CliTest, PortsCarryExtraDhcpOptionsAndDropThem) {
  Ok(kAcme, "vpc create prod --cidr 10.0.0.0/16");
  Ok(kAcme, "subnet create web --vpc prod --cidr 10.0.1.0/24");
  nlohmann::json port = nlohmann::json::parse(
      Ok(kAcme,
         "-o json port create pxe --subnet web --dhcp-option bootfile_name=pxelinux.0 "
         "--dhcp-option next_server=10.0.1.20 --dhcp-option ntp_server=10.0.0.1,10.0.0.2"));
  EXPECT_EQ(port["extra_dhcp_options"], nlohmann::json({{"bootfile_name", "pxelinux.0"},
                                                        {"next_server", "10.0.1.20"},
                                                        {"ntp_server", "10.0.0.1,10.0.0.2"}}));

  EXPECT_THAT(Fails(kAcme, "port create other --subnet web --dhcp-option boot_file=pxelinux.0",
                    "INVALID_ARGUMENT: port.extra_dhcp_options[boot_file]"),
              HasSubstr("bootfile_name"));
  Fails(kAcme, "port update pxe --dhcp-option router=10.0.1.9",
        "INVALID_ARGUMENT: port.extra_dhcp_options[router]");
  Fails(kAcme, "port update pxe --dhcp-option bootfile_name", "NAME=VALUE");

  port = nlohmann::json::parse(Ok(kAcme, "-o json port update pxe --dhcp-option wpad=http://p/"));
  EXPECT_EQ(port["extra_dhcp_options"], nlohmann::json({{"wpad", "http://p/"}}))
      << "the options given replace the port's";
  port = nlohmann::json::parse(Ok(kAcme, "-o json port update pxe --no-dhcp-options"));
  EXPECT_FALSE(port.contains("extra_dhcp_options"));
  EXPECT_FALSE(
      nlohmann::json::parse(Ok(kAcme, "-o json port get pxe")).contains("extra_dhcp_options"));
}

// TLS: a daemon with a certificate serves only TLS; the CLI verifies it against a CA file.
class CliTlsTest : public CliTest {
 protected:
  std::vector<std::string> DaemonFlags() override {
    cert_ = (dir_ / "cert.pem").string();
    const std::string key = (dir_ / "key.pem").string();
    EXPECT_EQ(
        std::system(absl::StrCat("openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "
                                 "/CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 "
                                 "-keyout ",
                                 key, " -out ", cert_, " 2>/dev/null")
                        .c_str()),
        0);
    return {"--tls-cert", cert_, "--tls-key", key};
  }
  std::string cert_;
};

TEST_F(CliTlsTest, ServesOverTlsWhenGivenACertificate) {
  EXPECT_EQ(Cli(kAcme, "--tls-ca " + cert_ + " vpc list").exit_code, 0);
  EXPECT_NE(Cli(kAcme, "vpc list").exit_code, 0);  // plaintext to a TLS port fails
}

class CliQuotaTest : public CliTest {
 protected:
  std::vector<std::string> DaemonFlags() override { return {"--quota-vpcs", "1"}; }
};

TEST_F(CliQuotaTest, TheDaemonsQuotaFlagsLimitEachProject) {
  EXPECT_EQ(Cli(kAcme, "vpc create a --cidr 10.0.0.0/16").exit_code, 0);
  Result r = Cli(kAcme, "vpc create b --cidr 10.1.0.0/16");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("RESOURCE_EXHAUSTED: quota exceeded"));

  // A negative quota is refused at start.
  testing::Child bad = testing::Spawn(
      PLASMANETD_PATH, {"--tokens", (dir_ / "tokens").string(), "--quota-ports", "-1"},
      STDERR_FILENO);
  int status = 0;
  waitpid(bad.pid, &status, 0);
  fclose(bad.output);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0);
}

// The daemon with --ovn-nb: what tenants create through the CLI appears in a real OVN
// Northbound database, and OVN's view of a port comes back as its status.
class CliOvnTest : public CliTest {
 protected:
  std::vector<std::string> DaemonFlags() override {
    EXPECT_TRUE(nb_.Start().ok());
    return {"--ovn-nb", nb_.unix_remote()};
  }
  std::string Nbctl(std::vector<std::string> args) {
    absl::StatusOr<std::string> out = testing::RunNbctl(nb_.unix_remote(), std::move(args));
    return out.ok() ? *out : "";
  }
  testing::OvsdbServer nb_;
};

TEST_F(CliOvnTest, TenantNetworksAppearInOvnAndPortsBecomeActive) {
  Ok(kAcme, "vpc create prod --cidr 10.0.0.0/16");
  Ok(kAcme, "subnet create web --vpc prod --cidr 10.0.1.0/24");
  nlohmann::json port = nlohmann::json::parse(Ok(kAcme, "-o json port create nic0 --subnet web"));
  Ok(kGlobex, "vpc create prod --cidr 10.0.0.0/16");
  const std::string id = port["metadata"]["id"];
  ASSERT_TRUE(
      testing::WaitFor([&] { return absl::StrContains(Nbctl({"show"}), id); }, absl::Seconds(10)))
      << Nbctl({"show"});
  EXPECT_EQ(absl::StripAsciiWhitespace(Nbctl({"lsp-get-addresses", id})),
            absl::StrCat(port["mac_address"].get<std::string>(), " 10.0.1.2"));
  // Two VPCs, two routers, whatever their CIDRs.
  const std::vector<std::string> routers =
      absl::StrSplit(absl::StripAsciiWhitespace(Nbctl({"lr-list"})), '\n');
  EXPECT_EQ(routers.size(), 2u);

  // ovn-northd reports the binding through Logical_Switch_Port.up; the tenant sees ACTIVE.
  Nbctl({"set", "Logical_Switch_Port", id, "up=true"});
  EXPECT_TRUE(testing::WaitFor(
      [&] { return absl::StrContains(Ok(kAcme, "-o json port get nic0"), "PORT_STATUS_ACTIVE"); },
      absl::Seconds(10)));

  Ok(kAcme, "port delete nic0");
  EXPECT_TRUE(
      testing::WaitFor([&] { return !absl::StrContains(Nbctl({"show"}), id); }, absl::Seconds(10)));
}

TEST(PlasmanetdTest, RefusesABadNorthboundRemote) {
  for (std::vector<std::string> flags :
       {std::vector<std::string>{"--ovn-nb", "http://nb:6641"},
        std::vector<std::string>{"--ovn-nb", "ssl:127.0.0.1:6641"}}) {
    // Checked before anything is opened: the store path does not even exist.
    flags.insert(flags.end(), {"--listen", "127.0.0.1:0", "--store", "sqlite:/nonexistent/db"});
    testing::Child bad = testing::Spawn(PLASMANETD_PATH, flags, STDERR_FILENO);
    std::string output;
    char line[1024];
    while (std::fgets(line, sizeof(line), bad.output) != nullptr) output += line;
    int status = 0;
    waitpid(bad.pid, &status, 0);
    fclose(bad.output);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 2) << output;
    EXPECT_THAT(output, HasSubstr("--ovn-nb")) << flags[1];
  }
}

TEST_F(CliTest, ErrorsExitNonZeroWithTheServersMessage) {
  Result r = Cli(kAcme, "vpc create bad --cidr 10.0.0.1/16");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("INVALID_ARGUMENT: vpc.cidr_blocks[0]"));
  r = Cli("wrong-token", "vpc list");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("UNAUTHENTICATED"));
  r = Cli(kAcme, "subnet create s --vpc nowhere --cidr 10.0.1.0/24");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("NOT_FOUND: no vpc named 'nowhere'"));
  Ok(kAcme, "vpc create twin --cidr 10.0.0.0/16");
  Ok(kAcme, "vpc create twin --cidr 10.1.0.0/16");
  r = Cli(kAcme, "vpc get twin");
  EXPECT_EQ(r.exit_code, 1);
  EXPECT_THAT(r.output, HasSubstr("2 vpcs are named 'twin'; use the id"));
  r = Cli(kAcme, "vpc frobnicate");
  EXPECT_NE(r.exit_code, 0);
}

}  // namespace
}  // namespace plasmanet
