// TxnBuilder: the diff between what an owner's rows should be (Compile) and what the NB replica
// holds, as the smallest OVSDB transaction that closes it.
//
//   TxnBuilder builder(replica, index);
//   for (const OwnerRef& owner : dirty) builder.Add(owner, Compile(owner));
//   nlohmann::json ops = builder.Build();  // empty array: NB already matches
//
// Only differing columns are updated; a row that differs only in plasmanet:revision is left
// alone (a status change bumps an object's revision without changing its rows). References from
// routers and switches to their ports are changed with "mutate" (insert/delete single uuids),
// never by rewriting the "ports" set, so ports someone else attached to our switches survive,
// and the mutations for many ports of one switch are merged into one operation. A new
// switch's or router's ports go straight into its insert. Port groups are kept the same way:
// their ACLs are children ("acls"), and a switch port's memberships (DesiredRow::groups) are
// added to and removed from the groups' "ports" by mutation, one port at a time, so a drop
// group holding every port of the cloud is never rewritten. Reference columns to other root
// rows (DesiredRow::refs) are resolved to uuids here, and large maps (IsMutatedMap) are changed
// by key mutations.
#pragma once

#include <map>
#include <string>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>
#include <nlohmann/json.hpp>

#include "ovsdb/datum.h"
#include "ovsdb/replica.h"
#include "reconcile/compile.h"
#include "reconcile/nb_index.h"

namespace plasmanet::reconcile {

struct TxnCounts {
  size_t inserted = 0;
  size_t updated = 0;
  size_t deleted = 0;
  // Switch ports added to or removed from port groups.
  size_t memberships = 0;
  // Rows (or memberships) left out because the router, switch or port group they belong on is
  // neither in NB nor being created (their owner stays dirty).
  size_t blocked = 0;

  size_t changes() const { return inserted + updated + deleted + memberships; }
};

class TxnBuilder {
 public:
  TxnBuilder(const ovsdb::Replica& replica, const NbIndex& index);

  // Adds what it takes to make the NB rows of `owner` equal `desired` (empty: the owner is
  // gone and its rows are deleted). Rows are inserted or updated in the order of `desired`, so
  // a row's refs may name a row of the same owner listed before it and be resolved in the same
  // transaction. Returns this owner's share of the counts.
  TxnCounts Add(const OwnerRef& owner, const std::vector<DesiredRow>& desired);

  const TxnCounts& counts() const { return counts_; }
  // The operations, in order: inserts/updates/deletes as added, then the reference mutations.
  // Moves them out: call once, after the last Add.
  nlohmann::json Build();

 private:
  struct Target {  // a parent row: already in NB, or inserted by this transaction
    ovsdb::Uuid uuid;
    std::string named;  // non-empty: inserted here
  };

  void Insert(const DesiredRow& row, TxnCounts& counts);
  void UpdateIfChanged(const ovsdb::Uuid& uuid, const DesiredRow& row, TxnCounts& counts);
  void Delete(NbTable table, const ovsdb::Uuid& uuid, TxnCounts& counts);
  std::optional<Target> FindRoot(NbTable table, const std::string& name) const;
  // The datum of a reference column: the targets' uuids, or the uuid-names of their inserts in
  // this transaction; not complete when a target is neither in NB nor being inserted (it is
  // left out).
  struct Resolved {
    ovsdb::Datum datum;
    bool complete = true;
  };
  Resolved Resolve(const std::vector<RowRef>& refs) const;
  // For IsMutatedMap columns: mutations that turn `actual` into `desired` key by key (empty if
  // they are equal).
  static nlohmann::json MapMutations(absl::string_view column, const ovsdb::Datum& desired,
                                     const ovsdb::Datum& actual);
  // Appends `child` to the reference column of a root row inserted by this transaction.
  void AddToInsertedRow(NbTable table, const std::string& name, absl::string_view column,
                        ovsdb::Atom child);
  // Makes the switch port `port` (in NB, or inserted here) a member of exactly `row.groups`.
  void SyncGroups(const ovsdb::Atom& port, const std::optional<ovsdb::Uuid>& existing,
                  const DesiredRow& row, TxnCounts& counts);

  const ovsdb::Replica& replica_;
  const NbIndex& index_;
  TxnCounts counts_;
  nlohmann::json ops_ = nlohmann::json::array();
  int next_name_ = 0;
  // (table, name) of rows inserted here -> their uuid-name and op index.
  std::map<std::pair<NbTable, std::string>, std::pair<std::string, size_t>> inserted_;
  // Children to add to / remove from existing parents, by (child table, parent uuid): the
  // child's table names the parent's column.
  std::map<std::pair<NbTable, ovsdb::Uuid>, std::vector<ovsdb::Atom>> attach_;
  std::map<std::pair<NbTable, ovsdb::Uuid>, std::vector<ovsdb::Atom>> detach_;
  // Switch ports to add to / remove from existing port groups.
  std::map<ovsdb::Uuid, std::vector<ovsdb::Atom>> join_;
  std::map<ovsdb::Uuid, std::vector<ovsdb::Atom>> leave_;
};

}  // namespace plasmanet::reconcile
