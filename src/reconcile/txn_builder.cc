#include "reconcile/txn_builder.h"

#include <algorithm>
#include <optional>

#include <absl/strings/str_cat.h>

namespace plasmanet::reconcile {
namespace {

nlohmann::json WhereUuid(const ovsdb::Uuid& uuid) {
  return nlohmann::json::array(
      {nlohmann::json::array({"_uuid", "==", nlohmann::json::array({"uuid", uuid.ToString()})})});
}

// external_ids equal apart from plasmanet:revision. Both datums are canonical (keys sorted), so
// one merge walk compares them without building maps: this runs for every owner of every
// pass, most of which find nothing to do.
bool SameIgnoringRevision(const ovsdb::Datum& desired, const ovsdb::Datum& actual) {
  const ovsdb::Atom revision = std::string(kRevisionKey);
  size_t i = 0;
  size_t j = 0;
  const auto& a = desired.keys();
  const auto& b = actual.keys();
  while (true) {
    if (i < a.size() && a[i] == revision) ++i;
    if (j < b.size() && b[j] == revision) ++j;
    if (i == a.size() || j == b.size()) return i == a.size() && j == b.size();
    if (a[i] != b[j] || desired.values()[i] != actual.values()[j]) return false;
    ++i;
    ++j;
  }
}

}  // namespace

TxnBuilder::TxnBuilder(const ovsdb::Replica& replica, const NbIndex& index)
    : replica_(replica), index_(index) {}

TxnCounts TxnBuilder::Add(const OwnerRef& owner, const std::vector<DesiredRow>& desired) {
  TxnCounts counts;
  // The owner's rows in NB, by (table, name); duplicates beyond the first are deleted.
  std::map<std::pair<NbTable, std::string>, ovsdb::Uuid> actual;
  for (const ovsdb::Uuid& uuid : index_.RowsOf(owner)) {
    const OwnedRow* row = index_.Find(uuid);
    auto [it, fresh] = actual.try_emplace({row->table, row->name}, uuid);
    if (!fresh) Delete(row->table, uuid, counts);
  }
  // Each desired row's NB row: the one of its name, else one of ours of the same table that
  // someone renamed (put the name back in place rather than replacing the row: deleting a
  // router would take its ports with it); none: inserted.
  std::vector<std::optional<ovsdb::Uuid>> existing(desired.size());
  std::vector<size_t> unmatched;
  for (size_t i = 0; i < desired.size(); ++i) {
    auto it = actual.find({desired[i].table, desired[i].name});
    if (it == actual.end()) {
      unmatched.push_back(i);
      continue;
    }
    existing[i] = it->second;
    actual.erase(it);
  }
  for (size_t i : unmatched) {
    auto renamed = std::find_if(actual.begin(), actual.end(), [&](const auto& entry) {
      return entry.first.first == desired[i].table;
    });
    if (renamed == actual.end()) continue;
    existing[i] = renamed->second;
    actual.erase(renamed);
  }
  // In the owner's order, so a row referenced by a later one (a port's own DHCP options, by
  // its switch port) is inserted before the reference to it is resolved.
  for (size_t i = 0; i < desired.size(); ++i) {
    const DesiredRow& row = desired[i];
    if (!existing[i]) {
      Insert(row, counts);
      continue;
    }
    UpdateIfChanged(*existing[i], row, counts);
    if (row.table == NbTable::kLogicalSwitchPort) {
      SyncGroups(*existing[i], *existing[i], row, counts);
    }
  }
  for (const auto& [key, uuid] : actual) Delete(key.first, uuid, counts);  // left behind
  counts_.inserted += counts.inserted;
  counts_.updated += counts.updated;
  counts_.deleted += counts.deleted;
  counts_.memberships += counts.memberships;
  counts_.blocked += counts.blocked;
  return counts;
}

TxnBuilder::Resolved TxnBuilder::Resolve(const std::vector<RowRef>& refs) const {
  std::vector<ovsdb::Atom> atoms;
  bool complete = true;
  for (const RowRef& ref : refs) {
    std::optional<Target> target = FindRoot(ref.table, ref.name);
    if (!target) {
      complete = false;
    } else if (target->named.empty()) {
      atoms.emplace_back(target->uuid);
    } else {
      atoms.emplace_back(ovsdb::NamedUuid{target->named});
    }
  }
  return {ovsdb::Datum::Set(std::move(atoms)), complete};
}

nlohmann::json TxnBuilder::MapMutations(absl::string_view column, const ovsdb::Datum& desired,
                                        const ovsdb::Datum& actual) {
  // Both maps are sorted by key: one merge walk. A changed value is a delete of the key and an
  // insert of the new pair (OVSDB's map "insert" never overwrites).
  std::vector<ovsdb::Atom> removed;
  std::vector<std::pair<ovsdb::Atom, ovsdb::Atom>> added;
  const auto& dk = desired.keys();
  const auto& ak = actual.keys();
  size_t i = 0, j = 0;
  while (i < dk.size() || j < ak.size()) {
    if (j == ak.size() || (i < dk.size() && dk[i] < ak[j])) {
      added.emplace_back(dk[i], desired.values()[i]);
      ++i;
    } else if (i == dk.size() || ak[j] < dk[i]) {
      removed.push_back(ak[j]);
      ++j;
    } else {
      if (desired.values()[i] != actual.values()[j]) {
        removed.push_back(ak[j]);
        added.emplace_back(dk[i], desired.values()[i]);
      }
      ++i;
      ++j;
    }
  }
  nlohmann::json mutations = nlohmann::json::array();
  if (!removed.empty()) {
    mutations.push_back({column, "delete", ovsdb::Datum::Set(std::move(removed)).ToJson()});
  }
  if (!added.empty()) {
    mutations.push_back({column, "insert", ovsdb::Datum::Map(std::move(added)).ToJson()});
  }
  return mutations;
}

std::optional<TxnBuilder::Target> TxnBuilder::FindRoot(NbTable table,
                                                       const std::string& name) const {
  if (auto it = inserted_.find({table, name}); it != inserted_.end()) {
    return Target{.named = it->second.first};
  }
  if (std::optional<ovsdb::Uuid> uuid = index_.FindByName(table, name)) {
    return Target{.uuid = *uuid};
  }
  return std::nullopt;
}

void TxnBuilder::AddToInsertedRow(NbTable table, const std::string& name, absl::string_view column,
                                  ovsdb::Atom child) {
  const size_t op = inserted_.at({table, name}).second;
  nlohmann::json& refs = ops_[op]["row"][std::string(column)];
  if (refs.is_null()) refs = nlohmann::json::array({"set", nlohmann::json::array()});
  refs[1].push_back(ovsdb::AtomToJson(child));
}

void TxnBuilder::SyncGroups(const ovsdb::Atom& port, const std::optional<ovsdb::Uuid>& existing,
                            const DesiredRow& row, TxnCounts& counts) {
  std::vector<ovsdb::Uuid> current =
      existing ? index_.GroupsOf(*existing) : std::vector<ovsdb::Uuid>{};
  for (const std::string& group : row.groups) {
    std::optional<Target> target = FindRoot(NbTable::kPortGroup, group);
    if (!target) {
      ++counts.blocked;  // the group is not in NB yet: try again when it is
      continue;
    }
    if (!target->named.empty()) {
      AddToInsertedRow(NbTable::kPortGroup, group, kMembersColumn, port);
      continue;
    }
    if (auto it = std::find(current.begin(), current.end(), target->uuid); it != current.end()) {
      current.erase(it);  // already a member
      continue;
    }
    join_[target->uuid].push_back(port);
    ++counts.memberships;
  }
  for (const ovsdb::Uuid& group : current) {  // left the group
    leave_[group].push_back(port);
    ++counts.memberships;
  }
}

void TxnBuilder::Insert(const DesiredRow& row, TxnCounts& counts) {
  std::optional<Target> parent;
  if (!IsRootTable(row.table)) {
    parent = FindRoot(ParentTable(row.table), row.parent);
    if (!parent) {
      ++counts.blocked;
      return;
    }
  }
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [column, refs] : row.refs) {
    // A row is not held back for a reference: it goes in with the targets that exist, and
    // its owner stays dirty until the others do (a switch serves before a sibling subnet's
    // names are written).
    const Resolved resolved = Resolve(refs);
    if (!resolved.complete) ++counts.blocked;
    values[column] = resolved.datum.ToJson();
  }
  const std::string named = absl::StrCat("row", next_name_++);
  for (const auto& [column, datum] : row.columns) values[column] = datum.ToJson();
  inserted_[{row.table, row.name}] = {named, ops_.size()};
  // Members are assigned, not listed in an initializer list: that would deep-copy the row.
  nlohmann::json& op = ops_.emplace_back(nlohmann::json::object());
  op["op"] = "insert";
  op["table"] = NbTableName(row.table);
  op["uuid-name"] = named;
  op["row"] = std::move(values);
  ++counts.inserted;
  const ovsdb::Atom self = ovsdb::NamedUuid{named};
  if (row.table == NbTable::kLogicalSwitchPort) SyncGroups(self, std::nullopt, row, counts);
  if (!parent) return;
  const NbTable parent_table = ParentTable(row.table);
  if (!parent->named.empty()) {
    // The parent is inserted by this transaction too: list the child in its row.
    AddToInsertedRow(parent_table, row.parent, ChildColumn(row.table), self);
  } else {
    attach_[{row.table, parent->uuid}].push_back(self);
  }
}

