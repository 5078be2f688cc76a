// Deadline-based polling for tests that wait on another process: a daemon becoming ready, a
// cluster electing a leader, a row appearing.
//
//   ASSERT_TRUE(WaitFor([&] { return server.IsServing(); }, absl::Seconds(5)));
//
// The condition runs on the calling thread; WaitFor itself keeps no state.
#pragma once

#include <functional>

#include <absl/time/time.h>

namespace plasmanet::testing {

// Calls `condition` until it returns true or `timeout` has passed, sleeping `poll` between
// calls. The condition is always called at least once, and once more at the deadline, so a
// condition that becomes true just before the deadline is not missed. Returns the last result.
bool WaitFor(std::function<bool()> condition, absl::Duration timeout,
             absl::Duration poll = absl::Milliseconds(10));

}  // namespace plasmanet::testing
