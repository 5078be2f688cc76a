#include "reconcile/compile.h"

#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>
#include <absl/strings/strip.h>

namespace plasmanet::reconcile {
namespace {

absl::string_view KindName(OwnerRef::Kind kind) {
  switch (kind) {
    case OwnerRef::Kind::kVpc:
      return "vpc";
    case OwnerRef::Kind::kSubnet:
      return "subnet";
    case OwnerRef::Kind::kPort:
      return "port";
  }
  return "";
}

ovsdb::Datum ExternalIds(OwnerRef owner, const model::ObjectMeta& meta) {
  return ovsdb::Datum::StringMap({
      {std::string(kOwnerKey), owner.ToString()},
      {std::string(kRevisionKey), std::to_string(meta.revision)},
      {std::string(kProjectKey), absl::StrCat(meta.org_id, "/", meta.project_id)},
      {std::string(kNameKey), meta.name},
  });
}

// "10.0.1.1/24" for the gateway of 10.0.1.0/24.
std::string GatewayNetwork(const model::SubnetFamily& family) {
  return absl::StrCat(family.gateway.ToString(), "/", family.cidr.length());
}

}  // namespace

std::string OwnerRef::ToString() const { return absl::StrCat(KindName(kind), "/", id); }

std::optional<OwnerRef> OwnerRef::Parse(absl::string_view text) {
  for (Kind kind : {Kind::kVpc, Kind::kSubnet, Kind::kPort}) {
    absl::string_view rest = text;
    if (absl::ConsumePrefix(&rest, KindName(kind)) && absl::ConsumePrefix(&rest, "/") &&
        !rest.empty()) {
      return OwnerRef{kind, std::string(rest)};
    }
  }
  return std::nullopt;
}

std::string RouterName(absl::string_view vpc_id) { return absl::StrCat("pn-vpc-", vpc_id); }
std::string SwitchName(absl::string_view subnet_id) {
  return absl::StrCat("pn-subnet-", subnet_id);
}
std::string RouterPortName(absl::string_view subnet_id) {
  return absl::StrCat("pn-lrp-", subnet_id);
}
std::string SwitchRouterPortName(absl::string_view subnet_id) {
  return absl::StrCat("pn-rtr-", subnet_id);
}

MacAddress GatewayMac(absl::string_view subnet_id) {
  // FNV-1a: stable across builds and platforms, unlike std::hash.
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : subnet_id) hash = (hash ^ c) * 0x100000001b3ULL;
  // 0a:xx:xx:xx:xx:xx: locally administered (bit 1 of the first octet) and unicast (bit 0 clear).
  return MacAddress((uint64_t{0x0a} << 40) | (hash & 0xff'ffff'ffffULL));
}

std::vector<DesiredRow> CompileVpc(const model::Vpc& vpc) {
  const OwnerRef owner{OwnerRef::Kind::kVpc, vpc.meta.id};
  DesiredRow router{.table = NbTable::kLogicalRouter, .name = RouterName(vpc.meta.id)};
  router.columns["name"] = ovsdb::Datum::String(router.name);
  router.columns["external_ids"] = ExternalIds(owner, vpc.meta);
  return {std::move(router)};
}

std::vector<DesiredRow> CompileSubnet(const model::Subnet& subnet) {
  const OwnerRef owner{OwnerRef::Kind::kSubnet, subnet.meta.id};
  const ovsdb::Datum external_ids = ExternalIds(owner, subnet.meta);
  std::vector<DesiredRow> rows;

  DesiredRow ls{.table = NbTable::kLogicalSwitch, .name = SwitchName(subnet.meta.id)};
  ls.columns["name"] = ovsdb::Datum::String(ls.name);
  ls.columns["external_ids"] = external_ids;

  std::vector<std::string> networks;
  for (const auto* family : {&subnet.ipv4, &subnet.ipv6}) {
    if (family->has_value()) networks.push_back(GatewayNetwork(**family));
  }
  DesiredRow lrp{.table = NbTable::kLogicalRouterPort,
                 .name = RouterPortName(subnet.meta.id),
                 .parent = RouterName(subnet.vpc_id)};
  lrp.columns["name"] = ovsdb::Datum::String(lrp.name);
  lrp.columns["mac"] = ovsdb::Datum::String(GatewayMac(subnet.meta.id).ToString());
  lrp.columns["networks"] = ovsdb::Datum::StringSet(networks);
  lrp.columns["external_ids"] = external_ids;

  DesiredRow peer{.table = NbTable::kLogicalSwitchPort,
                  .name = SwitchRouterPortName(subnet.meta.id),
                  .parent = ls.name};
  peer.columns["name"] = ovsdb::Datum::String(peer.name);
  peer.columns["type"] = ovsdb::Datum::String("router");
  peer.columns["addresses"] = ovsdb::Datum::StringSet({"router"});
  peer.columns["options"] = ovsdb::Datum::StringMap({{"router-port", lrp.name}});
  peer.columns["external_ids"] = external_ids;

  rows.push_back(std::move(ls));
  rows.push_back(std::move(lrp));
  rows.push_back(std::move(peer));
  return rows;
}

std::vector<DesiredRow> CompilePort(const model::Port& port) {
  const OwnerRef owner{OwnerRef::Kind::kPort, port.meta.id};
  DesiredRow lsp{.table = NbTable::kLogicalSwitchPort,
                 .name = port.meta.id,
                 .parent = SwitchName(port.subnet_id)};
  std::vector<std::string> own{port.mac.ToString()};
  for (const IpAddress& ip : port.fixed_ips) own.push_back(ip.ToString());
  const std::string own_addresses = absl::StrJoin(own, " ");

  std::vector<std::string> addresses{own_addresses};
  std::vector<std::string> port_security;
  if (port.port_security_enabled) {
    // The port may send from its own MAC and addresses, and from each allowed pair.
    port_security.push_back(own_addresses);
    for (const model::AllowedAddressPair& pair : port.allowed_address_pairs) {
      port_security.push_back(
          absl::StrCat(pair.mac.value_or(port.mac).ToString(), " ", pair.prefix.ToString()));
    }
  } else {
    // Without port security the VM may use any address; "unknown" makes OVN deliver frames
    // for MACs it has not learned to this port, as a plain switch would.
    addresses.push_back("unknown");
  }
  lsp.columns["name"] = ovsdb::Datum::String(lsp.name);
  lsp.columns["type"] = ovsdb::Datum::String("");  // a VM interface
  lsp.columns["addresses"] = ovsdb::Datum::StringSet(addresses);
  lsp.columns["port_security"] = ovsdb::Datum::StringSet(port_security);
  lsp.columns["external_ids"] = ExternalIds(owner, port.meta);
  return {std::move(lsp)};
}

}  // namespace plasmanet::reconcile
