// The OVSDB client against real ovsdb-servers with the installed OVN NB schema: standalone over
// unix, tcp and ssl, and a three-member Raft cluster.
#include "ovsdb/client.h"

#include <csignal>
#include <mutex>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "testing/nbctl.h"
#include "testing/ovsdb_cluster.h"
#include "testing/ovsdb_server.h"
#include "testing/status_matchers.h"
#include "testing/wait.h"

namespace plasmanet::ovsdb {
namespace {

using ::plasmanet::testing::IsOk;
using ::plasmanet::testing::OvsdbCluster;
using ::plasmanet::testing::OvsdbServer;
using ::plasmanet::testing::RunNbctl;
using ::plasmanet::testing::WaitFor;
using ::testing::HasSubstr;

// Records what the client reports.
class Recorder : public ClientListener {
 public:
  void OnSynced(bool full) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++(full ? full_syncs : incremental_syncs);
  }
  void OnRowsChanged(const std::vector<RowChange>& changes) override {
    std::lock_guard<std::mutex> lock(mu_);
    changed_rows += static_cast<int>(changes.size());
  }
  void OnDisconnected(const absl::Status&) override {
    std::lock_guard<std::mutex> lock(mu_);
    ++disconnects;
  }
  int get(const int& field) {
    std::lock_guard<std::mutex> lock(mu_);
    return field;
  }

  int full_syncs = 0;
  int incremental_syncs = 0;
  int changed_rows = 0;
  int disconnects = 0;