void TxnBuilder::UpdateIfChanged(const ovsdb::Uuid& uuid, const DesiredRow& row,
                                 TxnCounts& counts) {
  const ovsdb::TableReplica& table = *replica_.FindTable(NbTableName(row.table));
  const ovsdb::Row* found = table.Find(uuid);
  if (found == nullptr) return;
  const ovsdb::Row& actual = *found;
  nlohmann::json changed = nlohmann::json::object();
  nlohmann::json mutations = nlohmann::json::array();
  for (const auto& [column, datum] : row.columns) {
    const ovsdb::Datum& current = table.Get(actual, column);
    if (IsMutatedMap(row.table, column)) {
      for (nlohmann::json& m : MapMutations(column, datum, current)) {
        mutations.push_back(std::move(m));
      }
      continue;
    }
    const bool same =
        column == "external_ids" ? SameIgnoringRevision(datum, current) : datum == current;
    if (!same) changed[column] = datum.ToJson();
  }
  for (const auto& [column, refs] : row.refs) {
    const Resolved resolved = Resolve(refs);
    if (!resolved.complete) ++counts.blocked;
    if (resolved.datum != table.Get(actual, column)) changed[column] = resolved.datum.ToJson();
  }
  if (!mutations.empty()) {
    nlohmann::json& op = ops_.emplace_back(nlohmann::json::object());
    op["op"] = "mutate";
    op["table"] = NbTableName(row.table);
    op["where"] = WhereUuid(uuid);
    op["mutations"] = std::move(mutations);
    if (changed.empty()) ++counts.updated;
  }
  if (changed.empty()) return;
  // Whatever changed, the row now reflects the object's current revision.
  if (auto ids = row.columns.find("external_ids"); ids != row.columns.end()) {
    changed["external_ids"] = ids->second.ToJson();
  }
  nlohmann::json& op = ops_.emplace_back(nlohmann::json::object());
  op["op"] = "update";
  op["table"] = NbTableName(row.table);
  op["where"] = WhereUuid(uuid);
  op["row"] = std::move(changed);
  ++counts.updated;
}

