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

int run_restore(Context& ctx, const po::variables_map& vm, const Operands& operands) {
  const bool all = vm["all"].as<bool>();
  if (all == !operands.empty()) throw UsageError("give DEV... or --all, not both or neither");
  require_local_host(ctx, "restore");
  auto addresses = resolve_devices(ctx.paths, operands, MustExist::no);
  if (!addresses) throw Failure(addresses.error().message);

  BindingSession session(ctx, ctx.options.dry_run);
  const auto contents = session.records();
  for (const auto& corrupt : contents.corrupt) {
    note(ctx, "unreadable record " + corrupt.file.string() + " (" + corrupt.reason + "): restore that device by hand");
  }
  std::vector<Record> records;
  for (const auto& address : *addresses) {
    auto it = std::find_if(contents.records.begin(), contents.records.end(),
                           [&](const Record& r) { return r.address == address; });
    if (it == contents.records.end()) throw Failure(address.str() + " is not held by vfio-hooks (vfioctl status)");
    records.push_back(*it);
  }
  if (all) records = contents.records;

  std::vector<Finding> failures;
  if (!ctx.options.dry_run) failures = session.restore(records);
  if (ctx.options.json) {
    Json devices = Json::array();
    for (const auto& record : records) devices.push_back(record_json(record));
    print_json(ctx.out, Json{{"dry_run", ctx.options.dry_run}, {"devices", devices}, {"failures", findings_json(failures)}});
    return failures.empty() ? 0 : 1;
  }
  print_findings(ctx.out, failures);
  for (const auto& record : records) {
    const bool failed = std::any_of(failures.begin(), failures.end(),
                                    [&](const Finding& f) { return f.subject == record.address.str(); });
    if (failed) continue;
    if (ctx.options.dry_run) {
      ctx.out << "would restore " << record.address.str() << " (held by " << record.domain << ", "
              << to_string(record.phase) << ") to " << target_text(record) << '\n';
    } else if (!ctx.options.quiet) {
      ctx.out << "restored " << record.address.str() << " to " << target_text(record) << '\n';
    }
  }
  if (records.empty() && !ctx.options.quiet) ctx.out << "vfio-hooks holds no device\n";
  return failures.empty() ? 0 : 1;
}

void restore_options(po::options_description& options) {
  options.add_options()("all", po::bool_switch(), "every device vfio-hooks holds, crash leftovers included");
}

}  // namespace

Command restore_command() {
  return {"restore",
          "restore DEV... | --all [--dry-run]",
          "give devices back to the driver they had before vfio-hooks took them",
          "Restores each DEV (or, with --all, every device vfio-hooks has a record of, including\n"
          "half-done binds left by a crash) to its recorded original driver and driver_override,\n"
          "under the state lock, and deletes the record. Does not stop at the first failure; a\n"
          "device that fails keeps its record. Refused on remote and test:/// URIs.",
          restore_options,
          0,
          kMany,
          run_restore};
}

}  // namespace vfiohooks::vfioctl
