// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/pci_names.h"

extern "C" {
#include <pci/pci.h>
}

#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <tuple>

namespace vfiohooks::vfioctl {

namespace {

void ignore(char*, ...) {}

// libpci's error callback must not return. Name lookups only warn (a missing pci.ids gives numbers),
// so this is not expected to run; if it does, say so on one line. PCI_NONRET, libpci's own spelling:
// for clang the GNU attribute is part of the function's type, which the callback's pointer has.
PCI_NONRET void die(char* format, ...) {
  std::fputs("vfioctl: libpci: ", stderr);
  va_list args;
  va_start(args, format);
  std::vfprintf(stderr, format, args);
  va_end(args);
  std::fputc('\n', stderr);
  std::exit(1);
}

std::string lookup(pci_access* access, int flags, unsigned a, unsigned b) {
  char buffer[256];
  const char* name =
      pci_lookup_name(access, buffer, sizeof buffer, flags | PCI_LOOKUP_NO_NUMBERS, static_cast<int>(a), static_cast<int>(b));
  return name != nullptr ? name : "";
}

}  // namespace

struct PciNames::Access {
  pci_access* raw = nullptr;
  // Each name looked up once: an SR-IOV host lists thousands of functions with the same ids.
  std::map<std::tuple<int, unsigned, unsigned>, std::string> known;

  std::string name(int flags, unsigned a, unsigned b) {
    auto found = known.find({flags, a, b});
    if (found == known.end()) found = known.emplace(std::tuple{flags, a, b}, lookup(raw, flags, a, b)).first;
    return found->second;
  }
};

PciNames::PciNames() : access_(std::make_unique<Access>()) {
  // No pci_init() or pci_scan_bus(): its sysfs access reads every function's config space, which
  // wakes a runtime-suspended one or its bridge (FACTS). Name lookups need only the id database.
  access_->raw = pci_alloc();
  access_->raw->warning = ignore;
  access_->raw->debug = ignore;
  access_->raw->error = die;
  // pci.ids only: libpci 3.9 calls udev_new() again on every lookup when udev's hwdb.bin is missing
  // (systemd-hwdb not run), leaking one udev context per name; pci.ids is what the hwdb is built from.
  char hwdb_disable[] = "hwdb.disable";
  char one[] = "1";
  pci_set_param(access_->raw, hwdb_disable, one);
}

PciNames::~PciNames() { pci_cleanup(access_->raw); }

std::string PciNames::vendor(std::uint16_t vendor) const { return access_->name(PCI_LOOKUP_VENDOR, vendor, 0); }

std::string PciNames::device(std::uint16_t vendor, std::uint16_t device) const {
  return access_->name(PCI_LOOKUP_DEVICE, vendor, device);
}

std::string PciNames::class_name(std::uint32_t class_code) const {
  return access_->name(PCI_LOOKUP_CLASS, class_code >> 8, 0);
}

}  // namespace vfiohooks::vfioctl
