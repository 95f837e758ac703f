#include "rpc/server.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

namespace vap::rpc {
namespace {

class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/vap-rpc-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/vapd.sock";
    d_.Register("echo", [](const Json& p) -> Result<Json> { return p; });
    Result<std::unique_ptr<Server>> s = Server::Listen(path_, d_);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }
  void TearDown() override {
    server_.reset();
    rmdir(dir_.c_str());
  }
  int Connect() {
    const int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strcpy(addr.sun_path, path_.c_str());
    EXPECT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    return fd;
  }
  // Sends `data`, reads until a newline or the end.
  static std::string RoundTrip(int fd, const std::string& data) {
    EXPECT_EQ(send(fd, data.data(), data.size(), MSG_NOSIGNAL),
              static_cast<ssize_t>(data.size()));
    std::string out;
    char c;
    while (recv(fd, &c, 1, 0) == 1 && c != '\n') out.push_back(c);
    return out;
  }

  std::string dir_, path_;
  Dispatcher d_;
  std::unique_ptr<Server> server_;
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

}  // namespace
}  // namespace vap::rpc
