// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/change_target.h"

#include "tools/failure.h"

namespace vfiohooks::vfioctl {

void add_change_target_options(boost::program_options::options_description& options) {
  namespace po = boost::program_options;
  options.add_options()
      ("config", po::bool_switch(), "change the persistent definition (next start)")
      ("live", po::bool_switch(), "change the running guest (hotplug)")
      ("current", po::bool_switch(), "live if running, else config (the default)")
      ("persistent", po::bool_switch(), "config, and live too if running");
}

ChangeTarget change_target(const boost::program_options::variables_map& vm, bool active) {
  const bool config = vm["config"].as<bool>();
  const bool live = vm["live"].as<bool>();
  const bool persistent = vm["persistent"].as<bool>();
  const bool current = vm["current"].as<bool>();
  if (int(config) + int(live) + int(persistent) + int(current) > 1) {
    throw UsageError("give only one of --config, --live, --current, --persistent");
  }
  if (config) return {true, false};
  if (live) {
    if (!active) throw Failure("the domain is not running; use --config to change its definition");
    return {false, true};
  }
  if (persistent) return {true, active};
  return {!active, active};
}

}  // namespace vfiohooks::vfioctl
