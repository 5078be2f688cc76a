// Parsing a full monitor_cond reply: the first thing the OVSDB client does on every (re)connect,
// and the one message that scales with the whole NB database.
//
// The reply is generated in memory for N Logical_Switch_Port rows shaped like PlasmaNET's own
// ports (MAC + IP address, port security, ownership tags in external_ids), with columns at their
// default left out as ovsdb-server does. BM_ParseAndApply is the real path: simdjson DOM parse,
// then Replica::ApplyUpdates2 into a replica built from the installed NB schema.
// BM_SimdjsonParse and BM_NlohmannParse parse the same text and nothing else, to compare the two
// JSON libraries; BM_Frame splits it out of 64 KiB reads with MessageFramer.

#include <string>

#include <absl/strings/str_cat.h>
#include <absl/strings/str_format.h>
#include <benchmark/benchmark.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>

#include "ovsdb/message_framer.h"
#include "ovsdb/replica.h"
#include "ovsdb/schema.h"

namespace plasmanet::ovsdb {
namespace {

constexpr int kPorts = 100'000;
constexpr char kNbSchemaPath[] = "/usr/share/ovn/ovn-nb.ovsschema";

// One <row-update2> "initial" entry for port i.
void AppendPort(int i, std::string& out) {
  const int a = (i >> 16) & 0xff;
  const int b = (i >> 8) & 0xff;
  const int c = i & 0xff;
  const std::string mac = absl::StrFormat("fa:16:3e:%02x:%02x:%02x", a, b, c);
  const std::string ip = absl::StrFormat("10.%d.%d.%d", a, b, c);
  absl::StrAppend(&out, absl::StrFormat("\"%08x-%04x-4%03x-8%03x-%012x\":", i, i & 0xffff,
                                        i & 0xfff, (i * 7) & 0xfff, i * 2654435761u));
  absl::StrAppend(&out, "{\"initial\":{\"name\":\"port-", i, "\"");
  // One port in 20 is a router port; the rest are VM ports with the default (empty) type.
  if (i % 20 == 0) {
    absl::StrAppend(&out, ",\"type\":\"router\",\"addresses\":\"router\",\"options\":[\"map\",",
                    "[[\"router-port\",\"lrp-", i, "\"]]]");
  } else {
    absl::StrAppend(&out, ",\"addresses\":\"", mac, " ", ip, "\",\"port_security\":\"", mac, " ",
                    ip, "\",\"options\":[\"map\",[[\"requested-chassis\",\"hv-", i % 64, "\"]]]");
  }
  if (i % 3 != 0) {
    absl::StrAppend(&out, ",\"up\":true");
  }
  absl::StrAppend(&out, ",\"enabled\":true");
  if (i % 4 == 0) {
    absl::StrAppend(&out, ",\"tag\":", 1 + i % 4094);
  }
  absl::StrAppend(&out, ",\"external_ids\":[\"map\",[[\"plasmanet-name\",\"vm-", i,
                  "-eth0\"],[\"plasmanet-owner\",\"port/", i, "\"],[\"plasmanet-revision\",\"",
                  i % 97, "\"]]]}}");
}

const std::string& Reply() {
  static const std::string* const kReply = [] {
    auto* text = new std::string(R"({"id":3,"error":null,"result":{"Logical_Switch_Port":{)");
    text->reserve(size_t{kPorts} * 480);
    for (int i = 0; i < kPorts; ++i) {
      if (i > 0) {
        text->push_back(',');
      }
      AppendPort(i, *text);
    }
    text->append("}}}");
    return text;
  }();
  return *kReply;
}

void SetCounters(benchmark::State& state, int64_t rows) {
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(Reply().size()));
  state.counters["rows_per_s"] = benchmark::Counter(static_cast<double>(state.iterations() * rows),
                                                    benchmark::Counter::kIsRate);
}

void BM_ParseAndApply(benchmark::State& state) {
  simdjson::dom::parser parser;
  simdjson::dom::element schema_json;
  if (parser.load(kNbSchemaPath).get(schema_json) != simdjson::SUCCESS) {
    state.SkipWithError("cannot read the NB schema");
    return;
  }
  absl::StatusOr<DatabaseSchema> schema = ParseSchema(schema_json);
  if (!schema.ok()) {
    state.SkipWithError("cannot parse the NB schema");
    return;
  }
  absl::StatusOr<Replica> replica = Replica::Create(
      *schema, {{"Logical_Switch_Port",
                 {"name", "type", "addresses", "port_security", "up", "enabled", "options",
                  "external_ids", "tag", "tag_request", "parent_name", "dynamic_addresses"}}});
  if (!replica.ok()) {
    state.SkipWithError("cannot create the replica");
    return;
  }
  const simdjson::padded_string text(Reply());
  for (auto _ : state) {
    state.PauseTiming();
    replica->Clear();  // freeing the previous rows is not part of parsing a reply
    state.ResumeTiming();
    simdjson::dom::element reply;
    if (parser.parse(text).get(reply) != simdjson::SUCCESS) {
      state.SkipWithError("simdjson parse failed");
      break;
    }
    if (absl::Status s = replica->ApplyUpdates2(reply["result"].value_unsafe(), nullptr); !s.ok()) {
      state.SkipWithError(std::string(s.message()).c_str());
      break;
    }
  }
  if (replica->total_rows() != kPorts) {
    state.SkipWithError("wrong row count");
  }
  SetCounters(state, kPorts);
}

void BM_SimdjsonParse(benchmark::State& state) {
  simdjson::dom::parser parser;
  const simdjson::padded_string text(Reply());
  for (auto _ : state) {
    simdjson::dom::element reply;
    if (parser.parse(text).get(reply) != simdjson::SUCCESS) {
      state.SkipWithError("simdjson parse failed");
      break;
    }
    benchmark::DoNotOptimize(reply);
  }
  SetCounters(state, kPorts);
}

void BM_NlohmannParse(benchmark::State& state) {
  const std::string& text = Reply();
  for (auto _ : state) {
    nlohmann::json reply = nlohmann::json::parse(text);
    benchmark::DoNotOptimize(reply);
  }
  SetCounters(state, kPorts);
}

void BM_Frame(benchmark::State& state) {
  const std::string& text = Reply();
  constexpr size_t kRead = 64 << 10;
  for (auto _ : state) {
    MessageFramer framer;
    for (size_t at = 0; at < text.size(); at += kRead) {
      if (!framer.Feed(absl::string_view(text).substr(at, kRead)).ok()) {
        state.SkipWithError("framing failed");
        break;
      }
    }
    std::optional<std::string> message = framer.Next();
    if (!message || message->size() != text.size()) {
      state.SkipWithError("framing lost bytes");
      break;
    }
  }
  SetCounters(state, kPorts);
}

BENCHMARK(BM_ParseAndApply)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SimdjsonParse)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_NlohmannParse)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Frame)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace plasmanet::ovsdb

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  benchmark::AddCustomContext("reply_bytes", std::to_string(plasmanet::ovsdb::Reply().size()));
  benchmark::AddCustomContext("rows", std::to_string(plasmanet::ovsdb::kPorts));
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
