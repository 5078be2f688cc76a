#include "api/convert.h"

#include <absl/strings/str_cat.h>
#include <google/protobuf/util/time_util.h>

namespace plasmanet::api {
namespace {

using google::protobuf::util::TimeUtil;

model::Labels LabelsOf(const v1::Metadata& m) {
  return model::Labels(m.labels().begin(), m.labels().end());
}

void FillMetadata(const model::ObjectMeta& meta, v1::Metadata* out) {
  out->set_id(meta.id);
  out->set_name(meta.name);
  out->set_org_id(meta.org_id);
  out->set_project_id(meta.project_id);
  *out->mutable_create_time() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(meta.created_at));
  *out->mutable_update_time() =
      TimeUtil::NanosecondsToTimestamp(absl::ToUnixNanos(meta.updated_at));
  out->set_etag(absl::StrCat(meta.revision));
  out->mutable_labels()->insert(meta.labels.begin(), meta.labels.end());
}

std::vector<std::string> Strings(const google::protobuf::RepeatedPtrField<std::string>& in) {
  return std::vector<std::string>(in.begin(), in.end());
}

std::vector<model::AddressRangeSpec> Ranges(
    const google::protobuf::RepeatedPtrField<v1::AddressRange>& in) {
  std::vector<model::AddressRangeSpec> out;
  for (const v1::AddressRange& r : in) out.push_back({r.start(), r.end()});
  return out;
}

void AddRanges(const std::vector<model::AddressRange>& in,
               google::protobuf::RepeatedPtrField<v1::AddressRange>* out) {
  for (const model::AddressRange& r : in) {
    v1::AddressRange* range = out->Add();
    range->set_start(r.first.ToString());
    range->set_end(r.last.ToString());
  }
}

template <typename T>
std::optional<T> Optional(bool present, T value) {
  return present ? std::optional<T>(value) : std::nullopt;
}

}  // namespace

model::VpcSpec ToSpec(const v1::Vpc& vpc) {
  return {vpc.metadata().name(), LabelsOf(vpc.metadata()), Strings(vpc.cidr_blocks()),
          GatewaySpec(vpc)};
}

std::optional<model::VpcGatewaySpec> GatewaySpec(const v1::Vpc& vpc) {
  if (!vpc.has_gateway()) return std::nullopt;
  return model::VpcGatewaySpec{
      .external_network_id = vpc.gateway().external_network_id(),
      .snat_enabled = !vpc.gateway().has_enable_snat() || vpc.gateway().enable_snat()};
}

std::vector<model::StaticRouteSpec> StaticRoutes(
    const google::protobuf::RepeatedPtrField<v1::StaticRoute>& routes) {
  std::vector<model::StaticRouteSpec> out;
  for (const v1::StaticRoute& r : routes) out.push_back({r.destination(), r.nexthop()});
  return out;
}

model::SubnetSpec ToSpec(const v1::Subnet& s) {
  return {.name = s.metadata().name(),
          .labels = LabelsOf(s.metadata()),
          .vpc_id = s.vpc_id(),
          .ipv4_cidr = s.ipv4_cidr(),
          .ipv6_cidr = s.ipv6_cidr(),
          .gateway_ipv4 = s.gateway_ipv4(),
          .gateway_ipv6 = s.gateway_ipv6(),
          .allocation_pools = Ranges(s.allocation_pools()),
          .dhcp_enabled = Optional(s.has_dhcp_enabled(), s.dhcp_enabled()),
          .dns_servers = Strings(s.dns_servers()),
          .mtu = Optional(s.has_mtu(), s.mtu()),
          .host_routes = HostRoutes(s.host_routes()),
          .ipv6_address_mode = s.ipv6_address_mode()};
}

std::vector<model::HostRouteSpec> HostRoutes(
    const google::protobuf::RepeatedPtrField<v1::HostRoute>& routes) {
  std::vector<model::HostRouteSpec> out;
  for (const v1::HostRoute& r : routes) out.push_back({r.destination(), r.nexthop()});
  return out;
}

