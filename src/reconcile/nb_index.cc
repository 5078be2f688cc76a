#include "reconcile/nb_index.h"

namespace plasmanet::reconcile {
namespace {

std::optional<NbTable> TableByName(absl::string_view name) {
  for (NbTable table : kAllNbTables) {
    if (NbTableName(table) == name) return table;
  }
  return std::nullopt;
}

}  // namespace

void NbIndex::Rebuild(const ovsdb::Replica& replica) {
  rows_.clear();
  by_owner_.clear();
  by_name_.clear();
  parent_of_.clear();
  children_of_.clear();
  members_of_.clear();
  groups_of_.clear();
  for (NbTable kind : kAllNbTables) {
    const ovsdb::TableReplica* table = replica.FindTable(NbTableName(kind));
    if (table == nullptr) continue;
    for (const auto& [uuid, row] : table->rows()) {
      Index(*table, kind, uuid, row);
      if (kind == NbTable::kPortGroup && Find(uuid) != nullptr) {
        SetMembers(uuid, table->Get(row, kMembersColumn).AsUuids(), nullptr);
      }
    }
  }
}

void NbIndex::Apply(const ovsdb::Replica& replica, const ovsdb::RowChange& change,
                    std::vector<OwnerRef>* touched) {
  const std::optional<NbTable> kind = TableByName(change.table);
  if (!kind) return;
  if (const OwnedRow* before = Find(change.uuid)) {
    touched->push_back(before->owner);
    Remove(change.uuid);
  }
  const ovsdb::TableReplica* table = replica.FindTable(change.table);
  const ovsdb::Row* row = table == nullptr || change.kind == ovsdb::RowChange::Kind::kDelete
                              ? nullptr
                              : table->Find(change.uuid);
  if (row != nullptr) {
    Index(*table, *kind, change.uuid, *row);
    if (const OwnedRow* after = Find(change.uuid)) touched->push_back(after->owner);
  }
  if (*kind != NbTable::kPortGroup) return;
  // A group whose members change touches the ports that joined or left, so a port removed
  // from its group by someone else is put back. Only the difference is indexed: the drop group
  // holds every port, and a transaction changes a few of them.
  std::vector<ovsdb::Uuid> members;
  if (row != nullptr && Find(change.uuid) != nullptr) {
    members = table->Get(*row, kMembersColumn).AsUuids();
  }
  std::vector<ovsdb::Uuid> changed;
  SetMembers(change.uuid, std::move(members), &changed);
  for (const ovsdb::Uuid& port : changed) {
    if (const OwnedRow* owned = Find(port)) touched->push_back(owned->owner);
  }
}

void NbIndex::SetMembers(const ovsdb::Uuid& group, std::vector<ovsdb::Uuid> members,
                         std::vector<ovsdb::Uuid>* changed) {
  std::vector<ovsdb::Uuid>& current = members_of_[group];
  // Both are sorted (a datum's atoms are), so one merge walk finds who joined and who left.
  size_t i = 0, j = 0;
  while (i < current.size() || j < members.size()) {
    if (j == members.size() || (i < current.size() && current[i] < members[j])) {
      if (auto groups = groups_of_.find(current[i]); groups != groups_of_.end()) {  // left
        groups->second.erase(group);
        if (groups->second.empty()) groups_of_.erase(groups);
      }
      if (changed != nullptr) changed->push_back(current[i]);
      ++i;
    } else if (i == current.size() || members[j] < current[i]) {
      groups_of_[members[j]].insert(group);  // joined
      if (changed != nullptr) changed->push_back(members[j]);
      ++j;
    } else {
      ++i;
      ++j;
    }
  }
  if (members.empty()) {
    members_of_.erase(group);
  } else {
    current = std::move(members);
  }
}

void NbIndex::Index(const ovsdb::TableReplica& table, NbTable kind, const ovsdb::Uuid& uuid,
                    const ovsdb::Row& row) {
  const ovsdb::Datum& ids = table.Get(row, "external_ids");
  const std::string* owner_text = ids.Lookup(kOwnerKey);
  if (owner_text == nullptr) return;  // not ours: never touched
  std::optional<OwnerRef> owner = OwnerRef::Parse(*owner_text);
  if (!owner) return;
  std::string name;
  if (HasNameColumn(kind)) {
    name = table.Get(row, "name").AsString();
  } else if (const std::string* row_name = ids.Lookup(kRowNameKey)) {
    name = *row_name;
  }
  by_owner_[*owner].insert(uuid);
  by_name_.try_emplace({kind, name}, uuid);
  rows_[uuid] = OwnedRow{kind, std::move(name), *std::move(owner)};
  if (!IsRootTable(kind)) return;
  for (NbTable child_table : kAllNbTables) {
    if (IsRootTable(child_table) || ParentTable(child_table) != kind) continue;
    std::vector<ovsdb::Uuid> children = table.Get(row, ChildColumn(child_table)).AsUuids();
    if (children.empty()) continue;
    for (const ovsdb::Uuid& child : children) parent_of_[child] = uuid;
    std::vector<ovsdb::Uuid>& all = children_of_[uuid];
    all.insert(all.end(), children.begin(), children.end());
  }
}

void NbIndex::Remove(const ovsdb::Uuid& uuid) {
  auto it = rows_.find(uuid);
  if (it == rows_.end()) return;
  const OwnedRow& row = it->second;
  if (auto owner = by_owner_.find(row.owner); owner != by_owner_.end()) {
    owner->second.erase(uuid);
    if (owner->second.empty()) by_owner_.erase(owner);
  }
  if (auto named = by_name_.find({row.table, row.name});
      named != by_name_.end() && named->second == uuid) {
    by_name_.erase(named);
    // A duplicate of the same owner (being cleaned up) takes over the name meanwhile.
    if (auto owner = by_owner_.find(row.owner); owner != by_owner_.end()) {
      for (const ovsdb::Uuid& other : owner->second) {
        const OwnedRow& candidate = rows_.at(other);
        if (candidate.table == row.table && candidate.name == row.name) {
          by_name_[{row.table, row.name}] = other;
          break;
        }
      }
    }
  }
  if (auto children = children_of_.find(uuid); children != children_of_.end()) {
    for (const ovsdb::Uuid& child : children->second) {
      if (auto parent = parent_of_.find(child);
          parent != parent_of_.end() && parent->second == uuid) {
        parent_of_.erase(parent);
      }
    }
    children_of_.erase(children);
  }
  rows_.erase(it);
}

const OwnedRow* NbIndex::Find(const ovsdb::Uuid& uuid) const {
  auto it = rows_.find(uuid);
  return it == rows_.end() ? nullptr : &it->second;
}

std::vector<ovsdb::Uuid> NbIndex::RowsOf(const OwnerRef& owner) const {
  auto it = by_owner_.find(owner);
  if (it == by_owner_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::optional<ovsdb::Uuid> NbIndex::FindByName(NbTable table, const std::string& name) const {
  auto it = by_name_.find({table, name});
  if (it == by_name_.end()) return std::nullopt;
  return it->second;
}

std::optional<ovsdb::Uuid> NbIndex::ParentOf(const ovsdb::Uuid& child) const {
  auto it = parent_of_.find(child);
  if (it == parent_of_.end()) return std::nullopt;
  return it->second;
}

std::vector<ovsdb::Uuid> NbIndex::GroupsOf(const ovsdb::Uuid& port) const {
  auto it = groups_of_.find(port);
  if (it == groups_of_.end()) return {};
  return {it->second.begin(), it->second.end()};
}

std::vector<OwnerRef> NbIndex::Owners() const {
  std::vector<OwnerRef> owners;
  owners.reserve(by_owner_.size());
  for (const auto& [owner, rows] : by_owner_) owners.push_back(owner);
  return owners;
}

}  // namespace plasmanet::reconcile
