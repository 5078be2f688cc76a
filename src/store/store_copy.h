// Copying every key of one store into another, and checking that two stores hold the same keys
// and values: the core of plasmanet-store-copy, which moves a deployment between backends
// (sqlite -> etcd when it grows to several replicas, or back).
//
//   PN_ASSIGN_OR_RETURN(CopyReport copied, CopyStore(*from, *to, {}));
//   PN_ASSIGN_OR_RETURN(VerifyReport check, VerifyStores(*from, *to));
//   if (!check.ok()) ...
//
// Keys and values are copied; revisions are not: the destination numbers its own, so etags
// (mod revisions) and WatchPorts resume tokens issued before the copy mean nothing after it.
// Nothing may write to either store meanwhile (stop every plasmanetd first; the SQLite backend
// enforces it for its file with a lock).
//
// Thread-compatible: one call at a time per pair of stores.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <absl/status/statusor.h>

#include "store/store.h"

namespace plasmanet::store {

struct CopyOptions {
  // Puts per transaction and bytes per transaction (keys plus values), kept under etcd's
  // defaults for --max-txn-ops (128) and --max-request-bytes (1.5 MiB). A single key bigger
  // than batch_bytes goes alone.
  int batch_ops = 100;
  int64_t batch_bytes = 1024 * 1024;
  // Keys read from the source per page.
  int64_t page_size = 1000;
  // Copy even if the destination already holds keys (theirs are kept unless overwritten).
  bool allow_non_empty = false;
};

struct CopyReport {
  int64_t keys = 0;
  int64_t bytes = 0;  // keys plus values
  int64_t transactions = 0;
};

struct VerifyReport {
  int64_t source_keys = 0;
  int64_t destination_keys = 0;
  int64_t missing = 0;                // in the source only
  int64_t extra = 0;                  // in the destination only
  int64_t different = 0;              // in both, with different values
  std::vector<std::string> examples;  // the first few differing keys, for the message

  bool ok() const { return missing == 0 && extra == 0 && different == 0; }
};

// Copies every key of `from` into `to`. FAILED_PRECONDITION if `to` holds a key and
// allow_non_empty is false; otherwise the first error of either store, with the key it
// concerned.
absl::StatusOr<CopyReport> CopyStore(Store& from, Store& to, const CopyOptions& options);

// Reads both stores in key order and counts what differs. An error only if a read fails.
absl::StatusOr<VerifyReport> VerifyStores(Store& from, Store& to, int64_t page_size = 1000);

}  // namespace plasmanet::store
