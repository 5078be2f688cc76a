// Atom and Datum: OVSDB values (RFC 7047 section 5.1) as C++ values.
//
// A Datum is a set of atoms or a map from atoms to atoms; a scalar column holds a set of one. It
// is kept in canonical form (keys sorted, no duplicates) so two datums that mean the same thing
// compare equal, which is what the reconciler's diff relies on.
//
//   Datum d = Datum::StringMap({{"plasmanet-owner", "port/42"}});
//   nlohmann::json wire = d.ToJson();   // ["map", [["plasmanet-owner", "port/42"]]]
//   absl::StatusOr<Datum> back = ParseDatum(element);  // from a simdjson element
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include <absl/status/statusor.h>
#include <absl/strings/string_view.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "ovsdb/uuid.h"

namespace plasmanet::ovsdb {

// A named UUID ("uuid-name" in an insert op) referenced by a later op in the same transaction:
// sent as ["named-uuid", name]. Never appears in data read from the server.
struct NamedUuid {
  std::string name;
  friend bool operator==(const NamedUuid&, const NamedUuid&) = default;
  friend auto operator<=>(const NamedUuid&, const NamedUuid&) = default;
};

// Order of alternatives defines the ordering between atoms of different types; a datum's atoms
// all have one type, so that order only matters for determinism.
using Atom = std::variant<int64_t, double, bool, std::string, Uuid, NamedUuid>;

nlohmann::json AtomToJson(const Atom& atom);
std::string AtomToString(const Atom& atom);  // for logs and error messages

class Datum {
 public:
  Datum() = default;  // the empty set

  static Datum Scalar(Atom atom);
  static Datum Set(std::vector<Atom> atoms);  // sorted, duplicates dropped
  // Sorted by key; of several pairs with equal keys the last one wins.
  static Datum Map(std::vector<std::pair<Atom, Atom>> pairs);
  static Datum String(std::string s) { return Scalar(Atom(std::move(s))); }
  static Datum Integer(int64_t i) { return Scalar(Atom(i)); }
  static Datum Boolean(bool b) { return Scalar(Atom(b)); }
  static Datum StringSet(const std::vector<std::string>& strings);
  static Datum StringMap(const std::map<std::string, std::string>& map);

  bool is_map() const { return is_map_; }
  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }
  const std::vector<Atom>& keys() const { return keys_; }
  const std::vector<Atom>& values() const { return values_; }  // maps only; parallel to keys()

  // Accessors for the common column shapes; they return a default when the datum is empty or
  // holds another type.
  std::string AsString() const;
  bool AsBool() const;
  int64_t AsInteger() const;
  std::vector<std::string> AsStrings() const;
  std::map<std::string, std::string> AsStringMap() const;
  std::vector<Uuid> AsUuids() const;
  // The value for `key` in a string map, or nullptr.
  const std::string* Lookup(absl::string_view key) const;

  // Applies an "update2" modify diff for this column (ovsdb-server(7), monitor_cond): for a set,
  // each atom in `diff` is added if absent and removed if present; for a map, a key absent here
  // is added, a key present with the same value is removed, and a key present with another value
  // takes the new value. With `is_scalar` (a column that holds at most one value, see
  // ColumnSchema::is_composite: the server sends those whole) it simply takes diff's value.
  // Unless this datum is empty, `diff` must have its shape (set or map); a diff of the other
  // shape replaces it.
  void ApplyDiff(const Datum& diff, bool is_scalar);

  // RFC 7047 <value> encoding: a single atom bare, otherwise ["set", [...]] or ["map", [...]].
  nlohmann::json ToJson() const;
  std::string ToString() const;  // compact JSON, for logs

  friend bool operator==(const Datum&, const Datum&) = default;

 private:
  void Canonicalize();

  bool is_map_ = false;
  std::vector<Atom> keys_;
  std::vector<Atom> values_;
};

// Parses an RFC 7047 <value> as found in monitor and transact replies: a bare atom, ["uuid",
// "..."], ["set", [...]], or ["map", [[k, v], ...]]. INVALID_ARGUMENT on anything else,
// including atoms of different types in one datum (except that integers among reals are taken
// as reals), integers beyond int64 and repeated map keys; repeated set elements are merged.
absl::StatusOr<Datum> ParseDatum(simdjson::dom::element element);

}  // namespace plasmanet::ovsdb
