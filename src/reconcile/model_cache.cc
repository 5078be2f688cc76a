#include "reconcile/model_cache.h"

#include <algorithm>
#include <iterator>
#include <thread>

#include <absl/strings/match.h>
#include <absl/strings/strip.h>

#include "common/logging.h"
#include "model/json_codec.h"

namespace plasmanet::reconcile {
namespace {

constexpr absl::string_view kVpcPrefix = "/v1/vpcs/";
constexpr absl::string_view kSubnetPrefix = "/v1/subnets/";
constexpr absl::string_view kPortPrefix = "/v1/ports/";
constexpr absl::string_view kGroupPrefix = "/v1/security_groups/";
constexpr absl::string_view kNetworkPrefix = "/v1/external_networks/";
constexpr absl::string_view kFloatingIpPrefix = "/v1/floating_ips/";

template <typename T>
std::optional<OwnerRef> ApplyTo(absl::flat_hash_map<std::string, T>& objects,
                                absl::flat_hash_map<std::string, int64_t>& deleted_at,
                                bool track_deletions, ObjectChange change) {
  OwnerRef& owner = change.owner;
  auto it = objects.find(owner.id);
  if (it != objects.end() && it->second.meta.revision > change.mod_revision) return std::nullopt;
  if (std::holds_alternative<std::monostate>(change.object)) {
    if (it != objects.end()) objects.erase(it);
    if (track_deletions) deleted_at[owner.id] = change.mod_revision;
    return std::move(owner);
  }
  if (auto gone = deleted_at.find(owner.id);
      gone != deleted_at.end() && gone->second > change.mod_revision) {
    return std::nullopt;
  }
  objects[owner.id] = std::get<T>(std::move(change.object));
  return std::move(owner);
}

template <typename T>
std::optional<ObjectChange> DecodeAs(OwnerRef owner, const store::KeyValue& kv, bool is_delete) {
  ObjectChange change{.owner = std::move(owner), .mod_revision = kv.mod_revision};
  if (is_delete) return change;
  absl::StatusOr<T> object = model::Decode<T>(kv.value);
  if (!object.ok()) {
    LOG_ERROR("reconciler cannot decode key={} error=\"{}\"", kv.key,
              std::string(object.status().message()));
    return std::nullopt;
  }
  object->meta.revision = kv.mod_revision;
  change.object = *std::move(object);
  return change;
}

}  // namespace

const std::vector<absl::string_view>& ModelCache::ObjectPrefixes() {
  static const auto* prefixes = new std::vector<absl::string_view>{
      kNetworkPrefix, kVpcPrefix, kSubnetPrefix, kGroupPrefix, kPortPrefix, kFloatingIpPrefix};
  return *prefixes;
}

bool ModelCache::IsObjectKey(absl::string_view key) {
  for (absl::string_view prefix : ObjectPrefixes()) {
    if (absl::StartsWith(key, prefix)) return true;
  }
  return false;
}

void ModelCache::Clear() {
  vpcs_.clear();
  subnets_.clear();
  ports_.clear();
  groups_.clear();
  networks_.clear();
  fips_.clear();
  vpcs_of_network_.clear();
  subnets_of_vpc_.clear();
  ports_of_subnet_.clear();
  deleted_at_.clear();
}

std::optional<ObjectChange> ModelCache::Decode(const store::KeyValue& kv, bool is_delete) {
  absl::string_view id = kv.key;
  if (absl::ConsumePrefix(&id, kVpcPrefix)) {
    return DecodeAs<model::Vpc>({OwnerRef::Kind::kVpc, std::string(id)}, kv, is_delete);
  }
  if (absl::ConsumePrefix(&id, kSubnetPrefix)) {
    return DecodeAs<model::Subnet>({OwnerRef::Kind::kSubnet, std::string(id)}, kv, is_delete);
  }
  if (absl::ConsumePrefix(&id, kPortPrefix)) {
    return DecodeAs<model::Port>({OwnerRef::Kind::kPort, std::string(id)}, kv, is_delete);
  }
  if (absl::ConsumePrefix(&id, kNetworkPrefix)) {
    return DecodeAs<model::ExternalNetwork>({OwnerRef::Kind::kExternalNetwork, std::string(id)}, kv,
                                            is_delete);
  }
  if (absl::ConsumePrefix(&id, kFloatingIpPrefix)) {
    return DecodeAs<model::FloatingIp>({OwnerRef::Kind::kFloatingIp, std::string(id)}, kv,
                                       is_delete);
  }
  if (absl::ConsumePrefix(&id, kGroupPrefix)) {
    return DecodeAs<model::SecurityGroup>({OwnerRef::Kind::kSecurityGroup, std::string(id)}, kv,
                                          is_delete);
  }
  return std::nullopt;
}

std::vector<ObjectChange> ModelCache::DecodeAll(const std::vector<store::KeyValue>& puts,
                                                int threads) {
  constexpr size_t kMinPerThread = 1000;  // below this a thread costs more than it saves
  const size_t n = puts.size();
  const size_t parts = std::clamp<size_t>(n / kMinPerThread, 1, std::max(threads, 1));
  std::vector<std::vector<ObjectChange>> decoded(parts);
  auto decode_part = [&](size_t part) {
    for (size_t i = part * n / parts; i < (part + 1) * n / parts; ++i) {
      if (std::optional<ObjectChange> change = Decode(puts[i], false)) {
        decoded[part].push_back(*std::move(change));
      }
    }
  };
  std::vector<std::thread> helpers;
  for (size_t part = 1; part < parts; ++part) helpers.emplace_back(decode_part, part);
  decode_part(0);
  for (std::thread& helper : helpers) helper.join();
  std::vector<ObjectChange> all = std::move(decoded[0]);
  for (size_t part = 1; part < parts; ++part) {
    std::move(decoded[part].begin(), decoded[part].end(), std::back_inserter(all));
  }
  return all;
}

namespace {

// Keeps `index` (parent id -> child ids) in step with one child moving from `before` to `after`
// (empty: none).
void Relink(absl::flat_hash_map<std::string, absl::flat_hash_set<std::string>>& index,
            const std::string& child, const std::string& before, const std::string& after) {
  if (before == after) return;
  if (!before.empty()) {
    if (auto it = index.find(before); it != index.end()) {
      it->second.erase(child);
      if (it->second.empty()) index.erase(it);
    }
  }
  if (!after.empty()) index[after].insert(child);
}

template <typename T>
std::optional<T> Copy(const absl::flat_hash_map<std::string, T>& objects, const std::string& id) {
  auto it = objects.find(id);
  if (it == objects.end()) return std::nullopt;
  return it->second;
}

template <typename T>
const T* Ptr(const std::optional<T>& object) {
  return object ? &*object : nullptr;
}

}  // namespace

std::vector<OwnerRef> ModelCache::Apply(ObjectChange change) {
  const bool had_default_deny = HasDefaultDeny();
  const std::string id = change.owner.id;
  std::optional<OwnerRef> owner;
  std::vector<OwnerRef> out;
  switch (change.owner.kind) {
    case OwnerRef::Kind::kVpc: {
      std::optional<model::Vpc> before = Copy(vpcs_, id);
      owner = ApplyTo(vpcs_, deleted_at_, track_deletions_, std::move(change));
      if (!owner) break;
      std::optional<model::Vpc> after = Copy(vpcs_, id);
      const auto network_of = [](const std::optional<model::Vpc>& v) {
        return v && v->gateway ? v->gateway->external_network_id : std::string();
      };
      Relink(vpcs_of_network_, id, network_of(before), network_of(after));
      AddDependents(Ptr(before), Ptr(after), out);
      break;
    }
    case OwnerRef::Kind::kExternalNetwork: {
      std::optional<model::ExternalNetwork> before = Copy(networks_, id);
      owner = ApplyTo(networks_, deleted_at_, track_deletions_, std::move(change));
      if (owner) AddDependents(Ptr(before), Ptr(Copy(networks_, id)), out);
      break;
    }
    case OwnerRef::Kind::kFloatingIp:
      owner = ApplyTo(fips_, deleted_at_, track_deletions_, std::move(change));
      break;
    case OwnerRef::Kind::kSubnet: {
      std::optional<model::Subnet> before = Copy(subnets_, id);
      owner = ApplyTo(subnets_, deleted_at_, track_deletions_, std::move(change));
      if (!owner) break;
      std::optional<model::Subnet> after = Copy(subnets_, id);
      Relink(subnets_of_vpc_, id, before ? before->vpc_id : "", after ? after->vpc_id : "");
      AddDependents(Ptr(before), Ptr(after), out);
      break;
    }
    case OwnerRef::Kind::kSecurityGroup:
      owner = ApplyTo(groups_, deleted_at_, track_deletions_, std::move(change));
      break;
    case OwnerRef::Kind::kPort: {
      std::optional<model::Port> before = Copy(ports_, id);
      owner = ApplyTo(ports_, deleted_at_, track_deletions_, std::move(change));
      if (!owner) break;
      const model::Port* after = FindPort(id);
      Relink(ports_of_subnet_, id, before ? before->subnet_id : "",
             after != nullptr ? after->subnet_id : "");
      AddDependents(Ptr(before), after, out);
      break;
    }
    case OwnerRef::Kind::kDefaultDeny:
      break;  // not a store object
  }
  if (!owner) return {};
  out.insert(out.begin(), *std::move(owner));
  // The drop group comes with the first subnet or port and goes with the last.
  if (had_default_deny != HasDefaultDeny()) {
    out.push_back({OwnerRef::Kind::kDefaultDeny, std::string(kDefaultDenyId)});
  }
  return out;
}

void ModelCache::AddPortsOf(const std::string& subnet_id, bool only_with_own_dhcp,
                            std::vector<OwnerRef>& out) const {
  auto it = ports_of_subnet_.find(subnet_id);
  if (it == ports_of_subnet_.end()) return;
  for (const std::string& id : it->second) {
    if (only_with_own_dhcp) {
      auto port = ports_.find(id);
      if (port == ports_.end() || port->second.extra_dhcp_options.empty()) continue;
    }
    out.push_back({OwnerRef::Kind::kPort, id});
  }
}

void ModelCache::AddDependents(const model::Vpc* before, const model::Vpc* after,
                               std::vector<OwnerRef>& out) const {
  // The VPC's name is part of its subnets' search domain, which ports with their own DHCP
  // options copy.
  if (before == nullptr || after == nullptr || before->meta.name == after->meta.name) return;
  if (auto it = subnets_of_vpc_.find(after->meta.id); it != subnets_of_vpc_.end()) {
    for (const std::string& subnet : it->second) {
      out.push_back({OwnerRef::Kind::kSubnet, subnet});
      AddPortsOf(subnet, /*only_with_own_dhcp=*/true, out);
    }
  }
}

void ModelCache::AddDependents(const model::ExternalNetwork* before,
                               const model::ExternalNetwork* after,
                               std::vector<OwnerRef>& out) const {
  // A gateway's rows hold the network's CIDR length, gateway address and physical network.
  const bool same = before != nullptr && after != nullptr && before->cidr == after->cidr &&
                    before->gateway_ip == after->gateway_ip &&
                    before->physical_network == after->physical_network;
  if (same) return;
  const model::ExternalNetwork* any = after != nullptr ? after : before;
  if (any == nullptr) return;  // the delete of a network the cache never held
  if (auto it = vpcs_of_network_.find(any->meta.id); it != vpcs_of_network_.end()) {
    for (const std::string& vpc : it->second) out.push_back({OwnerRef::Kind::kVpc, vpc});
  }
}

void ModelCache::AddDependents(const model::Subnet* before, const model::Subnet* after,
                               std::vector<OwnerRef>& out) const {
  const model::Subnet* any = after != nullptr ? after : before;
  if (any == nullptr) return;
  // Every switch of the VPC references every subnet's DNS row: a subnet that comes or goes
  // changes its siblings' switches.
  if (before == nullptr || after == nullptr) {
    if (auto it = subnets_of_vpc_.find(any->vpc_id); it != subnets_of_vpc_.end()) {
      for (const std::string& sibling : it->second) {
        if (sibling != any->meta.id) out.push_back({OwnerRef::Kind::kSubnet, sibling});
      }
    }
  }
  // A port references its subnet's DHCP options when they exist.
  const auto dhcp_shape = [](const model::Subnet* s) {
    return std::make_tuple(s->dhcp_enabled, s->ipv4.has_value(), s->ipv6.has_value(),
                           s->ipv6_address_mode);
  };
  // A port with its own DHCP options row copies the subnet's DHCPv4 options into it.
  const auto dhcp4_settings = [](const model::Subnet* s) {
    std::optional<std::pair<IpPrefix, IpAddress>> v4;
    if (s->ipv4) v4.emplace(s->ipv4->cidr, s->ipv4->gateway);
    return std::make_tuple(s->meta.name, v4, s->dns_servers, s->mtu, s->host_routes);
  };
  if (before != nullptr && after != nullptr) {
    if (dhcp_shape(before) != dhcp_shape(after)) {
      AddPortsOf(after->meta.id, /*only_with_own_dhcp=*/false, out);
    } else if (dhcp4_settings(before) != dhcp4_settings(after)) {
      AddPortsOf(after->meta.id, /*only_with_own_dhcp=*/true, out);
    }
  }
  if (before == nullptr && after != nullptr) {
    // Ports the cache saw before their subnet (possible in a snapshot) lack its DHCP options.
    AddPortsOf(after->meta.id, /*only_with_own_dhcp=*/false, out);
  }
}

void ModelCache::AddDependents(const model::Port* before, const model::Port* after,
                               std::vector<OwnerRef>& out) const {
  // The subnet's DNS row holds the port's name and addresses; a status change touches neither.
  const bool same_record =
      before != nullptr && after != nullptr && before->meta.name == after->meta.name &&
      before->fixed_ips == after->fixed_ips && before->subnet_id == after->subnet_id;
  if (same_record) return;
  if (before != nullptr) out.push_back({OwnerRef::Kind::kSubnet, before->subnet_id});
  if (after != nullptr && (before == nullptr || after->subnet_id != before->subnet_id)) {
    out.push_back({OwnerRef::Kind::kSubnet, after->subnet_id});
  }
}

SubnetContext ModelCache::ContextOf(const model::Subnet& subnet) const {
  SubnetContext context;
  auto vpc = vpcs_.find(subnet.vpc_id);
  if (vpc != vpcs_.end()) context.vpc = &vpc->second;
  if (auto siblings = subnets_of_vpc_.find(subnet.vpc_id); siblings != subnets_of_vpc_.end()) {
    context.vpc_subnet_ids.assign(siblings->second.begin(), siblings->second.end());
    std::sort(context.vpc_subnet_ids.begin(), context.vpc_subnet_ids.end());
  }
  auto ports = ports_of_subnet_.find(subnet.meta.id);
  if (context.vpc == nullptr || ports == ports_of_subnet_.end()) return context;
  for (const std::string& port_id : ports->second) {
    const model::Port& port = ports_.at(port_id);
    AddDnsRecords(port, PortFqdn(port, subnet, *context.vpc, options_.dns_zone), context.records);
  }
  return context;
}

VpcContext ModelCache::ContextOf(const model::Vpc& vpc) const {
  VpcContext context;
  if (!vpc.gateway) return context;
  auto network = networks_.find(vpc.gateway->external_network_id);
  if (network == networks_.end()) return context;
  context.network = &network->second;
  if (auto chassis = gateway_chassis_.find(network->second.physical_network);
      chassis != gateway_chassis_.end()) {
    context.gateway_chassis = GatewayChassisFor(vpc.meta.id, chassis->second);
  }
  return context;
}

std::vector<OwnerRef> ModelCache::SetGatewayChassis(
    absl::flat_hash_map<std::string, std::vector<std::string>> by_network) {
  for (auto& [physnet, chassis] : by_network) std::sort(chassis.begin(), chassis.end());
  std::vector<OwnerRef> changed;
  for (const auto& [network_id, vpcs] : vpcs_of_network_) {
    auto network = networks_.find(network_id);
    if (network == networks_.end()) continue;
    const std::string& physnet = network->second.physical_network;
    auto before = gateway_chassis_.find(physnet);
    auto after = by_network.find(physnet);
    const bool same =
        (before == gateway_chassis_.end() ? std::vector<std::string>{} : before->second) ==
        (after == by_network.end() ? std::vector<std::string>{} : after->second);
    if (same) continue;
    for (const std::string& vpc : vpcs) changed.push_back({OwnerRef::Kind::kVpc, vpc});
  }
  gateway_chassis_ = std::move(by_network);
  return changed;
}

std::vector<DesiredRow> ModelCache::Compile(const OwnerRef& owner) const {
  switch (owner.kind) {
    case OwnerRef::Kind::kVpc:
      if (auto it = vpcs_.find(owner.id); it != vpcs_.end()) {
        return CompileVpc(it->second, ContextOf(it->second));
      }
      break;
    case OwnerRef::Kind::kExternalNetwork:
      if (auto it = networks_.find(owner.id); it != networks_.end()) {
        return CompileExternalNetwork(it->second);
      }
      break;
    case OwnerRef::Kind::kFloatingIp:
      if (auto it = fips_.find(owner.id); it != fips_.end()) {
        return CompileFloatingIp(it->second);
      }
      break;
    case OwnerRef::Kind::kSubnet:
      if (auto it = subnets_.find(owner.id); it != subnets_.end()) {
        return CompileSubnet(it->second, ContextOf(it->second), options_);
      }
      break;
    case OwnerRef::Kind::kPort:
      if (auto it = ports_.find(owner.id); it != ports_.end()) {
        PortContext context{.options = &options_};
        if (auto subnet = subnets_.find(it->second.subnet_id); subnet != subnets_.end()) {
          context.subnet = &subnet->second;
        }
        if (auto vpc = vpcs_.find(it->second.vpc_id); vpc != vpcs_.end()) {
          context.vpc = &vpc->second;
        }
        return CompilePort(it->second, context);
      }
      break;
    case OwnerRef::Kind::kSecurityGroup:
      if (auto it = groups_.find(owner.id); it != groups_.end()) {
        return CompileSecurityGroup(it->second);
      }
      break;
    case OwnerRef::Kind::kDefaultDeny:
      if (HasDefaultDeny() && owner.id == kDefaultDenyId) return CompileDefaultDeny();
      break;
  }
  return {};
}

void ModelCache::TrackDeletions(bool on) {
  track_deletions_ = on;
  if (!on) deleted_at_.clear();
}

std::vector<OwnerRef> ModelCache::Owners() const {
  std::vector<OwnerRef> owners;
  owners.reserve(size());
  for (const auto& [id, network] : networks_) {
    owners.push_back({OwnerRef::Kind::kExternalNetwork, id});
  }
  for (const auto& [id, vpc] : vpcs_) owners.push_back({OwnerRef::Kind::kVpc, id});
  for (const auto& [id, fip] : fips_) owners.push_back({OwnerRef::Kind::kFloatingIp, id});
  for (const auto& [id, subnet] : subnets_) owners.push_back({OwnerRef::Kind::kSubnet, id});
  for (const auto& [id, group] : groups_) {
    owners.push_back({OwnerRef::Kind::kSecurityGroup, id});
  }
  for (const auto& [id, port] : ports_) owners.push_back({OwnerRef::Kind::kPort, id});
  if (HasDefaultDeny()) {
    owners.push_back({OwnerRef::Kind::kDefaultDeny, std::string(kDefaultDenyId)});
  }
  return owners;
}

const model::Port* ModelCache::FindPort(const std::string& id) const {
  auto it = ports_.find(id);
  return it == ports_.end() ? nullptr : &it->second;
}

}  // namespace plasmanet::reconcile
