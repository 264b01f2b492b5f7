// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/base/finding.h"
#include "plugin/console/systemd_units.h"
#include "plugin/kernel/host.h"
#include "plugin/kernel/pci_device.h"
#include "plugin/records/console_record.h"

namespace vfiohooks {

// A virtual-console driver as /sys/class/vtconsole/vtconN shows it.
struct VtConsole {
  std::string node;  // "vtcon1"
  std::string name;  // "(M) frame buffer device"
  bool bound = false;
  // fbcon registers itself as "frame buffer device" (drivers/video/fbdev/core/fbcon.c).
  bool on_framebuffer() const;
};

// Every vtconsole, in node order.
std::vector<VtConsole> read_vtconsoles(const HostPaths& paths);

// A firmware framebuffer: the platform device sysfb (or the firmware tables) made for the screen the
// firmware left behind, and the driver drawing on it.
struct FirmwareFramebuffer {
  std::string device;  // "efi-framebuffer.0", "simple-framebuffer.0", "vesa-framebuffer.0"
  std::string driver;  // "efi-framebuffer" (efifb), "simple-framebuffer" (simplefb or simpledrm), "vesa-framebuffer"
};

// The host console a GPU carries, and so what handing it over takes.
struct GpuConsole {
  PciAddress gpu;
  std::vector<VtConsole> vtconsoles;              // bound to a frame buffer: fbcon
  std::vector<FirmwareFramebuffer> framebuffers;  // bound, on the GPU's memory
  // What its own driver shows ("drm", "graphics": fbdev) and its card's sound cards
  // ("0000:01:00.1/sound"): waited for when it comes back.
  std::vector<std::string> own_devices;

  // "fbcon on vtcon1, efi-framebuffer.0 (efi-framebuffer) on its memory".
  std::string describe() const;
};

// The console `device` carries: a firmware framebuffer bound on its memory (found through the
// platform bus and /proc/iomem, or below it in sysfs), or fbcon bound and drawing on its own
// framebuffer (or, for the boot VGA device, on a firmware one that cannot be placed). nullopt when
// it carries none.
std::optional<GpuConsole> find_gpu_console(const HostPaths& paths, const PciDevice& device);

// What handing one GPU's console over takes: its console, and the units stop_units names.
struct ConsoleHandover {
  GpuConsole console;
  std::vector<std::string> units;

  // "unbind fbcon from vtcon1; release efi-framebuffer.0 (efi-framebuffer); stop gdm.service if it runs".
  std::string describe() const;
};

// What the console steps run against.
struct ConsoleEnv {
  Host& host;
  ConsoleStore& store;
  ServiceManager& services;
  std::chrono::milliseconds device_wait{10000};  // for the GPU's DRM/fb devices after it is back
};

// Hands the console over for `domain`, each step recorded before it is done: unbinds fbcon from
// each vtconsole, unbinds each firmware framebuffer from its driver, stops each unit that is
// active; verifies each (a vtconsole's bind write succeeds even when nothing unbinds). A record left
// by an interrupted run for the same GPU is carried on. Fails naming the step; what was done stays
// in the record, for hand_back_console to undo (take_devices does). Call with the state lock held.
Expected<void> hand_over_console(ConsoleEnv& env, const std::string& domain, const ConsoleHandover& handover);

// Gives the record's console back: waits (bounded) for the GPU's own DRM/fb devices, rebinds the
// vtconsoles, then the framebuffers, then starts the units, verifying each. Returns one finding
// per thing that did not come back, with its fix. The record keeps what can still be retried
// (vfioctl restore); it is deleted when nothing is left. Call after the GPU is back on its driver,
// with the state lock held.
std::vector<Finding> hand_back_console(ConsoleEnv& env, const ConsoleRecord& record);

}  // namespace vfiohooks
