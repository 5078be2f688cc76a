// plasmanet: the command-line client of the plasmanet.v1 API.
//
//   export PLASMANET_SERVER=127.0.0.1:7070 PLASMANET_TOKEN=...
//   plasmanet vpc create prod --cidr 10.0.0.0/16
//   plasmanet subnet create web --vpc prod --cidr 10.0.1.0/24
//   plasmanet port create nic0 --subnet web -o json
//   plasmanet plug nic0 --ifname tap0     # on the hypervisor: tap0 into br-int, OVN binds it
//   plasmanet port wait nic0 --status ACTIVE
//
// Objects are named by id or by a name unique in the caller's scope. Exit status 0 on success;
// otherwise 1 with the server's code and message on stderr.

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <iostream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/str_split.h>
#include <grpcpp/grpcpp.h>
#include <spdlog/spdlog.h>

#include "cli/output.h"
#include "common/uuid.h"
#include "plasmanet/v1/api.grpc.pb.h"
#include "plug/vif_plugger.h"

namespace plasmanet::cli {
namespace {

// A failed call or a bad argument: printed as "plasmanet: CODE: message".
struct Failure {
  std::string message;
};

struct Globals {
  std::string server;
  std::string token;
  std::string output = "table";
  std::string org;
  std::string project;
  std::string tls_ca;  // PEM roots to verify the server; empty: plaintext
};

class Client {
 public:
  explicit Client(const Globals& g) : globals_(g) {
    channel_ = grpc::CreateChannel(g.server, Credentials(g));
    vpcs = v1::VpcService::NewStub(channel_);
    subnets = v1::SubnetService::NewStub(channel_);
    ports = v1::PortService::NewStub(channel_);
    groups = v1::SecurityGroupService::NewStub(channel_);
    networks = v1::ExternalNetworkService::NewStub(channel_);
    fips = v1::FloatingIpService::NewStub(channel_);
    replica_status = v1::StatusService::NewStub(channel_);
  }

  void Authorize(grpc::ClientContext* context) const {
    context->AddMetadata("authorization", "Bearer " + globals_.token);
  }

  // Runs one RPC with the token and a deadline; throws Failure on a non-OK status.
  template <typename Stub, typename Method, typename Request, typename Response>
  void Call(Stub& stub, Method method, const Request& request, Response* response) {
    grpc::ClientContext context;
    Authorize(&context);
    context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
    grpc::Status status = ((*stub).*method)(&context, request, response);
    if (!status.ok()) {
      throw Failure{absl::StrCat(CodeName(status.error_code()), ": ", status.error_message())};
    }
  }

  static std::shared_ptr<grpc::ChannelCredentials> Credentials(const Globals& g) {
    if (g.tls_ca.empty()) return grpc::InsecureChannelCredentials();
    std::ifstream in(g.tls_ca);
    if (!in) throw Failure{"INVALID_ARGUMENT: cannot read --tls-ca " + g.tls_ca};
    std::stringstream pem;
    pem << in.rdbuf();
    grpc::SslCredentialsOptions ssl;
    ssl.pem_root_certs = pem.str();
    return grpc::SslCredentials(ssl);
  }

  bool json() const { return globals_.output == "json"; }
  bool has_scope() const { return !globals_.org.empty() || !globals_.project.empty(); }
  void FillScope(v1::Scope* scope) const {
    scope->set_org_id(globals_.org);
    scope->set_project_id(globals_.project);
  }

  std::unique_ptr<v1::VpcService::Stub> vpcs;
  std::unique_ptr<v1::SubnetService::Stub> subnets;
  std::unique_ptr<v1::PortService::Stub> ports;
  std::unique_ptr<v1::SecurityGroupService::Stub> groups;
  std::unique_ptr<v1::ExternalNetworkService::Stub> networks;
  std::unique_ptr<v1::FloatingIpService::Stub> fips;
  std::unique_ptr<v1::StatusService::Stub> replica_status;

  static std::string CodeName(grpc::StatusCode code) {
    static const char* kNames[] = {"OK",
                                   "CANCELLED",
                                   "UNKNOWN",
                                   "INVALID_ARGUMENT",
                                   "DEADLINE_EXCEEDED",
                                   "NOT_FOUND",
                                   "ALREADY_EXISTS",
                                   "PERMISSION_DENIED",
                                   "RESOURCE_EXHAUSTED",
                                   "FAILED_PRECONDITION",
                                   "ABORTED",
                                   "OUT_OF_RANGE",
                                   "UNIMPLEMENTED",
                                   "INTERNAL",
                                   "UNAVAILABLE",
                                   "DATA_LOSS",
                                   "UNAUTHENTICATED"};
    const int i = static_cast<int>(code);
    return i >= 0 && i < 17 ? kNames[i] : absl::StrCat("CODE_", i);
  }

