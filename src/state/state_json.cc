#include "state/state_json.h"

#include <fmt/format.h>
#include <zlib.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "base/json_depth.h"
#include "matrix/mask_format.h"
#include "matrix/mask_parse.h"

namespace vap::state {

namespace {

using Json = nlohmann::json;

constexpr const char* kFormat = "vap-state";

Status Bad(std::string_view where, std::string_view why) {
  return Status::Error(EINVAL, fmt::format("{}: {}", where, why));
}

std::string Crc32(std::string_view text) {
  uLong crc = crc32(0L, Z_NULL, 0);
  crc = crc32(crc, reinterpret_cast<const Bytef*>(text.data()),
              static_cast<uInt>(text.size()));
  return fmt::format("0x{:08x}", static_cast<uint32_t>(crc));
}

Json MdevToJson(const MdevRecord& m) {
  Json j = {{"uuid", m.uuid.ToString()},
            {"apm", FormatMaskHex(m.apm)},
            {"aqm", FormatMaskHex(m.aqm)},
            {"adm", FormatMaskHex(m.adm)}};
  if (m.unbound) j["unbound"] = true;  // written only when set
  return j;
}

Json StateToJson(const SystemState& st) {
  Json bindings = Json::array();
  for (const DeviceBinding& b : st.bindings) {
    bindings.push_back({{"device", b.device},
                        {"driver", b.driver},
                        {"driver_override", b.driver_override}});
  }
  Json mdevs = Json::array();
  for (const MdevRecord& m : st.mdevs) mdevs.push_back(MdevToJson(m));
  return {{"host", Json::parse(ap::FormatHostProfile(st.host))},
          {"apmask", FormatMaskHex(st.apmask)},
          {"aqmask", FormatMaskHex(st.aqmask)},
          {"ap_domain", st.ap_domain},
          {"config_time", st.config_time},
          {"drivers_autoprobe", st.drivers_autoprobe},
          {"bindings", bindings},
          {"offline", st.offline},
          {"mdevs", mdevs}};
}

// --- Decoding; every error names its field.

Result<const Json*> Field(const Json& obj, const std::string& where,
                          const char* key) {
  if (!obj.is_object()) return Bad(where, "must be an object");
  auto it = obj.find(key);
  if (it == obj.end()) return Bad(where + "." + key, "missing");
  return &*it;
}

Result<std::string> StringField(const Json& obj, const std::string& where,
                                const char* key) {
  VAP_ASSIGN_OR_RETURN(const Json* v, Field(obj, where, key));
  if (!v->is_string()) return Bad(where + "." + key, "must be a string");
  return v->get<std::string>();
}

Result<int> IntField(const Json& obj, const std::string& where,
                     const char* key, int min, int max) {
  VAP_ASSIGN_OR_RETURN(const Json* v, Field(obj, where, key));
  if (!v->is_number_integer() || v->get<int64_t>() < min ||
      v->get<int64_t>() > max) {
    return Bad(where + "." + key,
               fmt::format("must be an integer from {} to {}", min, max));
  }
  return static_cast<int>(v->get<int64_t>());
}

Result<ApMask> MaskField(const Json& obj, const std::string& where,
                         const char* key) {
  VAP_ASSIGN_OR_RETURN(std::string text, StringField(obj, where, key));
  Result<ApMask> m = ParseHexMask(text);
  if (!m.ok() || text.size() != 66)
    return Bad(where + "." + key, "must be 0x and 64 hex digits");
  return *m;
}

Result<const Json*> ListField(const Json& obj, const std::string& where,
                              const char* key) {
  VAP_ASSIGN_OR_RETURN(const Json* v, Field(obj, where, key));
  if (!v->is_array()) return Bad(where + "." + key, "must be a list");
  return v;
}

Result<MdevRecord> MdevFromJson(const Json& m, const std::string& at) {
  VAP_ASSIGN_OR_RETURN(std::string uuid, StringField(m, at, "uuid"));
  Result<Uuid> u = Uuid::Parse(uuid);
  if (!u.ok()) return Bad(at + ".uuid", "not a UUID");
  MdevRecord r{*u, {}, {}, {}};
  VAP_ASSIGN_OR_RETURN(r.apm, MaskField(m, at, "apm"));
  VAP_ASSIGN_OR_RETURN(r.aqm, MaskField(m, at, "aqm"));
  VAP_ASSIGN_OR_RETURN(r.adm, MaskField(m, at, "adm"));
  if (m.contains("unbound")) {
    const Json& b = m["unbound"];
    if (!b.is_boolean()) return Bad(at + ".unbound", "must be true or false");
    r.unbound = b.get<bool>();
    if (r.unbound && !(r.apm.Empty() && r.aqm.Empty() && r.adm.Empty()))
      return Bad(at + ".unbound", "an unbound mdev has no matrix");
  }
  return r;
}

Result<SystemState> StateFromJson(const Json& j) {
  SystemState st;
  const std::string w = "state";
  VAP_ASSIGN_OR_RETURN(const Json* host, Field(j, w, "host"));
  Result<ap::HostProfile> profile = ap::ParseHostProfile(host->dump());
  if (!profile.ok()) return Bad(w + ".host", profile.status().message());
  st.host = std::move(*profile);
  VAP_ASSIGN_OR_RETURN(st.apmask, MaskField(j, w, "apmask"));
  VAP_ASSIGN_OR_RETURN(st.aqmask, MaskField(j, w, "aqmask"));
  VAP_ASSIGN_OR_RETURN(st.ap_domain, IntField(j, w, "ap_domain", -1, 255));
  VAP_ASSIGN_OR_RETURN(st.config_time,
                       IntField(j, w, "config_time", 5, 1 << 30));
  if (j.contains("drivers_autoprobe")) {
    const Json& a = j["drivers_autoprobe"];
    if (!a.is_boolean()) return Bad(w + ".drivers_autoprobe", "must be true or false");
    st.drivers_autoprobe = a.get<bool>();
  }
  VAP_ASSIGN_OR_RETURN(const Json* bindings, ListField(j, w, "bindings"));
  for (size_t i = 0; i < bindings->size(); ++i) {
    const std::string at = fmt::format("{}.bindings[{}]", w, i);
    DeviceBinding b;
    VAP_ASSIGN_OR_RETURN(b.device, StringField((*bindings)[i], at, "device"));
    VAP_ASSIGN_OR_RETURN(b.driver, StringField((*bindings)[i], at, "driver"));
    VAP_ASSIGN_OR_RETURN(b.driver_override,
                         StringField((*bindings)[i], at, "driver_override"));
    st.bindings.push_back(std::move(b));
  }
  VAP_ASSIGN_OR_RETURN(const Json* offline, ListField(j, w, "offline"));
  for (size_t i = 0; i < offline->size(); ++i) {
    if (!(*offline)[i].is_string())
      return Bad(fmt::format("{}.offline[{}]", w, i), "must be a string");
    st.offline.push_back((*offline)[i].get<std::string>());
  }
  VAP_ASSIGN_OR_RETURN(const Json* mdevs, ListField(j, w, "mdevs"));
  for (size_t i = 0; i < mdevs->size(); ++i) {
    const std::string at = fmt::format("{}.mdevs[{}]", w, i);
    VAP_ASSIGN_OR_RETURN(MdevRecord r, MdevFromJson((*mdevs)[i], at));
    st.mdevs.push_back(r);
  }
  return st;
}

}  // namespace

std::string EncodeState(const SystemState& state) {
  const Json body = StateToJson(state);
  const Json file = {{"format", kFormat},
                     {"version", kStateVersion},
                     {"crc32", Crc32(body.dump())},
                     {"state", body}};
  return file.dump(2) + "\n";
}

Result<SystemState> DecodeState(std::string_view text) {
  if (!JsonDepthWithin(text))
    return Status::Error(EINVAL, "nested too deeply to be a state file");
  Json file;
  try {
    file = Json::parse(text);
  } catch (const Json::parse_error& e) {
    return Status::Error(
        EINVAL, fmt::format("not valid JSON at byte {} of {} (truncated or "
                            "corrupt)",
                            e.byte, text.size()));
  } catch (const Json::exception& e) {  // a number too big (Fuzz.state)
    return Status::Error(EINVAL, fmt::format("not valid JSON ({})", e.what()));
  }
  auto is_string = [&file](const char* key, std::string_view value) {
    return file.contains(key) && file[key].is_string() &&
           (value.empty() || file[key].get<std::string>() == value);
  };
  if (!file.is_object() || !is_string("format", kFormat))
    return Status::Error(EINVAL, "not a vap state file (no \"format\": "
                                 "\"vap-state\")");
  if (!file.contains("version") || file["version"] != kStateVersion) {
    return Status::Error(
        EINVAL, fmt::format("state version {} is not supported (this vapd "
                            "reads version {})",
                            file.value("version", Json()).dump(),
                            kStateVersion));
  }
  if (!file.contains("state") || !is_string("crc32", ""))
    return Status::Error(EINVAL, "\"state\" or \"crc32\" is missing");
  const std::string want = file["crc32"].get<std::string>();
  const std::string got = Crc32(file["state"].dump());
  if (want != got) {
    return Status::Error(
        EINVAL, fmt::format("checksum mismatch: the file says {}, its state "
                            "gives {} (corrupt or edited by hand)",
                            want, got));
  }
  return StateFromJson(file["state"]);
}

std::string Crc32Hex(std::string_view text) { return Crc32(text); }

std::string EncodeJournalRecord(const JournalRecord& r) {
  Json j;
  switch (r.kind) {
    case JournalRecord::Kind::kBase:
      j = {{"op", "base"}, {"snapshot", r.base}};
      break;
    case JournalRecord::Kind::kGlobal: {
      SystemState global = r.global;
      global.mdevs.clear();
      j = {{"op", "global"}, {"state", StateToJson(global)}};
      break;
    }
    case JournalRecord::Kind::kMdev:
      j = {{"op", "mdev"}, {"mdev", MdevToJson(r.mdev)}};
      break;
    case JournalRecord::Kind::kRemove:
      j = {{"op", "remove"}, {"uuid", r.mdev.uuid.ToString()}};
      break;
  }
  const std::string body = j.dump();
  return Crc32(body) + " " + body + "\n";
}

Result<JournalRecord> DecodeJournalRecord(std::string_view line) {
  if (!line.empty() && line.back() == '\n') line.remove_suffix(1);
  const size_t space = line.find(' ');
  if (space == std::string_view::npos) return Bad("journal", "no checksum");
  const std::string_view body = line.substr(space + 1);
  if (line.substr(0, space) != Crc32(body))
    return Bad("journal", "checksum mismatch");
  if (!JsonDepthWithin(body, kMaxJsonDepth))
    return Bad("journal", "nested too deeply");
  const Json j = Json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) return Bad("journal", "not JSON");
  VAP_ASSIGN_OR_RETURN(std::string op, StringField(j, "journal", "op"));
  JournalRecord r;
  if (op == "base") {
    r.kind = JournalRecord::Kind::kBase;
    VAP_ASSIGN_OR_RETURN(r.base, StringField(j, "journal", "snapshot"));
  } else if (op == "global") {
    r.kind = JournalRecord::Kind::kGlobal;
    VAP_ASSIGN_OR_RETURN(const Json* st, Field(j, "journal", "state"));
    VAP_ASSIGN_OR_RETURN(r.global, StateFromJson(*st));
  } else if (op == "mdev") {
    r.kind = JournalRecord::Kind::kMdev;
    VAP_ASSIGN_OR_RETURN(const Json* m, Field(j, "journal", "mdev"));
    VAP_ASSIGN_OR_RETURN(r.mdev, MdevFromJson(*m, "journal.mdev"));
  } else if (op == "remove") {
    r.kind = JournalRecord::Kind::kRemove;
    VAP_ASSIGN_OR_RETURN(std::string uuid, StringField(j, "journal", "uuid"));
    Result<Uuid> u = Uuid::Parse(uuid);
    if (!u.ok()) return Bad("journal.uuid", "not a UUID");
    r.mdev.uuid = *u;
  } else {
    return Bad("journal.op", "unknown");
  }
  return r;
}

}  // namespace vap::state
