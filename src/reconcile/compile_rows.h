// Helpers shared by the compile_*.cc files: how every compiled row marks its owner and its name.
// Internal to src/reconcile.
#pragma once

#include <cstdint>
#include <map>
#include <string>

#include <absl/strings/str_cat.h>
#include <absl/strings/string_view.h>

#include "common/mac_address.h"
#include "model/meta.h"
#include "ovsdb/datum.h"
#include "reconcile/compile.h"
#include "reconcile/nb_schema.h"

namespace plasmanet::reconcile::internal {

// FNV-1a of `salt` and `id`: stable across builds and platforms, unlike std::hash.
inline uint64_t StableHash(absl::string_view salt, absl::string_view id) {
  uint64_t hash = 0xcbf29ce484222325ULL;
  for (absl::string_view part : {salt, id}) {
    for (unsigned char c : part) hash = (hash ^ c) * 0x100000001b3ULL;
  }
  return hash;
}

// 0a:xx:xx:xx:xx:xx: locally administered (bit 1 of the first octet), unicast (bit 0 clear).
inline MacAddress LocalMac(uint64_t hash) {
  return MacAddress((uint64_t{0x0a} << 40) | (hash & 0xff'ffff'ffffULL));
}

// Marks a row of a table without a name column with its name, as NbIndex expects.
inline ovsdb::Datum WithRowName(const ovsdb::Datum& external_ids, const std::string& name) {
  std::map<std::string, std::string> ids = external_ids.AsStringMap();
  ids[std::string(kRowNameKey)] = name;
  return ovsdb::Datum::StringMap(ids);
}

// external_ids of every row compiled from `owner`: owner, revision, project and name.
inline ovsdb::Datum ExternalIds(OwnerRef owner, const model::ObjectMeta& meta) {
  return ovsdb::Datum::StringMap({
      {std::string(kOwnerKey), owner.ToString()},
      {std::string(kRevisionKey), std::to_string(meta.revision)},
      {std::string(kProjectKey), absl::StrCat(meta.org_id, "/", meta.project_id)},
      {std::string(kNameKey), meta.name},
  });
}

}  // namespace plasmanet::reconcile::internal
