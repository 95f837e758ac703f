// For the tests of the server and its sessions: a Server on a socket in a
// fresh temporary directory, with the methods the test registered in `d_`
// before Start(), and raw connections to it. One request is one line.
#ifndef VAP_RPC_SERVER_FIXTURE_H_
#define VAP_RPC_SERVER_FIXTURE_H_

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>

#include "rpc/dispatcher.h"
#include "rpc/server.h"

namespace vap::rpc {

class ServerFixture : public ::testing::Test {
 protected:
  // Listens with `o` on DIR/vapd.sock, DIR a new directory under /tmp.
  void Start(const ServerOptions& o) {
    char dir[] = "/tmp/vap-rpc-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    path_ = dir_ + "/vapd.sock";
    Result<std::unique_ptr<Server>> s = Server::Listen(path_, d_, o);
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(*s);
  }
  void TearDown() override {
    server_.reset();
    if (!dir_.empty()) rmdir(dir_.c_str());
  }
  int Connect() const {
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

}  // namespace vap::rpc

#endif  // VAP_RPC_SERVER_FIXTURE_H_