 private:
  const Globals& globals_;
  std::shared_ptr<grpc::Channel> channel_;
};

// Resolves an id or a unique name to an id, listing with `list(name)`.
std::string Resolve(const std::string& kind, const std::string& id_or_name,
                    const std::function<std::vector<std::string>(const std::string&)>& list) {
  if (IsUuid(id_or_name)) return id_or_name;
  std::vector<std::string> ids = list(id_or_name);
  if (ids.empty()) throw Failure{absl::StrCat("NOT_FOUND: no ", kind, " named '", id_or_name, "'")};
  if (ids.size() > 1) {
    throw Failure{absl::StrCat("FAILED_PRECONDITION: ", ids.size(), " ", kind, "s are named '",
                               id_or_name, "'; use the id")};
  }
  return ids[0];
}

// Resolves `ref` among the objects one List call returns, filtered by name on the server.
template <typename Stub, typename Request, typename Response, typename Items>
std::string ResolveByName(Client& c, const std::string& kind, const std::string& ref,
                          std::unique_ptr<Stub>& stub,
                          grpc::Status (Stub::*list)(grpc::ClientContext*, const Request&,
                                                     Response*),
                          Items (Response::*items)() const) {
  return Resolve(kind, ref, [&](const std::string& name) {
    Request r;
    r.set_name(name);
    Response out;
    c.Call(stub, list, r, &out);
    std::vector<std::string> ids;
    for (const auto& item : (out.*items)()) ids.push_back(item.metadata().id());
    return ids;
  });
}

std::string ResolveVpc(Client& c, const std::string& ref) {
  return ResolveByName(c, "vpc", ref, c.vpcs, &v1::VpcService::Stub::ListVpcs,
                       &v1::ListVpcsResponse::vpcs);
}
std::string ResolveSubnet(Client& c, const std::string& ref) {
  return ResolveByName(c, "subnet", ref, c.subnets, &v1::SubnetService::Stub::ListSubnets,
                       &v1::ListSubnetsResponse::subnets);
}
std::string ResolvePort(Client& c, const std::string& ref) {
  return ResolveByName(c, "port", ref, c.ports, &v1::PortService::Stub::ListPorts,
                       &v1::ListPortsResponse::ports);
}
std::string ResolveGroup(Client& c, const std::string& ref) {
  return ResolveByName(c, "security group", ref, c.groups,
                       &v1::SecurityGroupService::Stub::ListSecurityGroups,
                       &v1::ListSecurityGroupsResponse::security_groups);
}
std::string ResolveNetwork(Client& c, const std::string& ref) {
  return ResolveByName(c, "external network", ref, c.networks,
                       &v1::ExternalNetworkService::Stub::ListExternalNetworks,
                       &v1::ListExternalNetworksResponse::external_networks);
}

// "CODE: message", as the API's errors are printed.
std::string StatusText(const absl::Status& status) {
  return absl::StrCat(absl::StatusCodeToString(status.code()), ": ", status.message());
}

std::unique_ptr<plug::VifPlugger> ConnectOvs(const std::string& ovs_db, const std::string& bridge) {
  absl::StatusOr<std::unique_ptr<plug::VifPlugger>> plugger =
      plug::VifPlugger::Connect({.ovs_db = ovs_db, .bridge = bridge});
  if (!plugger.ok()) throw Failure{StatusText(plugger.status())};
  return std::move(*plugger);
}

// Follows WatchPorts until `port` has `status` (a PortStatus name); returns it then. Fails on
// deletion, on the deadline, or if the stream ends.
v1::Port WaitForPortStatus(Client& c, const v1::Port& port, const std::string& status,
                           double timeout_seconds) {
  v1::PortStatus wanted;
  if (!v1::PortStatus_Parse(status, &wanted)) throw Failure{"INVALID_ARGUMENT: --status"};
  if (port.status() == wanted) return port;
  grpc::ClientContext context;
  c.Authorize(&context);
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::milliseconds(static_cast<int64_t>(timeout_seconds * 1000)));
  v1::WatchPortsRequest request;
  request.set_start_revision(0);  // the snapshot first: the status may have changed already
  request.set_device_id(port.device_id());
  request.set_subnet_id(port.subnet_id());
  std::unique_ptr<grpc::ClientReader<v1::PortEvent>> stream =
      c.ports->WatchPorts(&context, request);
  v1::PortEvent event;
  while (stream->Read(&event)) {
    if (event.port().metadata().id() != port.metadata().id()) continue;
    if (event.type() == v1::PortEvent::DELETED) {
      context.TryCancel();
      throw Failure{absl::StrCat("NOT_FOUND: port ", port.metadata().id(), " was deleted")};
    }
    if (event.port().status() == wanted) {
      context.TryCancel();
      return event.port();
    }
  }
  grpc::Status end = stream->Finish();
  if (end.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
    throw Failure{absl::StrCat("DEADLINE_EXCEEDED: port ", port.metadata().id(), " is not ",
                               status.substr(strlen("PORT_STATUS_")), " after ", timeout_seconds,
                               " s")};
  }
  throw Failure{absl::StrCat(Client::CodeName(end.error_code()), ": ", end.error_message())};
}

// Table rows of each resource.
std::vector<std::string> Row(const v1::Vpc& v) {
  std::string gateway;
  if (v.has_gateway()) {
    gateway = absl::StrCat(v.gateway().external_ip(),
                           v.gateway().enable_snat() ? " (snat)" : " (no snat)");
  }
  std::vector<std::string> routes;
  for (const v1::StaticRoute& r : v.static_routes()) {
    routes.push_back(absl::StrCat(r.destination(), "->", r.nexthop()));
  }
  return {v.metadata().id(),
          v.metadata().name(),
          v.metadata().project_id(),
          absl::StrJoin(v.cidr_blocks(), ","),
          gateway,
          absl::StrJoin(routes, ",")};
}
std::vector<std::string> Row(const v1::Subnet& s) {
  return {s.metadata().id(), s.metadata().name(), s.vpc_id(),
          absl::StrJoin({s.ipv4_cidr(), s.ipv6_cidr()}, " "), s.gateway_ipv4()};
}
std::vector<std::string> Row(const v1::Port& p) {
  static const char* kStatus[] = {"?", "DOWN", "BUILD", "ACTIVE", "ERROR"};
  return {p.metadata().id(),
          p.metadata().name(),
          p.mac_address(),
          absl::StrJoin(p.fixed_ips(), ","),
          kStatus[p.status() >= 0 && p.status() <= 4 ? p.status() : 0],
          p.device_id()};
}
std::vector<std::string> Row(const v1::SecurityGroup& g) {
  return {g.metadata().id(), g.metadata().name(), absl::StrCat(g.rules_size()),
          g.is_default() ? "yes" : "", g.log() ? "on" : ""};
}
std::vector<std::string> Row(const v1::ExternalNetwork& n) {
  return {n.metadata().id(), n.metadata().name(), n.cidr(), n.gateway_ip(), n.physical_network()};
}
std::vector<std::string> Row(const v1::FloatingIp& f) {
  return {f.metadata().id(), f.floating_ip_address(), f.port_id(), f.fixed_ip_address(),
          f.vpc_id()};
}
std::vector<std::string> Header(const v1::Vpc&) {
  return {"ID", "NAME", "PROJECT", "CIDRS", "GATEWAY", "ROUTES"};
}
std::vector<std::string> Header(const v1::Subnet&) {
  return {"ID", "NAME", "VPC", "CIDRS", "GATEWAY"};
}
std::vector<std::string> Header(const v1::Port&) {
  return {"ID", "NAME", "MAC", "IPS", "STATUS", "DEVICE"};
}
std::vector<std::string> Header(const v1::SecurityGroup&) {
  return {"ID", "NAME", "RULES", "DEFAULT", "LOG"};
}
std::vector<std::string> Header(const v1::ExternalNetwork&) {
  return {"ID", "NAME", "CIDR", "GATEWAY", "PHYSNET"};
}
std::vector<std::string> Header(const v1::FloatingIp&) {
  return {"ID", "ADDRESS", "PORT", "FIXED IP", "VPC"};
}

template <typename T>
void PrintList(const Client& c, const google::protobuf::RepeatedPtrField<T>& items) {
  if (c.json()) {
    std::vector<const google::protobuf::Message*> messages;
    for (const T& item : items) messages.push_back(&item);
    std::cout << ToJsonArray(messages);
    return;
  }
  Table table(Header(T()));
  for (const T& item : items) table.Add(Row(item));
  table.Print(std::cout);
}

template <typename T>
void PrintOne(const Client& c, const T& item) {
  if (c.json()) {
    std::cout << ToJson(item);
    return;
  }
  Table table(Header(item));
  table.Add(Row(item));
  table.Print(std::cout);
}

// The group and its rules; with `only` non-empty, just the rules whose ids it holds (the ones
// a command added).
void SecurityGroupRules(const Client& c, const v1::SecurityGroup& g,
                        const std::set<std::string>& only = {}) {
  if (!only.empty()) {
    for (const v1::SecurityGroupRule& r : g.rules()) {
      if (only.count(r.id()) > 0 && c.json()) std::cout << ToJson(r);
    }
    if (c.json()) return;
  } else {
    PrintOne(c, g);
    if (c.json()) return;
    std::cout << "\n";
  }
  Table rules({"RULE", "DIRECTION", "ETHERTYPE", "PROTOCOL", "PORTS", "REMOTE"});
  for (const v1::SecurityGroupRule& r : g.rules()) {
    if (!only.empty() && only.count(r.id()) == 0) continue;
    std::string ports;
    if (r.has_port_range_min()) ports = absl::StrCat(r.port_range_min(), "-", r.port_range_max());
    rules.Add(
        {r.id(), r.direction(), r.ethertype(), r.protocol(), ports,
         r.remote_group_id().empty() ? r.remote_ip_prefix() : "group " + r.remote_group_id()});
  }
  rules.Print(std::cout);
}

// Adds the list/get/delete verbs every resource has.
template <typename Get, typename List, typename Delete>
void CommonVerbs(CLI::App* noun, Get get, List list, Delete del) {
  auto* list_cmd = noun->add_subcommand("list", "List them");
  list_cmd->callback(list);
  // The argument lives as long as the callbacks that read it.
  auto ref = std::make_shared<std::string>();
  auto* get_cmd = noun->add_subcommand("get", "Show one, by id or name");
  get_cmd->add_option("REF", *ref, "id or name")->required();
  get_cmd->callback([get, ref] { get(*ref); });
  auto* del_cmd = noun->add_subcommand("delete", "Delete one, by id or name");
  del_cmd->add_option("REF", *ref, "id or name")->required();
  del_cmd->callback([del, ref] { del(*ref); });
}

int Main(int argc, char** argv) {
  // The OVSDB client logs its session at INFO, which is right for a daemon and noise for a
  // command: only warnings (a connect retry) reach the user.
  spdlog::set_level(spdlog::level::warn);
  Globals g;
  if (const char* s = std::getenv("PLASMANET_SERVER")) g.server = s;
  if (const char* t = std::getenv("PLASMANET_TOKEN")) g.token = t;
  if (const char* ca = std::getenv("PLASMANET_TLS_CA")) g.tls_ca = ca;
  if (g.server.empty()) g.server = "127.0.0.1:7070";

  CLI::App app{"plasmanet: manage PlasmaNET networks"};
  app.require_subcommand(1);
  app.add_option("--server", g.server, "API address (env PLASMANET_SERVER)");
  app.add_option("--token", g.token, "Bearer token (env PLASMANET_TOKEN)");
  app.add_option("--tls-ca", g.tls_ca,
                 "Verify a TLS server with these PEM roots (env PLASMANET_TLS_CA)");
  app.add_option("-o,--output", g.output, "table or json")->check(CLI::IsMember({"table", "json"}));
  app.add_option("--org", g.org, "Org to create in (admin and service tokens)");
  app.add_option("--project", g.project, "Project to create in (admin and service tokens)");
  Client* client = nullptr;  // built after parsing, when flags are known
  std::unique_ptr<Client> owned;
  const auto c = [&]() -> Client& {
    if (client == nullptr) {
      if (g.token.empty())
        throw Failure{"UNAUTHENTICATED: no token; set --token or PLASMANET_TOKEN"};
      owned = std::make_unique<Client>(g);
      client = owned.get();
    }
    return *client;
  };

  // vpc
  auto* vpc = app.add_subcommand("vpc", "VPCs")->require_subcommand(1);
  std::string name;
  std::vector<std::string> cidrs;
  auto* vpc_create = vpc->add_subcommand("create", "Create a VPC");
  vpc_create->add_option("NAME", name)->required();
  vpc_create->add_option("--cidr", cidrs, "CIDR block (repeat for IPv4 and IPv6)")->required();
  std::string gateway_network;
  bool no_snat = false;
  vpc_create->add_option("--external-network", gateway_network,
                         "Attach a gateway on this external network (id or name)");
  vpc_create->add_flag("--no-snat", no_snat, "With --external-network: no SNAT");
  // Fills `vpc`'s gateway from --external-network and --no-snat.
  const auto set_gateway = [&](v1::Vpc* target) {
    target->mutable_gateway()->set_external_network_id(ResolveNetwork(c(), gateway_network));
    target->mutable_gateway()->set_enable_snat(!no_snat);
  };
  vpc_create->callback([&] {
    v1::CreateVpcRequest r;
    r.mutable_vpc()->mutable_metadata()->set_name(name);
    for (const auto& cidr : cidrs) r.mutable_vpc()->add_cidr_blocks(cidr);
    if (!gateway_network.empty()) set_gateway(r.mutable_vpc());
    if (c().has_scope()) c().FillScope(r.mutable_scope());
    v1::Vpc out;
    c().Call(c().vpcs, &v1::VpcService::Stub::CreateVpc, r, &out);
    PrintOne(c(), out);
  });
  CommonVerbs(
      vpc,
      [&](const std::string& ref) {
        v1::GetVpcRequest r;
        r.set_id(ResolveVpc(c(), ref));
        v1::Vpc out;
        c().Call(c().vpcs, &v1::VpcService::Stub::GetVpc, r, &out);
        PrintOne(c(), out);
      },
      [&] {
        v1::ListVpcsResponse out;
        c().Call(c().vpcs, &v1::VpcService::Stub::ListVpcs, v1::ListVpcsRequest(), &out);
        PrintList(c(), out.vpcs());
      },
      [&](const std::string& ref) {
        v1::DeleteVpcRequest r;
        r.set_id(ResolveVpc(c(), ref));
        v1::DeleteResponse out;
        c().Call(c().vpcs, &v1::VpcService::Stub::DeleteVpc, r, &out);
      });
  std::string vpc_target;
  // Sends an UpdateVpc of `paths` for `vpc` and prints the result.
  const auto update_vpc = [&](v1::Vpc change, std::vector<std::string> paths) {
    v1::UpdateVpcRequest r;
    *r.mutable_vpc() = std::move(change);
    for (auto& path : paths) r.mutable_update_mask()->add_paths(std::move(path));
    v1::Vpc out;
    c().Call(c().vpcs, &v1::VpcService::Stub::UpdateVpc, r, &out);
    PrintOne(c(), out);
  };
  auto* set_gw = vpc->add_subcommand("set-gateway", "Attach (or move) the VPC's gateway");
  set_gw->add_option("VPC", vpc_target, "VPC id or name")->required();
  set_gw->add_option("--external-network", gateway_network, "External network id or name")
      ->required();
  set_gw->add_flag("--no-snat", no_snat, "Route out without SNAT");
  set_gw->callback([&] {
    v1::Vpc v;
    v.mutable_metadata()->set_id(ResolveVpc(c(), vpc_target));
    set_gateway(&v);
    update_vpc(std::move(v), {"gateway"});
  });
  auto* clear_gw = vpc->add_subcommand("clear-gateway", "Detach the VPC from its external network");
  clear_gw->add_option("VPC", vpc_target, "VPC id or name")->required();
  clear_gw->callback([&] {
    v1::Vpc v;
    v.mutable_metadata()->set_id(ResolveVpc(c(), vpc_target));
    update_vpc(std::move(v), {"gateway"});
  });
  // Static routes: read the VPC, change its list, write it back guarded by the etag, so two
  // concurrent edits cannot lose one another.
  auto* vpc_route = vpc->add_subcommand("route", "The VPC's static routes")->require_subcommand(1);
  std::string route_destination, route_nexthop;
  const auto edit_routes = [&](bool add) {
    v1::GetVpcRequest get;
    get.set_id(ResolveVpc(c(), vpc_target));
    v1::Vpc v;
    c().Call(c().vpcs, &v1::VpcService::Stub::GetVpc, get, &v);
    auto* routes = v.mutable_static_routes();
    const auto same = [&](const v1::StaticRoute& r) {
      return r.destination() == route_destination;
    };
    const auto found = std::find_if(routes->begin(), routes->end(), same);
    if (add) {
      if (found != routes->end()) {
        throw Failure{absl::StrCat("ALREADY_EXISTS: vpc ", vpc_target, " already routes ",
                                   route_destination, " via ", found->nexthop())};
      }
      v1::StaticRoute* r = routes->Add();
      r->set_destination(route_destination);
      r->set_nexthop(route_nexthop);
    } else {
      if (found == routes->end()) {
        throw Failure{
            absl::StrCat("NOT_FOUND: vpc ", vpc_target, " has no route to ", route_destination)};
      }
      routes->erase(found);
    }
    v1::Vpc change;
    change.mutable_metadata()->set_id(v.metadata().id());
    change.mutable_metadata()->set_etag(v.metadata().etag());
    *change.mutable_static_routes() = v.static_routes();
    update_vpc(std::move(change), {"static_routes"});
  };
  auto* route_add = vpc_route->add_subcommand("add", "Route a prefix to a next hop in the VPC");
  route_add->add_option("VPC", vpc_target, "VPC id or name")->required();
  route_add->add_option("--destination", route_destination, "Destination CIDR")->required();
  route_add->add_option("--nexthop", route_nexthop, "Next hop: an address in a subnet")->required();
  route_add->callback([&] { edit_routes(true); });
  auto* route_remove = vpc_route->add_subcommand("remove", "Remove the route to a prefix");
  route_remove->add_option("VPC", vpc_target, "VPC id or name")->required();
  route_remove->add_option("--destination", route_destination, "Destination CIDR")->required();
  route_remove->callback([&] { edit_routes(false); });

  // subnet
  auto* subnet = app.add_subcommand("subnet", "Subnets")->require_subcommand(1);
  std::string vpc_ref, gateway;
  std::vector<std::string> pools, dns, host_routes;
  bool no_dhcp = false;
  std::optional<int> subnet_mtu;
  std::string ipv6_mode;
  // "DEST,NEXTHOP" -> a HostRoute of `s`.
  const auto add_host_routes = [](v1::Subnet* s, const std::vector<std::string>& routes) {
    for (const auto& text : routes) {
      std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits(',', 1));
      if (parts.size() != 2) throw Failure{"INVALID_ARGUMENT: --host-route must be DEST,NEXTHOP"};
      v1::HostRoute* route = s->add_host_routes();
      route->set_destination(parts[0]);
      route->set_nexthop(parts[1]);
    }
  };
  auto* subnet_create = subnet->add_subcommand("create", "Create a subnet");
  subnet_create->add_option("NAME", name)->required();
  subnet_create->add_option("--vpc", vpc_ref, "VPC id or name")->required();
  subnet_create->add_option("--cidr", cidrs, "IPv4 and/or IPv6 CIDR")->required();
  subnet_create->add_option("--gateway", gateway, "Gateway address (default: first)");
  subnet_create->add_option("--pool", pools, "Allocation pool START-END (repeatable)");
  subnet_create->add_flag("--no-dhcp", no_dhcp, "Disable DHCP");
  subnet_create->add_option("--dns", dns, "DNS server (repeatable)");
  subnet_create->add_option("--mtu", subnet_mtu, "MTU (default: the most the underlay allows)");
  subnet_create->add_option("--host-route", host_routes,
                            "Route handed out by DHCP, DEST,NEXTHOP (repeatable)");
  subnet_create->add_option("--ipv6-address-mode", ipv6_mode,
                            "dhcpv6-stateful (default), dhcpv6-stateless or slaac");
  subnet_create->callback([&] {
    v1::CreateSubnetRequest r;
    v1::Subnet* s = r.mutable_subnet();
    s->mutable_metadata()->set_name(name);
    s->set_vpc_id(ResolveVpc(c(), vpc_ref));
    for (const auto& cidr : cidrs) {
      (cidr.find(':') == std::string::npos ? s->mutable_ipv4_cidr() : s->mutable_ipv6_cidr())
          ->assign(cidr);
    }
    if (!gateway.empty()) {
      (gateway.find(':') == std::string::npos ? s->mutable_gateway_ipv4()
                                              : s->mutable_gateway_ipv6())
          ->assign(gateway);
    }
    for (const auto& pool : pools) {
      std::vector<std::string> ends = absl::StrSplit(pool, absl::MaxSplits('-', 1));
      if (ends.size() != 2) throw Failure{"INVALID_ARGUMENT: --pool must be START-END"};
      v1::AddressRange* range = s->add_allocation_pools();
      range->set_start(ends[0]);
      range->set_end(ends[1]);
    }
    if (no_dhcp) s->set_dhcp_enabled(false);
    for (const auto& d : dns) s->add_dns_servers(d);
    if (subnet_mtu) s->set_mtu(*subnet_mtu);
    add_host_routes(s, host_routes);
    s->set_ipv6_address_mode(ipv6_mode);
    v1::Subnet out;
    c().Call(c().subnets, &v1::SubnetService::Stub::CreateSubnet, r, &out);
    PrintOne(c(), out);
  });
  std::string updated_subnet, dhcp_switch;
  bool no_dns = false, no_host_routes = false;
  auto* subnet_update =
      subnet->add_subcommand("update", "Change a subnet's DHCP, DNS servers, MTU or host routes");
  subnet_update->add_option("SUBNET", updated_subnet, "Subnet id or name")->required();
  subnet_update->add_option("--dhcp", dhcp_switch, "on or off")
      ->check(CLI::IsMember({"on", "off"}));
  subnet_update->add_option("--dns", dns, "DNS server (repeatable): replaces the list");
  subnet_update->add_flag("--no-dns", no_dns, "Clear the DNS servers");
  subnet_update->add_option("--mtu", subnet_mtu, "MTU");
  subnet_update->add_option("--host-route", host_routes, "DEST,NEXTHOP (repeatable): replaces");
  subnet_update->add_flag("--no-host-routes", no_host_routes, "Clear the host routes");
  subnet_update->callback([&] {
    v1::UpdateSubnetRequest r;
    v1::Subnet* s = r.mutable_subnet();
    s->mutable_metadata()->set_id(ResolveSubnet(c(), updated_subnet));
    if (!dhcp_switch.empty()) {
      s->set_dhcp_enabled(dhcp_switch == "on");
      r.mutable_update_mask()->add_paths("dhcp_enabled");
    }
    if (!dns.empty() || no_dns) {
      for (const auto& d : dns) s->add_dns_servers(d);
      r.mutable_update_mask()->add_paths("dns_servers");
    }
    if (subnet_mtu) {
      s->set_mtu(*subnet_mtu);
      r.mutable_update_mask()->add_paths("mtu");
    }
    if (!host_routes.empty() || no_host_routes) {
      add_host_routes(s, host_routes);
      r.mutable_update_mask()->add_paths("host_routes");
    }
    v1::Subnet out;
    c().Call(c().subnets, &v1::SubnetService::Stub::UpdateSubnet, r, &out);
    PrintOne(c(), out);
  });
  CommonVerbs(
      subnet,
      [&](const std::string& ref) {
        v1::GetSubnetRequest r;
        r.set_id(ResolveSubnet(c(), ref));
        v1::Subnet out;
        c().Call(c().subnets, &v1::SubnetService::Stub::GetSubnet, r, &out);
        PrintOne(c(), out);
      },
      [&] {
        v1::ListSubnetsResponse out;
        c().Call(c().subnets, &v1::SubnetService::Stub::ListSubnets, v1::ListSubnetsRequest(),
                 &out);
        PrintList(c(), out.subnets());
      },
      [&](const std::string& ref) {
        v1::DeleteSubnetRequest r;
        r.set_id(ResolveSubnet(c(), ref));
        v1::DeleteResponse out;
        c().Call(c().subnets, &v1::SubnetService::Stub::DeleteSubnet, r, &out);
      });

