#include "model/json_codec.h"

#include <absl/strings/str_cat.h>
#include <absl/time/time.h>
#include <nlohmann/json.hpp>

#include "model/external_network.h"
#include "model/floating_ip.h"
#include "model/port.h"
#include "model/security_group.h"
#include "model/subnet.h"
#include "model/vpc.h"

// nlohmann finds these by argument-dependent lookup, so each sits in its type's namespace.
// Parsing stored text back into typed values throws on corruption; Decode turns that into a
// DATA_LOSS status at the module edge.
namespace plasmanet {

namespace {
[[noreturn]] void Corrupt(const std::string& what) {
  throw nlohmann::json::other_error::create(501, what, nullptr);
}
}  // namespace

void to_json(nlohmann::json& j, const IpAddress& a) { j = a.ToString(); }
void from_json(const nlohmann::json& j, IpAddress& a) {
  absl::StatusOr<IpAddress> parsed = IpAddress::Parse(j.get<std::string>());
  if (!parsed.ok()) Corrupt(std::string(parsed.status().message()));
  a = *parsed;
}
void to_json(nlohmann::json& j, const IpPrefix& p) { j = p.ToString(); }
void from_json(const nlohmann::json& j, IpPrefix& p) {
  absl::StatusOr<IpPrefix> parsed = IpPrefix::Parse(j.get<std::string>());
  if (!parsed.ok()) Corrupt(std::string(parsed.status().message()));
  p = *parsed;
}
void to_json(nlohmann::json& j, const MacAddress& m) { j = m.ToString(); }
void from_json(const nlohmann::json& j, MacAddress& m) {
  absl::StatusOr<MacAddress> parsed = MacAddress::Parse(j.get<std::string>());
  if (!parsed.ok()) Corrupt(std::string(parsed.status().message()));
  m = *parsed;
}

namespace model {
namespace {

// Optional fields: absent from the JSON when unset.
template <typename T>
void PutOptional(nlohmann::json& j, const char* key, const std::optional<T>& value) {
  if (value.has_value()) j[key] = *value;
}
template <typename T>
void GetOptional(const nlohmann::json& j, const char* key, std::optional<T>& value) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) value = it->get<T>();
}
template <typename T>
void GetOr(const nlohmann::json& j, const char* key, T& value) {
  if (auto it = j.find(key); it != j.end() && !it->is_null()) value = it->get<T>();
}

std::string TimeText(absl::Time t) {
  return absl::FormatTime(absl::RFC3339_full, t, absl::UTCTimeZone());
}
absl::Time ParseTime(const std::string& text) {
  absl::Time t;
  std::string error;
  if (!absl::ParseTime(absl::RFC3339_full, text, &t, &error)) Corrupt("bad time " + text);
  return t;
}

void PutMeta(nlohmann::json& j, const ObjectMeta& m) {
  j["id"] = m.id;
  j["name"] = m.name;
  j["org_id"] = m.org_id;
  j["project_id"] = m.project_id;
  j["created_at"] = TimeText(m.created_at);
  j["updated_at"] = TimeText(m.updated_at);
  if (!m.labels.empty()) j["labels"] = m.labels;
  if (m.quota_slot >= 0) j["quota_slot"] = m.quota_slot;
}
void GetMeta(const nlohmann::json& j, ObjectMeta& m) {
  j.at("id").get_to(m.id);
  GetOr(j, "name", m.name);
  j.at("org_id").get_to(m.org_id);
  j.at("project_id").get_to(m.project_id);
  m.created_at = ParseTime(j.at("created_at").get<std::string>());
  m.updated_at = ParseTime(j.at("updated_at").get<std::string>());
  GetOr(j, "labels", m.labels);
  GetOr(j, "quota_slot", m.quota_slot);
}

}  // namespace

void to_json(nlohmann::json& j, const AddressRange& r) {
  j = {{"first", r.first}, {"last", r.last}};
}
void from_json(const nlohmann::json& j, AddressRange& r) {
  j.at("first").get_to(r.first);
  j.at("last").get_to(r.last);
}
void to_json(nlohmann::json& j, const SubnetFamily& f) {
  j = {{"cidr", f.cidr}, {"gateway", f.gateway}, {"pools", f.pools}};
}
void from_json(const nlohmann::json& j, SubnetFamily& f) {
  j.at("cidr").get_to(f.cidr);
  j.at("gateway").get_to(f.gateway);
  j.at("pools").get_to(f.pools);
}

void to_json(nlohmann::json& j, const StaticRoute& r) {
  j = {{"destination", r.destination}, {"nexthop", r.nexthop}};
}
void from_json(const nlohmann::json& j, StaticRoute& r) {
  j.at("destination").get_to(r.destination);
  j.at("nexthop").get_to(r.nexthop);
}
void to_json(nlohmann::json& j, const VpcGateway& g) {
  j = {{"external_network_id", g.external_network_id},
       {"external_ip", g.external_ip},
       {"snat", g.snat_enabled}};
}
void from_json(const nlohmann::json& j, VpcGateway& g) {
  j.at("external_network_id").get_to(g.external_network_id);
  j.at("external_ip").get_to(g.external_ip);
  GetOr(j, "snat", g.snat_enabled);
}

