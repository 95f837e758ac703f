#include "sysfs/grid.h"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <set>
#include <sstream>

namespace vap::sysfs {

namespace {

Result<std::vector<std::string>> Lines(TreeReader& tree,
                                       const std::string& path) {
  VAP_ASSIGN_OR_RETURN(std::string text, tree.Read(path));
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// Queue names bound to `driver`.
Result<std::set<std::string>> BoundTo(TreeReader& tree,
                                      const std::string& driver) {
  VAP_ASSIGN_OR_RETURN(std::vector<DirEntry> entries,
                       tree.List("bus/ap/drivers/" + driver));
  std::set<std::string> out;
  for (const DirEntry& e : entries) {
    if (e.name.size() == 7 && e.name[2] == '.') out.insert(e.name);
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

// The mdevs in the matrix device's directory, in name order (A, B, ...):
// each queue's label, and the legend.
struct Owners {
  std::map<std::string, std::string> of_queue;
  std::string legend;
  size_t count = 0;
};

Result<Owners> MdevOwners(TreeReader& tree) {
  VAP_ASSIGN_OR_RETURN(std::vector<DirEntry> entries,
                       tree.List("devices/vfio_ap/matrix"));
  Owners out;
  for (const DirEntry& e : entries) {
    if (e.type != NodeType::kDir || e.name.size() != 36) continue;
    VAP_ASSIGN_OR_RETURN(
        std::vector<std::string> matrix,
        Lines(tree, "devices/vfio_ap/matrix/" + e.name + "/matrix"));
    const std::string label = Label(out.count++);
    for (const std::string& q : matrix) out.of_queue[q] = label;
    out.legend += fmt::format("  {} = {}\n", label, e.name);
  }
  return out;
}

}  // namespace

Result<std::string> DrawGrid(TreeReader& tree, const GridHost& host,
                             bool colour) {
  VAP_ASSIGN_OR_RETURN(std::set<std::string> host_q,
                       BoundTo(tree, "cex4queue"));
  VAP_ASSIGN_OR_RETURN(std::set<std::string> vfio_q, BoundTo(tree, "vfio_ap"));
  VAP_ASSIGN_OR_RETURN(Owners owners, MdevOwners(tree));
  // Each column is as wide as the longest label (two at least: "0a").
  const size_t width = std::max<size_t>(
      2, owners.count == 0 ? 1 : Label(owners.count - 1).size());
  std::string out = "      ";
  for (unsigned d : host.usage_domains)
    out += fmt::format("{:<{}} ", fmt::format("{:02x}", d), width);
  out += "  (domains)\n";
  const char* reset = colour ? "\033[0m" : "";
  for (const GridAdapter& a : host.adapters) {
    out += fmt::format("  {:02x}  ", a.id);
    for (unsigned d : host.usage_domains) {
      const std::string q = fmt::format("{:02x}.{:04x}", a.id, d);
      Cell cell{"-", colour ? "\033[2m" : ""};
      if (host_q.count(q) != 0) {
        cell = {"h", colour ? "\033[34m" : ""};
      } else if (auto o = owners.of_queue.find(q);
                 o != owners.of_queue.end()) {
        std::string status = "assigned";
        if (vfio_q.count(q) != 0) {
          Result<std::vector<std::string>> s = Lines(
              tree, fmt::format("devices/ap/card{:02x}/{}/status", a.id, q));
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
    out += fmt::format(" {}\n", a.type);
  }
  out +=
      "\n  h = host driver, . = free for vfio_ap, - = no driver,\n"
      "  A = in mdev A's guest, a = assigned to mdev A, not in a guest (no\n"
      "  guest, or filtered out: `vap explain UUID` says why); after Z come\n"
      "  AA, AB, ...\n";
  out += owners.legend;
  if (out.back() != '\n') out += '\n';
  return out;
}

}  // namespace vap::sysfs