  // port
  auto* port = app.add_subcommand("port", "Ports (VM NICs)")->require_subcommand(1);
  std::string subnet_ref, ip, mac, device_id;
  std::vector<std::string> sgs, dhcp_options;
  bool no_sg = false, no_port_security = false;
  // "NAME=VALUE" -> an extra DHCP option of `p`; the server checks names and values.
  const auto add_dhcp_options = [](v1::Port* p, const std::vector<std::string>& options) {
    for (const auto& text : options) {
      std::vector<std::string> parts = absl::StrSplit(text, absl::MaxSplits('=', 1));
      if (parts.size() != 2 || parts[0].empty()) {
        throw Failure{"INVALID_ARGUMENT: --dhcp-option must be NAME=VALUE"};
      }
      if (!p->mutable_extra_dhcp_options()->insert({parts[0], parts[1]}).second) {
        throw Failure{absl::StrCat("INVALID_ARGUMENT: --dhcp-option ", parts[0], " given twice")};
      }
    }
  };
  auto* port_create = port->add_subcommand("create", "Create a port");
  port_create->add_option("NAME", name);
  port_create->add_option("--subnet", subnet_ref, "Subnet id or name")->required();
  port_create->add_option("--ip", ip, "Fixed IP (default: allocated)");
  port_create->add_option("--mac", mac, "MAC address (default: generated)");
  port_create->add_option("--sg", sgs, "Security group id or name (repeatable)");
  port_create->add_flag("--no-sg", no_sg, "No security group at all");
  port_create->add_option("--device-id", device_id, "Device (VM) id");
  port_create->add_flag("--no-port-security", no_port_security, "Disable port security");
  port_create->add_option("--dhcp-option", dhcp_options,
                          "Extra DHCPv4 option NAME=VALUE, e.g. bootfile_name=pxelinux.0 "
                          "(repeatable)");
  port_create->callback([&] {
    v1::CreatePortRequest r;
    v1::Port* p = r.mutable_port();
    p->mutable_metadata()->set_name(name);
    p->set_subnet_id(ResolveSubnet(c(), subnet_ref));
    if (!ip.empty()) p->add_fixed_ips(ip);
    p->set_mac_address(mac);
    p->set_device_id(device_id);
    if (no_port_security) p->set_port_security_enabled(false);
    add_dhcp_options(p, dhcp_options);
    if (no_sg || !sgs.empty()) {
      v1::SecurityGroupIds* ids = r.mutable_security_groups();
      for (const auto& sg : sgs) ids->add_ids(ResolveGroup(c(), sg));
    }
    v1::Port out;
    c().Call(c().ports, &v1::PortService::Stub::CreatePort, r, &out);
    PrintOne(c(), out);
  });
  CommonVerbs(
      port,
      [&](const std::string& ref) {
        v1::GetPortRequest r;
        r.set_id(ResolvePort(c(), ref));
        v1::Port out;
        c().Call(c().ports, &v1::PortService::Stub::GetPort, r, &out);
        PrintOne(c(), out);
      },
      [&] {
        v1::ListPortsResponse out;
        c().Call(c().ports, &v1::PortService::Stub::ListPorts, v1::ListPortsRequest(), &out);
        PrintList(c(), out.ports());
      },
      [&](const std::string& ref) {
        v1::DeletePortRequest r;
        r.set_id(ResolvePort(c(), ref));
        v1::DeleteResponse out;
        c().Call(c().ports, &v1::PortService::Stub::DeletePort, r, &out);
      });

