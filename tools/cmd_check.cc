// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl check: what the hook would decide for a domain's next start, with its exact lines.
#include <algorithm>
#include <iterator>

#include "plugin/base/sysfs_reader.h"
#include "plugin/plan/planner.h"
#include "tools/command_support.h"
#include "tools/commands.h"
#include "tools/domain_devices.h"
#include "tools/echoed.h"
#include "tools/failure.h"
#include "tools/network_lookup.h"
#include "tools/output.h"
#include "xml/prepare_input.h"

namespace vfiohooks::vfioctl {

namespace {

std::string read_xml_file(Context& ctx, const std::string& file) {
  if (file == "-") return std::string(std::istreambuf_iterator<char>(ctx.in), {});
  auto text = read_file(file);
  if (!text) throw Failure("cannot read " + echoed(file));
  return std::move(*text);
}

// What a domain XML file that does not parse is called: it has no domain name to give.
std::string file_name(const std::string& file) { return file == "-" ? "standard input" : echoed(file); }

struct CheckResult {
  std::string domain;
  std::vector<Finding> findings;
  std::vector<PlannedDevice> to_bind;
  std::vector<ConsoleHandover> consoles;       // handed over before the bind (console = release)
  std::vector<ConsoleHandover> with_release;   // what console = release would hand over, when the console refuses
  std::vector<std::string> after_handover;     // holders that must let go once the console is handed over
  std::string note;  // why the hook would do nothing, when it would
};

Json consoles_json(const std::vector<ConsoleHandover>& consoles) {
  Json list = Json::array();
  for (const auto& handover : consoles) {
    Json vtconsoles = Json::array(), framebuffers = Json::array();
    for (const auto& vt : handover.console.vtconsoles) vtconsoles.push_back(vt.node);
    for (const auto& fb : handover.console.framebuffers) {
      framebuffers.push_back(Json{{"device", fb.device}, {"driver", fb.driver}});
    }
    list.push_back(Json{{"gpu", handover.console.gpu.str()},
                        {"steps", handover.describe()},
                        {"vtconsoles", vtconsoles},
                        {"framebuffers", framebuffers},
                        {"stop_units", handover.units}});
  }
  return list;
}

void print_consoles(std::ostream& out, const std::string& lead, const std::vector<ConsoleHandover>& consoles) {
  for (const auto& handover : consoles) {
    out << lead << " the host console on " << handover.console.gpu.str() << ": " << handover.describe() << '\n';
  }
}

int report(Context& ctx, const CheckResult& verdict, const HostFacts* facts) {
  const bool refused = has_errors(verdict.findings);
  if (ctx.options.json) {
    Json bind = Json::array();
    for (const auto& planned : verdict.to_bind) {
      bind.push_back(Json{{"device", planned.device.address.str()},
                          {"driver", planned.device.driver.empty() ? Json(nullptr) : Json(planned.device.driver)},
                          {"companion", planned.companion}});
    }
    print_json(ctx.out, Json{{"domain", verdict.domain},
                             {"refused", refused},
                             {"findings", findings_json(verdict.findings)},
                             {"to_bind", bind},
                             {"consoles", consoles_json(verdict.consoles)},
                             {"with_console_release", consoles_json(verdict.with_release)},
                             {"after_handover", verdict.after_handover},
                             {"note", verdict.note},
                             {"facts", facts ? Json(facts->source()) : Json(nullptr)},
                             {"unchecked", facts ? Json(facts->unchecked()) : Json::array()}});
    return refused ? 1 : 0;
  }
  print_findings(ctx.out, verdict.findings);
  if (!ctx.options.quiet) {
    if (refused) {
      ctx.out << "domain " << verdict.domain << ": the hook would refuse to start it\n";
      print_consoles(ctx.out, "with console = release it would hand over", verdict.with_release);
    } else if (!verdict.note.empty()) {
      ctx.out << "domain " << verdict.domain << ": " << verdict.note << '\n';
    } else if (verdict.to_bind.empty()) {
      ctx.out << "domain " << verdict.domain
              << ": the hook would let it start and bind nothing (libvirt binds what a hostdev network hands out, "
                 "and a managed NVMe disk, itself)\n";
    } else {
      print_consoles(ctx.out, "domain " + verdict.domain + ": the hook would first hand over", verdict.consoles);
      if (!verdict.after_handover.empty()) {
        ctx.out << "domain " << verdict.domain
                << ": then each of these must have let go, or it gives the console back and refuses:\n";
        for (const auto& holder : verdict.after_handover) ctx.out << "  " << holder << '\n';
      }
      ctx.out << "domain " << verdict.domain << ": the hook would bind";
      for (const auto& planned : verdict.to_bind) {
        ctx.out << ' ' << planned.device.address.str() << (planned.companion ? " (companion)" : "");
      }
      ctx.out << " to vfio-pci\n";
    }
  }
  if (facts) note_unchecked(ctx, *facts);
  return refused ? 1 : 0;
}

}  // namespace

// The hook's prepare, step by step (hooks/hook_runner.cc), without the lock and the binding.
int run_check(Context& ctx, const po::variables_map& vm, const Operands& operands) {
  const bool from_file = vm.count("xml") != 0;
  if (from_file == !operands.empty()) throw UsageError("give a DOMAIN or --xml FILE, not both or neither");

  std::string name;
  std::string xml;
  if (from_file) {
    xml = read_xml_file(ctx, vm["xml"].as<std::string>());
  } else {
    const Connection connection = connect_or_fail(ctx, Access::read_only);
    auto domain = read_domain(connection, operands.front());
    if (!domain) throw Failure(domain.error().message);
    name = domain->name;
    xml = std::move(domain->xml);
  }

  CheckResult verdict;
  verdict.domain = name.empty() ? "(unreadable)" : name;
  // Config only for the local host; a remote host's config is not ours to read.
  std::optional<HostFacts> facts;
  const auto config_file = [&]() -> std::optional<std::filesystem::path> {
    facts.emplace(facts_or_fail(ctx));
    if (facts->is_local()) return ctx.paths.config_file();
    return std::nullopt;
  };
  NetworkLookup networks(ctx);
  auto read = read_prepare_input(name, xml, networks, config_file);
  if (!read && from_file && read.error().code == "domain-xml") {
    const std::string file = file_name(vm["xml"].as<std::string>());
    verdict.domain = "in " + file;
    verdict.findings.push_back(Finding{Severity::error, file, read.error().problem, "correct the domain XML in " + file, "domain-xml"});
    return report(ctx, verdict, facts ? &*facts : nullptr);
  }
  if (!read) {
    verdict.findings.push_back(read.error());
    return report(ctx, verdict, facts ? &*facts : nullptr);
  }
  PrepareInput& input = *read;
  verdict.domain = input.request.name;
  if (input.skip == PrepareInput::Skip::no_pci_hostdev) {
    verdict.note = "assigns no PCI device; the hook does nothing";
    return report(ctx, verdict, nullptr);
  }
  if (input.skip == PrepareInput::Skip::mode_off) {
    verdict.note = "policy mode is off; the hook does nothing";
    return report(ctx, verdict, &*facts);
  }
  const Policy& policy = input.policy;
  const auto records = facts->records();
  for (const auto& corrupt : records.corrupt) {
    note(ctx, "ignoring unreadable record " + corrupt.file.string() + ": " + corrupt.reason);
  }
  HostSnapshot host = facts->snapshot();
  Plan plan = make_plan(host, input.request, policy, records.records);
  const bool console_refuses = std::any_of(plan.findings.begin(), plan.findings.end(),
                                           [](const Finding& f) { return f.code == "host-console"; });
  if (console_refuses && policy.mode == Mode::bind) {
    Policy release = policy;
    release.console = Console::release;
    verdict.with_release = make_plan(host, input.request, release, records.records).consoles;
  }
  verdict.findings = std::move(plan.findings);
  verdict.to_bind = std::move(plan.to_bind);
  if (!has_errors(verdict.findings)) {
    verdict.consoles = std::move(plan.consoles);
    verdict.after_handover = std::move(plan.after_handover);
  }
  if (policy.mode == Mode::validate && !has_errors(verdict.findings)) {
    verdict.note = "passes; policy mode is validate, so libvirt binds the devices itself";
  }
  return report(ctx, verdict, &*facts);
}

}  // namespace vfiohooks::vfioctl
