#include "ovsdb/client.h"

#include <algorithm>
#include <utility>

#include <absl/container/flat_hash_map.h>
#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include "common/errors.h"
#include "common/logging.h"
#include "common/status_macros.h"
#include "ovsdb/internal/string_view.h"

namespace plasmanet::ovsdb {
namespace {

constexpr char kServerMonitorId[] = "plasmanet-server";
constexpr char kDataMonitorId[] = "plasmanet-data";

// The _Server database describes the databases a server holds; a clustered member reports
// whether it is connected to the cluster and whether it is the leader. Its schema is fixed, so
// it is written here rather than fetched.
DatabaseSchema ServerSchema() {
  DatabaseSchema schema;
  schema.name = "_Server";
  TableSchema& table = schema.tables["Database"];
  table.name = "Database";
  table.is_root = true;
  auto add = [&](const char* name, AtomType type) {
    ColumnSchema& column = table.columns[name];
    column.name = name;
    column.key_type = type;
  };
  add("name", AtomType::kString);
  add("model", AtomType::kString);
  add("connected", AtomType::kBoolean);
  add("leader", AtomType::kBoolean);
  return schema;
}

const std::vector<TableColumns>& ServerColumns() {
  static const auto* columns =
      new std::vector<TableColumns>{{"Database", {"name", "model", "connected", "leader"}}};
  return *columns;
}

// Why a member of a clustered database will not do, or OK.
absl::Status CheckLeadership(const Replica& server, const std::string& database) {
  const TableReplica* table = server.FindTable("Database");
  for (const auto& [uuid, row] : table->rows()) {
    if (table->Get(row, "name").AsString() != database) continue;
    if (table->Get(row, "model").AsString() != "clustered") return absl::OkStatus();
    if (!table->Get(row, "connected").AsBool()) {
      return absl::UnavailableError("member is not connected to its cluster");
    }
    if (!table->Get(row, "leader").AsBool()) {
      return absl::UnavailableError("member is not the cluster leader");
    }
    return absl::OkStatus();
  }
  return absl::NotFoundError(absl::StrCat("server has no database ", database));
}

std::string ErrorText(simdjson::dom::element error) {
  if (error.is_string()) return std::string(error.get_string().value_unsafe());
  std::string text;
  if (std::string_view e; error["error"].get(e) == simdjson::SUCCESS) text = std::string(e);
  if (std::string_view d; error["details"].get(d) == simdjson::SUCCESS && !d.empty()) {
    absl::StrAppend(&text, ": ", std::string(d));
  }
  return text.empty() ? simdjson::minify(error) : text;
}

// Maps the result array of a transact reply to the caller's error, naming the failing op.
absl::Status TransactionError(const nlohmann::json& ops, const nlohmann::json& results) {
  for (size_t i = 0; i < results.size(); ++i) {
    const nlohmann::json& result = results[i];
    if (!result.is_object() || !result.contains("error") || result["error"].is_null()) continue;
    const std::string error =
        result["error"].is_string() ? result["error"].get<std::string>() : result["error"].dump();
    std::string where;
    if (i < ops.size()) {
      where = absl::StrCat("op ", i, " (", ops[i].value("op", "?"), " ", ops[i].value("table", ""),
                           ")");
    } else {
      where = "commit";  // errors found at commit come after the ops' results
    }
    std::string message = absl::StrCat("OVSDB transaction failed at ", where, ": ", error);
    if (result.contains("details") && result["details"].is_string()) {
      absl::StrAppend(&message, ": ", result["details"].get<std::string>());
    }
    if (error == "timed out") return absl::AbortedError(message);  // a "wait" op did not hold
    if (error == "constraint violation" || error == "referential integrity violation") {
      return absl::FailedPreconditionError(message);
    }
    return absl::InvalidArgumentError(message);
  }
  return absl::OkStatus();
}

}  // namespace

// A reply to a request this client sent. `on_reply` runs on the I/O thread while the parsed
// message is alive, so a monitor reply of many megabytes is applied without copying it.
struct Client::PendingCall {
  std::function<void(absl::StatusOr<simdjson::dom::element>)> on_reply;
};

// One established connection: the transport, the framing and parsing of what arrives, and the
// requests waiting for replies. Reading happens on the I/O thread only; Send from any thread.
class Client::Connection {
 public:
  explicit Connection(std::unique_ptr<Transport> transport) : transport_(std::move(transport)) {}