  // sg
  auto* sg = app.add_subcommand("sg", "Security groups")->require_subcommand(1);
  std::string description;
  auto* sg_create = sg->add_subcommand("create", "Create a security group");
  sg_create->add_option("NAME", name)->required();
  sg_create->add_option("--description", description);
  bool sg_log = false;
  sg_create->add_flag("--log", sg_log, "Log the members' allowed and dropped connections");
  sg_create->callback([&] {
    v1::CreateSecurityGroupRequest r;
    r.mutable_security_group()->mutable_metadata()->set_name(name);
    r.mutable_security_group()->set_description(description);
    r.mutable_security_group()->set_log(sg_log);
    if (c().has_scope()) c().FillScope(r.mutable_scope());
    v1::SecurityGroup out;
    c().Call(c().groups, &v1::SecurityGroupService::Stub::CreateSecurityGroup, r, &out);
    SecurityGroupRules(c(), out);
  });
  CommonVerbs(
      sg,
      [&](const std::string& ref) {
        v1::GetSecurityGroupRequest r;
        r.set_id(ResolveGroup(c(), ref));
        v1::SecurityGroup out;
        c().Call(c().groups, &v1::SecurityGroupService::Stub::GetSecurityGroup, r, &out);
        SecurityGroupRules(c(), out);
      },
      [&] {
        v1::ListSecurityGroupsResponse out;
        c().Call(c().groups, &v1::SecurityGroupService::Stub::ListSecurityGroups,
                 v1::ListSecurityGroupsRequest(), &out);
        PrintList(c(), out.security_groups());
      },
      [&](const std::string& ref) {
        v1::DeleteSecurityGroupRequest r;
        r.set_id(ResolveGroup(c(), ref));
        v1::DeleteResponse out;
        c().Call(c().groups, &v1::SecurityGroupService::Stub::DeleteSecurityGroup, r, &out);
      });
  std::string updated_group, sg_log_switch;
  std::optional<std::string> sg_description;
  auto* sg_update = sg->add_subcommand("update", "Change a group's description or logging");
  sg_update->add_option("SG", updated_group, "Group id or name")->required();
  sg_update->add_option("--description", sg_description);
  sg_update->add_option("--log", sg_log_switch, "on or off: log the members' connections")
      ->check(CLI::IsMember({"on", "off"}));
  sg_update->callback([&] {
    v1::UpdateSecurityGroupRequest r;
    r.mutable_security_group()->mutable_metadata()->set_id(ResolveGroup(c(), updated_group));
    if (sg_description) {
      r.mutable_security_group()->set_description(*sg_description);
      r.mutable_update_mask()->add_paths("description");
    }
    if (!sg_log_switch.empty()) {
      r.mutable_security_group()->set_log(sg_log_switch == "on");
      r.mutable_update_mask()->add_paths("log");
    }
    v1::SecurityGroup out;
    c().Call(c().groups, &v1::SecurityGroupService::Stub::UpdateSecurityGroup, r, &out);
    SecurityGroupRules(c(), out);
  });
  auto* rule = sg->add_subcommand("rule", "Rules of a group")->require_subcommand(1);
  std::string group_ref, direction, ethertype = "IPv4", protocol, port_range, remote_cidr,
                                    remote_group, rule_id;
  auto* rule_add = rule->add_subcommand("add", "Add a rule");
  rule_add->add_option("SG", group_ref, "Group id or name")->required();
  rule_add->add_option("--direction", direction, "ingress or egress")->required();
  rule_add->add_option("--ethertype", ethertype, "IPv4 or IPv6")->capture_default_str();
  rule_add->add_option("--protocol", protocol, "any, tcp, udp, icmp, icmpv6 or a number");
  rule_add->add_option("--port", port_range, "Port N or range N-M (tcp, udp)");
  auto* cidr_opt = rule_add->add_option("--remote-cidr", remote_cidr, "Remote CIDR");
  rule_add->add_option("--remote-group", remote_group, "Remote group id or name")
      ->excludes(cidr_opt);
  rule_add->callback([&] {
    v1::AddSecurityGroupRuleRequest r;
    r.set_security_group_id(ResolveGroup(c(), group_ref));
    v1::SecurityGroupRule* x = r.mutable_rule();
    x->set_direction(direction);
    x->set_ethertype(ethertype);
    x->set_protocol(protocol);
    if (!port_range.empty()) {
      std::vector<std::string> ends = absl::StrSplit(port_range, absl::MaxSplits('-', 1));
      int low = 0, high = 0;
      if (!absl::SimpleAtoi(ends[0], &low) ||
          !absl::SimpleAtoi(ends.size() > 1 ? ends[1] : ends[0], &high)) {
        throw Failure{"INVALID_ARGUMENT: --port must be N or N-M"};
      }
      x->set_port_range_min(low);
      x->set_port_range_max(high);
    }
    x->set_remote_ip_prefix(remote_cidr);
    if (!remote_group.empty()) x->set_remote_group_id(ResolveGroup(c(), remote_group));
    // The rules before, to tell the one added (the answer is the whole group).
    v1::GetSecurityGroupRequest get;
    get.set_id(r.security_group_id());
    v1::SecurityGroup before;
    c().Call(c().groups, &v1::SecurityGroupService::Stub::GetSecurityGroup, get, &before);
    v1::SecurityGroup out;
    c().Call(c().groups, &v1::SecurityGroupService::Stub::AddSecurityGroupRule, r, &out);
    std::set<std::string> added;
    for (const v1::SecurityGroupRule& after_rule : out.rules()) added.insert(after_rule.id());
    for (const v1::SecurityGroupRule& before_rule : before.rules()) added.erase(before_rule.id());
    SecurityGroupRules(c(), out, added);
  });
  auto* rule_remove =
      rule->add_subcommand("remove", "Remove a rule (also: delete)")->alias("delete");
  rule_remove->add_option("SG", group_ref, "Group id or name")->required();
  rule_remove->add_option("RULE", rule_id, "Rule id")->required();
  rule_remove->callback([&] {
    v1::RemoveSecurityGroupRuleRequest r;
    r.set_security_group_id(ResolveGroup(c(), group_ref));
    r.set_rule_id(rule_id);
    v1::SecurityGroup out;
    c().Call(c().groups, &v1::SecurityGroupService::Stub::RemoveSecurityGroupRule, r, &out);
    SecurityGroupRules(c(), out);
  });

