// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace vfiohooks::vfioctl {

// Vendor, device and class names from pci.ids through libpci (pci_lookup_name), the database lspci
// reads: kept up to date by the distribution, unlike any table we could write.
class PciNames {
 public:
  PciNames();
  ~PciNames();
  PciNames(const PciNames&) = delete;
  PciNames& operator=(const PciNames&) = delete;

  // "NVIDIA Corporation"; empty when pci.ids does not know it.
  std::string vendor(std::uint16_t vendor) const;
  // "GP104 [GeForce GTX 1080]"; empty when unknown.
  std::string device(std::uint16_t vendor, std::uint16_t device) const;
  // "VGA compatible controller" for 0x030000 (class and subclass); empty when unknown.
  std::string class_name(std::uint32_t class_code) const;

 private:
  struct Access;
  std::unique_ptr<Access> access_;
};

}  // namespace vfiohooks::vfioctl
