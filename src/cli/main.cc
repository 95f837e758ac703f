// vap: the command for a running vapd (docs/architecture.md, "Interface
// contract").
// Speaks JSON-RPC on vapd's socket. Exit codes: 0 success, 1 the
// operation failed (the error is printed), 2 usage error.
#include <fmt/format.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <functional>
#include <string>

#include "cli/grid.h"
#include "cli/migrate.h"
#include "cli/monitor.h"
#include "cli/render.h"
#include "cli/sandbox.h"
#include "rpc/client.h"
#include "rpc/socket_path.h"

namespace vap::cli {
namespace {

using rpc::Json;

struct Globals {
  std::string socket = rpc::DefaultSocketPath();
  bool json = false;
  double timeout = 30;  // seconds; 0: wait for ever
};

// `vap monitor`'s options, as its flags set them.
MonitorOptions& MonitorOptionsOf() {
  static MonitorOptions options;
  return options;
}

// What the chosen subcommand asks: a method, its params, a renderer.
struct Request {
  std::string method;
  Json params = Json::object();
  std::function<std::string(const Json&)> render;
  bool grid = false;  // `vap show`
  bool sandbox = false;  // `vap sandbox`
  bool monitor = false;  // `vap monitor`
  bool migrate = false;  // `vap guest migrate`
};

// `vap guest migrate`'s options, as its flags set them.
MigrateOptions& MigrateOptionsOf() {
  static MigrateOptions options;
  return options;
}

Request Req(std::string method, Json params,
            std::function<std::string(const Json&)> render = nullptr) {
  Request r;
  r.method = std::move(method);
  r.params = std::move(params);
  r.render = std::move(render);
  return r;
}

int Fail(const std::string& what) {
  fmt::print(stderr, "vap: {}\n", what);
  return 1;
}

// vap sandbox; without --mount, the running vapd's mount.
int Sandbox(const Globals& g, SandboxOptions options) {
  options.socket = g.socket;
  if (!options.udev_rules.empty() && !options.udev)
    return Fail("sandbox: --udev-rules needs --udev");
  if (!options.guest.empty()) {
    if (!options.mount.empty()) return Fail("sandbox: --guest or --mount, not both");
    Result<rpc::Client> client = rpc::Client::Connect(g.socket, g.timeout);
    if (!client.ok())
      return Fail(fmt::format("{} (is vapd running?)", client.status().ToString()));
    Result<rpc::Reply> reply =
        client->Call("guest.show", Json{{"name", options.guest}});
    if (!reply.ok()) return Fail(reply.status().ToString());
    if (!reply->ok)
      return Fail(fmt::format("guest {}: {}", options.guest,
                              reply->error.value("message", "unknown error")));
    options.mount = reply->result.value("sysfs", "");
    if (options.mount.empty())
      return Fail("vapd serves no guest trees (it runs without --mount)");
  }
  if (options.mount.empty()) {
    Result<rpc::Client> client = rpc::Client::Connect(g.socket, g.timeout);
    if (!client.ok()) {
      return Fail(fmt::format("{} (is vapd running? or give --mount DIR)",
                              client.status().ToString()));
    }
    Result<rpc::Reply> reply = client->Call("system.info", Json::object());
    if (!reply.ok() || !reply->ok) return Fail("system.info failed");
    options.mount = reply->result.value("mount", "");
    if (options.mount.empty())
      return Fail("vapd runs without --mount; give vap sandbox --mount DIR");
  }
  return RunSandbox(options);
}

int Run(const Globals& g, const Request& req) {
  Result<rpc::Client> client = rpc::Client::Connect(g.socket, g.timeout);
  if (!client.ok()) {
    return Fail(fmt::format("{} (is vapd running? --socket PATH)",
                            client.status().ToString()));
  }
  if (req.monitor) return RunMonitor(*client, MonitorOptionsOf());
  if (req.migrate) {
    MigrateOptions o = MigrateOptionsOf();
    o.timeout = g.timeout;
    o.json = g.json;
    return RunMigrate(*client, o);
  }
  if (req.grid) {
    Result<std::string> grid = DrawGrid(*client, isatty(1) != 0);
    if (!grid.ok()) return Fail(grid.status().message());
    fmt::print("{}", *grid);
    return 0;
  }
  Result<rpc::Reply> reply = client->Call(req.method, req.params);
  if (!reply.ok()) return Fail(reply.status().ToString());
  if (!reply->ok) {
    if (g.json) fmt::print("{}\n", reply->error.dump(2));
    const Json& e = reply->error;
    std::string what = e.value("message", "error");
    if (e.contains("data") && e["data"].contains("description")) {
      what = fmt::format("{}: {} ({})", req.method,
                         e["data"]["description"].get<std::string>(), what);
    }
    return Fail(what);
  }
  if (g.json) {
    fmt::print("{}\n", reply->result.dump(2));
  } else if (req.render) {
    fmt::print("{}", req.render(reply->result));
  }
  return 0;
}

std::string Value(const Json& r) { return r["value"].get<std::string>(); }

void AddHost(CLI::App& app, Request& req) {
  CLI::App* host = app.add_subcommand("host", "The host's AP configuration")
                       ->require_subcommand(1);
  host->add_subcommand("show", "Adapters, domains, control domains")
      ->callback(
          [&req] { req = Req("host.show", Json::object(), RenderHost); });
  auto* cfg = host->add_subcommand(
      "configure", "Change the host configuration (the bus rescans)");
  static std::string action, type = "CEX8C";
  static unsigned id;
  cfg->add_option("action", action,
                  "add-adapter, remove-adapter, add-domain, remove-domain, "
                  "add-control-domain, remove-control-domain, "
                  "configure-adapter, deconfigure-adapter")
      ->required();
  cfg->add_option("id", id, "Adapter or domain number")->required();
  cfg->add_option("--type", type, "Card type for add-adapter")
      ->capture_default_str();
  static std::string functions;
  cfg->add_option("--functions", functions,
                  "add-adapter: the card's TAPQ facility word (e.g. "
                  "0x72800000), as a host profile's \"functions\"; default: "
                  "the type's");
  cfg->callback([&req] {
    Json params = {{"action", action}, {"id", id}, {"type", type}};
    if (!functions.empty()) params["functions"] = functions;
    req = Req("host.configure", std::move(params));
  });
  auto* fault = host->add_subcommand("fault", "Inject or clear a fault");
  static std::string kind, apqn, function = "tapq";
  static int adapter = -1;
  static unsigned count = 1, rc = 0;
  fault
      ->add_option("kind", kind,
                   "checkstop, deconfigure, reset-never-ends, busy, answer, "
                   "interrupt or clear")
      ->required();
  fault->add_option("--apqn", apqn, "One queue, AA.DDDD");
  fault->add_option("--adapter", adapter, "The whole card");
  fault->add_option("--count", count, "busy/answer: how many calls");
  fault->add_option("--function", function, "answer: tapq, rapq, zapq, aqic");
  fault->add_option("--rc", rc, "answer: the response code");
  fault->callback([&req] {
    Json p = {
        {"kind", kind}, {"count", count}, {"function", function}, {"rc", rc}};
    if (!apqn.empty()) p["apqn"] = apqn;
    if (adapter >= 0) p["adapter"] = adapter;
    req = Req("host.fault", p, [](const Json& r) {
      return r.contains("delivered")
                 ? fmt::format("delivered: {}\n", r["delivered"].get<bool>())
                 : std::string();
    });
  });
}

void AddGuest(CLI::App& app, Request& req) {
  CLI::App* guest = app.add_subcommand("guest", "KVM guests (QEMU models)")
                        ->require_subcommand(1);
  static std::string name, mdev, op, apqn, nib = "0x1000", cpu_model;
  static unsigned vcpus = 2, isc = 3;
  auto* start = guest->add_subcommand(
      "start", "Start a guest with an mdev (returns once the device is open)");
  start->add_option("name", name)->required();
  start->add_option("--mdev", mdev, "The mdev's UUID")->required();
  start->add_option("--vcpus", vcpus)->capture_default_str();
  start->add_option("--cpu-model", cpu_model,
                    "AP features as QEMU's -cpu names them, each =on or =off "
                    "(default all on): ap,apqci,apft,apqi");
  start->callback([&req] {
    Json params = {{"name", name}, {"mdev", mdev}, {"vcpus", vcpus}};
    if (!cpu_model.empty()) params["cpu_model"] = cpu_model;
    req = Req("guest.start", params, RenderGuest);
  });
  auto* stop =
      guest->add_subcommand("stop", "Stop a guest (closes its device)");
  stop->add_option("name", name)->required();
  stop->callback([&req] { req = Req("guest.stop", {{"name", name}}); });
  guest->add_subcommand("list", "Running guests")->callback([&req] {
    req = Req("guest.list", Json::object(), RenderGuestList);
  });
  auto* show =
      guest->add_subcommand("show", "A guest's view: CRYCB masks, queues");
  show->add_option("name", name)->required();
  show->callback([&req] {
    req = Req("guest.show", {{"name", name}}, RenderGuest);
  });
  auto* pqap = guest->add_subcommand("pqap", "Issue PQAP from a vCPU");
  pqap->add_option("name", name)->required();
  pqap->add_option("op", op, "aqic-enable, aqic-disable, tapq or zapq")
      ->required()
      ->check(CLI::IsMember({"aqic-enable", "aqic-disable", "tapq", "zapq"}));
  pqap->add_option("apqn", apqn, "AA.DDDD in hex")->required();
  pqap->add_option("--isc", isc, "aqic-enable: guest ISC 0-7")
      ->capture_default_str();
  pqap->add_option("--nib", nib, "aqic-enable: NIB guest address")
      ->capture_default_str();
  pqap->callback([&req] {
    req = Req("guest.pqap",
              {{"name", name},
               {"op", op},
               {"apqn", apqn},
               {"isc", isc},
               {"nib", nib}},
              RenderPqap);
  });
  auto* reset = guest->add_subcommand(
      "reset", "Reboot: VFIO_DEVICE_RESET (system reset), then the guest's "
               "kernel boots again");
  reset->add_option("name", name)->required();
  reset->callback([&req] { req = Req("guest.reset", {{"name", name}}); });
  static std::string events_on;
  auto* migrate = guest->add_subcommand(
      "migrate",
      "Live-migrate a running guest into the vapd at SOCKET (the 2026 "
      "vfio-ap migration series): its mdev there (the same UUID unless "
      "--mdev) takes the guest's AP configuration");
  MigrateOptions& mo = MigrateOptionsOf();
  migrate->add_option("name", mo.name, "The guest")->required();
  migrate->add_option("--to", mo.to, "The destination vapd's socket")
      ->required();
  migrate->add_option("--mdev", mo.mdev,
                      "The destination's mdev (default: the same UUID)");
  migrate->callback([&req] {
    req = Request();
    req.migrate = true;
  });
  auto* events = guest->add_subcommand(
      "events", "Pause (off) or resume (on) the guest kernel's handling of "
                "AP configuration-change events");
  events->add_option("name", name)->required();
  events->add_option("state", events_on, "on or off")
      ->required()
      ->check(CLI::IsMember({"on", "off"}));
  events->callback([&req] {
    req = Req("guest.events", {{"name", name}, {"on", events_on == "on"}});
  });
}

void AddSysfs(CLI::App& app, Request& req) {
  CLI::App* sysfs = app.add_subcommand("sysfs", "Read and write the tree")
                        ->require_subcommand(1);
  static std::string path, value;
  auto* read = sysfs->add_subcommand("read", "Print an attribute");
  read->add_option("path", path, "e.g. bus/ap/apmask")->required();
  read->callback([&req] { req = Req("sysfs.read", {{"path", path}}, Value); });
  auto* write = sysfs->add_subcommand("write", "Store a value (as echo does)");
  write->add_option("path", path)->required();
  write->add_option("value", value)->required();
  write->callback([&req] {
    req = Req("sysfs.write", {{"path", path}, {"value", value + "\n"}});
  });
  auto* ls = sysfs->add_subcommand("ls", "List a directory");
  ls->add_option("path", path);
  ls->callback([&req] {
    req = Req("sysfs.list", {{"path", path}}, RenderList);
  });
}

}  // namespace

int Main(int argc, char** argv) {
  Globals g;
  Request req;
  CLI::App app{"vap: drive a running vapd (the s390 vfio_ap system).", "vap"};
  app.fallthrough();
  app.require_subcommand(1);
  app.add_option("--socket", g.socket, "vapd's JSON-RPC socket")
      ->type_name("PATH")
      ->capture_default_str();
  app.add_flag("--json", g.json, "Machine-readable output");
  app.add_option("--timeout", g.timeout,
                 "Give up when vapd does not answer within SECONDS (0: wait "
                 "for ever)")
      ->type_name("SECONDS")
      ->check(CLI::NonNegativeNumber)
      ->capture_default_str();
  AddHost(app, req);
  AddGuest(app, req);
  AddSysfs(app, req);
  static std::string uuid;
  auto* explain = app.add_subcommand(
      "explain", "Why an mdev's guest lacks assigned AP resources");
  explain->add_option("uuid", uuid)->required();
  explain->callback([&req] {
    req = Req("explain", {{"uuid", uuid}}, RenderExplain);
  });
  app.add_subcommand("log", "vapd's kernel log")->callback([&req] {
    req = Req("log.read", Json::object(), RenderLog);
  });
  app.add_subcommand("show", "The adapter x domain grid")->callback([&req] {
    req.grid = true;
  });
  auto* mon = app.add_subcommand(
      "monitor",
      "Print vapd's uevents as they happen, as `udevadm monitor --kernel` "
      "prints the kernel's");
  mon->add_flag("-p,--property", MonitorOptionsOf().property,
                "Also print each event's properties (KEY=VALUE)");
  mon->add_option("-s,--subsystem-match", MonitorOptionsOf().subsystem,
                  "Only events of this subsystem (ap, matrix, mdev, bus, "
                  "drivers)")
      ->type_name("SUBSYSTEM");
  mon->footer("Example: vap monitor --property --subsystem-match ap");
  mon->callback([&req] { req.monitor = true; });
  static SandboxOptions sandbox;
  auto* sb = app.add_subcommand(
      "sandbox",
      "Run CMD in a private mount namespace with vapd's mount as /sys and a "
      "private /etc/mdevctl.d (needs root), with SYSTEMD_DEVICE_VERIFY_SYSFS=0 "
      "so that libudev reads the tree; exits with CMD's status");
  sb->add_option("--mount", sandbox.mount,
                 "The tree to put at /sys (default: the running vapd's)")
      ->type_name("DIR");
  sb->add_option("--mdevctl-dir", sandbox.mdevctl_dir,
                 "Directory to put at /etc/mdevctl.d (default: a fresh "
                 "temporary one, removed afterwards)")
      ->type_name("DIR");
  sb->add_option("--guest", sandbox.guest,
                 "Put guest NAME's own /sys (its kernel's AP bus) at /sys "
                 "instead of the host's; with --uevents, its kernel's "
                 "uevents")
      ->type_name("NAME");
  sb->add_flag("--uevents", sandbox.uevents,
              "Also a private network namespace in which vapd's uevents "
              "arrive over netlink as the kernel's do (udevadm monitor "
              "--kernel, libudev)");
  sb->add_flag("--udev", sandbox.udev,
               "Also run systemd-udevd inside, with a private /run and /dev, "
               "after the coldplug a booting host runs (implies --uevents)");
  sb->add_option("--udev-rules", sandbox.udev_rules,
                 "With --udev: use only the rules in DIR (default: the "
                 "host's, without 80-drivers.rules)")
      ->type_name("DIR");
  sb->add_option("command", sandbox.command, "-- CMD [ARG...]")->required();
  sb->footer(
      "Examples: vap sandbox -- mdevctl types\n"
      "          vap sandbox --uevents -- udevadm monitor --kernel --property\n"
      "          vap sandbox --udev --udev-rules ./rules.d -- mdevctl list\n"
      "          vap sandbox --guest vm1 -- ls /sys/bus/ap/devices");
  sb->callback([&req] { req.sandbox = true; });
  app.add_subcommand("check", "Check the driver's invariants in vapd (docs/architecture.md)")
      ->callback([&req] {
        req = Req("system.check", Json::object(), [](const Json& r) {
          return fmt::format("invariants hold ({} mdevs, {} guests)\n",
                             r["mdevs"].get<int>(), r["guests"].get<int>());
        });
      });
  app.add_subcommand("info", "vapd's version, host, mount and socket")
      ->callback(
          [&req] { req = Req("system.info", Json::object(), RenderInfo); });
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    (void)app.exit(e);
    return 2;
  }
  if (req.sandbox) return Sandbox(g, sandbox);
  return Run(g, req);
}

}  // namespace vap::cli

int main(int argc, char** argv) { return vap::cli::Main(argc, argv); }
