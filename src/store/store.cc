#include "store/store.h"

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>

#include "store/etcd/etcd_store.h"
#include "store/sqlite/sqlite_store.h"

namespace plasmanet::store {

Compare Compare::Absent(std::string key) {
  return Compare{std::move(key), false, Target::kVersion, Op::kEqual, 0};
}

Compare Compare::Exists(std::string key) {
  return Compare{std::move(key), false, Target::kVersion, Op::kGreater, 0};
}

Compare Compare::ModRevisionIs(std::string key, int64_t revision) {
  return Compare{std::move(key), false, Target::kModRevision, Op::kEqual, revision};
}

Compare Compare::PrefixEmpty(std::string prefix) {
  return Compare{std::move(prefix), true, Target::kVersion, Op::kEqual, 0};
}

Compare Compare::PrefixUnchangedSince(std::string prefix, int64_t revision) {
  return Compare{std::move(prefix), true, Target::kModRevision, Op::kLess, revision + 1};
}

Op Op::Put(std::string key, std::string value) {
  return Op{Type::kPut, std::move(key), std::move(value)};
}

Op Op::Delete(std::string key) { return Op{Type::kDelete, std::move(key), ""}; }

std::string PrefixEnd(absl::string_view prefix) {
  std::string end(prefix);
  while (!end.empty()) {
    if (static_cast<unsigned char>(end.back()) != 0xff) {
      end.back() = static_cast<char>(static_cast<unsigned char>(end.back()) + 1);
      return end;
    }
    end.pop_back();
  }
  return std::string();  // every byte is 0xff, or an empty prefix: no upper bound
}

bool CompareHolds(const Compare& compare, const CompareTargetRange& values) {
  const int64_t min = values.count == 0 ? 0 : values.min;
  const int64_t max = values.count == 0 ? 0 : values.max;
  switch (compare.op) {
    case Compare::Op::kEqual:
      return min == compare.value && max == compare.value;
    case Compare::Op::kLess:
      return max < compare.value;
    case Compare::Op::kGreater:
      return min > compare.value;
  }
  return false;
}

absl::StatusOr<StorePtr> OpenStore(absl::string_view url) {
  if (absl::StartsWith(url, "sqlite:")) {
    return sqlite::SqliteStore::Open(url.substr(7));
  }
  if (absl::StartsWith(url, "etcd:")) {
    return etcd::EtcdStore::Open(url.substr(5));
  }
  return absl::InvalidArgumentError(absl::StrCat(
      "store '", url, "': unknown kind; expected sqlite:PATH or etcd:http://HOST:PORT[,...]"));
}

}  // namespace plasmanet::store
