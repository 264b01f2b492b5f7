// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/cli.h"

#include <iostream>
#include <sstream>

#include "tools/command_table.h"
#include "tools/failure.h"

namespace vfiohooks::vfioctl {

namespace {

constexpr std::string_view kAbout =
    "Assign host PCI devices to libvirt domains through VFIO, with the same checks the vfio-hooks\n"
    "hook makes when a domain starts.";

constexpr std::string_view kDevForms =
    "DEV is 0000:03:00.0, 03:00.0, pci_0000_03_00_0, or vendor:device (10de:1b80) when only one\n"
    "device has those ids.";

constexpr std::string_view kExitCodes = "Exit status: 0 ok, 1 findings or failure, 2 usage error.";

// The options every command accepts, before or after its name.
po::options_description global_options() {
  po::options_description options("Global options", 100, 50);
  options.add_options()
      ("connect,c", po::value<std::string>()->value_name("URI"),
       "libvirt URI (default: $LIBVIRT_DEFAULT_URI, else qemu:///system)")
      ("json", po::bool_switch(), "print JSON (stable shape, see docs/VFIOCTL.md)")
      ("dry-run", po::bool_switch(), "say what would change, change nothing")
      ("quiet,q", po::bool_switch(), "print only results and errors")
      ("verbose,v", po::bool_switch(), "say more about each step")
      ("help,h", po::bool_switch(), "show help")
      ("version", po::bool_switch(), "show the version");
  return options;
}

// Test seam, not in the help: the host root every path derives from (a fake host in tests).
po::options_description hidden_options() {
  po::options_description options;
  options.add_options()("root", po::value<std::string>()->value_name("DIR"));
  return options;
}

po::options_description command_options(const Command& command) {
  po::options_description options(std::string(command.name) + " options", 100, 50);
  if (command.add_options != nullptr) command.add_options(options);
  return options;
}

void print_general_help(std::ostream& out) {
  out << "usage: vfioctl [OPTIONS] COMMAND [ARGS...]\n\n" << kAbout << "\n\nCommands:\n";
  std::size_t width = 0;
  for (const auto& command : command_table()) width = std::max(width, command.name.size());
  for (const auto& command : command_table()) {
    out << "  " << command.name << std::string(width - command.name.size() + 2, ' ') << command.summary << '\n';
  }
  out << "  help" << std::string(width - 4 + 2, ' ') << "show a command's synopsis and options\n\n"
      << global_options() << '\n'
      << kDevForms << "\nRun 'vfioctl help COMMAND' for a command's options. " << kExitCodes << '\n';
}

void print_command_help(std::ostream& out, const Command& command) {
  out << "usage: vfioctl [OPTIONS] " << command.synopsis << "\n\n" << command.description << "\n\n";
  if (command.add_options != nullptr) out << command_options(command) << '\n';
  out << global_options() << '\n' << kDevForms << '\n' << kExitCodes << '\n';
}

bool takes_value(const std::string& token) { return token == "-c" || token == "--connect" || token == "--root"; }

// The index of the command name: the first token that is neither an option nor an option's value.
std::size_t command_index(const std::vector<std::string>& args) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--") return i + 1;
    if (!args[i].starts_with("-") || args[i] == "-") return i;
    if (takes_value(args[i])) ++i;
  }
  return args.size();
}

void apply_globals(Context& ctx, const po::variables_map& vm) {
  auto& options = ctx.options;
  options.json = vm["json"].as<bool>();
  options.dry_run = vm["dry-run"].as<bool>();
  options.quiet = vm["quiet"].as<bool>();
  options.verbose = vm["verbose"].as<bool>();
  if (options.quiet && options.verbose) throw UsageError("--quiet and --verbose contradict each other");
  if (vm.count("connect")) {
    options.uri = vm["connect"].as<std::string>();
    options.uri_given = true;
  } else {
    options.uri = ctx.default_uri;
    options.uri_given = ctx.default_uri_from_env;
  }
  if (options.uri.empty()) throw UsageError("--connect needs a URI");
  if (vm.count("root")) {
    const std::string root = vm["root"].as<std::string>();
    if (root.empty()) throw UsageError("--root needs a directory");
    ctx.paths = HostPaths(root);
    options.root_given = true;
  }
}

int dispatch(Context& ctx, const std::vector<std::string>& args, std::string& hint) {
  const std::size_t at = command_index(args);
  po::options_description known;
  known.add(global_options()).add(hidden_options());
  po::variables_map vm;
  const std::vector<std::string> before(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(at));
  po::store(po::command_line_parser(before).options(known).run(), vm);

  if (at >= args.size()) {
    po::notify(vm);
    if (vm["version"].as<bool>()) {
      ctx.out << "vfioctl (vfio-hooks) " << VFIO_HOOKS_VERSION << '\n';
      return 0;
    }
    if (vm["help"].as<bool>()) {
      print_general_help(ctx.out);
      return 0;
    }
    throw UsageError("no command given");
  }

  std::string name = args[at];
  std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(at) + 1, args.end());
  if (name == "help") {
    if (rest.empty()) {
      print_general_help(ctx.out);
      return 0;
    }
    const Command* command = find_command(rest.front());
    if (command == nullptr || rest.size() > 1) throw UsageError("help takes one command name: " + rest.front());
    print_command_help(ctx.out, *command);
    return 0;
  }
  const Command* command = find_command(name);
  if (command == nullptr) throw UsageError("unknown command '" + name + "'");
  hint = "vfioctl help " + std::string(command->name);

  po::options_description all;
  all.add(command_options(*command)).add(global_options()).add(hidden_options());
  all.add_options()("operand", po::value<std::vector<std::string>>()->composing());
  po::positional_options_description positional;
  positional.add("operand", -1);
  po::store(po::command_line_parser(rest).options(all).positional(positional).run(), vm);
  if (vm["help"].as<bool>()) {
    print_command_help(ctx.out, *command);
    return 0;
  }
  if (vm["version"].as<bool>()) throw UsageError("--version goes before the command");
  po::notify(vm);
  apply_globals(ctx, vm);

  const Operands operands = vm.count("operand") ? vm["operand"].as<std::vector<std::string>>() : Operands{};
  if (operands.size() < command->min_operands) throw UsageError(std::string(command->synopsis) + ": missing argument");
  if (operands.size() > command->max_operands) {
    throw UsageError("unexpected argument '" + operands[command->max_operands] + "'");
  }
  return command->run(ctx, vm, operands);
}

}  // namespace

int run_vfioctl(Context& ctx, const std::vector<std::string>& args) {
  std::string hint = "vfioctl --help";
  try {
    return dispatch(ctx, args, hint);
  } catch (const po::error& error) {
    ctx.err << "vfioctl: " << error.what() << " (see '" << hint << "')\n";
    return 2;
  } catch (const UsageError& error) {
    ctx.err << "vfioctl: " << error.what() << " (see '" << hint << "')\n";
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
