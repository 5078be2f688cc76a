#include "reconcile/reconciler.h"

#include <algorithm>
#include <utility>

#include <absl/strings/str_cat.h>

#include "common/logging.h"
#include "reconcile/txn_builder.h"

namespace plasmanet::reconcile {
namespace {

constexpr int64_t kSnapshotPageSize = 10000;

bool OutcomeUnknown(const absl::Status& status) {
  return absl::IsUnavailable(status) || absl::IsDeadlineExceeded(status);
}

}  // namespace

Reconciler::Reconciler(store::Store& store, service::PortService& ports, ReconcilerOptions options)
    : store_(store),
      ports_(ports),
      options_(std::move(options)),
      fence_(options_.fence_epoch > 0 ? std::optional<NbFence>(NbFence(options_.fence_epoch))
                                      : std::nullopt),
      claimed_(options_.fence_epoch <= 0),
      cache_(options_.compile) {
  ovsdb::ClientOptions nb{
      .remotes = options_.nb_remotes,
      .database = "OVN_Northbound",
      .monitored = MonitoredNbColumns(),
      .tls = options_.tls,
      .probe_interval = options_.probe_interval,
      .backoff_max = options_.backoff_max,
  };
  if (!options_.sb_remotes.empty()) {
    sb_ = std::make_unique<SbBindings>(
        options_.sb_remotes, options_.sb_tls,
        [this](std::vector<std::string> changed) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            sb_changed_ports_.insert(sb_changed_ports_.end(), changed.begin(), changed.end());
          }
          cv_.notify_all();
        },
        [this](SbBindings::GatewayChassis gateways) {
          {
            std::lock_guard<std::mutex> lock(mu_);
            sb_gateway_chassis_ = std::move(gateways);
          }
          cv_.notify_all();
        });
  }
  client_ =
      std::make_unique<ovsdb::Client>(std::move(nb), static_cast<ovsdb::ClientListener*>(this));
}

Reconciler::~Reconciler() { Stop(); }

void Reconciler::Start() {
  next_audit_ = absl::Now() + options_.audit_interval;
  store_thread_ = std::thread([this] { WatchStore(); });
  worker_thread_ = std::thread([this] { Work(); });
  client_->Start();
  if (sb_) sb_->Start();
}

void Reconciler::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !worker_thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  synced_cv_.notify_all();
  client_->Stop();
  if (sb_) sb_->Stop();
  if (store_thread_.joinable()) store_thread_.join();
  if (worker_thread_.joinable()) worker_thread_.join();
}

bool Reconciler::WaitForRevision(int64_t revision, absl::Duration timeout) {
  std::unique_lock<std::mutex> lock(mu_);
  return synced_cv_.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] {
    return synced_revision_ >= revision || stopping_;
  }) && synced_revision_ >= revision;
}

int64_t Reconciler::synced_revision() const {
  std::lock_guard<std::mutex> lock(mu_);
  return synced_revision_;
}

ReconcilerStats Reconciler::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

void Reconciler::OnSynced(bool full) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (full) {
      nb_full_sync_ = true;
      nb_changes_.clear();  // the rebuilt index covers them
    }
    nb_resynced_ = true;
    ++nb_syncs_;
  }
  cv_.notify_all();
}

void Reconciler::OnRowsChanged(const std::vector<ovsdb::RowChange>& changes) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    nb_changes_.insert(nb_changes_.end(), changes.begin(), changes.end());
  }
  cv_.notify_all();
}

void Reconciler::OnDisconnected(const absl::Status&) {
  // Nothing to do: dirty owners wait for the next sync, which reports what changed meanwhile.
}

