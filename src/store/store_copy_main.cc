// plasmanet-store-copy: moves PlasmaNET's state from one store to another and checks the result.
//
//   plasmanet-store-copy --from sqlite:/var/lib/plasmanet/plasmanet.db
//                        --to etcd:http://10.0.0.1:2379,http://10.0.0.2:2379   (one line)
//   plasmanet-store-copy --from ... --to ... --verify-only
//
// A separate tool rather than a plasmanetd flag: it runs once, with every plasmanetd stopped,
// and needs nothing of the daemon but the store. Exit status: 0 when the stores hold the same
// keys and values, 1 when they differ or a store fails, 2 for bad arguments.

#include <cstdio>
#include <string>

#include <CLI/CLI.hpp>
#include <absl/strings/str_join.h>

#include "common/logging.h"
#include "store/store.h"
#include "store/store_copy.h"

namespace plasmanet {
namespace {

int Run(const std::string& from_url, const std::string& to_url, bool verify_only,
        const store::CopyOptions& options) {
  absl::StatusOr<store::StorePtr> from = store::OpenStore(from_url);
  if (!from.ok()) {
    std::fprintf(stderr, "cannot open --from %s: %s\n", from_url.c_str(),
                 from.status().ToString().c_str());
    return 1;
  }
  absl::StatusOr<store::StorePtr> to = store::OpenStore(to_url);
  if (!to.ok()) {
    std::fprintf(stderr, "cannot open --to %s: %s\n", to_url.c_str(),
                 to.status().ToString().c_str());
    return 1;
  }

  if (!verify_only) {
    absl::StatusOr<store::CopyReport> copied = store::CopyStore(**from, **to, options);
    if (!copied.ok()) {
      std::fprintf(stderr, "copy failed: %s\n", copied.status().ToString().c_str());
      return 1;
    }
    std::printf("copied %lld keys (%lld bytes) in %lld transactions\n",
                static_cast<long long>(copied->keys), static_cast<long long>(copied->bytes),
                static_cast<long long>(copied->transactions));
  }

  absl::StatusOr<store::VerifyReport> check = store::VerifyStores(**from, **to, options.page_size);
  if (!check.ok()) {
    std::fprintf(stderr, "verify failed: %s\n", check.status().ToString().c_str());
    return 1;
  }
  std::printf(
      "verify: source %lld keys, destination %lld keys, %lld missing, %lld extra, %lld "
      "different\n",
      static_cast<long long>(check->source_keys), static_cast<long long>(check->destination_keys),
      static_cast<long long>(check->missing), static_cast<long long>(check->extra),
      static_cast<long long>(check->different));
  if (!check->ok()) {
    std::printf("stores differ: %s\n", absl::StrJoin(check->examples, ", ").c_str());
    return 1;
  }
  std::printf("stores match\n");
  return 0;
}

}  // namespace
}  // namespace plasmanet

int main(int argc, char** argv) {
  std::string from;
  std::string to;
  bool verify_only = false;
  plasmanet::store::CopyOptions options;
  CLI::App app{
      "plasmanet-store-copy: copies every key of one PlasmaNET store into an empty other one "
      "(sqlite:PATH or etcd:URLS), then checks both hold the same keys and values. Stop every "
      "plasmanetd first. Revisions are not carried over: etags and WatchPorts resume tokens "
      "issued before the copy are invalid after it."};
  app.add_option("--from", from, "Source store URL")->required();
  app.add_option("--to", to, "Destination store URL")->required();
  app.add_flag("--verify-only", verify_only, "Only compare the two stores");
  app.add_flag("--allow-non-empty", options.allow_non_empty,
               "Copy into a destination that already holds keys");
  app.add_option("--batch", options.batch_ops,
                 "Puts per transaction (at most the etcd cluster's --max-txn-ops)")
      ->check(CLI::Range(1, 100000))
      ->capture_default_str();
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? 0 : 2;  // --help is no error
  }
  plasmanet::InitLogging("plasmanet-store-copy", plasmanet::LogLevel::kWarn);
  return plasmanet::Run(from, to, verify_only, options);
}
