// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/kernel/config_space.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <string>

namespace vfiohooks {

namespace {

// Offsets and bits from include/uapi/linux/pci_regs.h.
constexpr std::size_t kStatus = 0x06;
constexpr unsigned kStatusCapList = 0x10;
constexpr std::size_t kHeaderType = 0x0e;
constexpr std::size_t kCapabilityList = 0x34;         // header types 0 and 1
constexpr std::size_t kCardbusCapabilityList = 0x14;  // header type 2
constexpr unsigned kCapIdPm = 0x01, kCapIdExp = 0x10, kCapIdAf = 0x13;
constexpr std::size_t kPmControl = 4;  // PMCSR
constexpr unsigned kPmNoSoftReset = 0x08;
constexpr std::size_t kExpDevCap = 4;
constexpr std::uint32_t kExpDevCapFlr = 0x10000000;
constexpr std::size_t kAfCap = 3;
constexpr unsigned kAfCapTp = 0x01, kAfCapFlr = 0x02;
constexpr int kCapabilityTtl = 48;  // PCI_FIND_CAP_TTL: a looping list ends here, as in the kernel

unsigned byte_at(std::string_view bytes, std::size_t offset) { return static_cast<unsigned char>(bytes[offset]); }

std::uint32_t little_endian(std::string_view bytes, std::size_t offset, int width) {
  std::uint32_t value = 0;
  for (int i = width - 1; i >= 0; --i) value = value << 8 | byte_at(bytes, offset + static_cast<std::size_t>(i));
  return value;
}

}  // namespace

std::optional<ConfigSpaceResets> parse_config_space_resets(std::string_view bytes) {
  if (bytes.size() < 0x40) return std::nullopt;
  ConfigSpaceResets resets;
  if (!(byte_at(bytes, kStatus) & kStatusCapList)) return resets;
  const bool cardbus = (byte_at(bytes, kHeaderType) & 0x7f) == 2;
  std::size_t position = byte_at(bytes, cardbus ? kCardbusCapabilityList : kCapabilityList);
  for (int ttl = kCapabilityTtl; ttl > 0 && position >= 0x40; --ttl) {
    position &= ~std::size_t{3};
    if (position + 8 > bytes.size()) return std::nullopt;
    const unsigned id = byte_at(bytes, position);
    if (id == 0xff) break;
    if (id == kCapIdPm) resets.pm = !(little_endian(bytes, position + kPmControl, 2) & kPmNoSoftReset);
    if (id == kCapIdExp) resets.flr = little_endian(bytes, position + kExpDevCap, 4) & kExpDevCapFlr;
    if (id == kCapIdAf) {
      const unsigned cap = byte_at(bytes, position + kAfCap);
      resets.af_flr = (cap & kAfCapTp) && (cap & kAfCapFlr);
    }
    position = byte_at(bytes, position + 1);
  }
  return resets;
}

bool runtime_suspended(const OpenDirectory& device_dir) {
  const auto status = device_dir.attribute("power/runtime_status");
  return status == "suspended" || status == "suspending";
}

ConfigBytes read_config(const OpenDirectory& device_dir, std::size_t offset, std::size_t length) {
  ConfigBytes config;
  if (runtime_suspended(device_dir)) {
    config.asleep = true;
    return config;
  }
  const int fd = ::openat(device_dir.fd(), "config", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return config;
  config.bytes.resize(length);
  const ssize_t got = ::pread(fd, config.bytes.data(), length, static_cast<off_t>(offset));
  ::close(fd);
  config.bytes.resize(got > 0 ? static_cast<std::size_t>(got) : 0);
  return config;
}

ConfigBytes read_config(const std::filesystem::path& device_dir, std::size_t offset, std::size_t length) {
  return read_config(OpenDirectory(device_dir), offset, length);
}

}  // namespace vfiohooks
