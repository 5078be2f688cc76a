#include "store/etcd/etcd_txn.h"

#include <algorithm>
#include <map>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>

namespace plasmanet::store::etcd {
namespace {

namespace pb = ::etcdserverpb;

pb::RangeRequest::SortTarget SortTargetOf(Compare::Target target) {
  switch (target) {
    case Compare::Target::kVersion:
      return pb::RangeRequest::VERSION;
    case Compare::Target::kCreateRevision:
      return pb::RangeRequest::CREATE;
    case Compare::Target::kModRevision:
      return pb::RangeRequest::MOD;
  }
  return pb::RangeRequest::VERSION;
}

int64_t TargetOf(const mvccpb::KeyValue& kv, Compare::Target target) {
  switch (target) {
    case Compare::Target::kVersion:
      return kv.version();
    case Compare::Target::kCreateRevision:
      return kv.create_revision();
    case Compare::Target::kModRevision:
      return kv.mod_revision();
  }
  return 0;
}

pb::Compare ToEtcd(const Compare& compare) {
  pb::Compare out;
  if (compare.prefix) {
    auto [key, end] = PrefixRange(compare.key);
    out.set_key(std::move(key));
    out.set_range_end(std::move(end));
  } else {
    out.set_key(compare.key);
  }
  switch (compare.target) {
    case Compare::Target::kVersion:
      out.set_target(pb::Compare::VERSION);
      out.set_version(compare.value);
      break;
    case Compare::Target::kCreateRevision:
      out.set_target(pb::Compare::CREATE);
      out.set_create_revision(compare.value);
      break;
    case Compare::Target::kModRevision:
      out.set_target(pb::Compare::MOD);
      out.set_mod_revision(compare.value);
      break;
  }
  switch (compare.op) {
    case Compare::Op::kEqual:
      out.set_result(pb::Compare::EQUAL);
      break;
    case Compare::Op::kLess:
      out.set_result(pb::Compare::LESS);
      break;
    case Compare::Op::kGreater:
      out.set_result(pb::Compare::GREATER);
      break;
  }
  return out;
}

// Appends the failure-branch reads for `compare`, in the order FirstFailedCompare expects:
// ascending before descending.
void AddReads(const Compare& compare, pb::TxnRequest& request) {
  if (!compare.prefix) {
    pb::RangeRequest* read = request.add_failure()->mutable_request_range();
    read->set_key(compare.key);
    read->set_keys_only(true);
    return;
  }
  auto [key, end] = PrefixRange(compare.key);
  const bool ascending = compare.op != Compare::Op::kLess;      // GREATER and EQUAL need the min
  const bool descending = compare.op != Compare::Op::kGreater;  // LESS and EQUAL need the max
  for (const auto order : {pb::RangeRequest::ASCEND, pb::RangeRequest::DESCEND}) {
    if ((order == pb::RangeRequest::ASCEND && !ascending) ||
        (order == pb::RangeRequest::DESCEND && !descending)) {
      continue;
    }
    pb::RangeRequest* read = request.add_failure()->mutable_request_range();
    read->set_key(key);
    read->set_range_end(end);
    read->set_limit(1);
    read->set_keys_only(true);
    read->set_sort_order(order);
    read->set_sort_target(SortTargetOf(compare.target));
  }
}

absl::Status CheckDuplicates(const Txn& txn) {
  std::map<absl::string_view, Op::Type> written;
  for (const Op& op : txn.ops) {
    auto [it, inserted] = written.emplace(op.key, op.type);
    // Deleting a key twice is allowed (the second delete finds nothing); any other pair is not.
    if (!inserted && (op.type == Op::Type::kPut || it->second == Op::Type::kPut)) {
      return absl::InvalidArgumentError(
          absl::StrCat("transaction writes key '", op.key,
                       "' twice; the etcd store refuses a put and another put or delete of one "
                       "key in a transaction (etcd: duplicate key given in txn request)"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

std::pair<std::string, std::string> PrefixRange(absl::string_view prefix) {
  if (prefix.empty()) {
    return {std::string(1, '\0'), std::string(1, '\0')};
  }
  std::string end = PrefixEnd(prefix);
  if (end.empty()) {
    end = std::string(1, '\0');  // a prefix of only 0xff bytes: every key from it on
  }
  return {std::string(prefix), std::move(end)};
}

int ReadsToLocate(const Compare& compare) {
  return compare.prefix && compare.op == Compare::Op::kEqual ? 2 : 1;
}

absl::StatusOr<pb::TxnRequest> BuildEtcdTxn(const Txn& txn, const EtcdTxnLimits& limits) {
  absl::Status duplicates = CheckDuplicates(txn);
  if (!duplicates.ok()) {
    return duplicates;
  }
  int reads = 0;
  for (const Compare& compare : txn.compares) {
    reads += ReadsToLocate(compare);
  }
  // etcd counts the compares, the success ops and the failure ops separately against the limit.
  const int needed =
      std::max({static_cast<int>(txn.compares.size()), static_cast<int>(txn.ops.size()), reads});
  if (needed > limits.max_txn_ops) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "transaction too large for etcd: %d compares and %d puts/deletes (plus %d reads to "
        "locate a failed compare) exceed max-txn-ops=%d; raise the cluster's --max-txn-ops and "
        "the store URL's max-txn-ops together, or split the transaction",
        txn.compares.size(), txn.ops.size(), reads, limits.max_txn_ops));
  }

  pb::TxnRequest request;
  for (const Compare& compare : txn.compares) {
    *request.add_compare() = ToEtcd(compare);
    AddReads(compare, request);
  }
  for (const Op& op : txn.ops) {
    if (op.type == Op::Type::kPut) {
      pb::PutRequest* put = request.add_success()->mutable_request_put();
      put->set_key(op.key);
      put->set_value(op.value);
    } else {
      request.add_success()->mutable_request_delete_range()->set_key(op.key);
    }
  }
  const int64_t bytes = static_cast<int64_t>(request.ByteSizeLong());
  if (bytes > limits.max_request_bytes) {
    return absl::ResourceExhaustedError(
        absl::StrFormat("transaction too large for etcd: %d bytes exceed max-request-bytes=%d; "
                        "raise the cluster's --max-request-bytes and the store URL's "
                        "max-request-bytes together, or split the transaction",
                        bytes, limits.max_request_bytes));
  }
  return request;
}

absl::StatusOr<int> FirstFailedCompare(const Txn& txn, const pb::TxnResponse& response) {
  int next = 0;  // index into response.responses()
  for (size_t i = 0; i < txn.compares.size(); ++i) {
    const Compare& compare = txn.compares[i];
    const int reads = ReadsToLocate(compare);
    if (next + reads > response.responses_size()) {
      return absl::InternalError(absl::StrCat("etcd answered a failed transaction with ",
                                              response.responses_size(),
                                              " reads; the request asked for more"));
    }
    CompareTargetRange values;
    for (int r = 0; r < reads; ++r) {
      const pb::RangeResponse& read = response.responses(next + r).response_range();
      if (read.kvs_size() == 0) {
        continue;
      }
      const int64_t value = TargetOf(read.kvs(0), compare.target);
      values.count = compare.prefix ? read.count() : 1;
      // A prefix read sorted ascending gives the minimum, descending the maximum; a LESS or
      // GREATER compare reads only the one end it needs, and the other is set equal to it.
      const bool is_max = compare.prefix && (compare.op == Compare::Op::kLess || r == 1);
      if (r == 0 || !is_max) values.min = value;
      if (r == 0 || is_max) values.max = value;
    }
    next += reads;
    if (!CompareHolds(compare, values)) {
      return static_cast<int>(i);
    }
  }
  return absl::InternalError(
      "etcd reported a failed compare, but the reads taken with it show every compare holding");
}

}  // namespace plasmanet::store::etcd
