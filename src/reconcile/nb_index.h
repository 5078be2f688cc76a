// NbIndex: which Northbound rows PlasmaNET owns, found by owner, by name, by the parent row
// that references them, and (for switch ports) by the port groups that hold them. Kept in step with
// the replica by applying the same row changes, so the reconciler never scans the replica to answer
// "what does port X have in NB?".
//
// It remembers a row's owner after the row is gone from the replica, which is how a deletion
// by someone else is traced back to the object whose rows must be restored.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <absl/container/flat_hash_set.h>

#include "ovsdb/replica.h"
#include "ovsdb/uuid.h"
#include "reconcile/compile.h"
#include "reconcile/nb_schema.h"

namespace plasmanet::reconcile {

struct OwnedRow {
  NbTable table = NbTable::kLogicalRouter;
  std::string name;
  OwnerRef owner;
};

class NbIndex {
 public:
  // Forgets everything and indexes every owned row of `replica`.
  void Rebuild(const ovsdb::Replica& replica);

  // Brings the index up to date with one changed row (its state in `replica` is the new one).
  // Appends the owners whose rows changed (before and after the change) to `touched`.
  void Apply(const ovsdb::Replica& replica, const ovsdb::RowChange& change,
             std::vector<OwnerRef>* touched);

  const OwnedRow* Find(const ovsdb::Uuid& uuid) const;
  // The owned rows of `owner` (empty if none).
  std::vector<ovsdb::Uuid> RowsOf(const OwnerRef& owner) const;
  std::optional<ovsdb::Uuid> FindByName(NbTable table, const std::string& name) const;
  // The owned root row whose ChildColumn references `child`.
  std::optional<ovsdb::Uuid> ParentOf(const ovsdb::Uuid& child) const;
  // The owned Port_Groups whose "ports" hold the switch port `port`.
  std::vector<ovsdb::Uuid> GroupsOf(const ovsdb::Uuid& port) const;
  // Every owner with at least one row.
  std::vector<OwnerRef> Owners() const;

  size_t size() const { return rows_.size(); }

 private:
  void Remove(const ovsdb::Uuid& uuid);
  // Makes `members` (sorted) the members of `group`, appending to `changed` (if not null) the
  // ports that joined or left.
  void SetMembers(const ovsdb::Uuid& group, std::vector<ovsdb::Uuid> members,
                  std::vector<ovsdb::Uuid>* changed);
  void Index(const ovsdb::TableReplica& table, NbTable kind, const ovsdb::Uuid& uuid,
             const ovsdb::Row& row);

  absl::flat_hash_map<ovsdb::Uuid, OwnedRow> rows_;
  absl::flat_hash_map<OwnerRef, absl::flat_hash_set<ovsdb::Uuid>> by_owner_;
  absl::flat_hash_map<std::pair<NbTable, std::string>, ovsdb::Uuid> by_name_;
  absl::flat_hash_map<ovsdb::Uuid, ovsdb::Uuid> parent_of_;
  absl::flat_hash_map<ovsdb::Uuid, std::vector<ovsdb::Uuid>> children_of_;
  absl::flat_hash_map<ovsdb::Uuid, std::vector<ovsdb::Uuid>> members_of_;         // group -> ports
  absl::flat_hash_map<ovsdb::Uuid, absl::flat_hash_set<ovsdb::Uuid>> groups_of_;  // port -> groups
};

}  // namespace plasmanet::reconcile
