// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <boost/program_options.hpp>

namespace vfiohooks::vfioctl {

// Where attach/detach change a domain, as virsh's flags mean it.
struct ChangeTarget {
  bool config = false;  // the persistent definition (GetXMLDesc(INACTIVE) → edit → DefineXML)
  bool live = false;    // the running guest (hotplug, through the library's bind/restore)
};

// Adds --config, --live, --current, --persistent.
void add_change_target_options(boost::program_options::options_description& options);

// --config: config; --live: live (Failure when the domain is not running); --persistent: config,
// plus live when running; --current (the default): live when running, else config. UsageError
// when more than one is given.
ChangeTarget change_target(const boost::program_options::variables_map& options, bool domain_active);

}  // namespace vfiohooks::vfioctl
