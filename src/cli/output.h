// How the CLI prints resources: aligned tables for people, protobuf's canonical JSON mapping
// for scripts (a list prints as a JSON array).
#pragma once

#include <ostream>
#include <string>
#include <vector>

#include <google/protobuf/message.h>

namespace plasmanet::cli {

enum class Format { kTable, kJson };

// A table: a header row and data rows, printed with columns padded to their widest cell.
class Table {
 public:
  explicit Table(std::vector<std::string> header) : rows_{std::move(header)} {}
  void Add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  void Print(std::ostream& out) const;

 private:
  std::vector<std::vector<std::string>> rows_;
};

// One message as canonical JSON (pretty-printed).
std::string ToJson(const google::protobuf::Message& message);
// Several messages as a JSON array.
std::string ToJsonArray(const std::vector<const google::protobuf::Message*>& messages);

}  // namespace plasmanet::cli
