#include "rpc/dispatcher.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <stdexcept>

namespace vap::rpc {
namespace {

class DispatcherTest : public ::testing::Test {
 protected:
  DispatcherTest() {
    d_.Register("echo", [](const Json& p) -> Result<Json> { return p; });
    d_.Register("fail", [](const Json&) -> Result<Json> {
      return Status::Error(ENODEV, "no such mdev");
    });
    d_.Register("params", [](const Json& p) -> Result<Json> {
      if (!p.contains("uuid")) return InvalidParams("uuid is required");
      return Json("ok");
    });
    d_.Register("throw", [](const Json&) -> Result<Json> {
      throw std::runtime_error("boom");
    });
  }
  Json Call(std::string_view line) { return Json::parse(d_.HandleLine(line)); }
  Dispatcher d_;
};

TEST_F(DispatcherTest, ResultAndId) {
  const Json r =
      Call(R"({"jsonrpc":"2.0","id":7,"method":"echo","params":{"a":1}})");
  EXPECT_EQ(r["id"], 7);
  EXPECT_EQ(r["result"]["a"], 1);
}

TEST_F(DispatcherTest, ErrnoErrorsCarryTheName) {
  const Json r = Call(R"({"jsonrpc":"2.0","id":"x","method":"fail"})");
  EXPECT_EQ(r["error"]["code"], kErrnoError);
  EXPECT_EQ(r["error"]["data"]["errno"], "ENODEV");
  EXPECT_EQ(r["error"]["data"]["errno_value"], ENODEV);
  EXPECT_EQ(r["error"]["message"], "ENODEV: no such mdev");
}

// The after-success hook (vapd's commit) runs only after a method that
// succeeded, and its error is the answer.
TEST_F(DispatcherTest, AfterSuccessRunsBeforeTheAnswerOfSuccessesOnly) {
  int runs = 0;
  Status answer;
  d_.SetAfterSuccess([&] {
    ++runs;
    return answer;
  });
  EXPECT_EQ(Call(R"({"jsonrpc":"2.0","id":1,"method":"echo"})")["result"],
            Json::object());
  EXPECT_EQ(runs, 1);
  (void)Call(R"({"jsonrpc":"2.0","id":2,"method":"fail"})");
  EXPECT_EQ(runs, 1);
  answer = Status::Error(EIO, "journal: no space");
  const Json r = Call(R"({"jsonrpc":"2.0","id":3,"method":"echo"})");
  EXPECT_EQ(runs, 2);
  EXPECT_EQ(r["error"]["message"], "EIO: journal: no space");
}

TEST_F(DispatcherTest, BadRequests) {
  EXPECT_EQ(Call("{not json")["error"]["code"], kParseError);
  EXPECT_EQ(Call("[1,2]")["error"]["code"], kInvalidRequest);
  EXPECT_EQ(Call(R"({"id":1,"method":"echo"})")["error"]["code"],
            kInvalidRequest);
  EXPECT_EQ(Call(R"({"jsonrpc":"2.0","id":1,"method":5})")["error"]["code"],
            kInvalidRequest);
  EXPECT_EQ(
      Call(R"({"jsonrpc":"2.0","id":1,"method":"nope"})")["error"]["code"],
      kMethodNotFound);
  EXPECT_EQ(
      Call(R"({"jsonrpc":"2.0","id":1,"method":"echo","params":[1]})")["error"]
                                                                      ["code"],
      kInvalidParams);
  EXPECT_EQ(
      Call(R"({"jsonrpc":"2.0","id":1,"method":"params"})")["error"]["code"],
      kInvalidParams);
  EXPECT_EQ(
      Call(R"({"jsonrpc":"2.0","id":1,"method":"throw"})")["error"]["code"],
      kInternalError);
  EXPECT_EQ(
      Call(R"({"jsonrpc":"2.0","id":{},"method":"echo"})")["error"]["code"],
      kInvalidRequest);
}

TEST_F(DispatcherTest, NotificationsGetNoAnswer) {
  EXPECT_EQ(d_.HandleLine(R"({"jsonrpc":"2.0","method":"echo"})"), "");
}

}  // namespace
}  // namespace vap::rpc
