#include "store/store_copy.h"

#include <optional>
#include <utility>

#include <absl/strings/str_cat.h>

#include "common/errors.h"
#include "common/status_macros.h"

namespace plasmanet::store {
namespace {

constexpr size_t kExamples = 5;

// Every key of a store in key order, a page at a time.
class KeyReader {
 public:
  KeyReader(Store& store, int64_t page_size)
      : store_(store), request_{.prefix = "", .limit = page_size} {}

  // The next key, or nullopt after the last.
  absl::StatusOr<std::optional<KeyValue>> Next() {
    if (position_ == page_.size()) {
      if (done_) {
        return std::nullopt;
      }
      PN_ASSIGN_OR_RETURN(RangeResult result, store_.Range(request_));
      page_ = std::move(result.kvs);
      position_ = 0;
      done_ = !result.more;
      if (!page_.empty()) {
        request_.start_after = page_.back().key;
      }
      if (page_.empty()) {
        return std::nullopt;
      }
    }
    return std::move(page_[position_++]);
  }

 private:
  Store& store_;
  RangeRequest request_;
  std::vector<KeyValue> page_;
  size_t position_ = 0;
  bool done_ = false;
};

void Note(VerifyReport& report, absl::string_view what, absl::string_view key) {
  if (report.examples.size() < kExamples) {
    report.examples.push_back(absl::StrCat(what, " ", key));
  }
}

}  // namespace

absl::StatusOr<CopyReport> CopyStore(Store& from, Store& to, const CopyOptions& options) {
  if (!options.allow_non_empty) {
    PN_ASSIGN_OR_RETURN(RangeResult first, to.Range({.prefix = "", .limit = 1}));
    if (!first.kvs.empty()) {
      return absl::FailedPreconditionError(
          absl::StrCat("the destination is not empty (it holds '", first.kvs[0].key,
                       "'); copy into an empty store, or allow a non-empty one explicitly"));
    }
  }

  CopyReport report;
  Txn batch;
  int64_t batch_bytes = 0;
  const auto flush = [&]() -> absl::Status {
    if (batch.ops.empty()) {
      return absl::OkStatus();
    }
    const std::string first_key = batch.ops.front().key;
    absl::StatusOr<TxnResult> result = to.Commit(std::move(batch));
    batch = Txn();
    batch_bytes = 0;
    if (!result.ok()) {
      return Annotate(result.status(),
                      absl::StrCat("while writing the batch that starts at '", first_key, "'"));
    }
    ++report.transactions;
    return absl::OkStatus();
  };

  KeyReader reader(from, options.page_size);
  while (true) {
    PN_ASSIGN_OR_RETURN(std::optional<KeyValue> kv, reader.Next());
    if (!kv.has_value()) {
      break;
    }
    const int64_t size = static_cast<int64_t>(kv->key.size() + kv->value.size());
    if (static_cast<int>(batch.ops.size()) >= options.batch_ops ||
        (!batch.ops.empty() && batch_bytes + size > options.batch_bytes)) {
      PN_RETURN_IF_ERROR(flush());
    }
    batch.ops.push_back(Op::Put(std::move(kv->key), std::move(kv->value)));
    batch_bytes += size;
    report.bytes += size;
    ++report.keys;
  }
  PN_RETURN_IF_ERROR(flush());
  return report;
}

absl::StatusOr<VerifyReport> VerifyStores(Store& from, Store& to, int64_t page_size) {
  VerifyReport report;
  KeyReader source(from, page_size);
  KeyReader destination(to, page_size);
  PN_ASSIGN_OR_RETURN(std::optional<KeyValue> a, source.Next());
  PN_ASSIGN_OR_RETURN(std::optional<KeyValue> b, destination.Next());
  // A merge of two key-ordered sequences.
  while (a.has_value() || b.has_value()) {
    const bool take_a = a.has_value() && (!b.has_value() || a->key <= b->key);
    const bool take_b = b.has_value() && (!a.has_value() || b->key <= a->key);
    if (take_a && take_b) {
      if (a->value != b->value) {
        ++report.different;
        Note(report, "different:", a->key);
      }
    } else if (take_a) {
      ++report.missing;
      Note(report, "missing:", a->key);
    } else {
      ++report.extra;
      Note(report, "extra:", b->key);
    }
    if (take_a) {
      ++report.source_keys;
      PN_ASSIGN_OR_RETURN(a, source.Next());
    }
    if (take_b) {
      ++report.destination_keys;
      PN_ASSIGN_OR_RETURN(b, destination.Next());
    }
  }
  return report;
}

}  // namespace plasmanet::store
