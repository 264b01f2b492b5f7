// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdio>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "plugin/base/log.h"
#include "plugin/kernel/host.h"
#include "plugin/plan/domain_request.h"
#include "plugin/records/pci_address.h"
#include "plugin/records/state_store.h"
#include "tests/unit/fake/fake_host.h"

namespace vfiohooks::testing {

// Keeps what the library logged, for the tests that care.
class RecordingLog : public Log {
 public:
  void info(std::string_view message) override { lines.push_back("info: " + std::string(message)); }
  void warning(std::string_view message) override { lines.push_back("warning: " + std::string(message)); }
  void error(std::string_view message) override { lines.push_back("error: " + std::string(message)); }
  std::vector<std::string> lines;
};

inline PciAddress addr(std::string_view text) { return *parse_pci_address(text); }

// What the hook's bind leaves on record: ADDRESS held for DOMAIN, taken from ORIGINAL_DRIVER
// (empty: it had none).
inline Record bound_record(std::string_view address, std::string domain, std::string original_driver) {
  Record record;
  record.address = addr(address);
  record.domain = std::move(domain);
  record.original_driver = std::move(original_driver);
  record.phase = Phase::bound;
  return record;
}

inline RequestedDevice requested(std::string_view address) {
  RequestedDevice device;
  device.address = addr(address);
  return device;
}

// One <hostdev mode='subsystem' type='pci'> of a domain XML, for `address` ("0000:03:00.0").
inline std::string hostdev_xml(std::string_view address, const std::string& managed = "yes") {
  const auto a = addr(address);
  char source[160];
  std::snprintf(source, sizeof source, "<address domain='0x%04x' bus='0x%02x' slot='0x%02x' function='0x%x'/>",
                a.domain, a.bus, a.slot, a.function);
  return "<hostdev mode='subsystem' type='pci' managed='" + managed + "'><source>" + source + "</source></hostdev>";
}

inline DomainRequest domain_with(const std::string& name, std::vector<RequestedDevice> devices) {
  DomainRequest domain;
  domain.name = name;
  domain.uuid = "c7a5fdbd-edaf-9455-926a-d65c16db1809";
  domain.devices = std::move(devices);
  return domain;
}

// A fake host, the library's view of it, and its state store, wired together.
struct Bench {
  FakeHost fake;
  RecordingLog log;
  Host host{fake.paths(), fake, log, std::chrono::milliseconds(2000)};
  StateStore store{fake.paths().state_dir()};
};

}  // namespace vfiohooks::testing
