// SPDX-License-Identifier: LGPL-2.1-or-later
// vfioctl restore: gives devices back to the drivers vfio-hooks recorded.
#include <algorithm>

#include "tools/binding_session.h"
#include "tools/command_support.h"
#include "tools/commands.h"
#include "tools/device_resolver.h"
#include "tools/failure.h"
#include "tools/output.h"

namespace vfiohooks::vfioctl {

namespace {

std::string target_text(const Record& record) {
  std::string text = record.original_driver.empty() ? "no driver" : record.original_driver;
  if (!record.original_override.empty()) text += ", driver_override " + record.original_override;
  return text;
}

std::string steps_text(const ConsoleRecord& console) {
  const std::string text = console.describe_steps();
  return text.empty() ? "nothing left to rebind" : text;
}

}  // namespace

int run_restore(Context& ctx, const po::variables_map& vm, const Operands& operands) {
  const bool all = vm["all"].as<bool>();
  if (all == !operands.empty()) throw UsageError("give DEV... or --all, not both or neither");
  require_local_host(ctx, "restore");
  auto addresses = resolve_devices(ctx.paths, operands, MustExist::no);
  if (!addresses) throw Failure(addresses.error().message);

  BindingSession session(ctx, ctx.options.dry_run);
  const auto contents = session.records();
  const auto console_contents = session.consoles();
  for (const auto& corrupt : contents.corrupt) {
    note(ctx, "unreadable record " + corrupt.file.string() + " (" + corrupt.reason + "): restore that device by hand");
  }
  for (const auto& corrupt : console_contents.corrupt) {
    note(ctx, "unreadable console record " + corrupt.file.string() + " (" + corrupt.reason +
                  "): rebind the console by hand (docs/GUIDE.md, \"One GPU\")");
  }
  std::vector<Record> records;
  // A GPU whose console was handed over but whose bind never finished has a console record only.
  std::vector<ConsoleRecord> consoles;
  for (const auto& address : *addresses) {
    auto it = std::find_if(contents.records.begin(), contents.records.end(),
                           [&](const Record& r) { return r.address == address; });
    auto console = std::find_if(console_contents.records.begin(), console_contents.records.end(),
                                [&](const ConsoleRecord& c) { return c.gpu == address; });
    if (it == contents.records.end() && console == console_contents.records.end()) {
      throw Failure(address.str() + " is not held by vfio-hooks (vfioctl status)");
    }
    if (it != contents.records.end()) records.push_back(*it);
    if (console != console_contents.records.end()) consoles.push_back(*console);
  }
  if (all) {
    records = contents.records;
    consoles = console_contents.records;
  }

  std::vector<Finding> failures;
  if (!ctx.options.dry_run) failures = session.restore(records, consoles);
  const auto failed = [&](const PciAddress& address) {
    return std::any_of(failures.begin(), failures.end(), [&](const Finding& f) { return f.subject == address.str(); });
  };
  if (ctx.options.json) {
    Json devices = Json::array();
    for (const auto& record : records) devices.push_back(record_json(record));
    Json released = Json::array();
    for (const auto& console : consoles) released.push_back(console_json(console));
    print_json(ctx.out, Json{{"dry_run", ctx.options.dry_run},
                             {"devices", devices},
                             {"consoles", released},
                             {"failures", findings_json(failures)}});
    return failures.empty() ? 0 : 1;
  }
  print_findings(ctx.out, failures);
  for (const auto& record : records) {
    if (failed(record.address)) continue;
    if (ctx.options.dry_run) {
      ctx.out << "would restore " << record.address.str() << " (held by " << record.domain << ", "
              << to_string(record.phase) << ") to " << target_text(record) << '\n';
    } else if (!ctx.options.quiet) {
      ctx.out << "restored " << record.address.str() << " to " << target_text(record) << '\n';
    }
  }
  for (const auto& console : consoles) {
    if (failed(console.gpu)) continue;
    if (ctx.options.dry_run) {
      ctx.out << "would give back the host console on " << console.gpu.str() << " (" << steps_text(console) << ")\n";
    } else if (!ctx.options.quiet) {
      ctx.out << "gave back the host console on " << console.gpu.str() << " (" << steps_text(console) << ")\n";
    }
  }
  if (records.empty() && consoles.empty() && !ctx.options.quiet) ctx.out << "vfio-hooks holds no device\n";
  return failures.empty() ? 0 : 1;
}

}  // namespace vfiohooks::vfioctl