 private:
  std::mutex mu_;
};

ClientOptions Options(const std::string& remotes) {
  ClientOptions options{.remotes = *ParseRemoteList(remotes),
                        .monitored = {{"Logical_Switch", {"name", "ports", "external_ids"}},
                                      {"Logical_Switch_Port", {"name", "addresses"}}},
                        .backoff_min = absl::Milliseconds(20),
                        .backoff_max = absl::Milliseconds(200)};
  return options;
}

// Names of the switches in the replica.
std::set<std::string> SwitchNames(const Client& client) {
  return client.ReadReplica([](const Replica& replica) {
    std::set<std::string> names;
    const TableReplica* table = replica.FindTable("Logical_Switch");
    for (const auto& [uuid, row] : table->rows()) names.insert(table->Get(row, "name").AsString());
    return names;
  });
}

nlohmann::json InsertSwitch(const std::string& name) {
  return nlohmann::json::array(
      {{{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", name}}}}});
}

class ClientTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_THAT(server_.Start(), IsOk()); }

  OvsdbServer server_{{.tcp = true, .ssl = true}};
  Recorder recorder_;
};

TEST_F(ClientTest, MirrorsRowsWrittenByOthersOverUnixTcpAndSsl) {
  int n = 0;
  for (const std::string& remote :
       {server_.unix_remote(), server_.tcp_remote(), server_.ssl_remote()}) {
    SCOPED_TRACE(remote);
    ClientOptions options = Options(remote);
    options.tls = {.private_key = server_.client_ssl().private_key,
                   .certificate = server_.client_ssl().certificate,
                   .ca_certificate = server_.client_ssl().ca_cert};
    Client client(options, &recorder_);
    client.Start();
    ASSERT_TRUE(WaitFor([&] { return client.synced(); }, absl::Seconds(10))) << client.last_error();
    const std::string name = "sw" + std::to_string(n++);
    ASSERT_THAT(RunNbctl(server_.unix_remote(), {"ls-add", name}), IsOk());
    EXPECT_TRUE(WaitFor([&] { return SwitchNames(client).count(name) == 1; }, absl::Seconds(5)));
    EXPECT_EQ(SwitchNames(client).size(), static_cast<size_t>(n)) << "a full dump at connect";
  }
}

TEST_F(ClientTest, TransactResultIsInTheReplicaWhenTransactReturns) {
  Client client(Options(server_.unix_remote()), &recorder_);
  client.Start();
  ASSERT_TRUE(WaitFor([&] { return client.synced(); }, absl::Seconds(10)));
  nlohmann::json ops = nlohmann::json::array({
      {{"op", "insert"},
       {"table", "Logical_Switch_Port"},
       {"uuid-name", "p"},
       {"row", {{"name", "lsp0"}, {"addresses", "fa:16:3e:00:00:01 10.0.0.5"}}}},
      {{"op", "insert"},
       {"table", "Logical_Switch"},
       {"row", {{"name", "sw0"}, {"ports", {"named-uuid", "p"}}}}},
  });
  absl::StatusOr<nlohmann::json> result = client.Transact(ops, absl::Seconds(10));
  ASSERT_THAT(result, IsOk());
  ASSERT_EQ(result->size(), 2u);
  const std::string port_uuid = (*result)[0]["uuid"][1];
  // No waiting: the server sends a transaction's updates before its reply.
  client.ReadReplica([&](const Replica& replica) {
    const TableReplica* switches = replica.FindTable("Logical_Switch");
    ASSERT_EQ(switches->rows().size(), 1u);
    const Row& row = switches->rows().begin()->second;
    std::vector<Uuid> ports = switches->Get(row, "ports").AsUuids();
    ASSERT_EQ(ports.size(), 1u);
    EXPECT_EQ(ports[0].ToString(), port_uuid);
    EXPECT_NE(replica.FindTable("Logical_Switch_Port")->Find(ports[0]), nullptr);
  });
  absl::StatusOr<std::string> shown = RunNbctl(server_.unix_remote(), {"show"});
  ASSERT_THAT(shown, IsOk());
  EXPECT_THAT(*shown, HasSubstr("lsp0"));
  EXPECT_THAT(*shown, HasSubstr("fa:16:3e:00:00:01 10.0.0.5"));
}

TEST_F(ClientTest, OptionalColumnsChangedByOthersMatchTheServer) {
  ClientOptions options = Options(server_.unix_remote());
  options.monitored[1].columns.push_back("up");  // optional boolean: at most one value
  Client client(options, &recorder_);
  client.Start();
  ASSERT_TRUE(WaitFor([&] { return client.synced(); }, absl::Seconds(10)));
  ASSERT_THAT(RunNbctl(server_.unix_remote(), {"ls-add", "sw0", "--", "lsp-add", "sw0", "p0"}),
              IsOk());
  auto up = [&] {
    return client.ReadReplica([](const Replica& replica) {
      const TableReplica* ports = replica.FindTable("Logical_Switch_Port");
      return ports->rows().empty() ? Datum::String("no row")
                                   : ports->Get(ports->rows().begin()->second, "up");
    });
  };
  for (const auto& [command, expected] :
       std::vector<std::pair<std::string, Datum>>{{"up=true", Datum::Boolean(true)},
                                                  {"up=false", Datum::Boolean(false)},
                                                  {"up=[]", Datum()}}) {
    ASSERT_THAT(RunNbctl(server_.unix_remote(), {"set", "Logical_Switch_Port", "p0", command}),
                IsOk());
    EXPECT_TRUE(WaitFor([&] { return up() == expected; }, absl::Seconds(5)))
        << command << ": replica has " << up().ToString();
  }
}

TEST_F(ClientTest, FailedWaitIsAbortedAndNamesTheOperation) {
  Client client(Options(server_.unix_remote()), &recorder_);
  client.Start();
  ASSERT_TRUE(WaitFor([&] { return client.synced(); }, absl::Seconds(10)));
  ASSERT_THAT(client.Transact(InsertSwitch("sw0"), absl::Seconds(10)), IsOk());
  // Optimistic concurrency: "only if sw0 is still called sw1" does not hold.
  nlohmann::json ops = nlohmann::json::array({
      {{"op", "wait"},
       {"table", "Logical_Switch"},
       {"timeout", 0},
       {"where", {{"name", "==", "sw0"}}},
       {"columns", {"name"}},
       {"until", "=="},
       {"rows", {{{"name", "sw1"}}}}},
      {{"op", "insert"}, {"table", "Logical_Switch"}, {"row", {{"name", "sw2"}}}},
  });
  absl::StatusOr<nlohmann::json> result = client.Transact(ops, absl::Seconds(10));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kAborted) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr("op 0 (wait Logical_Switch)"));
  EXPECT_EQ(SwitchNames(client), std::set<std::string>{"sw0"}) << "nothing was applied";
}

TEST_F(ClientTest, ConstraintViolationIsFailedPreconditionWithTheServersDetails) {
  Client client(Options(server_.unix_remote()), &recorder_);
  client.Start();
  ASSERT_TRUE(WaitFor([&] { return client.synced(); }, absl::Seconds(10)));
  // Logical_Switch_Port names are a unique index: two ports named "dup" cannot commit.
  nlohmann::json ops = nlohmann::json::array();
  for (const char* uuid_name : {"a", "b"}) {
    ops.push_back({{"op", "insert"},
                   {"table", "Logical_Switch_Port"},
                   {"uuid-name", uuid_name},
                   {"row", {{"name", "dup"}}}});
  }
  ops.push_back({{"op", "insert"},
                 {"table", "Logical_Switch"},
                 {"row",
                  {{"name", "sw0"},
                   {"ports", nlohmann::json::parse(
                                 R"(["set", [["named-uuid", "a"], ["named-uuid", "b"]]])")}}}});
  absl::StatusOr<nlohmann::json> result = client.Transact(ops, absl::Seconds(10));
  EXPECT_EQ(result.status().code(), absl::StatusCode::kFailedPrecondition) << result.status();
  EXPECT_THAT(result.status().message(), HasSubstr("constraint violation"));
  EXPECT_THAT(result.status().message(), HasSubstr("dup"));
}

TEST_F(ClientTest, SchemaWithoutANeededColumnIsRefusedWithEveryMissingName) {
  ClientOptions options = Options(server_.unix_remote());
  options.monitored.push_back({"Logical_Switch", {"no_such_column"}});
  options.monitored.push_back({"No_Such_Table", {"name"}});
  Client client(options, &recorder_);
  client.Start();
  ASSERT_TRUE(WaitFor([&] { return !client.last_error().ok(); }, absl::Seconds(10)));
  EXPECT_FALSE(client.synced());
  const absl::Status error = client.last_error();
  EXPECT_EQ(error.code(), absl::StatusCode::kFailedPrecondition) << error;
  EXPECT_THAT(error.message(), HasSubstr("no_such_column"));
  EXPECT_THAT(error.message(), HasSubstr("No_Such_Table"));
  EXPECT_EQ(client.Transact(InsertSwitch("sw0"), absl::Seconds(1)).status().code(),
            absl::StatusCode::kUnavailable);
}

TEST_F(ClientTest, ReconnectsAfterTheServerRestartsAndResyncsAfterAWipe) {
  Client client(Options(server_.unix_remote()), &recorder_);
  client.Start();
  ASSERT_TRUE(WaitFor([&] { return client.synced(); }, absl::Seconds(10)));
  ASSERT_THAT(client.Transact(InsertSwitch("sw0"), absl::Seconds(10)), IsOk());

  ASSERT_THAT(server_.Kill(), IsOk());
  ASSERT_TRUE(WaitFor([&] { return !client.synced(); }, absl::Seconds(10)));
  EXPECT_EQ(client.Transact(InsertSwitch("lost"), absl::Seconds(1)).status().code(),
            absl::StatusCode::kUnavailable);
  ASSERT_THAT(RunNbctl(server_.unix_remote(), {"ls-list"}).status().code(),
              ::testing::Ne(absl::StatusCode::kOk));
  ASSERT_THAT(server_.Restart(), IsOk());
  ASSERT_THAT(RunNbctl(server_.unix_remote(), {"ls-add", "sw1"}), IsOk());
  ASSERT_TRUE(WaitFor(
      [&] {
        return SwitchNames(client) == std::set<std::string>{"sw0", "sw1"};
      },
      absl::Seconds(10)));
  EXPECT_GE(recorder_.get(recorder_.disconnects), 1);

  // A wiped database: the replica must become exactly the new (empty) contents.
  const int full_before = recorder_.get(recorder_.full_syncs);
  ASSERT_THAT(server_.Wipe(), IsOk());
  ASSERT_TRUE(WaitFor([&] { return recorder_.get(recorder_.full_syncs) > full_before; },
                      absl::Seconds(10)));
  ASSERT_TRUE(WaitFor([&] { return client.synced(); }, absl::Seconds(10)));
  EXPECT_TRUE(SwitchNames(client).empty());
}

TEST_F(ClientTest, DropsAServerThatStopsAnsweringProbes) {
  ClientOptions options = Options(server_.unix_remote());
  options.probe_interval = absl::Milliseconds(300);
  Client client(options, &recorder_);
  client.Start();
  ASSERT_TRUE(WaitFor([&] { return client.synced(); }, absl::Seconds(10)));
  // Idle but alive: echo keeps the session up.
  absl::SleepFor(absl::Milliseconds(1000));  // several probe intervals of idleness, on purpose
  EXPECT_TRUE(client.synced());
  EXPECT_EQ(recorder_.get(recorder_.disconnects), 0);
  // Frozen (SIGSTOP): the socket stays open but nothing answers.
  ASSERT_EQ(kill(server_.pid(), SIGSTOP), 0);
  EXPECT_TRUE(WaitFor([&] { return !client.synced(); }, absl::Seconds(5)));
  ASSERT_EQ(kill(server_.pid(), SIGCONT), 0);
  EXPECT_TRUE(WaitFor([&] { return client.synced(); }, absl::Seconds(10)));
}

TEST(ClientClusterTest, FollowsTheLeaderOfAClusteredDatabase) {
  OvsdbCluster cluster;
  ASSERT_THAT(cluster.Start(), IsOk());
  absl::StatusOr<int> leader = cluster.WaitForLeader(absl::Seconds(10));
  ASSERT_THAT(leader, IsOk());
  Recorder recorder;
  Client client(Options(cluster.remotes()), &recorder);
  client.Start();
  ASSERT_TRUE(WaitFor([&] { return client.synced(); }, absl::Seconds(15))) << client.last_error();
  EXPECT_EQ(client.current_remote(), cluster.member_remote(*leader));
  ASSERT_THAT(client.Transact(InsertSwitch("sw0"), absl::Seconds(10)), IsOk());

  ASSERT_THAT(cluster.Kill(*leader), IsOk());
  absl::StatusOr<int> next = cluster.WaitForLeader(absl::Seconds(15));
  ASSERT_THAT(next, IsOk());
  EXPECT_NE(*next, *leader);
  // The client moves to the new leader and writes go through again.
  ASSERT_TRUE(WaitFor(
      [&] {
        return client.synced() && client.current_remote() == cluster.member_remote(*next) &&
               client.Transact(InsertSwitch("sw1"), absl::Seconds(5)).ok();
      },
      absl::Seconds(20)))
      << client.last_error();
  EXPECT_EQ(SwitchNames(client), (std::set<std::string>{"sw0", "sw1"}));
  EXPECT_GE(client.stats().incremental_syncs + client.stats().full_syncs, 2);
}

}  // namespace
}  // namespace plasmanet::ovsdb
