// gMock matchers for absl::Status and absl::StatusOr, for tests only (Debian 12's abseil does
// not ship abseil's own). Tests match the exact code and the field, never just "not OK".
//
//   EXPECT_THAT(service.CreateVpc(ctx, spec),
//               StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("host bits")));
//   EXPECT_THAT(result, FieldError(absl::StatusCode::kInvalidArgument, "vpc.cidr_blocks[0]"));
#pragma once

#include <ostream>
#include <string>

#include <absl/status/status.h>
#include <absl/status/statusor.h>
#include <gmock/gmock.h>

#include "common/errors.h"

namespace plasmanet::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + absl::StatusCodeToString(code) + " and a message that " +
               ::testing::DescribeMatcher<std::string>(message_matcher)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.code() == code &&
         ::testing::Matches(message_matcher)(std::string(status.message()));
}

// The status has `code` and names exactly `field` (see common/errors.h).
MATCHER_P2(HasFieldError, code, field,
           "has code " + absl::StatusCodeToString(code) + " for field " + std::string(field)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.code() == code && ErrorField(status) == std::string(field);
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status.ToString();
  return status.ok();
}

}  // namespace plasmanet::testing
