#include "testing/nbctl.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include <absl/strings/match.h>
#include <absl/strings/str_cat.h>
#include <absl/strings/str_join.h>

#include "common/status_macros.h"
#include "testing/process.h"

namespace plasmanet::testing {

absl::StatusOr<std::string> RunNbctl(absl::string_view remote, std::vector<std::string> args,
                                     const NbctlOptions& options) {
  std::vector<std::string> argv{
      absl::StrCat("--db=", remote),
      absl::StrCat("--timeout=", std::max<int64_t>(1, absl::ToInt64Seconds(options.timeout)))};
  if (!options.leader_only) {
    argv.push_back("--no-leader-only");
  }
  if (absl::StrContains(remote, "ssl:")) {
    if (options.ssl.empty()) {
      return absl::InvalidArgumentError(
          absl::StrCat("remote ", remote, " needs NbctlOptions::ssl (key, certificate, CA)"));
    }
    argv.insert(argv.end(),
                {"--private-key=" + options.ssl.private_key,
                 "--certificate=" + options.ssl.certificate, "--ca-cert=" + options.ssl.ca_cert});
  }
  argv.insert(argv.end(), std::make_move_iterator(args.begin()),
              std::make_move_iterator(args.end()));

  PN_ASSIGN_OR_RETURN(ProcessResult result,
                      RunProgram("ovn-nbctl", argv, options.timeout + absl::Seconds(5)));
  if (result.exit_code != 0) {
    // A batch can be megabytes of arguments: quote only the start of the command line.
    std::string command = absl::StrJoin(argv, " ");
    if (command.size() > 300) {
      command.resize(300);
      command += "...";
    }
    return absl::UnknownError(absl::StrCat("ovn-nbctl ", command, " exited with ", result.exit_code,
                                           ": ", result.stderr_text));
  }
  return std::move(result.stdout_text);
}

}  // namespace plasmanet::testing
