#include "reconcile/model_cache.h"

#include <absl/strings/match.h>
#include <absl/strings/strip.h>

#include "common/logging.h"
#include "model/json_codec.h"

namespace plasmanet::reconcile {
namespace {

constexpr absl::string_view kVpcPrefix = "/v1/vpcs/";
constexpr absl::string_view kSubnetPrefix = "/v1/subnets/";
constexpr absl::string_view kPortPrefix = "/v1/ports/";

template <typename T>
std::optional<OwnerRef> ApplyTo(absl::flat_hash_map<std::string, T>& objects,
                                absl::flat_hash_map<std::string, int64_t>& deleted_at,
                                bool track_deletions, OwnerRef::Kind kind, absl::string_view id,
                                const store::KeyValue& kv, bool is_delete) {
  OwnerRef owner{kind, std::string(id)};
  auto it = objects.find(owner.id);
  if (it != objects.end() && it->second.meta.revision > kv.mod_revision) return std::nullopt;
  if (is_delete) {
    if (it != objects.end()) objects.erase(it);
    if (track_deletions) deleted_at[owner.id] = kv.mod_revision;
    return owner;
  }
  if (auto gone = deleted_at.find(owner.id);
      gone != deleted_at.end() && gone->second > kv.mod_revision) {
    return std::nullopt;
  }
  absl::StatusOr<T> object = model::Decode<T>(kv.value);
  if (!object.ok()) {
    LOG_ERROR("reconciler cannot decode key={} error=\"{}\"", kv.key,
              std::string(object.status().message()));
    return std::nullopt;
  }
  object->meta.revision = kv.mod_revision;
  objects[owner.id] = *std::move(object);
  return owner;
}

}  // namespace

bool ModelCache::IsObjectKey(absl::string_view key) {
  return absl::StartsWith(key, kVpcPrefix) || absl::StartsWith(key, kSubnetPrefix) ||
         absl::StartsWith(key, kPortPrefix);
}

void ModelCache::Clear() {
  vpcs_.clear();
  subnets_.clear();
  ports_.clear();
  deleted_at_.clear();
}

std::optional<OwnerRef> ModelCache::Apply(const store::KeyValue& kv, bool is_delete) {
  absl::string_view id = kv.key;
  if (absl::ConsumePrefix(&id, kVpcPrefix)) {
    return ApplyTo(vpcs_, deleted_at_, track_deletions_, OwnerRef::Kind::kVpc, id, kv, is_delete);
  }
  if (absl::ConsumePrefix(&id, kSubnetPrefix)) {
    return ApplyTo(subnets_, deleted_at_, track_deletions_, OwnerRef::Kind::kSubnet, id, kv,
                   is_delete);
  }
  if (absl::ConsumePrefix(&id, kPortPrefix)) {
    return ApplyTo(ports_, deleted_at_, track_deletions_, OwnerRef::Kind::kPort, id, kv, is_delete);
  }
  return std::nullopt;
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
  for (const auto& [id, port] : ports_) owners.push_back({OwnerRef::Kind::kPort, id});
  return owners;
}

const model::Port* ModelCache::FindPort(const std::string& id) const {
  auto it = ports_.find(id);
  return it == ports_.end() ? nullptr : &it->second;
}

}  // namespace plasmanet::reconcile
