#include "ovsdb/message_framer.h"

#include <limits>
#include <utility>

#include <absl/strings/str_cat.h>

namespace plasmanet::ovsdb {
namespace {

bool IsJsonWhitespace(char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; }

}  // namespace

MessageFramer::MessageFramer(size_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

absl::Status MessageFramer::Feed(absl::string_view bytes) {
  if (!failed_.ok()) {
    return failed_;
  }
  const char* data = bytes.data();
  const size_t n = bytes.size();
  size_t i = 0;
  while (i < n) {
    // Between messages: skip whitespace; the next message must open an object.
    if (depth_ == 0) {
      while (i < n && IsJsonWhitespace(data[i])) {
        ++i;
      }
      if (i == n) {
        break;
      }
      if (data[i] != '{') {
        const bool closing = data[i] == '}' || data[i] == ']';
        failed_ = absl::InvalidArgumentError(
            closing ? "ovsdb stream: closing bracket without an open one"
                    : absl::StrCat("ovsdb stream: a message must be a JSON object, found byte 0x",
                                   absl::Hex(static_cast<unsigned char>(data[i]))));
        return failed_;
      }
    }

    // Inside a message: scan no further than the size limit allows, so the limit trips at the
    // same byte however the stream is chunked.
    const size_t start = i;
    const size_t budget = max_message_bytes_ - partial_.size();
    const size_t stop = n - i > budget ? i + budget : n;
    bool complete = false;
    while (i < stop && !complete) {
      const char c = data[i++];
      if (in_string_) {
        if (escaped_) {
          escaped_ = false;
        } else if (c == '\\') {
          escaped_ = true;
        } else if (c == '"') {
          in_string_ = false;
        }
        continue;
      }
      switch (c) {
        case '"':
          in_string_ = true;
          break;
        case '{':
        case '[':
          if (depth_ == std::numeric_limits<int>::max()) {
            failed_ = absl::InvalidArgumentError("ovsdb stream: nesting too deep");
            return failed_;
          }
          ++depth_;
          break;
        case '}':
        case ']':
          complete = --depth_ == 0;
          break;
        default:
          break;
      }
    }

    if (complete) {
      // The partial buffer is only touched when a message spans reads.
      if (partial_.empty()) {
        complete_.emplace_back(data + start, i - start);
      } else {
        partial_.append(data + start, i - start);
        complete_.push_back(std::move(partial_));
        partial_.clear();
      }
    } else if (i < n) {
      failed_ = absl::ResourceExhaustedError(
          absl::StrCat("ovsdb stream: message larger than ", max_message_bytes_, " bytes"));
      partial_.clear();
      partial_.shrink_to_fit();
      return failed_;
    } else {
      partial_.append(data + start, i - start);
    }
  }
  return absl::OkStatus();
}

std::optional<std::string> MessageFramer::Next() {
  if (complete_.empty()) {
    return std::nullopt;
  }
  std::string message = std::move(complete_.front());
  complete_.pop_front();
  return message;
}

}  // namespace plasmanet::ovsdb
