// A session runs what its requests left for its end once, the latest
// first; a connection's session closes however the connection ends, and
// a request without a connection is a session of its own.
#include "rpc/session.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <stdexcept>
#include <string>

#include "rpc/dispatcher.h"
#include "rpc/server.h"
#include "rpc/server_fixture.h"

namespace vap::rpc {
namespace {

TEST(SessionTest, RunsEachOnceLatestFirstUnlessDropped) {
  std::string ran;
  {
    Session s;
    s.AtClose("a", [&] { ran += "a"; });
    s.AtClose("b", [&] { ran += "b"; });
    s.AtClose("c", [&] { ran += "c"; });
    s.AtClose("a", [&] { ran += "A"; });  // replaces "a"
    s.Drop("b");
    s.Drop("none");
    s.Close();
    EXPECT_EQ(ran, "Ac");
    s.Close();
    EXPECT_EQ(ran, "Ac");
    s.AtClose("d", [&] { ran += "d"; });
  }  // the destructor closes what came after
  EXPECT_EQ(ran, "Acd");
}

TEST(SessionTest, AThrowingEntryDoesNotStopTheOthers) {
  int ran = 0;
  Session s;
  s.AtClose("a", [&] { ++ran; });
  s.AtClose("b", [] { throw std::runtime_error("boom"); });
  s.Close();
  EXPECT_EQ(ran, 1);
  EXPECT_NE(Session().id(), s.id());
}

TEST(SessionTest, ARequestWithoutAConnectionIsItsOwnSession) {
  Dispatcher d;
  int closed = 0;
  d.RegisterInSession("hold", [&](const Json&, Session& s) -> Result<Json> {
    s.AtClose("held", [&] { ++closed; });
    return Json(true);
  });
  (void)d.HandleLine(R"({"jsonrpc":"2.0","id":1,"method":"hold"})");
  EXPECT_EQ(closed, 1);
  Session mine;
  (void)d.HandleLine(R"({"jsonrpc":"2.0","id":1,"method":"hold"})", nullptr,
                     &mine);
  EXPECT_EQ(closed, 1);
  mine.Close();
  EXPECT_EQ(closed, 2);
}

// Over a real socket: the requests of one connection share its session,
// which closes when the peer hangs up and when the connection idles out.
class SessionServerTest : public ServerFixture {
 protected:
  void SetUp() override {
    d_.RegisterInSession("hold",
                         [this](const Json& p, Session& s) -> Result<Json> {
                           const std::string key = p.value("key", "k");
                           s.AtClose(key, [this] { closed_.fetch_add(1); });
                           return Json(s.id());
                         });
    d_.RegisterInSession("drop", [](const Json& p, Session& s) -> Result<Json> {
      s.Drop(p.value("key", "k"));
      return Json(s.id());
    });
    ServerOptions o;
    o.idle_timeout = std::chrono::milliseconds(300);
    Start(o);
  }
  static Json Call(int fd, const std::string& method, const std::string& key) {
    const std::string line = R"({"jsonrpc":"2.0","id":1,"method":")" + method +
                             R"(","params":{"key":")" + key + "\"}}\n";
    return Json::parse(RoundTrip(fd, line))["result"];
  }
  // Waits (bounded) for `n` entries to have run.
  bool ClosedReaches(int n) {
    for (int i = 0; i < 200 && closed_.load() < n; ++i) usleep(10000);
    return closed_.load() == n;
  }

  std::atomic<int> closed_{0};
};

TEST_F(SessionServerTest, APeerThatHangsUpClosesItsSession) {
  const int fd = Connect();
  const Json id = Call(fd, "hold", "a");
  EXPECT_EQ(Call(fd, "hold", "b"), id);  // one session per connection
  EXPECT_EQ(Call(fd, "drop", "b"), id);
  const int other = Connect();
  EXPECT_NE(Call(other, "hold", "a"), id);
  close(fd);
  EXPECT_TRUE(ClosedReaches(1));  // "a" of the first; "b" was dropped
  close(other);
  EXPECT_TRUE(ClosedReaches(2));
}

TEST_F(SessionServerTest, AnIdleConnectionAndTheServersStopCloseTheirs) {
  const int idle = Connect();
  (void)Call(idle, "hold", "a");
  EXPECT_TRUE(ClosedReaches(1));  // idled out after 300 ms
  close(idle);
  const int open = Connect();
  (void)Call(open, "hold", "a");
  server_.reset();  // joins the connection, whose session has closed
  EXPECT_EQ(closed_.load(), 2);
  close(open);
}

}  // namespace
}  // namespace vap::rpc
