// Feeds the input to MessageFramer whole and again in chunks whose sizes come from the input
// itself, and checks that both give the same messages and the same error: the framer's state
// must carry across Feed calls exactly.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <vector>

#include "ovsdb/message_framer.h"

namespace {

// Small, so that inputs of a few hundred bytes can trip it.
constexpr size_t kMaxMessageBytes = 64;

struct Outcome {
  std::vector<std::string> messages;
  absl::Status status;
};

// Feeds `chunks` in order, stopping at the first error, then drains the framer.
Outcome Run(const std::vector<absl::string_view>& chunks) {
  plasmanet::ovsdb::MessageFramer framer(kMaxMessageBytes);
  Outcome out;
  for (absl::string_view chunk : chunks) {
    out.status = framer.Feed(chunk);
    if (!out.status.ok()) {
      // A failed framer must stay failed.
      if (framer.Feed("{}").code() != out.status.code()) {
        std::abort();
      }
      break;
    }
  }
  while (std::optional<std::string> message = framer.Next()) {
    if (message->size() > kMaxMessageBytes || message->front() != '{') {
      std::abort();
    }
    out.messages.push_back(*std::move(message));
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const absl::string_view input(reinterpret_cast<const char*>(data), size);
  const Outcome whole = Run({input});

  // Chunk lengths (1 to 16) come from the input's own bytes in turn, so the fuzzer explores
  // split points along with the content. An empty chunk goes in first: it must change nothing.
  std::vector<absl::string_view> chunks = {absl::string_view()};
  size_t at = 0;
  for (size_t i = 0; at < size; ++i) {
    const size_t len =
        std::min<size_t>(1 + (static_cast<uint8_t>(input[i % size]) & 0x0f), size - at);
    chunks.push_back(input.substr(at, len));
    at += len;
  }
  const Outcome chunked = Run(chunks);

  if (whole.messages != chunked.messages || whole.status != chunked.status) {
    std::abort();
  }
  return 0;
}
