#include "ap/profile.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <string>

namespace vap::ap {
namespace {

std::string Error(std::string_view json) {
  Result<HostProfile> p = ParseHostProfile(json);
  return p.ok() ? "OK" : p.status().message();
}

TEST(ProfileTest, BuiltinDefault) {
  const HostProfile p = *BuiltinProfile("default");
  ASSERT_EQ(p.cards.size(), 4u);
  EXPECT_EQ(p.cards[0].apid, 3);
  EXPECT_EQ(p.cards[0].type.Name(), "CEX8C");
  EXPECT_EQ(p.cards[1].type.Name(), "CEX8P");
  EXPECT_EQ(p.cards[3].type.Name(), "CEX8A");
  EXPECT_EQ(p.usage_domains.Count(), 18u);
  EXPECT_EQ(p.control_domains.Count(), 19u);
  EXPECT_TRUE(p.apxa);
}

TEST(ProfileTest, BuiltinFullAndLegacy) {
  const HostProfile full = *BuiltinProfile("full");
  EXPECT_EQ(full.cards.size(), 256u);
  EXPECT_EQ(full.usage_domains.Count(), 256u);
  const HostProfile legacy = *BuiltinProfile("legacy");
  EXPECT_FALSE(legacy.apxa);
  ASSERT_EQ(legacy.cards.size(), 2u);
  EXPECT_EQ(legacy.cards[0].type.Name(), "CEX7C");
  EXPECT_EQ(legacy.cards[1].type.Name(), "CEX7A");
  EXPECT_EQ(BuiltinProfile("huge").status().errno_value(), ENOENT);
  EXPECT_EQ(LoadHostProfile("builtin:legacy")->name, "legacy");
}

TEST(ProfileTest, ParsesAFullProfile) {
  const Result<HostProfile> p = ParseHostProfile(R"({
    "name": "lab",
    "apxa": true, "na": 255, "nd": 255, "apsb": true,
    "adapters": [
      {"id": "0x0a", "type": "CEX7P", "serial": "X", "depth": 3},
      {"id": 2, "type": "CEX6A", "functions": "0x68000000", "configured": false},
      {"id": 9, "type": "CEX8C", "raw_hwtype": 15}
    ],
    "usage_domains": ["0x00-0x03", 71, "0xab"],
    "control_domains": ["0-255"]
  })");
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  ASSERT_EQ(p->cards.size(), 3u);
  EXPECT_EQ(p->cards[0].apid, 2);  // sorted by id
  EXPECT_EQ(p->cards[0].functions, 0x68000000u);
  EXPECT_FALSE(p->cards[0].configured);
  EXPECT_EQ(p->cards[1].raw_hwtype, 15);
  EXPECT_EQ(p->cards[2].serial, "X");
  EXPECT_EQ(p->cards[2].depth, 3);
  EXPECT_EQ(p->usage_domains, ApMask::Of({0, 1, 2, 3, 71, 0xab}));
  EXPECT_EQ(p->control_domains, ApMask::All());
  EXPECT_TRUE(p->apsb);
}

TEST(ProfileTest, BadProfilesNameTheField) {
  EXPECT_EQ(Error("[1]"), "profile: must be a JSON object");
  EXPECT_EQ(Error("{"), "profile: not valid JSON");
  EXPECT_EQ(Error(R"({"adaptors": []})"), "adaptors: unknown field");
  EXPECT_EQ(
      Error(R"({"adapters": [{"id": 1, "type": "CEX9C"}]})"),
      "adapters[0].type: unknown card type 'CEX9C' (CEX4A..CEX8P, CEX2A/C, "
      "CEX3A/C)");
  EXPECT_EQ(Error(R"({"adapters": [{"id": 1}]})"),
            "adapters[0].type: missing (a name like \"CEX8C\")");
  EXPECT_EQ(Error(R"({"adapters": [{"type": "CEX8C"}]})"),
            "adapters[0].id: missing");
  EXPECT_EQ(Error(R"({"adapters": [{"id": 1, "type": "CEX8C", "colour": 1}]})"),
            "adapters[0].colour: unknown field");
  EXPECT_EQ(Error(R"({"adapters": [{"id": 1, "type": "CEX8C"},
                                   {"id": "0x01", "type": "CEX8A"}]})"),
            "adapters[1].id: adapter 0x01 is listed twice");
  EXPECT_EQ(
      Error(R"({"apxa": false, "adapters": [{"id": 64, "type": "CEX8C"}]})"),
      "adapters[0].id: 0x40 is above the maximum 0x3f");
  EXPECT_EQ(Error(R"({"nd": 15, "usage_domains": [16]})"),
            "usage_domains[0]: 0x10 is above the maximum 0x0f");
  EXPECT_EQ(Error(R"({"usage_domains": ["5-3"]})"),
            "usage_domains[0]: range must go upward");
  EXPECT_EQ(Error(R"({"usage_domains": 5})"),
            "usage_domains: must be a list of IDs and ranges");
  EXPECT_EQ(Error(R"({"apxa": "yes"})"), "apxa: must be true or false");
  EXPECT_EQ(Error(R"({"na": -1})"),
            "na: must be a number or a string like \"0x47\"");
  EXPECT_EQ(Error(R"({"usage_domains": ["zz"]})"),
            "usage_domains[0]: not a number");
}

