// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/prepare_input.h"

#include "plugin/config/config_file.h"
#include "xml/domain_reader.h"

namespace vfiohooks {

tl::expected<PrepareInput, Finding> read_prepare_input(std::string_view name, std::string_view xml,
                                                       const ConfigLocator& config_file) {
  auto request = read_domain_xml(xml);
  if (!request) {
    const std::string domain = name.empty() ? "(unreadable)" : std::string(name);
    return tl::unexpected(Finding{Severity::error, "domain " + domain, request.error().message,
                                  "fix the domain XML (virsh edit " + domain + ")", "domain-xml"});
  }
  PrepareInput input;
  if (!name.empty()) request->name = std::string(name);
  input.request = std::move(*request);
  // A domain without PCI hostdevs costs a process start and an XML parse: no config, no sysfs.
  if (input.request.devices.empty()) {
    input.skip = PrepareInput::Skip::no_pci_hostdev;
    return input;
  }
  Config config;
  if (const auto file = config_file()) {
    auto loaded = load_config(*file);
    if (!loaded) {
      return tl::unexpected(Finding{Severity::error, "config", loaded.error().message,
                                    "correct " + file->string() + " (man vfio-hooks.conf)", "config"});
    }
    config = std::move(*loaded);
  }
  input.policy = config.policy_for(input.request.name, input.request.metadata);
  if (input.policy.mode == Mode::off) input.skip = PrepareInput::Skip::mode_off;
  return input;
}

}  // namespace vfiohooks
