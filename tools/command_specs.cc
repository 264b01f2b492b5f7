// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/command_spec.h"

#include <algorithm>

#include "tools/change_target.h"

namespace vfiohooks::vfioctl {

namespace {

void list_options(po::options_description& options) {
  options.add_options()("group", po::value<unsigned>()->value_name("N"), "only IOMMU group N");
}

void check_options(po::options_description& options) {
  options.add_options()("xml", po::value<std::string>()->value_name("FILE"),
                        "check this domain XML instead (- reads stdin); needs no libvirt");
}

void attach_options(po::options_description& options) {
  add_change_target_options(options);
  options.add_options()
      ("managed", po::bool_switch(), "managed='yes' (the default)")
      ("unmanaged", po::bool_switch(), "managed='no'")
      ("with-group", po::bool_switch(), "add every endpoint of each DEV's IOMMU group, as one multifunction guest slot")
      ("rom-file", po::value<std::string>()->value_name("FILE"), "<rom file=...> for the first DEV")
      ("boot-order", po::value<unsigned>()->value_name("N"), "<boot order=N> for the first DEV")
      ("force", po::bool_switch(),
       "attach even when the hook's checks refuse (--live still never binds a device the host depends on, "
       "another domain holds, or vfio-pci cannot take)")
      ("print-xml", po::bool_switch(), "print the domain XML libvirt holds afterwards (with --dry-run: what would be defined)");
}

void detach_options(po::options_description& options) {
  add_change_target_options(options);
  options.add_options()("print-xml", po::bool_switch(), "print the persistent XML libvirt holds afterwards");
}

void hostdev_xml_options(po::options_description& options) {
  options.add_options()
      ("managed", po::bool_switch(), "managed='yes' (the default): libvirt may bind it too")
      ("unmanaged", po::bool_switch(), "managed='no': the device must be on vfio-pci already");
}

void bind_options(po::options_description& options) {
  options.add_options()
      ("force", po::bool_switch(),
       "bind even when the group checks refuse (never a device the host depends on, another domain holds, or "
       "vfio-pci cannot take)")
      ("domain", po::value<std::string>()->default_value("vfioctl")->value_name("NAME"),
       "record the devices as held by NAME");
}

void restore_options(po::options_description& options) {
  options.add_options()("all", po::bool_switch(), "every device vfio-hooks holds, crash leftovers included");
}

}  // namespace

const std::vector<CommandSpec>& command_specs() {
  static const std::vector<CommandSpec> specs = {
      {"list",
       "list [--group N] [--json]",
       "PCI functions by IOMMU group, with driver, verdict and holder",
       "Lists every PCI function of the host by IOMMU group: address, vendor:device ids, driver,\n"
       "whether vfio-hooks would let a domain have it (yes, with-group: only together with the\n"
       "rest of its group, no: and why), and which domain's XML assigns it. On a remote or test:///\n"
       "URI the facts come from libvirt's node devices.",
       list_options,
       0,
       0},
      {"show",
       "show DEV [--json]",
       "one device in depth: group members, holder, verdict, what assigning it takes",
       "Shows DEV's ids, names, class and driver, how the kernel can reset it (its reset methods,\n"
       "and which other functions a bus reset would also reset), every member of its IOMMU group\n"
       "and whether it blocks the group, which domain holds it or assigns it, which hostdev networks\n"
       "may hand it out, the hook's findings for a domain asking for it, and what binding it would do.",
       nullptr,
       1,
       1},
      {"check",
       "check DOMAIN | --xml FILE",
       "what the hook would do at the domain's next start; exit 1 if it would refuse",
       "Runs the hook's own decision (the same config, records and plan) for DOMAIN's XML, or for\n"
       "a domain XML file, and prints the hook's exact finding lines without changing anything;\n"
       "for a GPU that carries the host console, what console = release hands over on this host.\n"
       "Exit 1 when the hook would refuse to start the domain. Run it before 'virsh start'.",
       check_options,
       0,
       1},
      {"attach",
       "attach DOMAIN DEV... [--config|--live|--current|--persistent] [--managed|--unmanaged]\n"
       "                       [--with-group] [--rom-file F] [--boot-order N] [--force] [--print-xml]",
       "add PCI hostdevs to a domain, checked the way the hook will check them",
       "Adds a <hostdev> for each DEV (with --with-group: for every endpoint of its IOMMU group,\n"
       "laid out as one multifunction guest slot, function 0 first) after checking the domain as\n"
       "the hook will at its next start; refuses, changing nothing, when the hook would refuse.\n"
       "--config edits the persistent definition (GetXMLDesc(INACTIVE), edit, DefineXML). --live\n"
       "hotplugs: vfioctl binds the devices first (no hook runs on hotplug), attaches them, and\n"
       "gives them back if the attach fails.",
       attach_options,
       2,
       kMany},
      {"detach",
       "detach DOMAIN DEV... [--config|--live|--current|--persistent] [--print-xml]",
       "remove PCI hostdevs from a domain; a live detach gives them back to their drivers",
       "Removes the <hostdev> (or <interface type='hostdev'>) assigning each DEV. --config edits\n"
       "the persistent definition. --live hot-unplugs, waits until libvirt reports the device\n"
       "gone from the running guest, then restores the driver vfio-hooks recorded for it.",
       detach_options,
       2,
       kMany},
      {"hostdev-xml",
       "hostdev-xml DEV... [--managed|--unmanaged]",
       "print <hostdev> XML for virsh attach-device",
       "Prints one <hostdev mode='subsystem' type='pci'> element per DEV, in libvirt's layout\n"
       "(0x hex numbers, <driver name='vfio'/>), for 'virsh attach-device DOMAIN FILE'.",
       hostdev_xml_options,
       1,
       kMany},
      {"bind",
       "bind DEV... [--force] [--domain NAME] [--dry-run]",
       "bind devices to vfio-pci by hand, recorded like the hook's",
       "Binds each DEV to vfio-pci on this machine after the hook's own checks (group viability,\n"
       "host-critical use, holders; companions per the config), under the state lock, all or\n"
       "nothing, and records the original driver and driver_override so that 'vfioctl restore'\n"
       "gives each back exactly. Never uses new_id. Refused on remote and test:/// URIs.",
       bind_options,
       1,
       kMany},
      {"restore",
       "restore DEV... | --all [--dry-run]",
       "give devices back to the driver they had before vfio-hooks took them",
       "Restores each DEV (or, with --all, every device vfio-hooks has a record of, including\n"
       "half-done binds left by a crash) to its recorded original driver and driver_override,\n"
       "under the state lock, and deletes the record. Then gives back the host console handed\n"
       "over with each GPU (console = release): fbcon, firmware framebuffers, stop_units, each\n"
       "verified. Does not stop at the first failure; what fails keeps its record. Refused on\n"
       "remote and test:/// URIs.",
       restore_options,
       0,
       kMany},
      {"status",
       "status [--json]",
       "the devices vfio-hooks holds (domain, original driver, phase, since) and the consoles it released",
       "Shows vfio-hooks' records on this machine (/run/vfio-hooks): each device taken from the\n"
       "host, the domain holding it, the driver and driver_override it goes back to, the phase\n"
       "(intent: a bind that did not finish; bound) and since when. A device whose unbind (or\n"
       "other write) is still blocked in the kernel is named below the table with the writer's\n"
       "pid: the kernel holds its lock until that write is over. Then each host console handed\n"
       "over with a GPU (console = release) and what was released: fbcon, firmware framebuffers,\n"
       "units. Unreadable records are listed and make the exit status 1.",
       nullptr,
       0,
       0},
      {"doctor",
       "doctor [--json]",
       "is this machine ready: IOMMU, interrupt remapping, vfio-pci, hook, engine, daemon, config, resets",
       "Checks this machine, one line each with a fix: the IOMMU is on, interrupt remapping works,\n"
       "vfio-pci is available, the hook is installed and executable in /etc/libvirt/hooks/qemu.d/,\n"
       "its engine (vfio-hooks-engine) is beside the front the hook links to, libvirtd (or\n"
       "virtqemud) was started, or reloaded by the package, after the hook was installed (libvirt\n"
       "looks for hooks at daemon start and reload), the config file is valid, and no record is\n"
       "unfinished or unreadable. It also lists the\n"
       "assignable devices that a VM could not reset (a warning: the exit status stays 0).",
       nullptr,
       0,
       0},
  };
  return specs;
}

const CommandSpec* find_command_spec(std::string_view name) {
  const auto& specs = command_specs();
  auto it = std::find_if(specs.begin(), specs.end(), [&](const CommandSpec& c) { return c.name == name; });
  return it == specs.end() ? nullptr : &*it;
}

}  // namespace vfiohooks::vfioctl