  // Sends a request and registers `on_reply`; returns the request id.
  absl::StatusOr<int64_t> Call(
      absl::string_view method, nlohmann::json params,
      std::function<void(absl::StatusOr<simdjson::dom::element>)> on_reply) {
    int64_t id;
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_) return absl::UnavailableError("connection closed");
      id = next_id_++;
      pending_[id] = PendingCall{std::move(on_reply)};
    }
    nlohmann::json request = {{"id", id}, {"method", method}, {"params", std::move(params)}};
    absl::Status sent = Send(request.dump());
    if (!sent.ok()) {
      Forget(id);
      return sent;
    }
    return id;
  }

  absl::Status Send(const std::string& text) {
    std::lock_guard<std::mutex> lock(write_mu_);
    return transport_->Write(text);
  }

  // Drops a pending call (after its caller gave up); true if it was still pending.
  bool Forget(int64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    return pending_.erase(id) > 0;
  }

  // Takes the call waiting for reply `id`, if any.
  std::optional<PendingCall> Take(int64_t id) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pending_.find(id);
    if (it == pending_.end()) return std::nullopt;
    PendingCall call = std::move(it->second);
    pending_.erase(it);
    return call;
  }

  // Marks the connection closed and fails every pending call with `why`.
  void Close(const absl::Status& why) {
    absl::flat_hash_map<int64_t, PendingCall> pending;
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
      pending.swap(pending_);
    }
    transport_->Shutdown();
    for (auto& [id, call] : pending) call.on_reply(why);
  }

  Transport& transport() { return *transport_; }
  MessageFramer& framer() { return framer_; }
  simdjson::dom::parser& parser() { return parser_; }

 private:
  std::unique_ptr<Transport> transport_;
  std::mutex write_mu_;
  std::mutex mu_;
  bool closed_ = false;
  int64_t next_id_ = 1;
  absl::flat_hash_map<int64_t, PendingCall> pending_;
  // I/O thread only.
  MessageFramer framer_;
  simdjson::dom::parser parser_;
};

Client::Client(ClientOptions options, ClientListener* listener)
    : options_(std::move(options)), listener_(listener), replica_(std::make_unique<Replica>()) {}

Client::~Client() { Stop(); }

void Client::Start() {
  std::lock_guard<std::mutex> lock(state_mu_);
  if (thread_.joinable() || stopping_) return;
  if (options_.remotes.empty()) {
    last_error_ = absl::InvalidArgumentError("no OVSDB remote to connect to");
    return;
  }
  thread_ = std::thread([this] { Run(); });
}

void Client::Stop() {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    stopping_ = true;
    connection = connection_;
  }
  state_cv_.notify_all();
  if (connection) connection->Close(absl::UnavailableError("client stopping"));
  if (thread_.joinable()) thread_.join();
}

std::string Client::current_remote() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return current_remote_;
}

absl::Status Client::last_error() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return last_error_;
}

ClientStats Client::stats() const {
  std::lock_guard<std::mutex> lock(state_mu_);
  return stats_;
}

bool Client::WaitBackoff(absl::Duration delay) {
  std::unique_lock<std::mutex> lock(state_mu_);
  state_cv_.wait_for(lock, absl::ToChronoMilliseconds(delay), [&] { return stopping_; });
  return !stopping_;
}

void Client::Run() {
  size_t next = 0;
  absl::Duration backoff = options_.backoff_min;
  size_t failures_in_a_row = 0;
  std::string last_logged_failure;
  while (true) {
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      if (stopping_) return;
    }
    const Remote& remote = options_.remotes[next++ % options_.remotes.size()];
    absl::Status ended = RunSession(remote);
    const bool had_synced = synced_.exchange(false);
    {
      std::lock_guard<std::mutex> lock(state_mu_);
      connection_.reset();
      current_remote_.clear();
      last_error_ = ended;
      if (stopping_) return;
    }
    if (had_synced) {
      LOG_WARN("ovsdb disconnected database={} remote={} reason=\"{}\"", options_.database,
               remote.ToString(), std::string(ended.message()));
      listener_->OnDisconnected(ended);
      last_logged_failure.clear();
      backoff = options_.backoff_min;
      failures_in_a_row = 0;
    } else {
      // Once per distinct reason at WARN (an operator needs "schema lacks column X" or
      // "connection refused"), every retry after that at DEBUG.
      if (ended.message() != last_logged_failure) {
        last_logged_failure = std::string(ended.message());
        LOG_WARN("ovsdb cannot connect database={} remote={} reason=\"{}\" (retrying)",
                 options_.database, remote.ToString(), last_logged_failure);
      } else {
        LOG_DEBUG("ovsdb connect failed database={} remote={} reason=\"{}\"", options_.database,
                  remote.ToString(), last_logged_failure);
      }
      // Try every member once before slowing down: a cluster whose leader moved has another
      // member ready to serve.
      if (++failures_in_a_row % options_.remotes.size() == 0) {
        if (!WaitBackoff(backoff)) return;
        backoff = std::min(backoff * 2, options_.backoff_max);
      }
    }
  }
}

