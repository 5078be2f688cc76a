// Store: PlasmaNET's source of truth, a versioned key-value store with compare-and-swap
// transactions, ordered range reads and a watch stream.
//
// The semantics are those of etcd v3, so that an etcd backend (issue #10) can implement the same
// interface one to one:
//   - every successful transaction that changes something creates exactly one new revision;
//   - each key carries create_revision, mod_revision and version (number of puts since it was
//     created); a missing key has all three at zero;
//   - a transaction is a list of compares, then puts and deletes, applied atomically and only if
//     every compare holds;
//   - a compare may cover a whole prefix: it holds when it holds for every key under the prefix,
//     and a prefix without keys compares like a single missing key (all zeros);
//   - Watch delivers every change under a prefix after a revision, in revision order; asking for
//     history the store has compacted away fails with OUT_OF_RANGE, and the consumer falls back
//     to a full read.
//
//   Txn txn;
//   txn.compares.push_back(Compare::Absent("/v1/ipam/s1/10.0.0.5"));
//   txn.ops.push_back(Op::Put("/v1/ipam/s1/10.0.0.5", port_id));
//   absl::StatusOr<TxnResult> r = store.Commit(std::move(txn));
//
// Implementations are thread-safe: any number of threads may call any method concurrently.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <absl/time/time.h>

namespace plasmanet::store {

struct KeyValue {
  std::string key;
  std::string value;
  int64_t create_revision = 0;
  int64_t mod_revision = 0;
  int64_t version = 0;
};

struct Compare {
  enum class Target { kVersion, kCreateRevision, kModRevision };
  enum class Op { kEqual, kLess, kGreater };

  std::string key;
  bool prefix = false;  // compare every key that starts with `key`
  Target target = Target::kVersion;
  Op op = Op::kEqual;
  int64_t value = 0;

  // The key does not exist.
  static Compare Absent(std::string key);
  // The key exists, whatever its value.
  static Compare Exists(std::string key);
  // The key exists and was last changed at `revision` (read-modify-write guard).
  static Compare ModRevisionIs(std::string key, int64_t revision);
  // No key starts with `prefix`.
  static Compare PrefixEmpty(std::string prefix);
  // No key under `prefix` was created or changed after `revision`.
  static Compare PrefixUnchangedSince(std::string prefix, int64_t revision);
};

struct Op {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  std::string key;
  std::string value;

  static Op Put(std::string key, std::string value);
  static Op Delete(std::string key);
};

struct Txn {
  std::vector<Compare> compares;
  std::vector<Op> ops;
};

struct TxnResult {
  bool succeeded = false;
  // The revision this transaction created, or the current revision if it changed nothing.
  int64_t revision = 0;
  // Index into Txn::compares of the first compare that failed, or -1.
  int failed_compare = -1;
};

struct RangeRequest {
  std::string prefix;
  std::string start_after;  // page token: the last key of the previous page
  int64_t limit = 0;        // 0: no limit
};

struct RangeResult {
  std::vector<KeyValue> kvs;  // ordered by key
  bool more = false;          // more keys follow; ask again with start_after = last key
  int64_t revision = 0;       // store revision the page was read at
};

struct Event {
  enum class Type { kPut, kDelete };
  Type type = Type::kPut;
  // For kDelete: key, the value it had before the delete (as etcd's prev_kv), and
  // mod_revision = the deleting revision.
  KeyValue kv;
};

// A stream of changes under a prefix. Not thread-safe: one consumer per Watcher.
class Watcher {
 public:
  virtual ~Watcher() = default;
  // Waits up to `timeout` for changes and returns those available, in revision order (an empty
  // vector on timeout). OUT_OF_RANGE if the history it needs was compacted (a watcher that had
  // already received that history from the backend, as etcd's may, delivers it instead: it never
  // skips a change); CANCELLED when the store is closing.
  virtual absl::StatusOr<std::vector<Event>> Next(absl::Duration timeout) = 0;
};

class Store {
 public:
  virtual ~Store() = default;

  virtual absl::StatusOr<std::optional<KeyValue>> Get(absl::string_view key) = 0;
  virtual absl::StatusOr<RangeResult> Range(const RangeRequest& request) = 0;
  // Returns UNAVAILABLE/INTERNAL on storage failure; a failed compare is not an error but a
  // result with succeeded = false. Durable when it returns OK with succeeded = true.
  virtual absl::StatusOr<TxnResult> Commit(Txn txn) = 0;
  // Changes under `prefix` with a revision greater than `after_revision`.
  virtual absl::StatusOr<std::unique_ptr<Watcher>> Watch(std::string prefix,
                                                         int64_t after_revision) = 0;
  virtual absl::StatusOr<int64_t> CurrentRevision() = 0;
  // Drops change history up to and including `revision`.
  virtual absl::Status Compact(int64_t revision) = 0;
};

using StorePtr = std::unique_ptr<Store>;

// The smallest key greater than every key starting with `prefix` (etcd's range_end); empty
// when there is none (an empty prefix covers every key).
std::string PrefixEnd(absl::string_view prefix);

// What a compare sees of the keys it covers: how many there are and the smallest and largest
// value of its target among them. Backends reduce a compare to this and let CompareHolds decide,
// so that every backend (and the etcd backend's search for the failed compare) agrees.
struct CompareTargetRange {
  int64_t count = 0;
  int64_t min = 0;
  int64_t max = 0;
};

// Whether `compare` holds for keys summarised by `values`. No key compares as one key with
// every field zero (etcd's rule), whatever `values.min` and `values.max` say then.
bool CompareHolds(const Compare& compare, const CompareTargetRange& values);

// Opens the store named by `url`:
//   sqlite:PATH                         the embedded SQLite backend (sqlite/sqlite_store.h);
//   etcd:http://HOST:PORT[,...][?...]   an etcd v3 cluster (etcd/etcd_options.h has the syntax).
// INVALID_ARGUMENT naming the problem for an unknown scheme or a malformed URL.
absl::StatusOr<StorePtr> OpenStore(absl::string_view url);

}  // namespace plasmanet::store
