#include "rpc/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "rpc/server_fixture.h"

namespace vap::rpc {
namespace {

class ServerTest : public ServerFixture {
 protected:
  void SetUp() override {
    d_.Register("echo", [](const Json& p) -> Result<Json> { return p; });
    ServerOptions o;  // short, so the timeouts can be seen
    o.idle_timeout = std::chrono::milliseconds(300);
    o.request_timeout = std::chrono::milliseconds(300);
    Start(o);
  }
};

TEST_F(ServerTest, SocketIsPrivate) {
  struct stat st {};
  ASSERT_EQ(stat(path_.c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(ServerTest, RequestsPerLineIncludingPipelined) {
  const int fd = Connect();
  EXPECT_EQ(
      Json::parse(RoundTrip(
          fd, R"({"jsonrpc":"2.0","id":1,"method":"echo","params":{"x":2}})"
              "\n"))["result"]["x"],
      2);
  const std::string two = R"({"jsonrpc":"2.0","id":2,"method":"echo"})"
                          "\n"
                          R"({"jsonrpc":"2.0","id":3,"method":"echo"})"
                          "\n";
  EXPECT_EQ(Json::parse(RoundTrip(fd, two))["id"], 2);
  EXPECT_EQ(Json::parse(RoundTrip(fd, ""))["id"], 3);
  EXPECT_EQ(Json::parse(RoundTrip(fd, "garbage\n"))["error"]["code"],
            kParseError);
  close(fd);
}

TEST_F(ServerTest, OversizedRequestIsRefusedAndClosed) {
  const int fd = Connect();
  const std::string big(Server::kMaxRequest + 10, 'x');
  const Json r = Json::parse(RoundTrip(fd, big));
  EXPECT_EQ(r["error"]["code"], kInvalidRequest);
  char c;
  EXPECT_EQ(recv(fd, &c, 1, 0), 0);  // closed
  close(fd);
}

TEST_F(ServerTest, SecondServerOnTheSamePathIsRefusedStaleOneReplaced) {
  EXPECT_EQ(Server::Listen(path_, d_).status().errno_value(), EADDRINUSE);
  server_->Stop();
  struct stat st {};
  EXPECT_NE(stat(path_.c_str(), &st), 0);  // removed on stop
}

// Reads what the server sends until it closes (or 2 s pass).
std::string ReadToEnd(int fd) {
  timeval tv{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  std::string out;
  char buf[256];
  ssize_t n;
  while ((n = recv(fd, buf, sizeof buf, 0)) > 0)
    out.append(buf, static_cast<size_t>(n));
  return out;
}

// Idle connections, and requests sent too slowly, are closed: nobody holds
// a connection for ever by doing nothing.
TEST_F(ServerTest, IdleAndSlowConnectionsAreClosed) {
  const int idle = Connect();
  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ(ReadToEnd(idle), "");  // closed by the server
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(2));
  close(idle);
  const int slow = Connect();
  const std::string half = R"({"jsonrpc":"2.0","id":1,"method":"ec)";
  ASSERT_EQ(send(slow, half.data(), half.size(), MSG_NOSIGNAL),
            static_cast<ssize_t>(half.size()));
  EXPECT_EQ(ReadToEnd(slow), "");  // never finished: closed
  close(slow);
  // A connection in use stays.
  const int busy = Connect();
  for (int i = 0; i < 4; ++i) {
    EXPECT_NE(RoundTrip(busy, R"({"jsonrpc":"2.0","id":1,"method":"echo"})"
                              "\n")
                  .find("result"),
              std::string::npos);
    usleep(150000);  // each pause is under the idle timeout
  }
  close(busy);
}

// One process may hold kMaxPerPeer connections; more are answered EAGAIN
// (not silently closed), and the others still work.
TEST_F(ServerTest, ConnectionsPerProcessAreLimitedWithAnAnswer) {
  // With the default timeouts: nothing is closed for idleness meanwhile.
  server_.reset();
  Result<std::unique_ptr<Server>> s = Server::Listen(path_, d_);
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  server_ = std::move(*s);
  std::vector<int> held;
  for (int i = 0; i < Server::kMaxPerPeer; ++i) held.push_back(Connect());
  for (int fd : held) {
    EXPECT_NE(RoundTrip(fd, R"({"jsonrpc":"2.0","id":1,"method":"echo"})"
                            "\n")
                  .find("result"),
              std::string::npos);
  }
  const int extra = Connect();
  const std::string answer = ReadToEnd(extra);
  EXPECT_NE(answer.find("EAGAIN: too many connections"), std::string::npos)
      << answer;
  close(extra);
  for (int fd : held) close(fd);
}

}  // namespace
}  // namespace vap::rpc
