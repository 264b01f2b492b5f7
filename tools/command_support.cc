// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tools/command_support.h"

#include "plugin/config/config_file.h"
#include "tools/connection_uri.h"
#include "tools/echoed.h"
#include "tools/failure.h"
#include "tools/output.h"

namespace vfiohooks::vfioctl {

HostFacts facts_or_fail(const Context& ctx) {
  auto facts = load_host_facts(ctx);
  if (!facts) throw Failure(facts.error().message);
  return std::move(*facts);
}

Connection connect_or_fail(const Context& ctx, Access access) {
  auto connection = ctx.connect(ctx.options.uri, access);
  if (!connection) throw Failure(connection.error().message);
  return std::move(*connection);
}

Config config_or_fail(const Context& ctx, const HostFacts& facts) {
  if (!facts.is_local()) return Config{};
  auto config = load_config(ctx.paths.config_file());
  if (!config) throw Failure(config.error().message);
  return std::move(*config);
}

void note_unchecked(const Context& ctx, const HostFacts& facts) {
  if (facts.is_local()) return;
  if (!ctx.options.verbose) {
    note(ctx, "facts from " + facts.source() + "; " + std::to_string(facts.unchecked().size()) +
                  " checks are not possible from here (-v lists them)");
    return;
  }
  note(ctx, "facts from " + facts.source() + "; not checked from here:");
  for (const auto& what : facts.unchecked()) note(ctx, "  - " + what);
}

void require_local_host(const Context& ctx, const std::string& what) {
  if (ctx.options.root_given) return;
  const UriKind kind = classify_uri(ctx.options.uri);
  if (kind == UriKind::local) return;
  throw Failure(what + " changes device drivers, which vfioctl does only on this machine, not on " +
                echoed(ctx.options.uri) + (kind == UriKind::remote ? "; run vfioctl on that host" : ""));
}

std::string device_name(const PciNames& names, const HostFacts& facts, const PciDevice& device) {
  std::string vendor = names.vendor(device.vendor);
  std::string product = names.device(device.vendor, device.device);
  if (vendor.empty()) vendor = facts.vendor_name(device.address);
  if (product.empty()) product = facts.product_name(device.address);
  if (vendor.empty() && product.empty()) return "unknown device";
  if (vendor.empty()) return product;
  if (product.empty()) return vendor + " device " + hex_id(device.device, 4);
  return vendor + " " + product;
}

std::string class_name(const PciNames& names, const PciDevice& device) {
  std::string name = names.class_name(device.class_code);
  return name.empty() ? "class " + hex_id(device.class_code, 6) : name;
}

std::string driver_text(const PciDevice& device) {
  // While a write is blocked the link is gone, but the old driver's remove still runs.
  if (device.blocked_write) return "(locked)";
  return device.driver.empty() ? "(none)" : device.driver;
}

}  // namespace vfiohooks::vfioctl
