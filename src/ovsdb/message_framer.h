// MessageFramer: splits the byte stream of an OVSDB connection into JSON-RPC messages.
//
// OVSDB (RFC 7047) sends JSON texts back to back with no length prefix or delimiter, so a
// message ends where its outermost object closes. The framer tracks nesting depth and string
// state across calls, so a message split over any number of reads, several messages in one
// read, and braces or escaped quotes inside strings are all handled; each byte is looked at
// once, whatever the chunking (a 50 MB monitor reply arriving in 4 KiB reads stays linear).
//
//   MessageFramer framer;
//   PN_RETURN_IF_ERROR(framer.Feed(absl::string_view(buffer, n)));
//   while (std::optional<std::string> message = framer.Next()) Dispatch(*message);
#pragma once

#include <cstddef>
#include <deque>
#include <optional>
#include <string>

#include <absl/status/status.h>
#include <absl/strings/string_view.h>

namespace plasmanet::ovsdb {

class MessageFramer {
 public:
  static constexpr size_t kDefaultMaxMessageBytes = size_t{256} << 20;

  explicit MessageFramer(size_t max_message_bytes = kDefaultMaxMessageBytes);

  // Consumes `bytes`. INVALID_ARGUMENT when the stream cannot be JSON-RPC (a top-level value
  // that is not an object, unbalanced closing brackets) and RESOURCE_EXHAUSTED when a message
  // exceeds the size limit; after an error the connection must be dropped (the framer stays
  // failed). Whitespace between messages is skipped.
  absl::Status Feed(absl::string_view bytes);

  // The next complete message, oldest first, or nullopt.
  std::optional<std::string> Next();

  // Bytes of the message being assembled (not yet complete).
  size_t pending_bytes() const { return partial_.size(); }

 private:
  size_t max_message_bytes_;
  std::string partial_;
  std::deque<std::string> complete_;
  int depth_ = 0;
  bool in_string_ = false;
  bool escaped_ = false;
  absl::Status failed_;
};

}  // namespace plasmanet::ovsdb