absl::Status Client::RunSession(const Remote& remote) {
  PN_ASSIGN_OR_RETURN(std::unique_ptr<Transport> transport,
                      Connect(remote, options_.tls, options_.connect_timeout));
  auto connection = std::make_shared<Connection>(std::move(transport));
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (stopping_) return absl::UnavailableError("client stopping");
    connection_ = connection;
  }
  // Whatever ends the session fails the calls still waiting on it.
  struct Closer {
    Connection* c;
    absl::Status* why;
    ~Closer() { c->Close(why->ok() ? absl::UnavailableError("connection closed") : *why); }
  };
  absl::Status result;
  Closer closer{connection.get(), &result};

  Replica server_replica;
  {
    absl::StatusOr<Replica> created = Replica::Create(ServerSchema(), ServerColumns());
    if (!created.ok()) return result = created.status();
    server_replica = *std::move(created);
  }
  absl::Time last_heard = absl::Now();
  bool echo_outstanding = false;
  char buffer[64 * 1024];

  // Reads and dispatches messages until `done` holds or the deadline passes. Notifications
  // (updates, echo requests) are handled as they come, during the handshake too.
  auto pump = [&](const std::function<bool()>& done, absl::Time deadline) -> absl::Status {
    while (!done()) {
      const absl::Time now = absl::Now();
      if (now >= deadline) return absl::DeadlineExceededError("no reply from the server");
      if (now - last_heard > 2 * options_.probe_interval) {
        return absl::DeadlineExceededError("server stopped answering (echo probe unanswered)");
      }
      if (now - last_heard > options_.probe_interval && !echo_outstanding) {
        echo_outstanding = true;
        nlohmann::json echo = {
            {"id", "echo"}, {"method", "echo"}, {"params", nlohmann::json::array()}};
        PN_RETURN_IF_ERROR(connection->Send(echo.dump()));
      }
      const absl::Duration wait =
          std::min({deadline - now, options_.probe_interval / 2, absl::Seconds(1)});
      PN_ASSIGN_OR_RETURN(size_t n, connection->transport().Read(buffer, sizeof(buffer), wait));
      if (n == 0) continue;
      last_heard = absl::Now();
      echo_outstanding = false;
      {
        std::lock_guard<std::mutex> lock(state_mu_);
        stats_.bytes_received += static_cast<int64_t>(n);
      }
      PN_RETURN_IF_ERROR(connection->framer().Feed(absl::string_view(buffer, n)));
      while (std::optional<std::string> text = connection->framer().Next()) {
        simdjson::dom::element message;
        if (auto error = connection->parser().parse(*text).get(message); error) {
          return absl::InvalidArgumentError(
              absl::StrCat("unparsable message from the server: ", simdjson::error_message(error)));
        }
        std::string_view method;
        if (message["method"].get(method) == simdjson::SUCCESS) {
          simdjson::dom::element params = message["params"].value_unsafe();
          if (method == "echo") {
            // Answer the server's probe with its own params, as RFC 7047 asks.
            std::string reply =
                absl::StrCat("{\"id\":", simdjson::minify(message["id"].value_unsafe()),
                             ",\"result\":", simdjson::minify(params), ",\"error\":null}");
            PN_RETURN_IF_ERROR(connection->Send(reply));
          } else if (method == "update2" || method == "update3") {
            simdjson::dom::array args;
            if (params.get(args) != simdjson::SUCCESS || args.size() < 2) {
              return absl::InvalidArgumentError("malformed update notification");
            }
            std::string_view monitor;
            if (args.at(0).get(monitor) != simdjson::SUCCESS) {
              return absl::InvalidArgumentError("update notification without a monitor id");
            }
            simdjson::dom::element updates = args.at(args.size() - 1).value_unsafe();
            if (monitor == kServerMonitorId) {
              PN_RETURN_IF_ERROR(server_replica.ApplyUpdates2(updates, nullptr));
              if (options_.leader_only) {
                PN_RETURN_IF_ERROR(CheckLeadership(server_replica, options_.database));
              }
            } else if (monitor == kDataMonitorId) {
              std::vector<RowChange> changes;
              {
                std::lock_guard<std::mutex> lock(replica_mu_);
                PN_RETURN_IF_ERROR(replica_->ApplyUpdates2(updates, &changes));
                if (method == "update3") {
                  std::string_view txn;
                  if (args.at(1).get(txn) == simdjson::SUCCESS) {
                    last_txn_id_ = Uuid::Parse(internal::ToAbsl(txn)).value_or(Uuid());
                  }
                }
              }
              if (!changes.empty()) listener_->OnRowsChanged(changes);
            }
          }
          continue;
        }
        int64_t id;
        if (message["id"].get(id) != simdjson::SUCCESS) continue;  // our echo's reply
        std::optional<PendingCall> call = connection->Take(id);
        if (!call) continue;  // its caller gave up
        simdjson::dom::element error;
        if (message["error"].get(error) == simdjson::SUCCESS && !error.is_null()) {
          call->on_reply(absl::InternalError(ErrorText(error)));
        } else {
          call->on_reply(message["result"].value_unsafe());
        }
      }
    }
    return absl::OkStatus();
  };

  // Issues a request from the I/O thread and pumps until its reply has been handled.
  auto call = [&](absl::string_view method, nlohmann::json params,
                  std::function<absl::Status(simdjson::dom::element)> handle) -> absl::Status {
    bool done = false;
    absl::Status outcome;
    PN_ASSIGN_OR_RETURN(const int64_t id,
                        connection->Call(method, std::move(params),
                                         [&](absl::StatusOr<simdjson::dom::element> reply) {
                                           done = true;
                                           outcome = reply.ok() ? handle(*reply) : reply.status();
                                         }));
    absl::Status pumped = pump([&] { return done; }, absl::Now() + options_.connect_timeout * 6);
    if (!done) {
      // The callback refers to this frame: it must not outlive it.
      connection->Forget(id);
      return pumped;
    }
    return Annotate(outcome, method);
  };

  // 1. Leadership, for clustered databases.
  nlohmann::json server_request = {
      {"Database", {{{"columns", {"name", "model", "connected", "leader"}}}}}};
  result = call("monitor_cond", {"_Server", kServerMonitorId, server_request},
                [&](simdjson::dom::element updates) {
                  return server_replica.ApplyUpdates2(updates, nullptr);
                });
  if (!result.ok()) return result;
  if (absl::Status leader = CheckLeadership(server_replica, options_.database); !leader.ok()) {
    if (options_.leader_only || leader.code() == absl::StatusCode::kNotFound) {
      return result = leader;
    }
  }

  // 2. Schema: every table and column we use must exist.
  DatabaseSchema schema;
  result = call("get_schema", {options_.database}, [&](simdjson::dom::element reply) {
    PN_ASSIGN_OR_RETURN(schema, ParseSchema(reply));
    return CheckHasColumns(schema, options_.monitored);
  });
  if (!result.ok()) {
    if (result.code() == absl::StatusCode::kFailedPrecondition) {
      LOG_ERROR("ovsdb schema check failed database={} remote={} error=\"{}\"", options_.database,
                remote.ToString(), std::string(result.message()));
    }
    return result;
  }
  {
    std::lock_guard<std::mutex> lock(replica_mu_);
    if (schema.version != schema_version_ || replica_->tables().empty()) {
      absl::StatusOr<Replica> fresh = Replica::Create(schema, options_.monitored);
      if (!fresh.ok()) return result = fresh.status();
      *replica_ = *std::move(fresh);
      schema_version_ = schema.version;
      last_txn_id_ = Uuid();
    }
  }

  // 3. Monitor, catching up from the last transaction we saw when the server still has it.
  nlohmann::json requests = nlohmann::json::object();
  for (const TableColumns& table : options_.monitored) {
    requests[table.table] = nlohmann::json::array({{{"columns", table.columns}}});
  }
  bool full = true;
  std::vector<RowChange> changes;
  Uuid since;
  {
    std::lock_guard<std::mutex> lock(replica_mu_);
    since = last_txn_id_;
  }
  result =
      call("monitor_cond_since", {options_.database, kDataMonitorId, requests, since.ToString()},
           [&](simdjson::dom::element reply) -> absl::Status {
             simdjson::dom::array parts;
             bool found = false;
             std::string_view txn;
             if (reply.get(parts) != simdjson::SUCCESS || parts.size() != 3 ||
                 parts.at(0).get(found) != simdjson::SUCCESS ||
                 parts.at(1).get(txn) != simdjson::SUCCESS) {
               return absl::InvalidArgumentError("malformed monitor_cond_since reply");
             }
             std::lock_guard<std::mutex> lock(replica_mu_);
             full = !found || since.IsNil();
             if (full) replica_->Clear();
             PN_RETURN_IF_ERROR(
                 replica_->ApplyUpdates2(parts.at(2).value_unsafe(), full ? nullptr : &changes));
             last_txn_id_ = Uuid::Parse(internal::ToAbsl(txn)).value_or(Uuid());
             return absl::OkStatus();
           });
  if (!result.ok() && absl::StrContains(result.message(), "unknown method")) {
    // A server older than OVS 2.12: plain monitor_cond, a full dump at every connect.
    LOG_INFO(
        "ovsdb server has no monitor_cond_since database={} remote={}: every reconnect "
        "is a full resync",
        options_.database, remote.ToString());
    result = call("monitor_cond", {options_.database, kDataMonitorId, requests},
                  [&](simdjson::dom::element updates) -> absl::Status {
                    std::lock_guard<std::mutex> lock(replica_mu_);
                    full = true;
                    replica_->Clear();
                    last_txn_id_ = Uuid();
                    return replica_->ApplyUpdates2(updates, nullptr);
                  });
  }
  if (!result.ok()) return result;

  {
    std::lock_guard<std::mutex> lock(state_mu_);
    current_remote_ = remote.ToString();
    ++stats_.connects;
    ++(full ? stats_.full_syncs : stats_.incremental_syncs);
  }
  size_t rows = ReadReplica([](const Replica& r) { return r.total_rows(); });
  LOG_INFO("ovsdb connected database={} remote={} sync={} rows={} changed={}", options_.database,
           remote.ToString(), full ? "full" : "incremental", rows, changes.size());
  // The changes first: a listener that acts on OnSynced has then been told everything.
  if (!changes.empty()) listener_->OnRowsChanged(changes);
  synced_ = true;
  listener_->OnSynced(full);

  // 4. Serve: updates, echo, and replies to Transact calls from other threads.
  result = pump([] { return false; }, absl::InfiniteFuture());
  return result;
}

