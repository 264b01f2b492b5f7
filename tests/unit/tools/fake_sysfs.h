// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

namespace vfiohooks::testing {

// A static host root for vfioctl's read-only commands: device dirs, driver links, IOMMU groups,
// /proc/interrupts with remapping, vfio-pci loaded. Files only, no kernel semantics (writes land in
// plain files); bind tests that need the kernel's behaviour belong with FakeHost.
class FakeSysfs {
 public:
  FakeSysfs();
  ~FakeSysfs();
  FakeSysfs(const FakeSysfs&) = delete;
  FakeSysfs& operator=(const FakeSysfs&) = delete;

  const std::filesystem::path& root() const { return root_; }
  // header_type 1 = bridge; driver "" = unbound.
  void add_device(const std::string& address, std::uint16_t vendor, std::uint16_t device, std::uint32_t class_code,
                  unsigned group, const std::string& driver, std::uint8_t header_type = 0);
  void write(const std::string& absolute, const std::string& content);
  std::string read(const std::string& absolute) const;

  // The topology of tests/unit/tools/data/host.xml, with the drivers the test driver cannot show:
  // GPU on nvidia + audio on snd_hda_intel; 00:19.0 on e1000e; the bridge group 7 with 05:01.0 on
  // e1000 and 05:02.0 on 8139cp; two 82574L on e1000e.
  static void lay_out_lab(FakeSysfs& host);

 private:
  std::filesystem::path root_;
};

}  // namespace vfiohooks::testing