void Reconciler::WatchStore() {
  std::unique_ptr<store::Watcher> watcher;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (stopping_) return;
    }
    if (watcher == nullptr) {
      // A snapshot of every object, then changes from the oldest revision it was read at (the
      // cache ignores replays of older states).
      StoreInput snapshot{.snapshot = true};
      std::vector<store::KeyValue> objects;
      std::optional<int64_t> watch_from;  // the first page's revision (0 is a real one)
      absl::Status failed;
      for (absl::string_view prefix : ModelCache::ObjectPrefixes()) {
        store::RangeRequest request{.prefix = std::string(prefix), .limit = kSnapshotPageSize};
        while (failed.ok()) {
          absl::StatusOr<store::RangeResult> page = store_.Range(request);
          if (!page.ok()) {
            failed = page.status();
            break;
          }
          if (!watch_from) watch_from = page->revision;
          snapshot.revision = std::max(snapshot.revision, page->revision);
          for (store::KeyValue& kv : page->kvs) objects.push_back(std::move(kv));
          if (!page->more) break;
          request.start_after = objects.back().key;
        }
      }
      absl::StatusOr<std::unique_ptr<store::Watcher>> opened =
          failed.ok() ? store_.Watch("/v1/", watch_from.value_or(0)) : failed;
      if (!opened.ok()) {
        LOG_ERROR("reconciler cannot read the store error=\"{}\"",
                  std::string(opened.status().message()));
        std::unique_lock<std::mutex> lock(mu_);
        cv_.wait_for(lock, std::chrono::seconds(1), [&] { return stopping_; });
        continue;
      }
      watcher = *std::move(opened);
      snapshot.changes = ModelCache::DecodeAll(objects, std::thread::hardware_concurrency());
      LOG_INFO("reconciler loaded store objects={} revision={}", snapshot.changes.size(),
               snapshot.revision);
      {
        std::lock_guard<std::mutex> lock(mu_);
        store_inputs_.push_back(std::move(snapshot));
      }
      cv_.notify_all();
    }
    absl::StatusOr<std::vector<store::Event>> events = watcher->Next(absl::Milliseconds(500));
    if (!events.ok()) {
      if (absl::IsCancelled(events.status())) return;
      LOG_WARN("reconciler store watch restarts error=\"{}\"",
               std::string(events.status().message()));
      watcher.reset();  // OUT_OF_RANGE after compaction, or a failure: read everything again
      continue;
    }
    if (events->empty()) continue;
    StoreInput input;
    for (store::Event& event : *events) {
      input.revision = std::max(input.revision, event.kv.mod_revision);
      if (!ModelCache::IsObjectKey(event.kv.key)) continue;
      if (std::optional<ObjectChange> change =
              ModelCache::Decode(event.kv, event.type == store::Event::Type::kDelete)) {
        input.changes.push_back(*std::move(change));
      }
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      store_inputs_.push_back(std::move(input));
    }
    cv_.notify_all();
  }
}

void Reconciler::Work() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    const absl::Time wake =
        std::min(retry_at_ > absl::Now() ? retry_at_ : absl::InfiniteFuture(), next_audit_);
    cv_.wait_for(
        lock, absl::ToChronoMilliseconds(std::max(wake - absl::Now(), absl::ZeroDuration())), [&] {
          return stopping_ || !store_inputs_.empty() || nb_full_sync_ || nb_resynced_ ||
                 !nb_changes_.empty() || !sb_changed_ports_.empty() ||
                 sb_gateway_chassis_.has_value();
        });
    if (stopping_) return;
    Absorb(lock);
    // The client is synced as soon as its replica is, before this thread has rebuilt the index
    // from it; diffing against an index that has not seen the latest sync would insert rows NB
    // already holds (a restart's first pass inserted every row again).
    const bool nb_ready = client_->synced() && absorbed_syncs_ == nb_syncs_;
    lock.unlock();
    const absl::Time now = absl::Now();
    if (now >= next_audit_) {
      // The safety net: re-diff everything (a no-op when NB is right).
      for (const OwnerRef& owner : cache_.Owners()) dirty_.insert(owner);
      for (const OwnerRef& owner : index_.Owners()) dirty_.insert(owner);
      refused_.clear();  // perhaps whatever blocked them is gone
      next_audit_ = now + options_.audit_interval;
    }
    if (nb_ready && !claimed_ && !fenced_ && now >= retry_at_) ClaimNb();
    // NB often syncs before the store is read (a new leader on a remote etcd): diffing then
    // would delete every row we own and insert it again, taking each VM's port out of OVN.
    const bool ready = nb_ready && store_loaded_ && claimed_ && !fenced_;
    if (ready && now >= retry_at_) ReconcileDirty();
    for (const std::string& id : std::exchange(refused_ports_, {})) {
      if (fenced_) break;
      absl::Status recorded =
          ports_.RecordBinding(id, model::PortStatus::kError, "", options_.store_fence);
      if (!recorded.ok() && !absl::IsNotFound(recorded)) {
        LOG_WARN("reconciler cannot record port status port={} error=\"{}\"", id,
                 std::string(recorded.message()));
      }
    }
    if (ready) UpdatePortStatuses();
    lock.lock();
    if (nb_ready && store_loaded_ && dirty_.empty() && blocked_.empty() && refused_.empty()) {
      if (resync_started_) {
        LOG_INFO("reconciler full resync done inserted={} updated={} deleted={} took={}",
                 stats_.rows_inserted - resync_base_.rows_inserted,
                 stats_.rows_updated - resync_base_.rows_updated,
                 stats_.rows_deleted - resync_base_.rows_deleted,
                 absl::FormatDuration(absl::Now() - *resync_started_));
        resync_started_.reset();
      }
      if (synced_revision_ < seen_revision_) {
        synced_revision_ = seen_revision_;
        synced_cv_.notify_all();
      }
    }
  }
}

