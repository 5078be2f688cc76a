#include "ovsdb/datum.h"

#include <algorithm>
#include <cstddef>
#include <functional>

#include <absl/strings/str_cat.h>

#include "common/status_macros.h"
#include "ovsdb/internal/string_view.h"

namespace plasmanet::ovsdb {
namespace {

using internal::ToAbsl;

// Strictly increasing: sorted and free of duplicates, i.e. already canonical.
bool IsStrictlyIncreasing(const std::vector<Atom>& atoms) {
  for (size_t i = 1; i < atoms.size(); ++i) {
    if (!(atoms[i - 1] < atoms[i])) {
      return false;
    }
  }
  return true;
}

// RFC 7047 <id>: what a "named-uuid" may be called.
bool IsId(std::string_view name) {
  if (name.empty()) {
    return false;
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    const bool letter = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    if (!letter && !(i > 0 && c >= '0' && c <= '9')) {
      return false;
    }
  }
  return true;
}

absl::Status Invalid(absl::string_view what, simdjson::dom::element element) {
  // Quote the offending JSON, but not all of a 10 MB set.
  constexpr size_t kMaxQuoted = 200;
  std::string json = simdjson::minify(element);
  if (json.size() > kMaxQuoted) {
    json.resize(kMaxQuoted);
    json += "...";
  }
  return absl::InvalidArgumentError(absl::StrCat("ovsdb value: ", what, ": ", json));
}

// ["uuid", "..."] or ["named-uuid", "..."]; `array` has already been seen to be an array.
absl::StatusOr<Atom> ParseTaggedAtom(simdjson::dom::array array, simdjson::dom::element whole) {
  if (array.size() != 2) {
    return Invalid("expected a two-element array", whole);
  }
  std::string_view tag;
  if (array.at(0).get(tag) != simdjson::SUCCESS) {
    return Invalid("expected [\"uuid\", \"...\"] or [\"named-uuid\", \"...\"]", whole);
  }
  if (tag != "uuid" && tag != "named-uuid") {
    return Invalid("unknown tag", whole);
  }
  std::string_view text;
  if (array.at(1).get(text) != simdjson::SUCCESS) {
    return Invalid("expected a string after the tag", whole);
  }
  if (tag == "uuid") {
    std::optional<Uuid> uuid = Uuid::Parse(ToAbsl(text));
    if (!uuid) {
      return Invalid("malformed uuid", whole);
    }
    return Atom(*uuid);
  }
  if (!IsId(text)) {
    return Invalid("named-uuid is not an identifier", whole);
  }
  return Atom(NamedUuid{std::string(text)});
}

absl::StatusOr<Atom> ParseAtom(simdjson::dom::element element) {
  switch (element.type()) {
    case simdjson::dom::element_type::STRING: {
      std::string_view s;
      if (element.get(s) != simdjson::SUCCESS) {
        break;
      }
      return Atom(std::string(s));
    }
    case simdjson::dom::element_type::INT64: {
      int64_t i = 0;
      if (element.get(i) != simdjson::SUCCESS) {
        break;
      }
      return Atom(i);
    }
    case simdjson::dom::element_type::DOUBLE: {
      double d = 0;
      if (element.get(d) != simdjson::SUCCESS) {
        break;
      }
      return Atom(d);
    }
    case simdjson::dom::element_type::BOOL: {
      bool b = false;
      if (element.get(b) != simdjson::SUCCESS) {
        break;
      }
      return Atom(b);
    }
    case simdjson::dom::element_type::ARRAY: {
      simdjson::dom::array array;
      if (element.get(array) != simdjson::SUCCESS) {
        break;
      }
      return ParseTaggedAtom(array, element);
    }
    case simdjson::dom::element_type::UINT64:
      return Invalid("integer out of range", element);
    default:
      break;
  }
  return Invalid("not an atom", element);
}

// All atoms of a datum share one type. JSON has no separate real syntax for whole numbers, so a
// set of reals may carry some as integers; those are widened to reals. `atom_of` picks the atom
// out of an element of `items` (identity for a set, key or value of a map's pairs).
template <typename T, typename Projection>
absl::Status UnifyTypes(std::vector<T>& items, Projection atom_of, simdjson::dom::element whole) {
  if (items.empty()) {
    return absl::OkStatus();
  }
  bool has_int = false;
  bool has_real = false;
  const size_t first = std::invoke(atom_of, items.front()).index();
  for (const T& item : items) {
    const Atom& atom = std::invoke(atom_of, item);
    const bool is_int = std::holds_alternative<int64_t>(atom);
    const bool is_real = std::holds_alternative<double>(atom);
    has_int |= is_int;
    has_real |= is_real;
    if (atom.index() != first && !((is_int || is_real) && first <= 1)) {
      return Invalid("atoms of different types", whole);
    }
  }
  if (has_int && has_real) {
    for (T& item : items) {
      Atom& atom = std::invoke(atom_of, item);
      if (const int64_t* i = std::get_if<int64_t>(&atom)) {
        atom = static_cast<double>(*i);
      }
    }
  }
  return absl::OkStatus();
}

absl::StatusOr<Datum> ParseSet(simdjson::dom::element body, simdjson::dom::element whole) {
  simdjson::dom::array array;
  if (body.get(array) != simdjson::SUCCESS) {
    return Invalid("\"set\" needs an array", whole);
  }
  std::vector<Atom> atoms;
  atoms.reserve(array.size());
  for (simdjson::dom::element item : array) {
    absl::StatusOr<Atom> atom = ParseAtom(item);
    if (!atom.ok()) {
      return atom.status();
    }
    atoms.push_back(*std::move(atom));
  }
  PN_RETURN_IF_ERROR(UnifyTypes(atoms, std::identity(), whole));
  return Datum::Set(std::move(atoms));
}

absl::StatusOr<Datum> ParseMap(simdjson::dom::element body, simdjson::dom::element whole) {
  simdjson::dom::array array;
  if (body.get(array) != simdjson::SUCCESS) {
    return Invalid("\"map\" needs an array", whole);
  }
  // Keys and values are parsed straight into the pairs Datum::Map takes, one allocation for
  // the lot; maps like external_ids are in every row of a monitor reply.
  const size_t n = array.size();
  std::vector<std::pair<Atom, Atom>> pairs;
  pairs.reserve(n);
  for (simdjson::dom::element item : array) {
    simdjson::dom::array pair;
    if (item.get(pair) != simdjson::SUCCESS || pair.size() != 2) {
      return Invalid("map entries are [key, value] pairs", whole);
    }
    absl::StatusOr<Atom> key = ParseAtom(pair.at(0).value_unsafe());
    if (!key.ok()) {
      return key.status();
    }
    absl::StatusOr<Atom> value = ParseAtom(pair.at(1).value_unsafe());
    if (!value.ok()) {
      return value.status();
    }
    pairs.emplace_back(*std::move(key), *std::move(value));
  }
  PN_RETURN_IF_ERROR(UnifyTypes(pairs, &std::pair<Atom, Atom>::first, whole));
  PN_RETURN_IF_ERROR(UnifyTypes(pairs, &std::pair<Atom, Atom>::second, whole));
  // A map with a repeated key has no single meaning; ovsdb-server refuses one too.
  Datum datum = Datum::Map(std::move(pairs));
  if (datum.size() != n) {
    return Invalid("map has a duplicate key", whole);
  }
  return datum;
}

}  // namespace

nlohmann::json AtomToJson(const Atom& atom) {
  return std::visit(
      [](const auto& a) -> nlohmann::json {
        using T = std::decay_t<decltype(a)>;
        if constexpr (std::is_same_v<T, Uuid>) {
          return nlohmann::json::array({"uuid", a.ToString()});
        } else if constexpr (std::is_same_v<T, NamedUuid>) {
          return nlohmann::json::array({"named-uuid", a.name});
        } else {
          return nlohmann::json(a);
        }
      },
      atom);
}

std::string AtomToString(const Atom& atom) {
  if (const Uuid* uuid = std::get_if<Uuid>(&atom)) {
    return uuid->ToString();
  }
  if (const NamedUuid* named = std::get_if<NamedUuid>(&atom)) {
    return named->name;
  }
  // Strings come out quoted and escaped, which keeps log lines unambiguous; replacing invalid
  // UTF-8 keeps nlohmann from throwing on a string that did not come from JSON.
  return AtomToJson(atom).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Datum Datum::Scalar(Atom atom) {
  Datum d;
  d.keys_.push_back(std::move(atom));
  return d;
}

Datum Datum::Set(std::vector<Atom> atoms) {
  Datum d;
  d.keys_ = std::move(atoms);
  d.Canonicalize();
  return d;
}

Datum Datum::Map(std::vector<std::pair<Atom, Atom>> pairs) {
  Datum d;
  d.is_map_ = true;
  d.keys_.reserve(pairs.size());
  d.values_.reserve(pairs.size());
  for (auto& [key, value] : pairs) {
    d.keys_.push_back(std::move(key));
    d.values_.push_back(std::move(value));
  }
  d.Canonicalize();
  return d;
}

Datum Datum::StringSet(const std::vector<std::string>& strings) {
  std::vector<Atom> atoms;
  atoms.reserve(strings.size());
  for (const std::string& s : strings) {
    atoms.emplace_back(s);
  }
  return Set(std::move(atoms));
}

Datum Datum::StringMap(const std::map<std::string, std::string>& map) {
  Datum d;
  d.is_map_ = true;
  d.keys_.reserve(map.size());
  d.values_.reserve(map.size());
  // std::map iterates in key order, which is the canonical order for string atoms.
  for (const auto& [key, value] : map) {
    d.keys_.emplace_back(key);
    d.values_.emplace_back(value);
  }
  return d;
}

void Datum::Canonicalize() {
  // Data from ovsdb-server arrives sorted, so the common case is one linear check.
  if (IsStrictlyIncreasing(keys_)) {
    return;
  }
  if (!is_map_) {
    std::sort(keys_.begin(), keys_.end());
    keys_.erase(std::unique(keys_.begin(), keys_.end()), keys_.end());
    return;
  }
  // Sort positions rather than pairs to move each atom once; among equal keys the later pair
  // wins, as if the pairs were assigned in order.
  std::vector<size_t> order(keys_.size());
  for (size_t i = 0; i < order.size(); ++i) {
    order[i] = i;
  }
  std::stable_sort(order.begin(), order.end(),
                   [this](size_t a, size_t b) { return keys_[a] < keys_[b]; });
  std::vector<Atom> keys;
  std::vector<Atom> values;
  keys.reserve(order.size());
  values.reserve(order.size());
  for (size_t i = 0; i < order.size(); ++i) {
    const size_t at = order[i];
    if (i + 1 < order.size() && keys_[order[i + 1]] == keys_[at]) {
      continue;
    }
    keys.push_back(std::move(keys_[at]));
    values.push_back(std::move(values_[at]));
  }
  keys_ = std::move(keys);
  values_ = std::move(values);
}

std::string Datum::AsString() const {
  if (!is_map_ && keys_.size() == 1) {
    if (const std::string* s = std::get_if<std::string>(&keys_[0])) {
      return *s;
    }
  }
  return "";
}

bool Datum::AsBool() const {
  if (!is_map_ && keys_.size() == 1) {
    if (const bool* b = std::get_if<bool>(&keys_[0])) {
      return *b;
    }
  }
  return false;
}

int64_t Datum::AsInteger() const {
  if (!is_map_ && keys_.size() == 1) {
    if (const int64_t* i = std::get_if<int64_t>(&keys_[0])) {
      return *i;
    }
  }
  return 0;
}

std::vector<std::string> Datum::AsStrings() const {
  std::vector<std::string> out;
  if (is_map_) {
    return out;
  }
  out.reserve(keys_.size());
  for (const Atom& atom : keys_) {
    if (const std::string* s = std::get_if<std::string>(&atom)) {
      out.push_back(*s);
    }
  }
  return out;
}

std::map<std::string, std::string> Datum::AsStringMap() const {
  std::map<std::string, std::string> out;
  if (!is_map_) {
    return out;
  }
  for (size_t i = 0; i < keys_.size(); ++i) {
    const std::string* key = std::get_if<std::string>(&keys_[i]);
    const std::string* value = std::get_if<std::string>(&values_[i]);
    if (key != nullptr && value != nullptr) {
      out.emplace_hint(out.end(), *key, *value);
    }
  }
  return out;
}

std::vector<Uuid> Datum::AsUuids() const {
  std::vector<Uuid> out;
  if (is_map_) {
    return out;
  }
  out.reserve(keys_.size());
  for (const Atom& atom : keys_) {
    if (const Uuid* uuid = std::get_if<Uuid>(&atom)) {
      out.push_back(*uuid);
    }
  }
  return out;
}

const std::string* Datum::Lookup(absl::string_view key) const {
  if (!is_map_) {
    return nullptr;
  }
  // Binary search without building a string atom for the key: atoms order by type first, then
  // by value (std::variant's ordering).
  constexpr size_t kStringIndex = 3;
  static_assert(std::is_same_v<std::variant_alternative_t<kStringIndex, Atom>, std::string>);
  auto it = std::lower_bound(keys_.begin(), keys_.end(), key, [](const Atom& a, auto k) {
    if (a.index() != kStringIndex) {
      return a.index() < kStringIndex;
    }
    return absl::string_view(std::get<std::string>(a)) < k;
  });
  if (it == keys_.end()) {
    return nullptr;
  }
  const std::string* found = std::get_if<std::string>(&*it);
  if (found == nullptr || *found != key) {
    return nullptr;
  }
  return std::get_if<std::string>(&values_[it - keys_.begin()]);
}

void Datum::ApplyDiff(const Datum& diff, bool is_scalar) {
  if (is_scalar) {
    *this = diff;
    return;
  }
  if (diff.empty()) {
    return;
  }
  if (empty()) {
    is_map_ = diff.is_map_;
  } else if (is_map_ != diff.is_map_) {
    *this = diff;  // a caller error (see the header); keep keys_ and values_ consistent
    return;
  }

  // Both sides are sorted, so one merge pass computes the result.
  const bool map = is_map_;
  std::vector<Atom> keys;
  std::vector<Atom> values;
  keys.reserve(keys_.size() + diff.keys_.size());
  if (map) {
    values.reserve(keys_.size() + diff.keys_.size());
  }
  size_t i = 0;
  size_t j = 0;
  while (i < keys_.size() || j < diff.keys_.size()) {
    const bool take_mine = j == diff.keys_.size() || (i < keys_.size() && keys_[i] < diff.keys_[j]);
    const bool take_diff = i == keys_.size() || (j < diff.keys_.size() && diff.keys_[j] < keys_[i]);
    if (take_mine) {
      keys.push_back(std::move(keys_[i]));
      if (map) {
        values.push_back(std::move(values_[i]));
      }
      ++i;
    } else if (take_diff) {
      keys.push_back(diff.keys_[j]);
      if (map) {
        values.push_back(diff.values_[j]);
      }
      ++j;
    } else {
      // Present on both sides: a set element or an unchanged map entry goes away; a map entry
      // whose value differs takes the diff's value.
      if (map && !(values_[i] == diff.values_[j])) {
        keys.push_back(std::move(keys_[i]));
        values.push_back(diff.values_[j]);
      }
      ++i;
      ++j;
    }
  }
  keys_ = std::move(keys);
  values_ = std::move(values);
}

nlohmann::json Datum::ToJson() const {
  if (!is_map_ && keys_.size() == 1) {
    return AtomToJson(keys_[0]);
  }
  nlohmann::json items = nlohmann::json::array();
  items.get_ref<nlohmann::json::array_t&>().reserve(keys_.size());
  // push_back with moves throughout: nlohmann's initializer lists copy their elements deeply.
  for (size_t i = 0; i < keys_.size(); ++i) {
    if (is_map_) {
      nlohmann::json pair = nlohmann::json::array();
      pair.push_back(AtomToJson(keys_[i]));
      pair.push_back(AtomToJson(values_[i]));
      items.push_back(std::move(pair));
    } else {
      items.push_back(AtomToJson(keys_[i]));
    }
  }
  nlohmann::json value = nlohmann::json::array();
  value.push_back(is_map_ ? "map" : "set");
  value.push_back(std::move(items));
  return value;
}

std::string Datum::ToString() const {
  return ToJson().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

absl::StatusOr<Datum> ParseDatum(simdjson::dom::element element) {
  simdjson::dom::array array;
  if (element.get(array) != simdjson::SUCCESS) {
    absl::StatusOr<Atom> atom = ParseAtom(element);
    if (!atom.ok()) {
      return atom.status();
    }
    return Datum::Scalar(*std::move(atom));
  }
  std::string_view tag;
  if (array.size() != 2 || array.at(0).get(tag) != simdjson::SUCCESS) {
    return Invalid("expected [\"set\"|\"map\"|\"uuid\"|\"named-uuid\", ...]", element);
  }
  if (tag == "set") {
    return ParseSet(array.at(1).value_unsafe(), element);
  }
  if (tag == "map") {
    return ParseMap(array.at(1).value_unsafe(), element);
  }
  absl::StatusOr<Atom> atom = ParseTaggedAtom(array, element);
  if (!atom.ok()) {
    return atom.status();
  }
  return Datum::Scalar(*std::move(atom));
}

}  // namespace plasmanet::ovsdb