void to_json(nlohmann::json& j, const Vpc& v) {
  PutMeta(j, v.meta);
  j["cidr_blocks"] = v.cidr_blocks;
  PutOptional(j, "gateway", v.gateway);
  if (!v.static_routes.empty()) j["static_routes"] = v.static_routes;
}
void from_json(const nlohmann::json& j, Vpc& v) {
  GetMeta(j, v.meta);
  j.at("cidr_blocks").get_to(v.cidr_blocks);
  GetOptional(j, "gateway", v.gateway);
  GetOr(j, "static_routes", v.static_routes);
}

void to_json(nlohmann::json& j, const Subnet& s) {
  PutMeta(j, s.meta);
  j["vpc_id"] = s.vpc_id;
  PutOptional(j, "ipv4", s.ipv4);
  PutOptional(j, "ipv6", s.ipv6);
  j["dhcp_enabled"] = s.dhcp_enabled;
  j["dns_servers"] = s.dns_servers;
  if (s.mtu > 0) j["mtu"] = s.mtu;
  if (!s.host_routes.empty()) {
    nlohmann::json routes = nlohmann::json::array();
    for (const HostRoute& r : s.host_routes) {
      routes.push_back({{"destination", r.destination}, {"nexthop", r.nexthop}});
    }
    j["host_routes"] = std::move(routes);
  }
  if (s.ipv6_address_mode != Ipv6AddressMode::kDhcpv6Stateful) {
    j["ipv6_address_mode"] = Ipv6AddressModeName(s.ipv6_address_mode);
  }
}
void from_json(const nlohmann::json& j, Subnet& s) {
  GetMeta(j, s.meta);
  j.at("vpc_id").get_to(s.vpc_id);
  GetOptional(j, "ipv4", s.ipv4);
  GetOptional(j, "ipv6", s.ipv6);
  GetOr(j, "dhcp_enabled", s.dhcp_enabled);
  GetOr(j, "dns_servers", s.dns_servers);
  GetOr(j, "mtu", s.mtu);
  if (auto routes = j.find("host_routes"); routes != j.end()) {
    for (const nlohmann::json& r : *routes) {
      s.host_routes.push_back(
          {r.at("destination").get<IpPrefix>(), r.at("nexthop").get<IpAddress>()});
    }
  }
  if (auto mode = j.find("ipv6_address_mode"); mode != j.end()) {
    std::optional<Ipv6AddressMode> parsed = ParseIpv6AddressMode(mode->get<std::string>());
    if (!parsed) Corrupt("bad ipv6_address_mode");
    s.ipv6_address_mode = *parsed;
  }
}

void to_json(nlohmann::json& j, const AllowedAddressPair& p) {
  j = {{"prefix", p.prefix}};
  PutOptional(j, "mac", p.mac);
}
void from_json(const nlohmann::json& j, AllowedAddressPair& p) {
  j.at("prefix").get_to(p.prefix);
  GetOptional(j, "mac", p.mac);
}

void to_json(nlohmann::json& j, const Port& p) {
  PutMeta(j, p.meta);
  j["subnet_id"] = p.subnet_id;
  j["vpc_id"] = p.vpc_id;
  j["mac"] = p.mac;
  j["fixed_ips"] = p.fixed_ips;
  j["security_group_ids"] = p.security_group_ids;
  j["port_security_enabled"] = p.port_security_enabled;
  if (!p.allowed_address_pairs.empty()) j["allowed_address_pairs"] = p.allowed_address_pairs;
  j["device_id"] = p.device_id;
  j["device_owner"] = p.device_owner;
  if (!p.extra_dhcp_options.empty()) j["extra_dhcp_options"] = p.extra_dhcp_options;
  j["status"] = std::string(PortStatusName(p.status));
  j["binding_chassis"] = p.binding_chassis;
}
void from_json(const nlohmann::json& j, Port& p) {
  GetMeta(j, p.meta);
  j.at("subnet_id").get_to(p.subnet_id);
  GetOr(j, "vpc_id", p.vpc_id);
  j.at("mac").get_to(p.mac);
  j.at("fixed_ips").get_to(p.fixed_ips);
  GetOr(j, "security_group_ids", p.security_group_ids);
  GetOr(j, "port_security_enabled", p.port_security_enabled);
  GetOr(j, "allowed_address_pairs", p.allowed_address_pairs);
  GetOr(j, "device_id", p.device_id);
  GetOr(j, "device_owner", p.device_owner);
  GetOr(j, "extra_dhcp_options", p.extra_dhcp_options);
  std::optional<PortStatus> status = ParsePortStatus(j.value("status", "DOWN"));
  if (!status.has_value()) Corrupt("bad port status");
  p.status = *status;
  GetOr(j, "binding_chassis", p.binding_chassis);
}