  // extnet (admin)
  auto* extnet = app.add_subcommand("extnet", "External networks (admin)")->require_subcommand(1);
  std::string physnet, cidr_one;
  auto* extnet_create = extnet->add_subcommand("create", "Create an external network");
  extnet_create->add_option("NAME", name)->required();
  extnet_create->add_option("--cidr", cidr_one)->required();
  extnet_create->add_option("--gateway", gateway)->required();
  extnet_create->add_option("--physnet", physnet, "Physical network name")->required();
  extnet_create->add_option("--pool", pools, "Floating IP pool START-END (repeatable)");
  extnet_create->callback([&] {
    v1::CreateExternalNetworkRequest r;
    v1::ExternalNetwork* n = r.mutable_external_network();
    n->mutable_metadata()->set_name(name);
    n->set_cidr(cidr_one);
    n->set_gateway_ip(gateway);
    n->set_physical_network(physnet);
    for (const auto& pool : pools) {
      std::vector<std::string> ends = absl::StrSplit(pool, absl::MaxSplits('-', 1));
      if (ends.size() != 2) throw Failure{"INVALID_ARGUMENT: --pool must be START-END"};
      v1::AddressRange* range = n->add_floating_ip_pools();
      range->set_start(ends[0]);
      range->set_end(ends[1]);
    }
    v1::ExternalNetwork out;
    c().Call(c().networks, &v1::ExternalNetworkService::Stub::CreateExternalNetwork, r, &out);
    PrintOne(c(), out);
  });
  CommonVerbs(
      extnet,
      [&](const std::string& ref) {
        v1::GetExternalNetworkRequest r;
        r.set_id(ResolveNetwork(c(), ref));
        v1::ExternalNetwork out;
        c().Call(c().networks, &v1::ExternalNetworkService::Stub::GetExternalNetwork, r, &out);
        PrintOne(c(), out);
      },
      [&] {
        v1::ListExternalNetworksResponse out;
        c().Call(c().networks, &v1::ExternalNetworkService::Stub::ListExternalNetworks,
                 v1::ListExternalNetworksRequest(), &out);
        PrintList(c(), out.external_networks());
      },
      [&](const std::string& ref) {
        v1::DeleteExternalNetworkRequest r;
        r.set_id(ResolveNetwork(c(), ref));
        v1::DeleteResponse out;
        c().Call(c().networks, &v1::ExternalNetworkService::Stub::DeleteExternalNetwork, r, &out);
      });