void Reconciler::Absorb(std::unique_lock<std::mutex>& lock) {
  std::vector<StoreInput> store_inputs = std::move(store_inputs_);
  store_inputs_.clear();
  const bool full_sync = std::exchange(nb_full_sync_, false);
  nb_resynced_ = false;
  absorbed_syncs_ = nb_syncs_;
  std::vector<ovsdb::RowChange> nb_changes = std::move(nb_changes_);
  nb_changes_.clear();
  for (std::string& port : sb_changed_ports_) status_checks_.insert(std::move(port));
  sb_changed_ports_.clear();
  std::optional<SbBindings::GatewayChassis> gateways = std::exchange(sb_gateway_chassis_, {});
  if (full_sync) ++stats_.full_resyncs;
  lock.unlock();

  // NB first, so a store change absorbed in the same round clears the drift suspicion its own
  // transaction's echo raised.
  if (full_sync) {
    client_->ReadReplica([&](const ovsdb::Replica& replica) { index_.Rebuild(replica); });
    for (const OwnerRef& owner : cache_.Owners()) dirty_.insert(owner);
    for (const OwnerRef& owner : index_.Owners()) dirty_.insert(owner);
    for (const OwnerRef& owner : cache_.Owners()) {
      if (owner.kind == OwnerRef::Kind::kPort) status_checks_.insert(owner.id);
    }
    LOG_INFO("reconciler full resync started objects={} nb_owned_rows={}", cache_.size(),
             index_.size());
    resync_started_ = absl::Now();
    resync_base_ = stats();
  }
  ApplyNbChanges(nb_changes);
  for (StoreInput& input : store_inputs) {
    if (input.snapshot) {
      cache_.Clear();
      cache_.TrackDeletions(true);
      snapshot_revision_ = input.revision;
      store_loaded_ = true;
      for (const OwnerRef& owner : index_.Owners()) dirty_.insert(owner);
    }
    for (ObjectChange& change : input.changes) {
      for (OwnerRef& owner : cache_.Apply(std::move(change))) {
        drift_suspects_.erase(owner);
        refused_.erase(owner);
        dirty_.insert(std::move(owner));
      }
    }
    seen_revision_ = std::max(seen_revision_, input.revision);
    if (seen_revision_ > snapshot_revision_) cache_.TrackDeletions(false);
  }
  if (gateways) {
    size_t moved = 0;
    for (OwnerRef& owner : cache_.SetGatewayChassis(*std::move(gateways))) {
      dirty_.insert(std::move(owner));
      ++moved;
    }
    if (moved > 0) LOG_INFO("reconciler gateway chassis changed vpcs={}", moved);
  }
  lock.lock();
}

void Reconciler::ApplyNbChanges(const std::vector<ovsdb::RowChange>& changes) {
  if (changes.empty()) return;
  std::vector<OwnerRef> touched;
  client_->ReadReplica([&](const ovsdb::Replica& replica) {
    for (const ovsdb::RowChange& change : changes) index_.Apply(replica, change, &touched);
  });
  for (OwnerRef& owner : touched) {
    if (owner.kind == OwnerRef::Kind::kPort) status_checks_.insert(owner.id);
    // A blocked owner's next change is its own unfinished work (a reference that can now be
    // resolved), not drift: it is repaired all the same, but not reported as someone else's.
    if (dirty_.insert(owner).second && !blocked_.contains(owner)) drift_suspects_.insert(owner);
  }
  // A parent may have appeared: blocked owners get another chance.
  dirty_.insert(blocked_.begin(), blocked_.end());
  blocked_.clear();
}

