// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/command_line.h"

#include "tools/echoed.h"
#include "tools/failure.h"
#include "tools/option_errors.h"

namespace vfiohooks::vfioctl {

namespace {

// Test seam, not in the help: the host root every path derives from (a fake host in tests).
po::options_description hidden_options() {
  po::options_description options;
  options.add_options()("root", po::value<std::string>()->value_name("DIR"));
  return options;
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

// The global options' own rules, which need nothing but the command line.
void check_globals(const po::variables_map& vm) {
  if (vm["quiet"].as<bool>() && vm["verbose"].as<bool>()) throw UsageError("--quiet and --verbose contradict each other");
  if (vm.count("connect") && vm["connect"].as<std::string>().empty()) throw UsageError("--connect needs a URI");
  if (vm.count("root") && vm["root"].as<std::string>().empty()) throw UsageError("--root needs a directory");
}

CommandLine parse(const std::vector<std::string>& args, std::string& hint) {
  CommandLine line;
  po::variables_map& vm = line.options;
  const std::size_t at = command_index(args);
  po::options_description known;
  known.add(global_options()).add(hidden_options());
  const std::vector<std::string> before(args.begin(), args.begin() + static_cast<std::ptrdiff_t>(at));
  po::store(po::command_line_parser(before).options(known).run(), vm);

  if (at >= args.size()) {
    po::notify(vm);
    if (vm["version"].as<bool>()) {
      line.action = CommandLine::Action::version;
    } else if (vm["help"].as<bool>()) {
      line.action = CommandLine::Action::general_help;
    } else {
      throw UsageError("no command given");
    }
    return line;
  }

  const std::string& name = args[at];
  const std::vector<std::string> rest(args.begin() + static_cast<std::ptrdiff_t>(at) + 1, args.end());
  if (name == "help") {
    if (rest.empty()) {
      line.action = CommandLine::Action::general_help;
      return line;
    }
    line.command = find_command_spec(rest.front());
    if (line.command == nullptr || rest.size() > 1) throw UsageError("help takes one command name: " + echoed(rest.front()));
    line.action = CommandLine::Action::command_help;
    return line;
  }
  line.command = find_command_spec(name);
  if (line.command == nullptr) throw UsageError("unknown command '" + echoed(name) + "'");
  const CommandSpec& command = *line.command;
  hint = "vfioctl help " + std::string(command.name);

  po::options_description all;
  all.add(command_options(command)).add(global_options()).add(hidden_options());
  all.add_options()("operand", po::value<std::vector<std::string>>()->composing());
  po::positional_options_description positional;
  positional.add("operand", -1);
  po::store(po::command_line_parser(rest).options(all).positional(positional).run(), vm);
  if (vm["help"].as<bool>()) {
    line.action = CommandLine::Action::command_help;
    return line;
  }
  if (vm["version"].as<bool>()) throw UsageError("--version goes before the command");
  po::notify(vm);
  check_globals(vm);

  if (vm.count("operand")) line.operands = vm["operand"].as<Operands>();
  if (line.operands.size() < command.min_operands) {
    const std::string_view synopsis = command.synopsis.substr(0, command.synopsis.find('\n'));  // attach's has two lines
    throw UsageError(std::string(synopsis) + ": missing argument");
  }
  if (line.operands.size() > command.max_operands) {
    throw UsageError("unexpected argument '" + echoed(line.operands[command.max_operands]) + "'");
  }
  return line;
}

}  // namespace

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

po::options_description command_options(const CommandSpec& command) {
  po::options_description options(std::string(command.name) + " options", 100, 50);
  if (command.add_options != nullptr) command.add_options(options);
  return options;
}

CommandLine parse_command_line(const std::vector<std::string>& args, std::string& hint) {
  hint = "vfioctl --help";
  try {
    return parse(args, hint);
  } catch (const po::error& error) {
    throw UsageError(option_error_text(error));
  }
}

}  // namespace vfiohooks::vfioctl