  // fip
  auto* fip = app.add_subcommand("fip", "Floating IPs")->require_subcommand(1);
  std::string network_ref, port_ref;
  auto* fip_create = fip->add_subcommand("create", "Allocate a floating IP");
  fip_create->add_option("--extnet", network_ref, "External network id or name")->required();
  fip_create->add_option("--ip", ip, "Address (default: allocated)");
  fip_create->add_option("--port", port_ref, "Port id or name to map it to");
  fip_create->callback([&] {
    v1::CreateFloatingIpRequest r;
    v1::FloatingIp* f = r.mutable_floating_ip();
    f->set_external_network_id(ResolveNetwork(c(), network_ref));
    f->set_floating_ip_address(ip);
    if (!port_ref.empty()) f->set_port_id(ResolvePort(c(), port_ref));
    if (c().has_scope()) c().FillScope(r.mutable_scope());
    v1::FloatingIp out;
    c().Call(c().fips, &v1::FloatingIpService::Stub::CreateFloatingIp, r, &out);
    PrintOne(c(), out);
  });
  std::string fip_ref;
  auto* fip_associate = fip->add_subcommand("associate", "Map a floating IP to a port");
  fip_associate->add_option("FIP", fip_ref, "Floating IP id")->required();
  fip_associate->add_option("--port", port_ref, "Port id or name")->required();
  fip_associate->add_option("--ip", ip, "Which of the port's addresses (default: its IPv4)");
  fip_associate->callback([&] {
    v1::UpdateFloatingIpRequest r;
    r.mutable_floating_ip()->mutable_metadata()->set_id(fip_ref);
    r.mutable_floating_ip()->set_port_id(ResolvePort(c(), port_ref));
    r.mutable_floating_ip()->set_fixed_ip_address(ip);
    r.mutable_update_mask()->add_paths("port_id");
    r.mutable_update_mask()->add_paths("fixed_ip_address");
    v1::FloatingIp out;
    c().Call(c().fips, &v1::FloatingIpService::Stub::UpdateFloatingIp, r, &out);
    PrintOne(c(), out);
  });
  auto* fip_disassociate = fip->add_subcommand("disassociate", "Unmap a floating IP");
  fip_disassociate->add_option("FIP", fip_ref, "Floating IP id")->required();
  fip_disassociate->callback([&] {
    v1::UpdateFloatingIpRequest r;
    r.mutable_floating_ip()->mutable_metadata()->set_id(fip_ref);
    r.mutable_update_mask()->add_paths("port_id");
    v1::FloatingIp out;
    c().Call(c().fips, &v1::FloatingIpService::Stub::UpdateFloatingIp, r, &out);
    PrintOne(c(), out);
  });
  auto* port_update =
      port->add_subcommand("update", "Change a port's groups, device or extra DHCP options");
  std::string port_update_ref;
  bool no_dhcp_options = false;
  port_update->add_option("PORT", port_update_ref, "Port id or name")->required();
  port_update->add_option("--sg", sgs, "Security group id or name (repeatable; replaces)");
  port_update->add_flag("--no-sg", no_sg, "Leave every security group");
  port_update->add_option("--device-id", device_id, "Device (VM) id");
  port_update->add_option("--dhcp-option", dhcp_options,
                          "Extra DHCPv4 option NAME=VALUE (repeatable; replaces them all)");
  port_update->add_flag("--no-dhcp-options", no_dhcp_options, "Remove the extra DHCP options")
      ->excludes("--dhcp-option");
  port_update->callback([&] {
    v1::UpdatePortRequest r;
    v1::Port* p = r.mutable_port();
    p->mutable_metadata()->set_id(ResolvePort(c(), port_update_ref));
    if (no_sg || !sgs.empty()) {
      for (const auto& sg_ref : sgs) p->add_security_group_ids(ResolveGroup(c(), sg_ref));
      r.mutable_update_mask()->add_paths("security_group_ids");
    }
    if (!device_id.empty()) {
      p->set_device_id(device_id);
      r.mutable_update_mask()->add_paths("device_id");
    }
    if (!dhcp_options.empty() || no_dhcp_options) {
      add_dhcp_options(p, dhcp_options);
      r.mutable_update_mask()->add_paths("extra_dhcp_options");
    }
    v1::Port out;
    c().Call(c().ports, &v1::PortService::Stub::UpdatePort, r, &out);
    PrintOne(c(), out);
  });
  CommonVerbs(
      fip,
      [&](const std::string& ref) {
        v1::GetFloatingIpRequest r;
        r.set_id(ref);
        v1::FloatingIp out;
        c().Call(c().fips, &v1::FloatingIpService::Stub::GetFloatingIp, r, &out);
        PrintOne(c(), out);
      },
      [&] {
        v1::ListFloatingIpsResponse out;
        c().Call(c().fips, &v1::FloatingIpService::Stub::ListFloatingIps,
                 v1::ListFloatingIpsRequest(), &out);
        PrintList(c(), out.floating_ips());
      },
      [&](const std::string& ref) {
        v1::DeleteFloatingIpRequest r;
        r.set_id(ref);
        v1::DeleteResponse out;
        c().Call(c().fips, &v1::FloatingIpService::Stub::DeleteFloatingIp, r, &out);
      });

