// A store and the services over it in a fresh temp directory, with limits high enough for the
// benchmarks' scale: what the API would write, without the API.
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "service/service_core.h"
#include "service/services.h"
#include "store/store.h"

namespace plasmanet::bench {

// The tenant every benchmark object belongs to.
inline const service::RequestContext kTenant{{"bench", {"acme", "bench"}, {auth::Role::kMember}},
                                             std::nullopt};

struct World {
  std::filesystem::path dir;  // removed by the destructor
  std::unique_ptr<store::Store> store;
  std::unique_ptr<service::Services> services;

  World() = default;
  World(World&&) = default;
  World& operator=(World&&) = default;
  ~World();
};

// A durable SQLite store in /tmp/<name>-<pid>; exits the process if it cannot be opened.
World OpenWorld(const std::string& name);

}  // namespace plasmanet::bench
