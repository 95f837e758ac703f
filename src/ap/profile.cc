#include "ap/profile.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "base/json_depth.h"
#include "matrix/kernel_number.h"

namespace vap::ap {

namespace {

using Json = nlohmann::json;

Status Bad(std::string_view field, std::string_view why) {
  return Status::Error(EINVAL, fmt::format("{}: {}", field, why));
}

// Rejects keys other than `allowed`, naming the first unknown one.
Status CheckKeys(const Json& obj, std::string_view where,
                 std::initializer_list<std::string_view> allowed) {
  for (const auto& [key, value] : obj.items()) {
    bool known = false;
    for (std::string_view a : allowed) known = known || key == a;
    if (!known) {
      return Bad(where.empty() ? key : fmt::format("{}.{}", where, key),
                 "unknown field");
    }
  }
  return Status::Ok();
}

// A number 0..max given as a JSON integer or a string in kstrtoul syntax.
Result<unsigned> Id(const Json& v, std::string_view field, unsigned max) {
  uint64_t n;
  if (v.is_number_unsigned()) {
    n = v.get<uint64_t>();
  } else if (v.is_string()) {
    Result<uint64_t> r = ParseKstrtoul(v.get<std::string>());
    if (!r.ok()) return Bad(field, "not a number");
    n = *r;
  } else {
    return Bad(field, "must be a number or a string like \"0x47\"");
  }
  if (n > max) {
    return Bad(field,
               fmt::format("0x{:02x} is above the maximum 0x{:02x}", n, max));
  }
  return static_cast<unsigned>(n);
}

// A list of IDs and "first-last" ranges.
Result<ApMask> IdList(const Json& v, std::string_view field, unsigned max) {
  if (!v.is_array()) return Bad(field, "must be a list of IDs and ranges");
  ApMask mask;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string item = fmt::format("{}[{}]", field, i);
    const Json& e = v[i];
    if (e.is_string()) {
      const std::string s = e.get<std::string>();
      const size_t dash = s.find('-');
      if (dash != std::string::npos) {
        VAP_ASSIGN_OR_RETURN(unsigned first,
                             Id(Json(s.substr(0, dash)), item, max));
        VAP_ASSIGN_OR_RETURN(unsigned last,
                             Id(Json(s.substr(dash + 1)), item, max));
        if (first > last) return Bad(item, "range must go upward");
        mask |= ApMask::Range(first, last);
        continue;
      }
    }
    VAP_ASSIGN_OR_RETURN(unsigned id, Id(e, item, max));
    mask.Set(id);
  }
  return mask;
}

Result<bool> Bool(const Json& obj, const char* key, bool dflt,
                  std::string_view where) {
  if (!obj.contains(key)) return dflt;
  if (!obj[key].is_boolean()) {
    return Bad(
        where.empty() ? std::string(key) : fmt::format("{}.{}", where, key),
        "must be true or false");
  }
  return obj[key].get<bool>();
}

std::string DefaultSerial(const CardSpec& card) {
  switch (card.type.kind) {
    case CardKind::kCca:
      return fmt::format("{:08d}", 93000000 + card.apid);
    case CardKind::kEp11:
      return fmt::format("93EP11{:02X}00000000", card.apid);
    case CardKind::kAccelerator:
      break;
  }
  return "";
}

// A hex pattern field of `info`: `digits` hex digits, "0x" allowed.
Status HexField(const Json& v, const std::string& where, const char* key,
                size_t digits, std::string& out) {
  if (!v.contains(key)) return Status::Ok();
  std::string hex = v[key].is_string() ? v[key].get<std::string>() : "";
  if (hex.starts_with("0x") || hex.starts_with("0X")) hex = hex.substr(2);
  // Empty: no pattern (the key's lines show "- -").
  if (!v[key].is_string() || (!hex.empty() && !IsHexPattern(hex, digits))) {
    return Bad(where + "." + key, fmt::format("must be {} hex digits", digits));
  }
  for (char& c : hex) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  out = hex;
  return Status::Ok();
}

// The adapter's `info` object (docs/host-profile.md), over the defaults.
Status ParseCardInfo(const Json& v, const std::string& where, CardInfo& info) {
  if (!v.is_object()) return Bad(where, "must be an object");
  VAP_RETURN_IF_ERROR(CheckKeys(v, where,
                                {"queryable", "api_ordinal", "fw_version",
                                 "op_modes", "wkvp", "aes_mkvp", "apka_mkvp",
                                 "asym_mkvp"}));
  VAP_ASSIGN_OR_RETURN(info.queryable, Bool(v, "queryable", true, where));
  if (v.contains("api_ordinal")) {
    VAP_ASSIGN_OR_RETURN(info.api_ordinal,
                         Id(v["api_ordinal"], where + ".api_ordinal", 0xffffffffu));
  }
  if (v.contains("fw_version")) {
    Result<uint16_t> fw = v["fw_version"].is_string()
                              ? ParseFwVersion(v["fw_version"].get<std::string>())
                              : Status::Error(EINVAL, "must be a string");
    if (!fw.ok()) return Bad(where + ".fw_version", fw.status().message());
    info.fw_version = *fw;
  }
  if (v.contains("op_modes")) {
    const Json& modes = v["op_modes"];
    if (!modes.is_array()) return Bad(where + ".op_modes", "must be a list");
    info.op_modes = 0;
    for (size_t i = 0; i < modes.size(); ++i) {
      const std::string at = fmt::format("{}.op_modes[{}]", where, i);
      if (!modes[i].is_string()) return Bad(at, "must be a string");
      Result<uint32_t> bit = Ep11OpModeBit(modes[i].get<std::string>());
      if (!bit.ok()) return Bad(at, bit.status().message());
      info.op_modes |= *bit;
    }
  }
  VAP_RETURN_IF_ERROR(HexField(v, where, "wkvp", 64, info.wkvp));
  VAP_RETURN_IF_ERROR(HexField(v, where, "aes_mkvp", 16, info.aes_mkvp));
  VAP_RETURN_IF_ERROR(HexField(v, where, "apka_mkvp", 16, info.apka_mkvp));
  return HexField(v, where, "asym_mkvp", 32, info.asym_mkvp);
}

Json CardInfoJson(const CardInfo& info) {
  Json modes = Json::array();
  const std::vector<std::string_view>& names = Ep11OpModeNames();
  for (size_t i = 0; i < names.size(); ++i) {
    if ((info.op_modes >> i & 1) != 0) modes.push_back(std::string(names[i]));
  }
  return {{"queryable", info.queryable},
          {"api_ordinal", info.api_ordinal},
          {"fw_version", fmt::format("{}.{}", info.fw_version >> 8,
                                     info.fw_version & 0xff)},
          {"op_modes", modes},
          {"wkvp", info.wkvp},
          {"aes_mkvp", info.aes_mkvp},
          {"apka_mkvp", info.apka_mkvp},
          {"asym_mkvp", info.asym_mkvp}};
}

Result<CardSpec> ParseCard(const Json& v, size_t index, const HostProfile& p) {
  const std::string where = fmt::format("adapters[{}]", index);
  if (!v.is_object()) return Bad(where, "must be an object");
  VAP_RETURN_IF_ERROR(CheckKeys(v, where,
                                {"id", "type", "raw_hwtype", "functions",
                                 "depth", "ml", "serial", "configured",
                                 "info"}));
  if (!v.contains("id")) return Bad(where + ".id", "missing");
  if (!v.contains("type") || !v["type"].is_string()) {
    return Bad(where + ".type", "missing (a name like \"CEX8C\")");
  }
  VAP_ASSIGN_OR_RETURN(unsigned id, Id(v["id"], where + ".id", p.na));
  Result<CardType> type = CardType::Parse(v["type"].get<std::string>());
  if (!type.ok()) return Bad(where + ".type", type.status().message());
  CardSpec card = CardSpec::For(static_cast<uint8_t>(id), *type);
  if (v.contains("raw_hwtype")) {
    VAP_ASSIGN_OR_RETURN(unsigned raw,
                         Id(v["raw_hwtype"], where + ".raw_hwtype", 255));
    card.raw_hwtype = static_cast<uint8_t>(raw);
  }
  if (v.contains("functions")) {
    VAP_ASSIGN_OR_RETURN(unsigned f,
                         Id(v["functions"], where + ".functions", 0xffffffffu));
    card.functions = f;
  }
  if (v.contains("depth")) {
    VAP_ASSIGN_OR_RETURN(unsigned d, Id(v["depth"], where + ".depth", 15));
    card.depth = static_cast<uint8_t>(d);
  }
  if (v.contains("ml")) {
    VAP_ASSIGN_OR_RETURN(unsigned ml, Id(v["ml"], where + ".ml", 15));
    card.ml = static_cast<uint8_t>(ml);
  }
  if (v.contains("serial")) {
    if (!v["serial"].is_string())
      return Bad(where + ".serial", "must be a string");
    card.serial = v["serial"].get<std::string>();
  }
  VAP_ASSIGN_OR_RETURN(card.configured, Bool(v, "configured", true, where));
  if (v.contains("info")) {
    VAP_RETURN_IF_ERROR(ParseCardInfo(v["info"], where + ".info", card.info));
  }
  return card;
}

Result<HostProfile> ParseObject(const Json& j) {
  if (!j.is_object()) return Bad("profile", "must be a JSON object");
  VAP_RETURN_IF_ERROR(
      CheckKeys(j, "",
                {"name", "qci", "apsc", "apxa", "qact", "rc8a", "apsb", "na",
                 "nd", "adapters", "usage_domains", "control_domains",
                 "se_guest"}));
  HostProfile p;
  if (j.contains("name")) {
    if (!j["name"].is_string()) return Bad("name", "must be a string");
    p.name = j["name"].get<std::string>();
  }
  VAP_ASSIGN_OR_RETURN(p.qci, Bool(j, "qci", true, ""));
  VAP_ASSIGN_OR_RETURN(p.apsc, Bool(j, "apsc", true, ""));
  VAP_ASSIGN_OR_RETURN(p.apxa, Bool(j, "apxa", true, ""));
  VAP_ASSIGN_OR_RETURN(p.qact, Bool(j, "qact", true, ""));
  VAP_ASSIGN_OR_RETURN(p.rc8a, Bool(j, "rc8a", true, ""));
  VAP_ASSIGN_OR_RETURN(p.apsb, Bool(j, "apsb", false, ""));
  VAP_ASSIGN_OR_RETURN(p.se_guest, Bool(j, "se_guest", false, ""));
  // Without apxa the hardware addresses adapters 0..63 and domains 0..15.
  const unsigned na_limit = p.apxa ? 255 : 63;
  const unsigned nd_limit = p.apxa ? 255 : 15;
  p.na = static_cast<uint8_t>(na_limit);
  p.nd = static_cast<uint8_t>(nd_limit);
  if (j.contains("na")) {
    VAP_ASSIGN_OR_RETURN(unsigned na, Id(j["na"], "na", na_limit));
    p.na = static_cast<uint8_t>(na);
  }
  if (j.contains("nd")) {
    VAP_ASSIGN_OR_RETURN(unsigned nd, Id(j["nd"], "nd", nd_limit));
    p.nd = static_cast<uint8_t>(nd);
  }
  if (j.contains("adapters")) {
    const Json& a = j["adapters"];
    if (!a.is_array()) return Bad("adapters", "must be a list");
    std::set<unsigned> seen;
    for (size_t i = 0; i < a.size(); ++i) {
      VAP_ASSIGN_OR_RETURN(CardSpec card, ParseCard(a[i], i, p));
      if (!seen.insert(card.apid).second) {
        return Bad(fmt::format("adapters[{}].id", i),
                   fmt::format("adapter 0x{:02x} is listed twice", card.apid));
      }
      p.cards.push_back(card);
    }
    std::sort(
        p.cards.begin(), p.cards.end(),
        [](const CardSpec& x, const CardSpec& y) { return x.apid < y.apid; });
  }
  if (j.contains("usage_domains")) {
    VAP_ASSIGN_OR_RETURN(p.usage_domains,
                         IdList(j["usage_domains"], "usage_domains", p.nd));
  }
  if (j.contains("control_domains")) {
    VAP_ASSIGN_OR_RETURN(p.control_domains,
                         IdList(j["control_domains"], "control_domains", p.nd));
  }
  return p;
}

HostProfile DefaultProfile() {
  HostProfile p;
  p.name = "default";
  const CardType cex8c = *CardType::Parse("CEX8C");
  p.cards = {CardSpec::For(0x03, cex8c),
             CardSpec::For(0x04, *CardType::Parse("CEX8P")),
             CardSpec::For(0x05, cex8c),
             CardSpec::For(0x06, *CardType::Parse("CEX8A"))};
  p.usage_domains = ApMask::Range(0x00, 0x0f) | ApMask::Of({0x47, 0xab});
  p.control_domains = p.usage_domains | ApMask::Of({0x10});
  return p;
}

HostProfile FullProfile() {
  HostProfile p;
  p.name = "full";
  const CardType types[] = {*CardType::Parse("CEX8C"),
                            *CardType::Parse("CEX8P"),
                            *CardType::Parse("CEX8A")};
  for (unsigned apid = 0; apid <= kMaxApId; ++apid) {
    p.cards.push_back(
        CardSpec::For(static_cast<uint8_t>(apid), types[apid % 3]));
  }
  p.usage_domains = ApMask::All();
  p.control_domains = ApMask::All();
  return p;
}

HostProfile LegacyProfile() {
  HostProfile p;
  p.name = "legacy";
  p.apxa = false;
  p.na = 63;
  p.nd = 15;
  p.cards = {CardSpec::For(0x01, *CardType::Parse("CEX7C")),
             CardSpec::For(0x02, *CardType::Parse("CEX7A"))};
  p.usage_domains = ApMask::Range(0x00, 0x0f);
  p.control_domains = ApMask::Range(0x00, 0x0f);
  return p;
}

}  // namespace

