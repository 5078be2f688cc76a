#include "reconcile/nb_fence.h"

#include <absl/strings/match.h>
#include <absl/strings/numbers.h>
#include <absl/strings/str_cat.h>

namespace plasmanet::reconcile {
namespace {

// {"plasmanet:leader-epoch": epoch} as an OVSDB map.
nlohmann::json EpochMap(int64_t epoch) {
  return nlohmann::json::array(
      {"map",
       nlohmann::json::array({nlohmann::json::array({kLeaderEpochKey, absl::StrCat(epoch)})})});
}

}  // namespace

absl::StatusOr<nlohmann::json> NbFence::ClaimOps(const ovsdb::Replica& replica) const {
  const ovsdb::TableReplica* global = replica.FindTable("NB_Global");
  if (global == nullptr) {
    return absl::FailedPreconditionError("NB_Global is not monitored");
  }
  if (global->rows().empty()) {
    // A bare NB (ovn-northd creates the row when it first runs; the table holds at most one, so
    // a concurrent insert makes one of the two transactions fail).
    return nlohmann::json::array({{{"op", "insert"},
                                   {"table", "NB_Global"},
                                   {"row", {{"external_ids", EpochMap(epoch_)}}}}});
  }
  const auto& [uuid, row] = *global->rows().begin();
  const ovsdb::Datum& external_ids = global->Get(row, "external_ids");
  if (const std::string* claimed = external_ids.Lookup(kLeaderEpochKey)) {
    int64_t current = 0;
    if (absl::SimpleAtoi(*claimed, &current) && current > epoch_) {
      return absl::FailedPreconditionError(
          absl::StrCat("NB was claimed by a newer leader (epoch ", current, " > ", epoch_, ")"));
    }
  }
  const nlohmann::json where = nlohmann::json::array(
      {nlohmann::json::array({"_uuid", "==", nlohmann::json::array({"uuid", uuid.ToString()})})});
  return nlohmann::json::array({
      {{"op", "wait"},
       {"table", "NB_Global"},
       {"timeout", 0},
       {"where", where},
       {"columns", {"external_ids"}},
       {"until", "=="},
       {"rows", {{{"external_ids", external_ids.ToJson()}}}}},
      {{"op", "mutate"},
       {"table", "NB_Global"},
       {"where", where},
       {"mutations",
        nlohmann::json::array(
            {nlohmann::json::array(
                 {"external_ids", "delete",
                  nlohmann::json::array({"set", nlohmann::json::array({kLeaderEpochKey})})}),
             nlohmann::json::array({"external_ids", "insert", EpochMap(epoch_)})})}},
  });
}

nlohmann::json NbFence::GuardOp() const {
  // Holds while exactly one NB_Global row (there is at most one) carries this epoch.
  return {{"op", "wait"},
          {"table", "NB_Global"},
          {"timeout", 0},
          {"where", nlohmann::json::array(
                        {nlohmann::json::array({"external_ids", "includes", EpochMap(epoch_)})})},
          {"columns", nlohmann::json::array()},
          {"until", "=="},
          {"rows", nlohmann::json::array({nlohmann::json::object()})}};
}

bool NbFence::RefusedByGuard(const absl::Status& status) {
  return absl::IsAborted(status) && absl::StrContains(status.message(), "op 0 (wait NB_Global)");
}

}  // namespace plasmanet::reconcile
