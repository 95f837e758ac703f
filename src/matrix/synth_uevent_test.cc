#include "matrix/synth_uevent.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace vap {
namespace {

using ::testing::ElementsAre;

const std::string kUuid = "fe4d7c9d-b8c6-4a70-9ef1-3d8a58d18eed";

std::string Message(std::string_view buf) {
  const Result<SynthUevent> r = ParseSynthUevent(buf);
  return r.ok() ? "ok" : r.status().ToString();
}

TEST(SynthUeventTest, ActionAloneGivesSynthUuidZero) {
  for (const char* action : kUeventActions) {
    const Result<SynthUevent> r = ParseSynthUevent(std::string(action) + "\n");
    ASSERT_TRUE(r.ok()) << action;
    EXPECT_EQ(r->action, action);
    EXPECT_THAT(r->env, ElementsAre("SYNTH_UUID=0"));
  }
  EXPECT_TRUE(ParseSynthUevent(std::string("change\0", 7)).ok());
}

TEST(SynthUeventTest, UuidAndArgumentsAsUdevadmWritesThem) {
  const Result<SynthUevent> r =
      ParseSynthUevent("add " + kUuid + " A=1 B=abc\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->action, "add");
  EXPECT_THAT(r->env, ElementsAre("SYNTH_UUID=" + kUuid, "SYNTH_ARG_A=1",
                                  "SYNTH_ARG_B=abc"));
  // Either case of hex is a UUID; it is kept as written.
  const std::string upper = "FE4D7C9D-B8C6-4A70-9EF1-3D8A58D18EED";
  EXPECT_THAT(ParseSynthUevent("change " + upper)->env,
              ElementsAre("SYNTH_UUID=" + upper));
}

TEST(SynthUeventTest, BadActionsAsTheKernelRefusesThem) {
  const std::string bad = "EINVAL: unknown uevent action string";
  for (std::string_view buf :
       {std::string_view(""), std::string_view("\n"), std::string_view("Add"),
        std::string_view("ad"), std::string_view("adds"),
        std::string_view(" add"), std::string_view("add\n\n"),
        std::string_view("add\0x", 5)}) {
    EXPECT_EQ(Message(buf), bad) << "'" << buf << "'";
  }
}

TEST(SynthUeventTest, BadArgumentsAsTheKernelRefusesThem) {
  const std::string bad = "EINVAL: incorrect uevent action arguments";
  for (const std::string& buf :
       {std::string("add "), std::string("add \n"), "add " + kUuid.substr(1),
        "add x" + kUuid.substr(1), "add " + kUuid + "x", "add " + kUuid + " ",
        "add " + kUuid + "  A=1", "add " + kUuid + " A=", "add " + kUuid + " =1",
        "add " + kUuid + " A", "add " + kUuid + " A_B=1",
        "add " + kUuid + " A=1-2", "add " + kUuid + " A=1 ",
        "add  " + kUuid}) {
    EXPECT_EQ(Message(buf), bad) << "'" << buf << "'";
  }
}

TEST(SynthUeventTest, TheKernelsKeyAndBufferLimits) {
  // SYNTH_UUID and 62 pairs fill the 63 keys; one more is refused.
  std::string args = "add " + kUuid;
  for (int i = 0; i < 62; ++i) args += " K" + std::to_string(i) + "=v";
  EXPECT_TRUE(ParseSynthUevent(args).ok());
  EXPECT_EQ(ParseSynthUevent(args + " X=y").status().errno_value(), EINVAL);
  // One value of 2048 bytes cannot fit the buffer.
  EXPECT_EQ(ParseSynthUevent("add " + kUuid + " A=" + std::string(2048, 'a'))
                .status()
                .errno_value(),
            EINVAL);
}

}  // namespace
}  // namespace vap