void Reconciler::ReconcileDirty() {
  for (const OwnerRef& owner : refused_) dirty_.erase(owner);
  while (!dirty_.empty() && client_->synced()) {
    std::vector<OwnerRef> taken;
    std::vector<OwnerRef> drifted;
    nlohmann::json ops;
    TxnCounts counts;
    const absl::Time build_start = absl::Now();
    // After a refused batch, its owners go one per transaction until the culprit is found.
    std::erase_if(suspects_, [&](const OwnerRef& owner) { return !dirty_.contains(owner); });
    const bool isolating = !suspects_.empty();
    client_->ReadReplica([&](const ovsdb::Replica& replica) {
      TxnBuilder builder(replica, index_);
      auto add = [&](const OwnerRef& owner) {
        const TxnCounts added = builder.Add(owner, cache_.Compile(owner));
        if (added.blocked > 0) blocked_.insert(owner);
        if (added.changes() > 0 && drift_suspects_.count(owner) > 0) drifted.push_back(owner);
        drift_suspects_.erase(owner);
        taken.push_back(owner);
        dirty_.erase(owner);
      };
      if (isolating) {
        add(*suspects_.begin());
      } else {
        while (!dirty_.empty() && builder.counts().changes() < options_.max_rows_per_txn) {
          add(*dirty_.begin());
        }
      }
      counts = builder.counts();
      if (counts.changes() > 0) ops = builder.Build();
    });
    if (isolating) suspects_.erase(taken.front());
    for (const OwnerRef& owner : drifted) {
      LOG_INFO("reconciler repairs drift owner={} (NB rows changed by someone else)",
               owner.ToString());
    }
    if (counts.changes() == 0) continue;
    if (fence_) ops.insert(ops.begin(), fence_->GuardOp());
    const absl::Time send_start = absl::Now();
    absl::StatusOr<nlohmann::json> result = client_->Transact(ops, options_.transact_timeout);
    // The server sent this transaction's effects before its reply: index them now, so the next
    // transaction of this loop finds the routers and switches it just created.
    std::vector<ovsdb::RowChange> echo;
    {
      std::lock_guard<std::mutex> lock(mu_);
      echo.swap(nb_changes_);
    }
    ApplyNbChanges(echo);
    std::lock_guard<std::mutex> lock(mu_);
    if (!result.ok()) {
      ++stats_.failed_transactions;
      if (fence_ && NbFence::RefusedByGuard(result.status())) {
        Fenced("a transaction was refused by the fence");
        return;
      }
      if (OutcomeUnknown(result.status())) {
        // The connection went: NB resyncs on reconnect, and these owners go again then.
        dirty_.insert(taken.begin(), taken.end());
        backoff_ = std::clamp(backoff_ * 2, absl::Milliseconds(100), options_.backoff_max);
        retry_at_ = absl::Now() + backoff_;
        LOG_WARN("reconciler transaction interrupted owners={} rows={} retry_in={} error=\"{}\"",
                 taken.size(), counts.changes(), absl::FormatDuration(backoff_),
                 std::string(result.status().message()));
        return;
      }
      if (taken.size() > 1) {
        // One owner's rows can make the server refuse the whole batch (say, a hand-made port
        // holding one of our names): retry them one by one, so the others are not held back.
        LOG_ERROR(
            "reconciler transaction refused owners={} rows={} error=\"{}\"; retrying them "
            "one per transaction",
            taken.size(), counts.changes(), std::string(result.status().message()));
        dirty_.insert(taken.begin(), taken.end());
        suspects_.insert(taken.begin(), taken.end());
        continue;
      }
      // This owner alone is refused: it waits for its object to change, or the next audit.
      const OwnerRef& owner = taken.front();
      refused_.insert(owner);
      LOG_ERROR("reconciler cannot program owner={}: NB refused it: {}", owner.ToString(),
                std::string(result.status().message()));
      if (owner.kind == OwnerRef::Kind::kPort) refused_ports_.push_back(owner.id);
      continue;
    }
    backoff_ = absl::ZeroDuration();
    ++stats_.transactions;
    stats_.rows_inserted += static_cast<int64_t>(counts.inserted);
    stats_.rows_updated += static_cast<int64_t>(counts.updated);
    stats_.rows_deleted += static_cast<int64_t>(counts.deleted);
    stats_.drift_repairs += static_cast<int64_t>(drifted.size());
    LOG_DEBUG(
        "reconciler transaction owners={} inserted={} updated={} deleted={} build={} "
        "transact={}",
        taken.size(), counts.inserted, counts.updated, counts.deleted,
        absl::FormatDuration(send_start - build_start),
        absl::FormatDuration(absl::Now() - send_start));
  }
}

