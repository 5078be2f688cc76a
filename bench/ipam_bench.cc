// Benchmarks for the IPAM pool allocator.
//
//   BM_AllocateRelease/prefix:P/fill:F  one Allocate() plus one Release() of a random used
//       offset per iteration, in an IPv4 /P whose pool is F% used at random positions. The fill
//       level stays constant, so this is the steady state of a busy subnet; random positions
//       fragment the set as much as possible, which is the worst case for the tree.
//   BM_AllocateUntilFull/prefix:P  Allocate() from an empty allocator until the /P is full:
//       the cost of sequential allocation, e.g. when a large batch of ports is created.
//
// mem_bytes is the allocator's heap use at the end of the run; items/s counts Allocate/Release
// pairs (or single allocations for BM_AllocateUntilFull).
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <optional>
#include <random>
#include <utility>
#include <vector>

#include <absl/status/statusor.h>
#include <benchmark/benchmark.h>

#include "ipam/pool_allocator.h"

namespace plasmanet::ipam {
namespace {

// Pool [2, 2^bits - 2]: network address (0), gateway (1) and broadcast (2^bits - 1) excluded.
PoolAllocator MakeAllocator(int bits) {
  const uint64_t broadcast = (uint64_t{1} << bits) - 1;
  absl::StatusOr<PoolAllocator> alloc =
      PoolAllocator::Create(bits, {{.first = 2, .last = broadcast - 1}});
  if (!alloc.ok()) {
    std::fprintf(stderr, "PoolAllocator::Create: %s\n", alloc.status().ToString().c_str());
    std::abort();
  }
  return std::move(alloc).value();
}

// A pre-filled allocator plus the list of its used offsets. uint32_t is enough for the
// universes benchmarked here (at most 24 bits) and halves the list for the 99% /8 (16.6M
// entries).
struct Fixture {
  int prefix;
  int fill_percent;
  PoolAllocator alloc;
  std::vector<uint32_t> used;
  std::mt19937_64 rng;
};

// Google Benchmark calls a benchmark function several times while it settles the iteration
// count, and filling a /8 takes a while, so the fixture of the current benchmark is built once
// and reused. Reuse is sound because every run leaves the fill level as it found it and the
// used set still at random positions.
Fixture& GetFixture(int prefix, int fill_percent) {
  static std::unique_ptr<Fixture> cached;
  if (cached && cached->prefix == prefix && cached->fill_percent == fill_percent) {
    return *cached;
  }
  cached.reset();  // free the previous fixture before building the next one

  const int bits = 32 - prefix;
  auto fixture = std::make_unique<Fixture>(Fixture{.prefix = prefix,
                                                   .fill_percent = fill_percent,
                                                   .alloc = MakeAllocator(bits),
                                                   .used = {},
                                                   .rng = std::mt19937_64(42)});
  // Each pool offset is used with probability fill%. Walking the offsets in order keeps the
  // tree's working set small, so a 99% /8 fills in well under a second.
  const uint64_t last = (uint64_t{1} << bits) - 2;
  std::bernoulli_distribution take(fill_percent / 100.0);
  for (uint64_t x = 2; x <= last; ++x) {
    if (take(fixture->rng) && fixture->alloc.Reserve(x)) {
      fixture->used.push_back(static_cast<uint32_t>(x));
    }
  }
  cached = std::move(fixture);
  return *cached;
}

void BM_AllocateRelease(benchmark::State& state) {
  Fixture& f = GetFixture(static_cast<int>(state.range(0)), static_cast<int>(state.range(1)));

  for (auto _ : state) {
    std::optional<uint64_t> offset = f.alloc.Allocate();
    if (!offset) {
      state.SkipWithError("pool exhausted");
      break;
    }
    f.used.push_back(static_cast<uint32_t>(*offset));

    // Release a uniformly random used offset (possibly the one just allocated), removing it
    // from the list by swapping with the last entry.
    const size_t i = std::uniform_int_distribution<size_t>(0, f.used.size() - 1)(f.rng);
    f.alloc.Release(f.used[i]);
    f.used[i] = f.used.back();
    f.used.pop_back();
  }

  state.SetItemsProcessed(state.iterations());
  state.counters["mem_bytes"] = static_cast<double>(f.alloc.MemoryBytes());
}
BENCHMARK(BM_AllocateRelease)
    ->ArgNames({"prefix", "fill"})
    ->Apply([](benchmark::internal::Benchmark* b) {
      for (int prefix : {16, 8}) {
        for (int fill : {0, 50, 99}) {
          b->Args({prefix, fill});
        }
      }
    });

void BM_AllocateUntilFull(benchmark::State& state) {
  const int bits = 32 - static_cast<int>(state.range(0));
  std::optional<PoolAllocator> alloc;
  uint64_t allocated = 0;

  for (auto _ : state) {
    state.PauseTiming();
    alloc.reset();  // destroy the previous, full allocator outside the timed region
    alloc.emplace(MakeAllocator(bits));
    state.ResumeTiming();

    while (std::optional<uint64_t> offset = alloc->Allocate()) {
      benchmark::DoNotOptimize(offset);
      ++allocated;
    }
  }

  state.SetItemsProcessed(static_cast<int64_t>(allocated));
  state.counters["mem_bytes"] = alloc ? static_cast<double>(alloc->MemoryBytes()) : 0.0;
}
BENCHMARK(BM_AllocateUntilFull)->ArgName("prefix")->Arg(16)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace plasmanet::ipam

BENCHMARK_MAIN();