CardSpec CardSpec::For(uint8_t apid, const CardType& type) {
  CardSpec card;
  card.apid = apid;
  card.type = type;
  card.raw_hwtype = type.hwtype;
  card.functions = type.DefaultFunctions();
  card.serial = DefaultSerial(card);
  if (type.kind == CardKind::kCca) card.info = CardInfo::ForCca(apid);
  if (type.kind == CardKind::kEp11) card.info = CardInfo::ForEp11(apid);
  return card;
}

Result<HostProfile> ParseHostProfile(std::string_view json) {
  if (!JsonDepthWithin(json))
    return Status::Error(EINVAL, "host profile: nested too deeply");
  Json j = Json::parse(json, /*cb=*/nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("profile", "not valid JSON");
  return ParseObject(j);
}

std::string FormatHostProfile(const HostProfile& p) {
  Json cards = Json::array();
  for (const CardSpec& c : p.cards) {
    cards.push_back({{"id", c.apid},
                     {"type", c.type.Name()},
                     {"raw_hwtype", c.raw_hwtype},
                     {"functions", c.functions},
                     {"depth", c.depth},
                     {"ml", c.ml},
                     {"serial", c.serial},
                     {"configured", c.configured},
                     {"info", CardInfoJson(c.info)}});
  }
  auto ids = [](const ApMask& m) {
    Json out = Json::array();
    for (unsigned id : m.Ids()) out.push_back(id);
    return out;
  };
  const Json j = {{"name", p.name},   {"qci", p.qci},
                  {"apsc", p.apsc},   {"apxa", p.apxa},
                  {"qact", p.qact},   {"rc8a", p.rc8a},
                  {"apsb", p.apsb},   {"na", p.na},
                  {"nd", p.nd},       {"adapters", cards},
                  {"usage_domains", ids(p.usage_domains)},
                  {"control_domains", ids(p.control_domains)},
                  {"se_guest", p.se_guest}};
  return j.dump();
}

Result<HostProfile> BuiltinProfile(std::string_view name) {
  if (name == "default") return DefaultProfile();
  if (name == "full") return FullProfile();
  if (name == "legacy") return LegacyProfile();
  return Status::Error(ENOENT, fmt::format("no built-in host profile '{}' "
                                           "(default, full, legacy)",
                                           name));
}

Result<HostProfile> LoadHostProfile(std::string_view spec) {
  constexpr std::string_view kBuiltin = "builtin:";
  if (spec.substr(0, kBuiltin.size()) == kBuiltin) {
    return BuiltinProfile(spec.substr(kBuiltin.size()));
  }
  std::ifstream in{std::string(spec)};
  if (!in) {
    return Status::Error(ENOENT,
                         fmt::format("cannot read host profile '{}'", spec));
  }
  std::stringstream text;
  text << in.rdbuf();
  Result<HostProfile> p = ParseHostProfile(text.str());
  if (!p.ok()) {
    return Status::Error(EINVAL,
                         fmt::format("{}: {}", spec, p.status().message()));
  }
  return p;
}

}  // namespace vap::ap
