// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/cli.h"

#include <algorithm>
#include <ostream>
#include <stdexcept>

#include "tools/command_line.h"
#include "tools/command_table.h"
#include "tools/failure.h"
#include "tools/option_errors.h"

namespace vfiohooks::vfioctl {

namespace {

constexpr std::string_view kAbout =
    "Assign host PCI devices to libvirt domains through VFIO, with the same checks the vfio-hooks\n"
    "hook makes when a domain starts.";

constexpr std::string_view kDevForms =
    "DEV is 0000:03:00.0, 03:00.0, pci_0000_03_00_0, or vendor:device (10de:1b80) when only one\n"
    "device has those ids.";

constexpr std::string_view kExitCodes = "Exit status: 0 ok, 1 findings or failure, 2 usage error.";

void print_general_help(std::ostream& out) {
  out << "usage: vfioctl [OPTIONS] COMMAND [ARGS...]\n\n" << kAbout << "\n\nCommands:\n";
  std::size_t width = 0;
  for (const auto& command : command_specs()) width = std::max(width, command.name.size());
  for (const auto& command : command_specs()) {
    out << "  " << command.name << std::string(width - command.name.size() + 2, ' ') << command.summary << '\n';
  }
  out << "  help" << std::string(width - 4 + 2, ' ') << "show a command's synopsis and options\n\n"
      << global_options() << '\n'
      << kDevForms << "\nRun 'vfioctl help COMMAND' for a command's options. " << kExitCodes << '\n';
}

void print_command_help(std::ostream& out, const CommandSpec& command) {
  out << "usage: vfioctl [OPTIONS] " << command.synopsis << "\n\n" << command.description << "\n\n";
  if (command.add_options != nullptr) out << command_options(command) << '\n';
  out << global_options() << '\n' << kDevForms << '\n' << kExitCodes << '\n';
}

// The global options into `ctx` (parse_command_line has checked them).
void apply_globals(Context& ctx, const po::variables_map& vm) {
  auto& options = ctx.options;
  options.json = vm["json"].as<bool>();
  options.dry_run = vm["dry-run"].as<bool>();
  options.quiet = vm["quiet"].as<bool>();
  options.verbose = vm["verbose"].as<bool>();
  if (vm.count("connect")) {
    options.uri = vm["connect"].as<std::string>();
    options.uri_given = true;
  } else {
    options.uri = ctx.default_uri;
    options.uri_given = ctx.default_uri_from_env;
  }
  if (vm.count("root")) {
    ctx.paths = HostPaths(vm["root"].as<std::string>());
    options.root_given = true;
  }
}

int dispatch(Context& ctx, const std::vector<std::string>& args, std::string& hint) {
  const CommandLine line = parse_command_line(args, hint);
  switch (line.action) {
    case CommandLine::Action::version:
      ctx.out << "vfioctl (vfio-hooks) " << VFIO_HOOKS_VERSION << '\n';
      return 0;
    case CommandLine::Action::general_help:
      print_general_help(ctx.out);
      return 0;
    case CommandLine::Action::command_help:
      print_command_help(ctx.out, *line.command);
      return 0;
    case CommandLine::Action::run:
      break;
  }
  apply_globals(ctx, line.options);
  const CommandRun run = find_command_run(line.command->name);
  if (run == nullptr) throw std::logic_error("no code for command " + std::string(line.command->name));
  return run(ctx, line.options, line.operands);
}

}  // namespace

int run_vfioctl(Context& ctx, const std::vector<std::string>& args) {
  std::string hint = "vfioctl --help";
  try {
    return dispatch(ctx, args, hint);
  } catch (const UsageError& error) {
    ctx.err << "vfioctl: " << error.what() << " (see '" << hint << "')\n";
    return 2;
  } catch (const po::error& error) {  // a command's own use of Boost: never its what() (option_errors.h)
    ctx.err << "vfioctl: " << option_error_text(error) << " (see '" << hint << "')\n";
    return 2;
  } catch (const Failure& error) {
    ctx.err << "vfioctl: " << error.what() << '\n';
    return 1;
  } catch (const std::exception& error) {
    ctx.err << "vfioctl: internal error: " << error.what() << '\n';
    return 1;
  }
}

}  // namespace vfiohooks::vfioctl