void Reconciler::UpdatePortStatuses() {
  if (status_checks_.empty()) return;
  struct Report {
    std::string id;
    model::PortStatus status;
    std::string chassis;
  };
  std::vector<Report> reports;
  client_->ReadReplica([&](const ovsdb::Replica& replica) {
    const ovsdb::TableReplica* lsps = replica.FindTable("Logical_Switch_Port");
    for (const std::string& id : status_checks_) {
      const model::Port* port = cache_.FindPort(id);
      if (port == nullptr) continue;
      std::optional<ovsdb::Uuid> uuid = index_.FindByName(NbTable::kLogicalSwitchPort, id);
      const ovsdb::Row* row = uuid ? lsps->Find(*uuid) : nullptr;
      if (row == nullptr) continue;  // not programmed yet
      const bool up = lsps->Get(*row, "up").AsBool();
      const model::PortStatus status = up ? model::PortStatus::kActive : model::PortStatus::kDown;
      // Without Southbound the chassis is unknown: kept while up, cleared when down.
      const std::string chassis =
          sb_ ? sb_->ChassisOf(id) : (up ? port->binding_chassis : std::string());
      if (status != port->status || chassis != port->binding_chassis) {
        reports.push_back({id, status, chassis});
      }
    }
  });
  status_checks_.clear();
  for (const Report& report : reports) {
    absl::Status written =
        ports_.RecordBinding(report.id, report.status, report.chassis, options_.store_fence);
    if (!written.ok() && !absl::IsNotFound(written)) {
      LOG_WARN("reconciler cannot record port status port={} error=\"{}\"", report.id,
               std::string(written.message()));
      status_checks_.insert(report.id);  // try again on the next round
      continue;
    }
    std::lock_guard<std::mutex> lock(mu_);
    ++stats_.status_updates;
  }
}

void Reconciler::ClaimNb() {
  absl::StatusOr<nlohmann::json> ops = absl::InternalError("unset");
  client_->ReadReplica([&](const ovsdb::Replica& replica) { ops = fence_->ClaimOps(replica); });
  if (absl::IsFailedPrecondition(ops.status())) {
    Fenced(ops.status().message());
    return;
  }
  absl::StatusOr<nlohmann::json> result =
      ops.ok() ? client_->Transact(*ops, options_.transact_timeout) : ops.status();
  if (!result.ok()) {
    // NB_Global changed since the replica was read (another claim, or ovn-northd creating it),
    // or NB is unreachable: read again and retry shortly.
    std::lock_guard<std::mutex> lock(mu_);
    backoff_ = std::clamp(backoff_ * 2, absl::Milliseconds(50), options_.backoff_max);
    retry_at_ = absl::Now() + backoff_;
    LOG_WARN("reconciler cannot claim NB epoch={} retry_in={} error=\"{}\"", fence_->epoch(),
             absl::FormatDuration(backoff_), std::string(result.status().message()));
    return;
  }
  claimed_ = true;
  LOG_INFO("reconciler claimed NB for its term epoch={}", fence_->epoch());
}

void Reconciler::Fenced(absl::string_view why) {
  if (fenced_.exchange(true)) return;
  LOG_WARN("reconciler fenced out of NB epoch={}: {}; it writes nothing more", fence_->epoch(),
           std::string(why));
}

}  // namespace plasmanet::reconcile
