#include "bench_world.h"

#include <cstdio>
#include <cstdlib>
#include <system_error>

#include <absl/strings/str_cat.h>
#include <unistd.h>

#include "common/clock.h"
#include "store/sqlite/sqlite_store.h"

namespace plasmanet::bench {

World::~World() {
  services.reset();
  store.reset();
  if (!dir.empty()) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
  }
}

World OpenWorld(const std::string& name) {
  World world;
  world.dir = std::filesystem::temp_directory_path() / absl::StrCat(name, "-", getpid());
  std::filesystem::remove_all(world.dir);
  std::filesystem::create_directories(world.dir);
  absl::StatusOr<std::unique_ptr<store::sqlite::SqliteStore>> store =
      store::sqlite::SqliteStore::Open((world.dir / "store.db").string());
  if (!store.ok()) {
    std::fprintf(stderr, "%s: cannot open the store: %s\n", name.c_str(),
                 store.status().ToString().c_str());
    std::exit(1);
  }
  world.store = *std::move(store);
  service::Quotas quotas;
  quotas.ports = 1'000'000;
  quotas.security_groups = 100'000;
  world.services =
      std::make_unique<service::Services>(*world.store, RealClock::Get(), std::nullopt, quotas);
  return world;
}

}  // namespace plasmanet::bench
