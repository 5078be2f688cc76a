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
  static const auto* prefixes =
      new std::vector<absl::string_view>{kVpcPrefix, kSubnetPrefix, kGroupPrefix, kPortPrefix};
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

std::vector<OwnerRef> ModelCache::Apply(ObjectChange change) {
  std::optional<OwnerRef> owner;
  switch (change.owner.kind) {
    case OwnerRef::Kind::kVpc:
      owner = ApplyTo(vpcs_, deleted_at_, track_deletions_, std::move(change));
      break;
    case OwnerRef::Kind::kSubnet:
      owner = ApplyTo(subnets_, deleted_at_, track_deletions_, std::move(change));
      break;
    case OwnerRef::Kind::kSecurityGroup:
      owner = ApplyTo(groups_, deleted_at_, track_deletions_, std::move(change));
      break;
    case OwnerRef::Kind::kPort: {
      const bool had_ports = !ports_.empty();
      owner = ApplyTo(ports_, deleted_at_, track_deletions_, std::move(change));
      // The drop group comes with the first port and goes with the last.
      if (owner && had_ports != !ports_.empty()) {
        return {*std::move(owner), {OwnerRef::Kind::kDefaultDeny, std::string(kDefaultDenyId)}};
      }
      break;
    }
    case OwnerRef::Kind::kDefaultDeny:
      break;  // not a store object
  }
  if (!owner) return {};
  return {*std::move(owner)};
}

std::vector<DesiredRow> ModelCache::Compile(const OwnerRef& owner) const {
  switch (owner.kind) {
    case OwnerRef::Kind::kVpc:
      if (auto it = vpcs_.find(owner.id); it != vpcs_.end()) return CompileVpc(it->second);
      break;
    case OwnerRef::Kind::kSubnet:
      if (auto it = subnets_.find(owner.id); it != subnets_.end()) {
        return CompileSubnet(it->second);
      }
      break;
    case OwnerRef::Kind::kPort:
      if (auto it = ports_.find(owner.id); it != ports_.end()) return CompilePort(it->second);
      break;
    case OwnerRef::Kind::kSecurityGroup:
      if (auto it = groups_.find(owner.id); it != groups_.end()) {
        return CompileSecurityGroup(it->second);
      }
      break;
    case OwnerRef::Kind::kDefaultDeny:
      if (!ports_.empty() && owner.id == kDefaultDenyId) return CompileDefaultDeny();
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
  for (const auto& [id, vpc] : vpcs_) owners.push_back({OwnerRef::Kind::kVpc, id});
  for (const auto& [id, subnet] : subnets_) owners.push_back({OwnerRef::Kind::kSubnet, id});
  for (const auto& [id, group] : groups_) {
    owners.push_back({OwnerRef::Kind::kSecurityGroup, id});
  }
  for (const auto& [id, port] : ports_) owners.push_back({OwnerRef::Kind::kPort, id});
  if (!ports_.empty()) {
    owners.push_back({OwnerRef::Kind::kDefaultDeny, std::string(kDefaultDenyId)});
  }
  return owners;
}

const model::Port* ModelCache::FindPort(const std::string& id) const {
  auto it = ports_.find(id);
  return it == ports_.end() ? nullptr : &it->second;
}

}  // namespace plasmanet::reconcile
