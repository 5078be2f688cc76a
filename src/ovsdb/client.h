// Client: a connection to one OVSDB database (usually OVN_Northbound) that keeps an in-memory
// replica of the tables it monitors and runs transactions.
//
// One I/O thread owns the connection. It connects to the remotes in turn with capped
// exponential backoff; for a clustered database it stays only on a member that is connected to
// the cluster and is its leader (watching the _Server database, as ovsdb-idl does), and moves on
// when leadership moves. After connecting it checks the schema has every table and column the
// caller needs, then monitors them with monitor_cond_since: after a reconnect the server sends
// only what changed since the last transaction the replica saw, and a full dump when it cannot
// (a new or wiped database), which the listener learns as a full resync. Idle connections are
// probed with echo, and the server's own echo probes are answered.
//
//   Client client(options, &listener);
//   client.Start();
//   absl::StatusOr<nlohmann::json> results = client.Transact(ops, absl::Seconds(10));
//   client.ReadReplica([](const Replica& r) { ... });
//
// Because ovsdb-server sends a client the updates caused by its own transaction before the
// transaction's reply, the replica already holds a transaction's effects when Transact returns.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/time/time.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "ovsdb/message_framer.h"
#include "ovsdb/remote.h"
#include "ovsdb/replica.h"
#include "ovsdb/schema.h"
#include "ovsdb/transport.h"
#include "ovsdb/uuid.h"

namespace plasmanet::ovsdb {

struct ClientOptions {
  std::vector<Remote> remotes;
  std::string database = "OVN_Northbound";
  // Tables and columns to monitor; connecting fails (and is retried) while the server's schema
  // lacks any of them.
  std::vector<TableColumns> monitored;
  TlsFiles tls;
  // Stay only on the leader of a clustered database. Writes through a follower work too (they
  // are forwarded), but its replica may lag the leader's, which would make diffs stale.
  bool leader_only = true;
  absl::Duration connect_timeout = absl::Seconds(5);
  // Send an echo after this long without hearing from the server; drop the connection after
  // twice as long.
  absl::Duration probe_interval = absl::Seconds(5);
  absl::Duration backoff_min = absl::Milliseconds(100);
  absl::Duration backoff_max = absl::Seconds(8);
};

// Called on the client's I/O thread, never with the replica locked; keep them short (queue the
// work and return).
class ClientListener {
 public:
  virtual ~ClientListener() = default;
  // The replica is in step with the server after a (re)connect. `full`: it was rebuilt from a
  // full dump, so anything may have changed; otherwise only the changes reported through
  // OnRowsChanged, just before this call, happened while disconnected.
  virtual void OnSynced(bool full) = 0;
  virtual void OnRowsChanged(const std::vector<RowChange>& changes) = 0;
  virtual void OnDisconnected(const absl::Status& why) = 0;
};

struct ClientStats {
  int64_t connects = 0;
  int64_t full_syncs = 0;
  int64_t incremental_syncs = 0;  // monitor_cond_since found our last transaction
  int64_t transactions = 0;
  int64_t bytes_received = 0;
};

class Client {
 public:
  Client(ClientOptions options, ClientListener* listener);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void Start();
  // Closes the connection and joins the I/O thread; pending transactions fail with UNAVAILABLE.
  void Stop();

  bool synced() const { return synced_.load(); }
  // Why the last connection attempt or session ended (OK before the first): what an operator
  // asking "why is it not connected?" needs, e.g. a schema check naming missing columns.
  absl::Status last_error() const;
  std::string current_remote() const;
  ClientStats stats() const;

  // Runs `ops` (an array of RFC 7047 operations) as one transaction on the database and returns
  // the per-operation results. Errors: UNAVAILABLE when not connected or the connection drops
  // before the reply (the outcome is then unknown), DEADLINE_EXCEEDED after `timeout`, ABORTED
  // when a "wait" operation failed (the rows changed under us), FAILED_PRECONDITION for
  // constraint and referential-integrity violations, INVALID_ARGUMENT for other refused
  // operations; each message names the failing operation's index, op and table and the
  // server's error and details.
  absl::StatusOr<nlohmann::json> Transact(const nlohmann::json& ops, absl::Duration timeout);

  // Runs `reader` with the replica locked. Do not call Transact from inside it.
  template <typename Reader>
  decltype(auto) ReadReplica(Reader&& reader) const {
    std::lock_guard<std::mutex> lock(replica_mu_);
    return reader(static_cast<const Replica&>(*replica_));
  }

 private:
  struct PendingCall;
  class Connection;

  void Run();
  absl::Status RunSession(const Remote& remote);
  bool WaitBackoff(absl::Duration delay);

  ClientOptions options_;
  ClientListener* listener_;

  mutable std::mutex state_mu_;
  std::condition_variable state_cv_;
  bool stopping_ = false;
  std::shared_ptr<Connection> connection_;  // set while a session is established
  std::string current_remote_;
  ClientStats stats_;
  absl::Status last_error_;
  std::atomic<bool> synced_{false};

  mutable std::mutex replica_mu_;
  std::unique_ptr<Replica> replica_;  // never null once Start() returned
  std::string schema_version_;
  Uuid last_txn_id_;  // of the data in replica_ (nil: none)

  std::thread thread_;
};

}  // namespace plasmanet::ovsdb