absl::StatusOr<nlohmann::json> Client::Transact(const nlohmann::json& ops, absl::Duration timeout) {
  std::shared_ptr<Connection> connection;
  {
    std::lock_guard<std::mutex> lock(state_mu_);
    if (!synced_ || !connection_) {
      return absl::UnavailableError(
          absl::StrCat("not connected to ", options_.database, " (reconnecting)"));
    }
    connection = connection_;
    ++stats_.transactions;
  }
  struct Reply {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
    absl::StatusOr<nlohmann::json> result = absl::UnknownError("no reply");
  };
  auto reply = std::make_shared<Reply>();
  nlohmann::json params = nlohmann::json::array({options_.database});
  for (const nlohmann::json& op : ops) params.push_back(op);
  absl::StatusOr<int64_t> id = connection->Call(
      "transact", std::move(params), [reply](absl::StatusOr<simdjson::dom::element> result) {
        absl::StatusOr<nlohmann::json> parsed =
            result.ok()
                ? absl::StatusOr<nlohmann::json>(nlohmann::json::parse(simdjson::minify(*result)))
                : absl::StatusOr<nlohmann::json>(result.status());
        std::lock_guard<std::mutex> lock(reply->mu);
        reply->result = std::move(parsed);
        reply->done = true;
        reply->cv.notify_all();
      });
  if (!id.ok()) return id.status();
  std::unique_lock<std::mutex> lock(reply->mu);
  if (!reply->cv.wait_for(lock, absl::ToChronoMilliseconds(timeout), [&] { return reply->done; })) {
    lock.unlock();
    connection->Forget(*id);
    return absl::DeadlineExceededError(
        absl::StrCat("no reply to transaction within ", absl::FormatDuration(timeout)));
  }
  if (!reply->result.ok()) return reply->result.status();
  PN_RETURN_IF_ERROR(TransactionError(ops, *reply->result));
  return std::move(reply->result);
}

}  // namespace plasmanet::ovsdb