void TxnBuilder::Delete(NbTable table, const ovsdb::Uuid& uuid, TxnCounts& counts) {
  ++counts.deleted;
  if (IsRootTable(table)) {
    ops_.push_back({{"op", "delete"}, {"table", NbTableName(table)}, {"where", WhereUuid(uuid)}});
    return;
  }
  // A port row goes when no router or switch references it any more (garbage collection).
  std::optional<ovsdb::Uuid> parent = index_.ParentOf(uuid);
  if (!parent) return;
  detach_[{table, *parent}].push_back(uuid);
  // ovsdb-server checks strong references before it collects garbage: a gateway port that
  // would only be collected still holds its HA_Chassis_Group, whose deletion in the same
  // transaction is then refused. Deleting the port outright drops the reference in time.
  if (HoldsStrongRootReferences(table)) {
    ops_.push_back({{"op", "delete"}, {"table", NbTableName(table)}, {"where", WhereUuid(uuid)}});
  }
}

nlohmann::json TxnBuilder::Build() {
  nlohmann::json ops = std::move(ops_);
  ops_ = nlohmann::json::array();
  auto mutate = [&](NbTable table, const ovsdb::Uuid& row, absl::string_view column,
                    const char* mutator, const std::vector<ovsdb::Atom>& refs) {
    ops.push_back({{"op", "mutate"},
                   {"table", NbTableName(table)},
                   {"where", WhereUuid(row)},
                   {"mutations", nlohmann::json::array({nlohmann::json::array(
                                     {column, mutator, ovsdb::Datum::Set(refs).ToJson()})})}});
  };
  for (const auto& [parent, children] : detach_) {
    mutate(ParentTable(parent.first), parent.second, ChildColumn(parent.first), "delete", children);
  }
  for (const auto& [parent, children] : attach_) {
    mutate(ParentTable(parent.first), parent.second, ChildColumn(parent.first), "insert", children);
  }
  for (const auto& [group, ports] : leave_) {
    mutate(NbTable::kPortGroup, group, kMembersColumn, "delete", ports);
  }
  for (const auto& [group, ports] : join_) {
    mutate(NbTable::kPortGroup, group, kMembersColumn, "insert", ports);
  }
  return ops;
}

}  // namespace plasmanet::reconcile