model::PortSpec ToSpec(const v1::CreatePortRequest& request) {
  const v1::Port& p = request.port();
  model::PortSpec spec{
      .name = p.metadata().name(),
      .labels = LabelsOf(p.metadata()),
      .subnet_id = p.subnet_id(),
      .mac_address = p.mac_address(),
      .fixed_ips = Strings(p.fixed_ips()),
      .port_security_enabled = Optional(p.has_port_security_enabled(), p.port_security_enabled()),
      .device_id = p.device_id(),
      .device_owner = p.device_owner()};
  if (request.has_security_groups()) {
    spec.security_group_ids = Strings(request.security_groups().ids());
  } else if (p.security_group_ids_size() > 0) {
    spec.security_group_ids = Strings(p.security_group_ids());
  }
  for (const v1::AllowedAddressPair& pair : p.allowed_address_pairs()) {
    spec.allowed_address_pairs.push_back({pair.ip_address(), pair.mac_address()});
  }
  spec.extra_dhcp_options = {p.extra_dhcp_options().begin(), p.extra_dhcp_options().end()};
  return spec;
}

model::SecurityGroupSpec ToSpec(const v1::SecurityGroup& g) {
  return {g.metadata().name(), LabelsOf(g.metadata()), g.description(), g.log()};
}

model::SecurityGroupRuleSpec ToSpec(const v1::SecurityGroupRule& r) {
  return {.direction = r.direction(),
          .ethertype = r.ethertype(),
          .protocol = r.protocol(),
          .port_range_min = Optional(r.has_port_range_min(), r.port_range_min()),
          .port_range_max = Optional(r.has_port_range_max(), r.port_range_max()),
          .icmp_type = Optional(r.has_icmp_type(), r.icmp_type()),
          .icmp_code = Optional(r.has_icmp_code(), r.icmp_code()),
          .remote_ip_prefix = r.remote_ip_prefix(),
          .remote_group_id = r.remote_group_id()};
}

model::ExternalNetworkSpec ToSpec(const v1::ExternalNetwork& n) {
  return {n.metadata().name(), LabelsOf(n.metadata()), n.cidr(),
          n.gateway_ip(),      n.physical_network(),   Ranges(n.floating_ip_pools())};
}

model::FloatingIpSpec ToSpec(const v1::FloatingIp& f) {
  return {
      f.metadata().name(), LabelsOf(f.metadata()), f.external_network_id(), f.floating_ip_address(),
      f.port_id(),         f.fixed_ip_address()};
}

v1::Vpc ToProto(const model::Vpc& vpc) {
  v1::Vpc out;
  FillMetadata(vpc.meta, out.mutable_metadata());
  for (const IpPrefix& p : vpc.cidr_blocks) out.add_cidr_blocks(p.ToString());
  if (vpc.gateway) {
    v1::VpcGateway* gateway = out.mutable_gateway();
    gateway->set_external_network_id(vpc.gateway->external_network_id);
    gateway->set_external_ip(vpc.gateway->external_ip.ToString());
    gateway->set_enable_snat(vpc.gateway->snat_enabled);
  }
  for (const model::StaticRoute& r : vpc.static_routes) {
    v1::StaticRoute* route = out.add_static_routes();
    route->set_destination(r.destination.ToString());
    route->set_nexthop(r.nexthop.ToString());
  }
  return out;
}