  // port wait: what the VM service does between plugging a NIC and booting the guest.
  std::string wait_ref, wait_status = "ACTIVE";
  double wait_timeout = 60;
  auto* port_wait = port->add_subcommand("wait", "Wait until a port reaches a status");
  port_wait->add_option("PORT", wait_ref, "Port id or name")->required();
  port_wait->add_option("--status", wait_status, "ACTIVE, DOWN, BUILD or ERROR")
      ->check(CLI::IsMember({"ACTIVE", "DOWN", "BUILD", "ERROR"}))
      ->capture_default_str();
  port_wait->add_option("--timeout", wait_timeout, "Seconds")->capture_default_str();
  port_wait->callback([&] {
    v1::GetPortRequest get;
    get.set_id(ResolvePort(c(), wait_ref));
    v1::Port current;
    c().Call(c().ports, &v1::PortService::Stub::GetPort, get, &current);
    v1::Port reached = WaitForPortStatus(c(), current, "PORT_STATUS_" + wait_status, wait_timeout);
    PrintOne(c(), reached);
  });

  // status: which replica answers, whether it leads, how it sees the store and OVN.
  auto* status = app.add_subcommand("status", "The answering replica's role and health (admin)");
  status->callback([&] {
    v1::ReplicaStatus out;
    c().Call(c().replica_status, &v1::StatusService::Stub::GetStatus, v1::GetStatusRequest(), &out);
    if (c().json()) {
      std::cout << ToJson(out) << "\n";
      return;
    }
    Table table({"FIELD", "VALUE"});
    table.Add({"replica", out.replica()});
    table.Add({"role", v1::ReplicaStatus::Role_Name(out.role())});
    table.Add({"leader", out.leader().empty() ? "-" : out.leader()});
    table.Add({"leader epoch", absl::StrCat(out.leader_epoch())});
    table.Add(
        {"store", absl::StrCat(out.store().backend(), " ",
                               out.store().reachable()
                                   ? absl::StrCat("reachable, revision ", out.store().revision())
                                   : "unreachable: " + out.store().error())});
    if (out.has_ovn()) {
      table.Add(
          {"ovn nb", absl::StrCat(out.ovn().nb_connected() ? "connected to " : "connecting to ",
                                  out.ovn().nb_remote(), out.ovn().fenced() ? " (fenced)" : "")});
      table.Add({"nb synced to", absl::StrCat("revision ", out.ovn().synced_revision())});
    }
    if (!out.election_error().empty()) table.Add({"election error", out.election_error()});
    table.Print(std::cout);
  });

