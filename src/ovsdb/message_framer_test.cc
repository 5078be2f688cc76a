#include "ovsdb/message_framer.h"

#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/status_matchers.h"

namespace plasmanet::ovsdb {
namespace {

using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::StatusIs;
using ::testing::_;
using ::testing::ElementsAre;
using ::testing::ElementsAreArray;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

// Messages whose strings hold every character that could fool a bracket counter.
const std::vector<std::string>& TrickyMessages() {
  static const auto* const kMessages = new std::vector<std::string>{
      R"({"id":1,"method":"echo","params":[]})",
      R"({"id":2,"result":{"s":"{ [ } ] \" \\","t":"\\\"}"},"error":null})",
      R"({"method":"update2","params":["m",{"T":{"u":{"modify":{"n":"\u007b\u005d\"}"}}}}],"id":null})",
      R"({"s":"ends in backslash \\"})",
      R"({"a":[[[{}]]],"b":"]]]}}}"})",
      R"({})",
  };
  return *kMessages;
}

std::string TrickyStream() {
  // Whitespace of each kind between messages, and none between some.
  const std::vector<std::string>& m = TrickyMessages();
  return m[0] + m[1] + "\n" + m[2] + " \t\r\n" + m[3] + m[4] + "\n\n" + m[5] + "  ";
}

std::vector<std::string> Drain(MessageFramer& framer) {
  std::vector<std::string> out;
  while (std::optional<std::string> message = framer.Next()) {
    out.push_back(*std::move(message));
  }
  return out;
}

TEST(MessageFramerTest, SplitsAStreamFedAtOnce) {
  MessageFramer framer;
  ASSERT_THAT(framer.Feed(TrickyStream()), IsOk());
  EXPECT_THAT(Drain(framer), ElementsAreArray(TrickyMessages()));
  EXPECT_EQ(framer.pending_bytes(), 0u);
}

TEST(MessageFramerTest, EverySplitPointGivesTheSameMessages) {
  const std::string stream = TrickyStream();
  for (size_t split = 0; split <= stream.size(); ++split) {
    SCOPED_TRACE(split);
    MessageFramer framer;
    ASSERT_THAT(framer.Feed(absl::string_view(stream).substr(0, split)), IsOk());
    ASSERT_THAT(framer.Feed(absl::string_view(stream).substr(split)), IsOk());
    EXPECT_THAT(Drain(framer), ElementsAreArray(TrickyMessages()));
  }
}

TEST(MessageFramerTest, ByteByByteGivesTheSameMessages) {
  const std::string stream = TrickyStream();
  MessageFramer framer;
  std::vector<std::string> messages;
  for (char c : stream) {
    ASSERT_THAT(framer.Feed(absl::string_view(&c, 1)), IsOk());
    // Messages come out as soon as their last byte is in, not later.
    for (std::string& m : Drain(framer)) {
      messages.push_back(std::move(m));
    }
  }
  EXPECT_THAT(messages, ElementsAreArray(TrickyMessages()));
}

TEST(MessageFramerTest, ReportsPendingBytesOfAPartialMessage) {
  MessageFramer framer;
  ASSERT_THAT(framer.Feed(R"({"id":1,"res)"), IsOk());
  EXPECT_EQ(framer.pending_bytes(), 12u);
  EXPECT_EQ(framer.Next(), std::nullopt);
  ASSERT_THAT(framer.Feed(R"(ult":{}} {"a)"), IsOk());
  EXPECT_EQ(framer.pending_bytes(), 3u);
  EXPECT_THAT(Drain(framer), ElementsAre(R"({"id":1,"result":{}})"));
}

TEST(MessageFramerTest, RefusesATopLevelValueThatIsNotAnObject) {
  for (const char* stream : {"[1,2]", "\"text\"", "42", "{} x", "null"}) {
    SCOPED_TRACE(stream);
    MessageFramer framer;
    EXPECT_THAT(framer.Feed(stream),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("must be a JSON object")));
  }
}

TEST(MessageFramerTest, RefusesAStrayClosingBracket) {
  MessageFramer framer;
  EXPECT_THAT(framer.Feed(R"({"a":1}})"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("closing bracket")));
  // The message before the error is still delivered.
  EXPECT_THAT(Drain(framer), ElementsAre(R"({"a":1})"));

  MessageFramer bracket;
  EXPECT_THAT(bracket.Feed("  ]"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("closing bracket")));
}

TEST(MessageFramerTest, RefusesAMessageOverTheLimitAndStaysFailed) {
  MessageFramer framer(/*max_message_bytes=*/10);
  ASSERT_THAT(framer.Feed(R"({"a":"12"})"), IsOk());  // exactly 10 bytes is allowed
  EXPECT_THAT(Drain(framer), ElementsAre(R"({"a":"12"})"));

  ASSERT_THAT(framer.Feed(R"({"a":)"), IsOk());
  EXPECT_THAT(framer.Feed(R"("123"})"),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("larger than 10 bytes")));
  EXPECT_EQ(framer.pending_bytes(), 0u);

  // Once failed, even valid input is refused with the same error.
  EXPECT_THAT(framer.Feed("{}"), StatusIs(absl::StatusCode::kResourceExhausted, _));
  EXPECT_THAT(Drain(framer), IsEmpty());
}

TEST(MessageFramerTest, StaysFailedAfterASyntaxError) {
  MessageFramer framer;
  ASSERT_THAT(framer.Feed("x"), StatusIs(absl::StatusCode::kInvalidArgument, _));
  EXPECT_THAT(framer.Feed("{}"), StatusIs(absl::StatusCode::kInvalidArgument, _));
  EXPECT_THAT(Drain(framer), IsEmpty());
}

TEST(MessageFramerTest, LimitTripsAtTheSameByteWhateverTheChunking) {
  const std::string stream = R"({"a":1} {"bbbbbbbbbbbbbbbbbbbb":2} {})";
  for (size_t split = 0; split <= stream.size(); ++split) {
    SCOPED_TRACE(split);
    MessageFramer framer(/*max_message_bytes=*/16);
    absl::Status first = framer.Feed(absl::string_view(stream).substr(0, split));
    absl::Status second = first.ok() ? framer.Feed(absl::string_view(stream).substr(split)) : first;
    EXPECT_THAT(second, StatusIs(absl::StatusCode::kResourceExhausted, _));
    EXPECT_THAT(Drain(framer), ElementsAre(R"({"a":1})"));
  }
}

}  // namespace
}  // namespace plasmanet::ovsdb
