// SPDX-License-Identifier: LGPL-2.1-or-later
#include "xml/pci_address_element.h"

#include <cstdio>

#include "xml/c_number.h"

namespace vfiohooks {
namespace {

Expected<unsigned long> read_number(const xmlNode* address, const char* name) {
  const auto text = attribute(address, name);
  if (!text) return 0UL;
  const auto value = parse_c_unsigned(*text, 0);
  if (!value) {
    return fail(std::string("<address ") + name + "='" + printable(*text, 32) +
                "'> is not a number libvirt accepts");
  }
  return *value;
}

}  // namespace

Expected<PciAddress> read_pci_address_element(const xmlNode* address) {
  const auto domain = read_number(address, "domain");
  if (!domain) return tl::unexpected(domain.error());
  const auto bus = read_number(address, "bus");
  if (!bus) return tl::unexpected(bus.error());
  const auto slot = read_number(address, "slot");
  if (!slot) return tl::unexpected(slot.error());
  const auto function = read_number(address, "function");
  if (!function) return tl::unexpected(function.error());
  auto result = make_pci_address(*domain, *bus, *slot, *function);
  if (!result) {
    char numbers[96];
    std::snprintf(numbers, sizeof numbers, "domain=0x%lx bus=0x%lx slot=0x%lx function=0x%lx",
                  *domain, *bus, *slot, *function);
    return fail("<address " + std::string(numbers) + "> " + result.error().message);
  }
  return result;
}

}  // namespace vfiohooks