// An adapter's `info`: what the card answers zcrypt's query
// (docs/host-profile.md, "Card information"), over derived defaults.
TEST(ProfileTest, CardInformation) {
  Result<HostProfile> p = ParseHostProfile(R"({"adapters": [
      {"id": 4, "type": "CEX8P", "info": {"api_ordinal": 7, "fw_version": "8.2",
       "op_modes": ["FIPS2024", "FIPS2009"], "wkvp": "0x)" + std::string(64, 'A') + R"("}},
      {"id": 5, "type": "CEX8C", "info": {"queryable": false, "aes_mkvp": ""}},
      {"id": 6, "type": "CEX8C"}]})");
  ASSERT_TRUE(p.ok()) << p.status().message();
  const CardInfo& ep11 = p->cards[0].info;
  EXPECT_EQ(ep11.api_ordinal, 7u);
  EXPECT_EQ(ep11.fw_version, 0x0802);
  EXPECT_EQ(ep11.op_modes, (1u << 8) | 1u);
  EXPECT_EQ(ep11.wkvp, std::string(64, 'a'));
  EXPECT_FALSE(p->cards[1].info.queryable);
  EXPECT_EQ(p->cards[1].info.aes_mkvp, "");
  EXPECT_EQ(p->cards[1].info.apka_mkvp, CardInfo::ForCca(5).apka_mkvp);
  EXPECT_EQ(p->cards[2].info, CardInfo::ForCca(6));
  EXPECT_EQ(CardInfo::ForCca(6).asym_mkvp.size(), 32u);
  const auto error = [](const std::string& info) {
    return ParseHostProfile(R"({"adapters": [{"id": 4, "type": "CEX8P", "info": )" +
                            info + "}]}")
        .status()
        .message();
  };
  EXPECT_EQ(error(R"({"fw_version": "8"})"),
            "adapters[0].info.fw_version: must be MAJOR.MINOR, each 0 to 255");
  EXPECT_EQ(error(R"({"op_modes": ["FIPS1999"]})"),
            "adapters[0].info.op_modes[0]: unknown operation mode 'FIPS1999' "
            "(FIPS2009, BSI2009, FIPS2011, BSI2011, SIGG-IMPORT, SIGG, "
            "BSICC2017, FIPS2021, FIPS2024)");
  EXPECT_EQ(error(R"({"aes_mkvp": "0x12"})"),
            "adapters[0].info.aes_mkvp: must be 16 hex digits");
  EXPECT_EQ(error(R"({"colour": 1})"), "adapters[0].info.colour: unknown field");
  EXPECT_EQ(error("[]"), "adapters[0].info: must be an object");
}

TEST(ProfileTest, LoadReportsMissingFiles) {
  EXPECT_EQ(LoadHostProfile("/nonexistent/profile.json").status().errno_value(),
            ENOENT);
}

TEST(ProfileTest, FormatReadsBackEqual) {
  for (const char* name : {"default", "full", "legacy"}) {
    Result<HostProfile> p = BuiltinProfile(name);
    ASSERT_TRUE(p.ok());
    p->cards[0].configured = false;
    p->cards[0].serial = "\"odd\\serial";
    p->cards[0].info.queryable = false;
    p->cards[0].info.op_modes = 0x1ff;
    p->cards[0].info.fw_version = 0xff01;
    Result<HostProfile> back = ParseHostProfile(FormatHostProfile(*p));
    ASSERT_TRUE(back.ok()) << name << ": " << back.status().message();
    EXPECT_EQ(*back, *p) << name;
  }
}

}  // namespace
}  // namespace vap::ap
