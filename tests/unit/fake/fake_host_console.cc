// SPDX-License-Identifier: LGPL-2.1-or-later
// FakeHost's console layer: virtual consoles, framebuffers (DRM fbdev emulation and firmware
// framebuffers on the platform bus) and /proc/iomem, with the kernel's semantics (fake_host.h).
#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <sstream>
#include <stdexcept>

#include "tests/unit/fake/fake_host.h"
#include "tests/unit/fake/fake_tree.h"

namespace vfiohooks::testing {

namespace fs = std::filesystem;
using tree::lines_of;
using tree::read_text;
using tree::write_text;

namespace {

std::string trim_newline(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

constexpr const char* kSystemConsole = "(S) dummy device";
constexpr const char* kVgaConsole = "(S) VGA+";
constexpr const char* kDummyModule = "(M) dummy device";
constexpr const char* kFbcon = "(M) frame buffer device";
constexpr unsigned kResourceLines = 13;  // PCI_BRIDGE_RESOURCES lines for an endpoint's `resource`

std::string hex16(std::uint64_t value) {
  char buffer[24];
  std::snprintf(buffer, sizeof buffer, "0x%016" PRIx64, value);
  return buffer;
}

std::vector<std::string> names_below(const fs::path& dir) {
  std::vector<std::string> names;
  std::error_code error;
  for (fs::directory_iterator it(dir, error), end; !error && it != end; it.increment(error)) {
    names.push_back(it->path().filename().string());
  }
  std::sort(names.begin(), names.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() < b.size() : a < b;
  });
  return names;
}

// The lowest free "<prefix>N" in `dir`, as the kernel hands out fb, card and vtcon numbers.
std::string lowest_free(const fs::path& dir, const std::string& prefix) {
  for (unsigned n = 0;; ++n) {
    if (!fs::exists(fs::symlink_status(dir / (prefix + std::to_string(n))))) return prefix + std::to_string(n);
  }
}

bool below(const fs::path& inner, const fs::path& outer) {
  return inner.string().starts_with(outer.string() + "/");
}

// simple_strtoul(buf, NULL, 0): base from the prefix, digits until the first that is not one.
unsigned long simple_strtoul(const std::string& text) {
  std::size_t at = 0;
  int base = 10;
  if (text.size() > 1 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X')) {
    base = 16;
    at = 2;
  } else if (!text.empty() && text[0] == '0') {
    base = 8;
  }
  unsigned long value = 0;
  for (; at < text.size(); ++at) {
    const char c = text[at];
    int digit = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
    if (digit >= base) break;
    value = value * static_cast<unsigned long>(base) + static_cast<unsigned long>(digit);
  }
  return value;
}

// A platform device's name without its instance: what platform_match compares with the driver's.
std::string platform_name(const std::string& device) {
  const auto dot = device.rfind('.');
  if (dot == std::string::npos || dot + 1 == device.size()) return device;
  const bool instance = device.find_first_not_of("0123456789", dot + 1) == std::string::npos;
  return instance ? device.substr(0, dot) : device;
}

std::string fb_name_for(const std::string& driver) {
  if (driver == "efi-framebuffer") return "EFI VGA";
  if (driver == "vesa-framebuffer") return "VESA VGA";
  return "simple";
}

Expected<void> refused(int code, const fs::path& path, const std::string& value) {
  return fail("writing '" + value + "' to " + path.string() + ": " + std::strerror(code), code);
}

}  // namespace

// ---- building ----------------------------------------------------------------------------------

void FakeHost::add_memory_bar(const std::string& address, unsigned index, std::uint64_t start, std::uint64_t size) {
  const fs::path file = device_dir(address) / "resource";
  auto lines = lines_of(read_text(file));
  lines.resize(kResourceLines, hex16(0) + " " + hex16(0) + " " + hex16(0));
  // IORESOURCE_MEM | IORESOURCE_SIZEALIGN, as a 32-bit non-prefetchable BAR shows.
  lines.at(index) = hex16(start) + " " + hex16(start + size - 1) + " " + hex16(0x40200);
  std::string text;
  for (const auto& line : lines) text += line + "\n";
  write_text(file, text);
  if (read_text(at("/.fake-kernel/iomem")).empty()) {
    add_iomem(0x100000, 0x7fffffff, "System RAM");
    add_iomem(0xc0000000, 0xfebfffff, "PCI Bus 0000:00");
  }
  add_iomem(start, start + size - 1, address);
}

void FakeHost::add_framebuffer_console(const std::string& address) {
  register_framebuffer(device_dir(address), driver_of(address) + "drmfb");
}

void FakeHost::add_firmware_framebuffer(const std::string& device, const std::string& driver, const std::string& claim,
                                        std::uint64_t start, std::uint64_t size, const std::string& resource) {
  const fs::path dir = at("/sys/devices/platform") / device;
  write_text(dir / "uevent", "DRIVER=" + driver + "\n");
  relink(at("/sys/bus/platform/devices") / device, dir);
  const fs::path driver_dir = at("/sys/bus/platform/drivers") / driver;
  for (const char* file : {"bind", "unbind", "uevent"}) {
    if (!fs::exists(driver_dir / file)) write_text(driver_dir / file, "");
  }
  std::ostringstream meta;
  meta << claim << ' ' << start << ' ' << size << ' ' << (resource.empty() ? "-" : resource) << '\n';
  write_text(at("/.fake-kernel/firmware-framebuffers") / device, meta.str());
  // platform_device_add inserts the device's own resource into the iomem tree (sysfb's "BOOTFB").
  if (!resource.empty()) add_iomem(start, start + size - 1, resource);
  attach_platform(device, driver);
}

void FakeHost::defer_fbcon_takeover() { append(at("/.fake-kernel/faults"), "fbcon-deferred"); }

void FakeHost::no_framebuffer_on_probe(const std::string& address) {
  append(at("/.fake-kernel/faults"), "no-framebuffer " + address);
}

// ---- looking -----------------------------------------------------------------------------------

std::vector<std::string> FakeHost::vtconsoles() const {
  std::vector<std::string> out;
  const fs::path dir = at("/sys/class/vtconsole");
  for (const auto& node : names_below(dir)) {
    out.push_back(node + " " + tree::lines_of(read_text(dir / node / "name")).at(0) + " bind=" +
                  lines_of(read_text(dir / node / "bind")).at(0));
  }
  return out;
}

bool FakeHost::fbcon_bound() const {
  const std::string node = vtconsole_node("(M) frame buffer");
  return !node.empty() && read_text(at("/sys/class/vtconsole") / node / "bind") == "1\n";
}

std::vector<std::string> FakeHost::framebuffers() const {
  std::vector<std::string> out;
  const fs::path dir = at("/sys/class/graphics");
  for (const auto& fb : names_below(dir)) {
    out.push_back(fb + " below " + fs::canonical(dir / fb).parent_path().parent_path().filename().string());
  }
  return out;
}

std::string FakeHost::platform_driver_of(const std::string& device) const {
  std::error_code error;
  const fs::path target = fs::read_symlink(at("/sys/bus/platform/devices") / device / "driver", error);
  return error ? "" : target.filename().string();
}

bool FakeHost::platform_device_exists(const std::string& device) const {
  return fs::exists(at("/sys/bus/platform/devices") / device);
}

// ---- kernel semantics --------------------------------------------------------------------------

std::string FakeHost::vtconsole_node(const std::string& prefix) const {
  const fs::path dir = at("/sys/class/vtconsole");
  for (const auto& node : names_below(dir)) {
    if (read_text(dir / node / "name").starts_with(prefix)) return node;
  }
  return "";
}

void FakeHost::set_vtconsole_bound(const std::string& node, bool bound) {
  write_text(at("/sys/class/vtconsole") / node / "bind", bound ? "1\n" : "0\n");
}

// con_init registers the system console driver first: dummycon when the firmware left no VGA text
// mode (an EFI boot), vgacon (use_vga_text_console) when it did.
void FakeHost::ensure_system_console() {
  if (!names_below(at("/sys/class/vtconsole")).empty()) return;
  add_vtconsole(kSystemConsole, true);
}

void FakeHost::use_vga_text_console() {
  if (!names_below(at("/sys/class/vtconsole")).empty()) throw std::runtime_error("FakeHost: consoles already set up");
  add_vtconsole(kVgaConsole, true);
}

std::string FakeHost::add_vtconsole(const std::string& name, bool take_consoles) {
  const std::string node = lowest_free(at("/sys/class/vtconsole"), "vtcon");
  const fs::path dir = at("/sys/devices/virtual/vtconsole") / node;
  write_text(dir / "name", name + "\n");
  relink(at("/sys/class/vtconsole") / node, dir);
  set_vtconsole_bound(node, false);
  if (take_consoles) take_consoles_to(node);
  return node;
}

void FakeHost::remove_vtconsole(const std::string& node) {
  std::error_code error;
  fs::remove_all(fs::canonical(at("/sys/class/vtconsole") / node), error);
  fs::remove(at("/sys/class/vtconsole") / node, error);
}

// The consoles are all mapped to one driver at a time here (the kernel maps each VC on its own).
void FakeHost::take_consoles_to(const std::string& node) {
  for (const auto& each : names_below(at("/sys/class/vtconsole"))) set_vtconsole_bound(each, each == node);
}

void FakeHost::register_framebuffer(const fs::path& parent, const std::string& name) {
  ensure_system_console();
  const std::string fb = lowest_free(at("/sys/class/graphics"), "fb");
  write_text(parent / "graphics" / fb / "name", name + "\n");
  relink(at("/sys/class/graphics") / fb, parent / "graphics" / fb);
  // fbcon_fb_registered: with no framebuffer before (info_idx == -1) fbcon takes the consoles over
  // (do_fbcon_takeover → do_take_over_console registers it); with one already, it only maps it.
  if (!vtconsole_node("(M) frame buffer").empty()) return;
  if (read_text(at("/.fake-kernel/faults")).find("fbcon-deferred\n") != std::string::npos) return;
  add_vtconsole(kFbcon, true);
}

void FakeHost::unregister_framebuffers_below(const fs::path& dir) {
  const fs::path graphics = at("/sys/class/graphics");
  for (const auto& fb : names_below(graphics)) {
    const fs::path target = fs::canonical(graphics / fb);
    if (!below(target, dir)) continue;
    std::error_code error;
    fs::remove(graphics / fb, error);
    fs::remove_all(target, error);
  }
  if (!names_below(graphics).empty()) return;  // fbcon remaps its consoles to another framebuffer
  // fbcon_fb_unbind → fbcon_unbind hands the consoles to a backup driver, then
  // fbcon_fb_unregistered → do_unregister_con_driver removes fbcon's vtconsole.
  const std::string node = vtconsole_node("(M) frame buffer");
  if (node.empty()) return;
  if (fbcon_bound()) hand_consoles_back_from(node);
  remove_vtconsole(node);
}

// do_unbind_con_driver: the backup is the first other registered driver, module or not.
void FakeHost::hand_consoles_back_from(const std::string& node) {
  for (const auto& other : names_below(at("/sys/class/vtconsole"))) {
    if (other == node) continue;
    take_consoles_to(other);
    return;
  }
}

void FakeHost::attach_platform(const std::string& device, const std::string& driver) {
  const fs::path dir = at("/sys/devices/platform") / device;
  const fs::path driver_dir = at("/sys/bus/platform/drivers") / driver;
  relink(dir / "driver", driver_dir);
  relink(driver_dir / device, dir);
  const auto meta = tree::lines_of(read_text(at("/.fake-kernel/firmware-framebuffers") / device));
  if (meta.empty()) return;
  std::istringstream in(meta.front());
  std::string claim;
  std::uint64_t start = 0, size = 0;
  in >> claim >> start >> size;
  add_iomem(start, start + size - 1, claim);
  register_framebuffer(dir, fb_name_for(driver));
}

void FakeHost::detach_platform(const std::string& device) {
  const fs::path dir = at("/sys/devices/platform") / device;
  const std::string driver = platform_driver_of(device);
  if (driver.empty()) return;
  unregister_framebuffers_below(dir);
  const auto meta = tree::lines_of(read_text(at("/.fake-kernel/firmware-framebuffers") / device));
  if (!meta.empty()) remove_iomem(meta.front().substr(0, meta.front().find(' ')));
  std::error_code error;
  fs::remove(dir / "driver", error);
  fs::remove(at("/sys/bus/platform/drivers") / driver / device, error);
}

void FakeHost::unregister_platform(const std::string& device) {
  detach_platform(device);
  const auto meta = tree::lines_of(read_text(at("/.fake-kernel/firmware-framebuffers") / device));
  if (!meta.empty()) {
    const std::string resource = meta.front().substr(meta.front().rfind(' ') + 1);
    if (resource != "-") remove_iomem(resource);
  }
  std::error_code error;
  fs::remove(at("/sys/bus/platform/devices") / device, error);
  fs::remove_all(at("/sys/devices/platform") / device, error);
  fs::remove(at("/.fake-kernel/firmware-framebuffers") / device, error);
}

void FakeHost::on_attached(const std::string& driver, const std::string& address) {
  if (!fs::exists(known_driver(driver) / "drm")) return;
  const fs::path dir = device_dir(address);
  // vga_remove_vgacon: a driver taking the default VGA device swaps vgacon for dummycon, registered
  // with do_take_over_console and so as a module, and unregisters vgacon.
  if (const std::string vga = vtconsole_node("(S) VGA+"); !vga.empty() && read_text(dir / "boot_vga") == "1\n") {
    const bool had_consoles = read_text(at("/sys/class/vtconsole") / vga / "bind") == "1\n";
    add_vtconsole(kDummyModule, had_consoles);
    remove_vtconsole(vga);
  }
  // aperture_remove_conflicting_pci_devices: every firmware framebuffer on the GPU's memory is
  // unregistered for good (the platform device goes away, not just its driver).
  std::vector<std::pair<std::uint64_t, std::uint64_t>> bars;
  for (const auto& line : lines_of(read_text(dir / "resource"))) {
    std::istringstream in(line);
    std::string start, end;
    in >> start >> end;
    const auto first = std::stoull(start, nullptr, 16), last = std::stoull(end, nullptr, 16);
    if (last > first) bars.emplace_back(first, last);
  }
  for (const auto& device : names_below(at("/.fake-kernel/firmware-framebuffers"))) {
    std::istringstream in(lines_of(read_text(at("/.fake-kernel/firmware-framebuffers") / device)).at(0));
    std::string claim;
    std::uint64_t start = 0, size = 0;
    in >> claim >> start >> size;
    for (const auto& [first, last] : bars) {
      if (start >= first && start + size - 1 <= last) {
        unregister_platform(device);
        break;
      }
    }
  }
  if (read_text(at("/.fake-kernel/faults")).find("no-framebuffer " + address + "\n") != std::string::npos) return;
  const std::string card = lowest_free(at("/sys/class/drm"), "card");
  // The card's class device, and its node in /dev/dri (devtmpfs makes it as the device registers).
  add_char_device(address, "drm", "drm/" + card, "226:" + card.substr(4), "/dev/dri/" + card);
  register_framebuffer(dir, driver + "drmfb");
}

void FakeHost::on_detaching(const std::string& driver, const std::string& address) {
  if (!fs::exists(known_driver(driver) / "drm")) return;
  const fs::path dir = device_dir(address);
  unregister_framebuffers_below(dir);
  for (const auto& card : names_below(dir / "drm")) {
    std::error_code error;
    fs::remove(at("/sys/class/drm") / card, error);
    fs::remove(at("/sys/dev/char") / trim_newline(read_text(dir / "drm" / card / "dev")), error);
    fs::remove(at("/dev/dri") / card, error);  // devtmpfs: the node goes with the device
  }
  std::error_code error;
  fs::remove_all(dir / "drm", error);
}

Expected<void> FakeHost::console_write(const fs::path& parent, const std::string& name, const std::string& value,
                                       bool& handled) {
  const fs::path path = parent / name;
  if (name == "bind" && below(parent, at("/sys/devices/virtual/vtconsole"))) {
    handled = true;
    // vt.c store_bind: vt_bind/vt_unbind act only on a driver registered as a module (the "(M)"
    // in its name), unbinding needs another driver to take the consoles, and the write returns
    // count whatever happened.
    const std::string node = parent.filename().string();
    const bool module = read_text(parent / "name").starts_with("(M)");
    const bool bound = read_text(parent / "bind") == "1\n";
    if (!module) return {};
    if (simple_strtoul(value) == 0) {
      if (bound) hand_consoles_back_from(node);
      return {};
    }
    // vt_bind takes over only the consoles of the first driver that is not a module (defcsw);
    // when only modules are left (vgaarb replaced vgacon by "(M) dummy device") it does nothing.
    const std::string first_system = vtconsole_node("(S)");
    if (!first_system.empty() && read_text(at("/sys/class/vtconsole") / first_system / "bind") == "1\n") {
      take_consoles_to(node);
    }
    return {};
  }
  if ((name == "bind" || name == "unbind") && parent.parent_path() == at("/sys/bus/platform/drivers")) {
    handled = true;
    const std::string driver = parent.filename().string();
    std::string device = value;
    while (!device.empty() && (device.back() == '\n' || device.back() == ' ')) device.pop_back();
    // drivers/base/bus.c unbind_store/bind_store: -ENODEV unless the device is on the bus (and,
    // to unbind, on this driver); binding a bound device is -EBUSY.
    if (!platform_device_exists(device)) return refused(ENODEV, path, value);
    if (name == "unbind") {
      if (platform_driver_of(device) != driver) return refused(ENODEV, path, value);
      detach_platform(device);
      return {};
    }
    if (!platform_driver_of(device).empty()) return refused(EBUSY, path, value);
    if (platform_name(device) != driver) return refused(ENODEV, path, value);
    attach_platform(device, driver);
    return {};
  }
  return {};
}

// ---- /proc/iomem -------------------------------------------------------------------------------

void FakeHost::add_iomem(std::uint64_t start, std::uint64_t end, const std::string& name) {
  append(at("/.fake-kernel/iomem"), std::to_string(start) + " " + std::to_string(end) + " " + name);
  render_iomem();
}

void FakeHost::remove_iomem(const std::string& name) {
  std::string kept;
  for (const auto& line : lines_of(read_text(at("/.fake-kernel/iomem")))) {
    if (line.substr(line.find(' ', line.find(' ') + 1) + 1) != name) kept += line + "\n";
  }
  write_text(at("/.fake-kernel/iomem"), kept);
  render_iomem();
}

// Nested regions are indented two blanks per level under the region that contains them.
void FakeHost::render_iomem() {
  struct Region {
    std::uint64_t start, end;
    std::string name;
  };
  std::vector<Region> regions;
  for (const auto& line : lines_of(read_text(at("/.fake-kernel/iomem")))) {
    std::istringstream in(line);
    Region region{};
    in >> region.start >> region.end;
    std::getline(in >> std::ws, region.name);
    regions.push_back(region);
  }
  std::stable_sort(regions.begin(), regions.end(), [](const Region& a, const Region& b) {
    return a.start != b.start ? a.start < b.start : a.end > b.end;
  });
  std::string text;
  std::vector<const Region*> open;
  for (const auto& region : regions) {
    while (!open.empty() && !(open.back()->start <= region.start && region.end <= open.back()->end)) open.pop_back();
    char range[48];
    std::snprintf(range, sizeof range, "%08" PRIx64 "-%08" PRIx64, region.start, region.end);
    text += std::string(2 * open.size(), ' ') + range + " : " + region.name + "\n";
    open.push_back(&region);
  }
  write_text(at("/proc/iomem"), text);
}

}  // namespace vfiohooks::testing