  // plug / unplug: the hypervisor side, against the local Open vSwitch.
  std::string ovs_db = "unix:/var/run/openvswitch/db.sock", bridge = "br-int", ifname, plug_ref;
  if (const char* db = std::getenv("PLASMANET_OVS_DB")) ovs_db = db;
  bool if_exists = false;
  auto* plug = app.add_subcommand(
      "plug", "Attach a VM NIC (an existing tap or veth) to br-int so OVN binds the port");
  plug->add_option("PORT", plug_ref, "Port id or name")->required();
  plug->add_option("--ifname", ifname, "The tap or veth on this host")->required();
  plug->add_option("--ovs-db", ovs_db, "Open_vSwitch database (env PLASMANET_OVS_DB)")
      ->capture_default_str();
  plug->add_option("--bridge", bridge, "Integration bridge")->capture_default_str();
  plug->add_option("--mac", mac, "The port's MAC: with a port id, skips the API lookup");
  plug->callback([&] {
    plug::VifAttachment vif{.ifname = ifname, .iface_id = plug_ref, .mac = mac};
    if (mac.empty() || !IsUuid(plug_ref)) {
      v1::GetPortRequest get;
      get.set_id(ResolvePort(c(), plug_ref));
      v1::Port port_object;
      c().Call(c().ports, &v1::PortService::Stub::GetPort, get, &port_object);
      vif.iface_id = port_object.metadata().id();
      vif.mac = port_object.mac_address();
    }
    std::unique_ptr<plug::VifPlugger> plugger = ConnectOvs(ovs_db, bridge);
    absl::StatusOr<plug::PluggedVif> plugged = plugger->Plug(vif);
    if (!plugged.ok()) throw Failure{StatusText(plugged.status())};
    std::cout << (plugged->replugged ? "replugged " : "plugged ") << vif.iface_id << " as "
              << ifname << " on " << bridge << " (ofport " << plugged->ofport << ")\n";
  });
  auto* unplug = app.add_subcommand("unplug", "Detach a VM NIC from br-int");
  unplug->add_option("--ifname", ifname, "The tap or veth on this host")->required();
  unplug->add_option("--ovs-db", ovs_db, "Open_vSwitch database (env PLASMANET_OVS_DB)")
      ->capture_default_str();
  unplug->add_flag("--if-exists", if_exists, "Succeed if it is not plugged");
  unplug->callback([&] {
    absl::Status unplugged = ConnectOvs(ovs_db, bridge)->Unplug(ifname, if_exists);
    if (!unplugged.ok()) throw Failure{StatusText(unplugged)};
    std::cout << "unplugged " << ifname << "\n";
  });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e);
  } catch (const Failure& f) {
    std::cerr << "plasmanet: " << f.message << "\n";
    return 1;
  }
  return 0;
}

}  // namespace
}  // namespace plasmanet::cli

int main(int argc, char** argv) { return plasmanet::cli::Main(argc, argv); }
