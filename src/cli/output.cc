#include "cli/output.h"

#include <algorithm>

#include <google/protobuf/util/json_util.h>

namespace plasmanet::cli {

void Table::Print(std::ostream& out) const {
  std::vector<size_t> widths;
  for (const auto& row : rows_) {
    widths.resize(std::max(widths.size(), row.size()), 0);
    for (size_t i = 0; i < row.size(); ++i) widths[i] = std::max(widths[i], row[i].size());
  }
  for (const auto& row : rows_) {
    std::string line;
    for (size_t i = 0; i < row.size(); ++i) {
      line += row[i];
      if (i + 1 < row.size()) line += std::string(widths[i] - row[i].size() + 2, ' ');
    }
    out << line << "\n";
  }
}

std::string ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.preserve_proto_field_names = true;
  std::string json;
  // Printing a well-formed message cannot fail; an empty object stands in if it ever does.
  if (!google::protobuf::util::MessageToJsonString(message, &json, options).ok()) return "{}\n";
  return json;
}

std::string ToJsonArray(const std::vector<const google::protobuf::Message*>& messages) {
  std::string out = "[";
  for (size_t i = 0; i < messages.size(); ++i) {
    std::string item = ToJson(*messages[i]);
    while (!item.empty() && item.back() == '\n') item.pop_back();
    out += (i ? ",\n" : "\n") + item;
  }
  out += messages.empty() ? "]\n" : "\n]\n";
  return out;
}

}  // namespace plasmanet::cli