v1::Subnet ToProto(const model::Subnet& s) {
  v1::Subnet out;
  FillMetadata(s.meta, out.mutable_metadata());
  out.set_vpc_id(s.vpc_id);
  if (s.ipv4) {
    out.set_ipv4_cidr(s.ipv4->cidr.ToString());
    out.set_gateway_ipv4(s.ipv4->gateway.ToString());
    AddRanges(s.ipv4->pools, out.mutable_allocation_pools());
  }
  if (s.ipv6) {
    out.set_ipv6_cidr(s.ipv6->cidr.ToString());
    out.set_gateway_ipv6(s.ipv6->gateway.ToString());
    AddRanges(s.ipv6->pools, out.mutable_allocation_pools());
  }
  out.set_dhcp_enabled(s.dhcp_enabled);
  for (const IpAddress& a : s.dns_servers) out.add_dns_servers(a.ToString());
  if (s.mtu > 0) out.set_mtu(s.mtu);
  for (const model::HostRoute& r : s.host_routes) {
    v1::HostRoute* route = out.add_host_routes();
    route->set_destination(r.destination.ToString());
    route->set_nexthop(r.nexthop.ToString());
  }
  out.set_ipv6_address_mode(std::string(model::Ipv6AddressModeName(s.ipv6_address_mode)));
  return out;
}

v1::Port ToProto(const model::Port& p) {
  v1::Port out;
  FillMetadata(p.meta, out.mutable_metadata());
  out.set_subnet_id(p.subnet_id);
  out.set_vpc_id(p.vpc_id);
  out.set_mac_address(p.mac.ToString());
  for (const IpAddress& a : p.fixed_ips) out.add_fixed_ips(a.ToString());
  for (const std::string& g : p.security_group_ids) out.add_security_group_ids(g);
  out.set_port_security_enabled(p.port_security_enabled);
  for (const model::AllowedAddressPair& pair : p.allowed_address_pairs) {
    v1::AllowedAddressPair* o = out.add_allowed_address_pairs();
    o->set_ip_address(pair.prefix.ToString());
    if (pair.mac) o->set_mac_address(pair.mac->ToString());
  }
  out.set_device_id(p.device_id);
  out.set_device_owner(p.device_owner);
  out.mutable_extra_dhcp_options()->insert(p.extra_dhcp_options.begin(),
                                           p.extra_dhcp_options.end());
  out.set_status(static_cast<v1::PortStatus>(static_cast<int>(p.status) + 1));
  out.set_binding_chassis(p.binding_chassis);
  return out;
}

v1::SecurityGroup ToProto(const model::SecurityGroup& g) {
  v1::SecurityGroup out;
  FillMetadata(g.meta, out.mutable_metadata());
  out.set_description(g.description);
  out.set_log(g.log);
  out.set_is_default(g.is_default);
  for (const model::SecurityGroupRule& r : g.rules) {
    v1::SecurityGroupRule* o = out.add_rules();
    o->set_id(r.id);
    o->set_direction(std::string(model::DirectionName(r.direction)));
    o->set_ethertype(std::string(IpFamilyName(r.ethertype)));
    o->set_protocol(model::ProtocolName(r.protocol));
    if (r.port_range_min) o->set_port_range_min(*r.port_range_min);
    if (r.port_range_max) o->set_port_range_max(*r.port_range_max);
    if (r.icmp_type) o->set_icmp_type(*r.icmp_type);
    if (r.icmp_code) o->set_icmp_code(*r.icmp_code);
    if (r.remote_ip_prefix) o->set_remote_ip_prefix(r.remote_ip_prefix->ToString());
    o->set_remote_group_id(r.remote_group_id);
  }
  return out;
}

v1::ExternalNetwork ToProto(const model::ExternalNetwork& n) {
  v1::ExternalNetwork out;
  FillMetadata(n.meta, out.mutable_metadata());
  out.set_cidr(n.cidr.ToString());
  out.set_gateway_ip(n.gateway_ip.ToString());
  out.set_physical_network(n.physical_network);
  AddRanges(n.floating_ip_pools, out.mutable_floating_ip_pools());
  return out;
}

v1::FloatingIp ToProto(const model::FloatingIp& f) {
  v1::FloatingIp out;
  FillMetadata(f.meta, out.mutable_metadata());
  out.set_external_network_id(f.external_network_id);
  out.set_floating_ip_address(f.address.ToString());
  out.set_port_id(f.port_id);
  if (f.fixed_ip) out.set_fixed_ip_address(f.fixed_ip->ToString());
  out.set_vpc_id(f.vpc_id);
  return out;
}

}  // namespace plasmanet::api
