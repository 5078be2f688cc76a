#include "reconcile/txn_builder.h"

#include <algorithm>

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
  std::vector<const DesiredRow*> unmatched;
  for (const DesiredRow& row : desired) {
    auto it = actual.find({row.table, row.name});
    if (it == actual.end()) {
      unmatched.push_back(&row);
      continue;
    }
    UpdateIfChanged(it->second, row, counts);
    actual.erase(it);
  }
  for (const DesiredRow* row : unmatched) {
    // A row of ours renamed by someone: put the name back in place rather than replacing the
    // row (deleting a router would take its ports with it).
    auto renamed = std::find_if(actual.begin(), actual.end(),
                                [&](const auto& entry) { return entry.first.first == row->table; });
    if (renamed != actual.end()) {
      UpdateIfChanged(renamed->second, *row, counts);
      actual.erase(renamed);
    } else {
      Insert(*row, counts);
    }
  }
  for (const auto& [key, uuid] : actual) Delete(key.first, uuid, counts);  // left behind
  counts_.inserted += counts.inserted;
  counts_.updated += counts.updated;
  counts_.deleted += counts.deleted;
  counts_.blocked += counts.blocked;
  return counts;
}

std::optional<TxnBuilder::Target> TxnBuilder::FindParent(NbTable child_table,
                                                         const std::string& parent_name) const {
  const NbTable parent_table = ParentTable(child_table);
  if (auto it = inserted_.find({parent_table, parent_name}); it != inserted_.end()) {
    return Target{.named = it->second.first};
  }
  if (std::optional<ovsdb::Uuid> uuid = index_.FindByName(parent_table, parent_name)) {
    return Target{.uuid = *uuid};
  }
  return std::nullopt;
}

void TxnBuilder::Insert(const DesiredRow& row, TxnCounts& counts) {
  std::optional<Target> parent;
  if (!IsRootTable(row.table)) {
    parent = FindParent(row.table, row.parent);
    if (!parent) {
      ++counts.blocked;
      return;
    }
  }
  const std::string named = absl::StrCat("row", next_name_++);
  nlohmann::json values = nlohmann::json::object();
  for (const auto& [column, datum] : row.columns) values[column] = datum.ToJson();
  inserted_[{row.table, row.name}] = {named, ops_.size()};
  // Members are assigned, not listed in an initializer list: that would deep-copy the row.
  nlohmann::json& op = ops_.emplace_back(nlohmann::json::object());
  op["op"] = "insert";
  op["table"] = NbTableName(row.table);
  op["uuid-name"] = named;
  op["row"] = std::move(values);
  ++counts.inserted;
  if (!parent) return;
  const ovsdb::Atom child = ovsdb::NamedUuid{named};
  if (!parent->named.empty()) {
    // The parent is inserted by this transaction too: list the child in its row.
    const size_t parent_op = inserted_.at({ParentTable(row.table), row.parent}).second;
    nlohmann::json& ports = ops_[parent_op]["row"]["ports"];
    if (ports.is_null()) ports = nlohmann::json::array({"set", nlohmann::json::array()});
    ports[1].push_back(ovsdb::AtomToJson(child));
  } else {
    attach_[{ParentTable(row.table), parent->uuid}].push_back(child);
  }
}

void TxnBuilder::UpdateIfChanged(const ovsdb::Uuid& uuid, const DesiredRow& row,
                                 TxnCounts& counts) {
  const ovsdb::TableReplica& table = *replica_.FindTable(NbTableName(row.table));
  const ovsdb::Row* found = table.Find(uuid);
  if (found == nullptr) return;
  const ovsdb::Row& actual = *found;
  nlohmann::json changed = nlohmann::json::object();
  for (const auto& [column, datum] : row.columns) {
    const ovsdb::Datum& current = table.Get(actual, column);
    const bool same =
        column == "external_ids" ? SameIgnoringRevision(datum, current) : datum == current;
    if (!same) changed[column] = datum.ToJson();
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
  if (std::optional<ovsdb::Uuid> parent = index_.ParentOf(uuid)) {
    detach_[{ParentTable(table), *parent}].push_back(uuid);
  }
}

nlohmann::json TxnBuilder::Build() {
  nlohmann::json ops = std::move(ops_);
  ops_ = nlohmann::json::array();
  auto mutate = [&](const auto& by_parent, const char* mutator) {
    for (const auto& [parent, children] : by_parent) {
      ops.push_back(
          {{"op", "mutate"},
           {"table", NbTableName(parent.first)},
           {"where", WhereUuid(parent.second)},
           {"mutations", nlohmann::json::array({nlohmann::json::array(
                             {"ports", mutator, ovsdb::Datum::Set(children).ToJson()})})}});
    }
  };
  mutate(detach_, "delete");
  mutate(attach_, "insert");
  return ops;
}

}  // namespace plasmanet::reconcile
