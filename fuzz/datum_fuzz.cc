// Parses the input as JSON, then as an OVSDB <value>; whatever parses must survive ToJson and a
// second parse unchanged, which checks ParseDatum, canonical form and ToJson against each other.

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "ovsdb/datum.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (parser.parse(reinterpret_cast<const char*>(data), size).get(element) != simdjson::SUCCESS) {
    return 0;
  }
  absl::StatusOr<plasmanet::ovsdb::Datum> datum = plasmanet::ovsdb::ParseDatum(element);
  if (!datum.ok()) {
    if (datum.status().code() != absl::StatusCode::kInvalidArgument) {
      std::abort();
    }
    return 0;
  }

  const std::string json = datum->ToJson().dump();
  if (parser.parse(json).get(element) != simdjson::SUCCESS) {
    std::abort();
  }
  absl::StatusOr<plasmanet::ovsdb::Datum> again = plasmanet::ovsdb::ParseDatum(element);
  if (!again.ok() || !(*again == *datum)) {
    std::abort();
  }
  return 0;
}
