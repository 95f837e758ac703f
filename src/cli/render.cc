#include "cli/render.h"

#include <fmt/format.h>

namespace vap::cli {

using rpc::Json;

namespace {

std::string Ids(const Json& ids, const char* fmt_one) {
  std::string out;
  for (const Json& id : ids) {
    if (!out.empty()) out += ' ';
    out += fmt::format(fmt::runtime(fmt_one), id.get<unsigned>());
  }
  return out.empty() ? "none" : out;
}

}  // namespace

std::string RenderHost(const Json& r) {
  std::string out = fmt::format("profile {}", r.value("profile", ""));
  if (r.contains("na")) {
    out += fmt::format(", apxa {}, na {}, nd {}",
                       r["apxa"].get<bool>() ? "yes" : "no",
                       r["na"].get<unsigned>(), r["nd"].get<unsigned>());
  }
  out += "\nadapters:\n";
  for (const Json& a : r["adapters"]) {
    out += fmt::format("  {:02x} {}{}{}\n", a["id"].get<unsigned>(),
                       a["type"].get<std::string>(),
                       a["configured"].get<bool>() ? "" : " (deconfigured)",
                       a["checkstopped"].get<bool>() ? " (checkstopped)" : "");
  }
  if (r.contains("usage_domains")) {
    out += "usage domains: " + Ids(r["usage_domains"], "{:02x}") + "\n";
    out += "control domains: " + Ids(r["control_domains"], "{:02x}") + "\n";
  }
  return out;
}

std::string RenderGuest(const Json& r) {
  std::string out = fmt::format(
      "guest {}: mdev {}, CRYCB format {}, {} vCPUs\n"
      "  apm {}\n  aqm {}\n  adm {}\n"
      "  config-change signals {}, device requests {}, AP rescans {}\n",
      r["name"].get<std::string>(),
      r["mdev"].get<std::string>().empty() ? "none"
                                           : r["mdev"].get<std::string>(),
      r["format"].get<int>(), r["vcpus"].get<int>(),
      r["apm"].get<std::string>(), r["aqm"].get<std::string>(),
      r["adm"].get<std::string>(), r["cfg_chg_count"].get<uint64_t>(),
      r["req_count"].get<uint64_t>(), r.value("ap_rescans", uint64_t{0}));
  out += "  queues:";
  if (r["queues"].empty()) out += " none";
  for (const Json& q : r["queues"]) {
    out += fmt::format(" {}{}", q["apqn"].get<std::string>(),
                       q["interrupts"].get<bool>() ? "(irq)" : "");
  }
  return out + "\n";
}

std::string RenderGuestList(const Json& r) {
  std::string out;
  for (const Json& g : r["guests"]) {
    out += fmt::format("{} {} {} vCPUs\n", g["name"].get<std::string>(),
                       g["mdev"].get<std::string>().empty()
                           ? "-"
                           : g["mdev"].get<std::string>(),
                       g["vcpus"].get<int>());
  }
  return out;
}

std::string RenderPqap(const Json& r) {
  if (r["outcome"] != "completed")
    return r["outcome"].get<std::string>() + "\n";
  return fmt::format("cc {}, response code 0x{:02x}, status {}\n",
                     r["cc"].get<int>(), r["response_code"].get<unsigned>(),
                     r["status"].get<std::string>());
}

std::string RenderExplain(const Json& r) {
  return r["text"].get<std::string>();  // driver::ExplanationText()
}

std::string RenderLog(const Json& r) {
  std::string out;
  for (const Json& l : r["lines"]) {
    out += fmt::format("[{:12.6f}] {}\n", l["time"].get<double>(),
                       l["text"].get<std::string>());
  }
  return out;
}

std::string RenderList(const Json& r) {
  std::string out;
  for (const Json& e : r["entries"]) {
    out += e["name"].get<std::string>();
    if (e["type"] == "dir") out += '/';
    if (e["type"] == "link") out += '@';
    out += '\n';
  }
  return out;
}

std::string RenderInfo(const Json& r) {
  return fmt::format(
      "vapd {}, host {}, mount {}, socket {}\n",
      r["version"].get<std::string>(), r["profile"].get<std::string>(),
      r["mount"].get<std::string>().empty() ? "none"
                                            : r["mount"].get<std::string>(),
      r["socket"].get<std::string>());
}

}  // namespace vap::cli