void to_json(nlohmann::json& j, const SecurityGroupRule& r) {
  j = {{"id", r.id},
       {"direction", std::string(DirectionName(r.direction))},
       {"ethertype", std::string(IpFamilyName(r.ethertype))},
       {"protocol", r.protocol}};
  PutOptional(j, "port_range_min", r.port_range_min);
  PutOptional(j, "port_range_max", r.port_range_max);
  PutOptional(j, "icmp_type", r.icmp_type);
  PutOptional(j, "icmp_code", r.icmp_code);
  PutOptional(j, "remote_ip_prefix", r.remote_ip_prefix);
  if (!r.remote_group_id.empty()) j["remote_group_id"] = r.remote_group_id;
}
void from_json(const nlohmann::json& j, SecurityGroupRule& r) {
  j.at("id").get_to(r.id);
  r.direction =
      j.at("direction").get<std::string>() == "egress" ? Direction::kEgress : Direction::kIngress;
  r.ethertype = j.at("ethertype").get<std::string>() == "IPv6" ? IpFamily::kV6 : IpFamily::kV4;
  j.at("protocol").get_to(r.protocol);
  GetOptional(j, "port_range_min", r.port_range_min);
  GetOptional(j, "port_range_max", r.port_range_max);
  GetOptional(j, "icmp_type", r.icmp_type);
  GetOptional(j, "icmp_code", r.icmp_code);
  GetOptional(j, "remote_ip_prefix", r.remote_ip_prefix);
  GetOr(j, "remote_group_id", r.remote_group_id);
}

void to_json(nlohmann::json& j, const SecurityGroup& g) {
  PutMeta(j, g.meta);
  j["description"] = g.description;
  j["is_default"] = g.is_default;
  j["rules"] = g.rules;
  if (g.log) j["log"] = true;
}
void from_json(const nlohmann::json& j, SecurityGroup& g) {
  GetMeta(j, g.meta);
  GetOr(j, "description", g.description);
  GetOr(j, "is_default", g.is_default);
  GetOr(j, "rules", g.rules);
  GetOr(j, "log", g.log);
}

void to_json(nlohmann::json& j, const ExternalNetwork& n) {
  PutMeta(j, n.meta);
  j["cidr"] = n.cidr;
  j["gateway_ip"] = n.gateway_ip;
  j["physical_network"] = n.physical_network;
  j["floating_ip_pools"] = n.floating_ip_pools;
}
void from_json(const nlohmann::json& j, ExternalNetwork& n) {
  GetMeta(j, n.meta);
  j.at("cidr").get_to(n.cidr);
  j.at("gateway_ip").get_to(n.gateway_ip);
  j.at("physical_network").get_to(n.physical_network);
  j.at("floating_ip_pools").get_to(n.floating_ip_pools);
}

void to_json(nlohmann::json& j, const FloatingIp& f) {
  PutMeta(j, f.meta);
  j["external_network_id"] = f.external_network_id;
  j["address"] = f.address;
  if (!f.port_id.empty()) j["port_id"] = f.port_id;
  PutOptional(j, "fixed_ip", f.fixed_ip);
  if (!f.vpc_id.empty()) j["vpc_id"] = f.vpc_id;
}
void from_json(const nlohmann::json& j, FloatingIp& f) {
  GetMeta(j, f.meta);
  j.at("external_network_id").get_to(f.external_network_id);
  j.at("address").get_to(f.address);
  GetOr(j, "port_id", f.port_id);
  GetOptional(j, "fixed_ip", f.fixed_ip);
  GetOr(j, "vpc_id", f.vpc_id);
}

template <typename T>
std::string Encode(const T& object) {
  return nlohmann::json(object).dump();
}

template <typename T>
absl::StatusOr<T> Decode(absl::string_view json) {
  try {
    return nlohmann::json::parse(json.begin(), json.end()).get<T>();
  } catch (const nlohmann::json::exception& e) {
    return absl::DataLossError(absl::StrCat("corrupt stored object: ", e.what()));
  }
}

#define PN_INSTANTIATE_CODEC(T)             \
  template std::string Encode<T>(const T&); \
  template absl::StatusOr<T> Decode<T>(absl::string_view)

PN_INSTANTIATE_CODEC(Vpc);
PN_INSTANTIATE_CODEC(Subnet);
PN_INSTANTIATE_CODEC(Port);
PN_INSTANTIATE_CODEC(SecurityGroup);
PN_INSTANTIATE_CODEC(ExternalNetwork);
PN_INSTANTIATE_CODEC(FloatingIp);

}  // namespace model
}  // namespace plasmanet
