// How a store::Txn becomes one etcd TxnRequest, and how the answer tells which compare failed.
//
// etcd reports only that some compare failed. The Store contract wants the index of the first
// one (services decide what went wrong from it), so the request's failure branch, which etcd runs
// atomically at the same revision as the compares, reads what each compare looked at:
//   - a single-key compare: that key (one Range);
//   - a prefix compare: the key with the smallest and/or the largest compared field (a Range
//     sorted by that field with limit 1, ascending for GREATER, descending for LESS, both for
//     EQUAL), whose `count` also says how many keys the prefix holds.
// FirstFailedCompare reduces those reads to a CompareTargetRange per compare and asks
// store::CompareHolds, the same function the SQLite backend decides with.
//
//   PN_ASSIGN_OR_RETURN(etcdserverpb::TxnRequest request, BuildEtcdTxn(txn, limits));
//   PN_ASSIGN_OR_RETURN(etcdserverpb::TxnResponse response, client.Txn(request));
//   if (!response.succeeded()) PN_ASSIGN_OR_RETURN(failed, FirstFailedCompare(txn, response));
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <utility>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>

#include "etcd/etcdserverpb/rpc.pb.h"
#include "store/store.h"

namespace plasmanet::store::etcd {

// The cluster's limits on one transaction (etcd flags of the same names).
struct EtcdTxnLimits {
  int max_txn_ops = 128;
  int64_t max_request_bytes = 1536 * 1024;
};

// etcd's [key, range_end) for every key starting with `prefix`. etcd has no empty key, so the
// empty prefix (every key) becomes ["\0", "\0"), etcd's spelling of "from \0 to the end".
std::pair<std::string, std::string> PrefixRange(absl::string_view prefix);

// Failure-branch reads needed to locate a failed compare: 1 or 2 per compare.
int ReadsToLocate(const Compare& compare);

// Builds the request, refusing locally what etcd would refuse, with a message that names the
// limit: INVALID_ARGUMENT for a key written twice (etcd forbids two puts, or a put and a delete,
// of one key in a transaction) or for more compares, ops or failure-branch reads than
// max_txn_ops; RESOURCE_EXHAUSTED for a request larger than max_request_bytes.
absl::StatusOr<etcdserverpb::TxnRequest> BuildEtcdTxn(const Txn& txn, const EtcdTxnLimits& limits);

// For a response with succeeded = false to a request from BuildEtcdTxn(txn): the index of the
// first compare that does not hold. INTERNAL if the reads do not match the request, or show
// every compare holding (which etcd would not have answered).
absl::StatusOr<int> FirstFailedCompare(const Txn& txn, const etcdserverpb::TxnResponse& response);

}  // namespace plasmanet::store::etcd
