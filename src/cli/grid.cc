#include "cli/grid.h"

#include <fmt/format.h>

#include <algorithm>
#include <cerrno>
#include <map>
#include <set>
#include <sstream>
#include <vector>

namespace vap::cli {

using rpc::Json;

namespace {

Result<Json> Ask(rpc::Client& c, const std::string& method, const Json& p) {
  VAP_ASSIGN_OR_RETURN(rpc::Reply r, c.Call(method, p));
  if (!r.ok) return Status::Error(EIO, r.error.value("message", "error"));
  return r.result;
}

Result<std::vector<std::string>> Lines(rpc::Client& c,
                                       const std::string& path) {
  VAP_ASSIGN_OR_RETURN(Json r, Ask(c, "sysfs.read", {{"path", path}}));
  std::vector<std::string> out;
  std::istringstream in(r["value"].get<std::string>());
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Queue names bound to `driver`.
Result<std::set<std::string>> BoundTo(rpc::Client& c, const std::string& drv) {
  VAP_ASSIGN_OR_RETURN(
      Json r, Ask(c, "sysfs.list", {{"path", "bus/ap/drivers/" + drv}}));
  std::set<std::string> out;
  for (const Json& e : r["entries"]) {
    const std::string name = e["name"];
    if (name.size() == 7 && name[2] == '.') out.insert(name);
  }
  return out;
}

struct Cell {
  std::string text;
  const char* colour = "";
};

// The label of the n-th mdev (from 0): A..Z, then AA..ZZ, AAA..., as
// spreadsheet columns, so any number of mdevs is labelled unambiguously.
std::string Label(size_t n) {
  std::string out;
  for (++n; n > 0; n = (n - 1) / 26)
    out.insert(out.begin(), static_cast<char>('A' + (n - 1) % 26));
  return out;
}

std::string Lower(std::string s) {
  for (char& ch : s) ch = static_cast<char>(ch - 'A' + 'a');
  return s;
}

}  // namespace

Result<std::string> DrawGrid(rpc::Client& c, bool colour) {
  VAP_ASSIGN_OR_RETURN(Json host, Ask(c, "host.show", Json::object()));
  VAP_ASSIGN_OR_RETURN(std::set<std::string> host_q, BoundTo(c, "cex4queue"));
  VAP_ASSIGN_OR_RETURN(std::set<std::string> vfio_q, BoundTo(c, "vfio_ap"));
  // Mdevs in the matrix device's directory, in name order: A, B, ...
  VAP_ASSIGN_OR_RETURN(
      Json m, Ask(c, "sysfs.list", {{"path", "devices/vfio_ap/matrix"}}));
  std::map<std::string, std::string> owner;  // apqn -> label
  std::string legend;
  size_t count = 0;
  for (const Json& e : m["entries"]) {
    const std::string uuid = e["name"];
    if (e["type"] != "dir" || uuid.size() != 36) continue;
    const std::string dir = "devices/vfio_ap/matrix/" + uuid + "/";
    VAP_ASSIGN_OR_RETURN(std::vector<std::string> matrix,
                         Lines(c, dir + "matrix"));
    const std::string label = Label(count++);
    for (const std::string& q : matrix) owner[q] = label;
    legend += fmt::format("  {} = {}\n", label, uuid);
  }
  // Each column is as wide as the longest label (two at least: "0a").
  const size_t width = std::max<size_t>(2, count == 0 ? 1 : Label(count - 1).size());
  std::vector<unsigned> domains;
  for (const Json& d : host["usage_domains"])
    domains.push_back(d.get<unsigned>());

  std::string out = "      ";
  for (unsigned d : domains) out += fmt::format("{:<{}} ", fmt::format("{:02x}", d), width);
  out += "  (domains)\n";
  const char* reset = colour ? "\033[0m" : "";
  for (const Json& a : host["adapters"]) {
    const unsigned apid = a["id"].get<unsigned>();
    out += fmt::format("  {:02x}  ", apid);
    for (unsigned d : domains) {
      const std::string q = fmt::format("{:02x}.{:04x}", apid, d);
      Cell cell{"-", colour ? "\033[2m" : ""};
      if (host_q.count(q) != 0) {
        cell = {"h", colour ? "\033[34m" : ""};
      } else if (auto o = owner.find(q); o != owner.end()) {
        std::string status = "assigned";
        if (vfio_q.count(q) != 0) {
          Result<std::vector<std::string>> s =
              Lines(c, fmt::format("devices/ap/card{:02x}/{}/status", apid, q));
          if (s.ok() && !s->empty()) status = s->front();
        }
        const bool in_guest = status == "in use";
        cell = {in_guest ? o->second : Lower(o->second),
                colour ? (in_guest ? "\033[32;1m" : "\033[33m") : ""};
      } else if (vfio_q.count(q) != 0) {
        cell = {".", colour ? "\033[36m" : ""};
      }
      out += fmt::format("{}{}{}{:{}}", cell.colour, cell.text,
                         colour ? reset : "", "", width + 1 - cell.text.size());
    }
    out += fmt::format(" {}\n", a["type"].get<std::string>());
  }
  out +=
      "\n  h = host driver, . = free for vfio_ap, - = no driver,\n"
      "  A = in mdev A's guest, a = assigned to mdev A, not in a guest (no\n"
      "  guest, or filtered out: `vap explain UUID` says why); after Z come\n"
      "  AA, AB, ...\n";
  out += legend;
  if (out.back() != '\n') out += '\n';
  return out;
}

}  // namespace vap::cli
