// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/console/console_handover.h"

#include <algorithm>
#include <chrono>
#include <thread>

#include "plugin/base/printable.h"
#include "plugin/base/sysfs_reader.h"
#include "plugin/kernel/iomem.h"
#include "plugin/writes/time_limit.h"

namespace vfiohooks {

namespace fs = std::filesystem;

namespace {

// The platform drivers of firmware framebuffers, and the names their memory shows under in
// /proc/iomem: efifb and vesafb claim it as "efifb"/"vesafb" (request_mem_region); sysfb inserts a
// simple-framebuffer's resource as "BOOTFB", which simpledrm and simplefb claim again below it.
// (simpledrm's platform driver is called "simple-framebuffer" too.)
struct FirmwareDriver {
  std::string_view driver;
  std::vector<std::string_view> claims;
};
const std::vector<FirmwareDriver>& firmware_drivers() {
  static const std::vector<FirmwareDriver> drivers = {
      {"efi-framebuffer", {"efifb"}},
      {"vesa-framebuffer", {"vesafb"}},
      {"simple-framebuffer", {"BOOTFB", "simplefb", "simpledrm"}},
  };
  return drivers;
}

const FirmwareDriver* firmware_driver(const std::string& name) {
  for (const auto& known : firmware_drivers()) {
    if (known.driver == name) return &known;
  }
  return nullptr;
}

bool below(const std::optional<fs::path>& inner, const std::optional<fs::path>& outer) {
  return inner && outer && inner->string().starts_with(outer->string() + "/");
}

// True when /proc/iomem shows one of `claims` inside one of the GPU's memory resources.
bool claimed_on(const std::vector<IomemRegion>& iomem, const std::vector<MemoryRange>& memory,
                const std::vector<std::string_view>& claims) {
  return std::any_of(iomem.begin(), iomem.end(), [&](const IomemRegion& region) {
    const bool named = std::find(claims.begin(), claims.end(), region.name) != claims.end();
    return named && std::any_of(memory.begin(), memory.end(),
                                [&](const MemoryRange& bar) { return bar.contains(region.range); });
  });
}

std::vector<FirmwareFramebuffer> firmware_framebuffers_on(const HostPaths& paths, const PciDevice& device) {
  const auto gpu_dir = resolve(paths.pci_device(device.address));
  const fs::path platform = paths.under("/sys/bus/platform/devices");
  std::vector<FirmwareFramebuffer> bound;  // every firmware framebuffer something draws on
  for (const auto& name : list_directory(platform)) {
    const auto driver = link_name(platform / name / "driver");
    if (driver && firmware_driver(*driver) != nullptr) bound.push_back({name, *driver});
  }
  std::vector<FirmwareFramebuffer> found;
  std::optional<std::vector<IomemRegion>> iomem;
  std::optional<std::vector<MemoryRange>> memory;
  for (const auto& known : firmware_drivers()) {
    std::vector<FirmwareFramebuffer> of_driver;
    for (const auto& framebuffer : bound) {
      if (framebuffer.driver == known.driver) of_driver.push_back(framebuffer);
    }
    if (of_driver.empty()) continue;
    // Newer kernels make the firmware framebuffer a child of the GPU it lies on (sysfb_parent_dev).
    std::vector<FirmwareFramebuffer> below_gpu;
    for (const auto& framebuffer : of_driver) {
      if (below(resolve(platform / framebuffer.device), gpu_dir)) below_gpu.push_back(framebuffer);
    }
    if (!below_gpu.empty()) {
      found.insert(found.end(), below_gpu.begin(), below_gpu.end());
      continue;
    }
    // 6.1 puts it under /sys/devices/platform, and only its memory ties it to the GPU: the
    // driver's claim inside one of the GPU's BARs. The claim does not name the device; sysfb makes
    // one, so several of one driver are told apart no further and all of them are released.
    if (!iomem) iomem = read_iomem(paths);
    if (!memory) memory = memory_resources(paths, device.address);
    if (claimed_on(*iomem, *memory, known.claims)) found.insert(found.end(), of_driver.begin(), of_driver.end());
  }
  return found;
}

std::int64_t now_seconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

fs::path vtconsole_bind(const HostPaths& paths, const std::string& node) {
  return paths.under("/sys/class/vtconsole") / node / "bind";
}

std::optional<VtConsole> vtconsole_named(const HostPaths& paths, const std::string& name) {
  for (auto& console : read_vtconsoles(paths)) {
    if (console.name == name) return console;
  }
  return std::nullopt;
}

fs::path platform_device(const HostPaths& paths, const std::string& name) {
  return paths.under("/sys/bus/platform/devices") / name;
}

fs::path platform_driver(const HostPaths& paths, const std::string& name) {
  return paths.under("/sys/bus/platform/drivers") / name;
}

// A vtconsole's bind takes the console lock and a platform driver's bind or unbind the device's:
// time-limited like the PCI writes. A writer left inside the kernel at the limit is logged by pid.
Expected<void> write_console(const Host& host, const fs::path& path, std::string_view value, const std::string& what) {
  auto timed = write_with_time_limit(host.kernel, host.paths, path, value, host.unbind_timeout);
  if (timed.blocked) {
    timed.blocked->what = what;
    host.log.warning(path.parent_path().filename().string() + ": " + describe(*timed.blocked));
  }
  return std::move(timed.result);
}

Expected<void> with_context(Expected<void> result, const std::string& what) {
  if (!result) return fail(what + ": " + result.error().message, result.error().code);
  return {};
}

// ---- handing over -------------------------------------------------------------------------------

class Handover {
 public:
  Handover(ConsoleEnv& env, const std::string& domain, const ConsoleHandover& handover)
      : env_(env), paths_(env.host.paths), handover_(handover) {
    const GpuConsole& console = handover.console;
    // A record of an interrupted run for this GPU still says what the console was before it.
    record_ = env.store.find(console.gpu).value_or(ConsoleRecord{console.gpu, domain, {}, {}, now_seconds()});
    record_.domain = domain;
    for (const auto& kind : console.own_devices) {
      if (std::find(record_.wait_for.begin(), record_.wait_for.end(), kind) == record_.wait_for.end()) {
        record_.wait_for.push_back(kind);
      }
    }
  }

  Expected<void> run() {
    if (auto saved = env_.store.save(record_); !saved) return with_context(std::move(saved), "recording the console");
    auto done = do_steps();
    if (!done) {
      env_.host.log.error("handing the host console on " + record_.gpu.str() + " over failed: " + done.error().message);
      return done;
    }
    env_.host.log.info("host console on " + record_.gpu.str() + " handed over for domain " + record_.domain + ": " +
                       handover_.describe());
    return {};
  }

 private:
  Expected<void> do_steps() {
    if (!handover_.units.empty() && !env_.services.available()) {
      return fail("stop_units is set but systemd does not run this host", ENOSYS);
    }
    for (const auto& console : handover_.console.vtconsoles) {
      if (auto done = unbind_vtconsole(console); !done) return done;
    }
    for (const auto& framebuffer : handover_.console.framebuffers) {
      if (auto done = release_framebuffer(framebuffer); !done) return done;
    }
    for (const auto& unit : handover_.units) {
      if (auto done = stop_unit(unit); !done) return done;
    }
    return {};
  }

  // The step goes into the record, durably, before anything changes.
  Expected<void> record(ConsoleStep step) {
    record_.steps.push_back(std::move(step));
    return with_context(env_.store.save(record_), "recording " + record_.steps.back().describe());
  }

  Expected<void> unbind_vtconsole(const VtConsole& console) {
    if (auto saved = record({ConsoleStep::Kind::vtconsole, console.name, console.node}); !saved) return saved;
    // vt.c's store_bind runs vt_unbind and returns success whether or not anything unbound (fbcon
    // stays bound when no other console driver can take its consoles over): read bind back.
    const std::string what = "unbinding fbcon from " + console.node;
    auto written = write_console(env_.host, vtconsole_bind(paths_, console.node), "0", "unbind of fbcon");
    if (!written) return with_context(std::move(written), what);
    if (read_attribute(vtconsole_bind(paths_, console.node)) == "1") return fail(what + ": it is still bound", EBUSY);
    return {};
  }

  Expected<void> release_framebuffer(const FirmwareFramebuffer& framebuffer) {
    if (auto saved = record({ConsoleStep::Kind::framebuffer, framebuffer.device, framebuffer.driver}); !saved) {
      return saved;
    }
    const std::string what = "unbinding " + framebuffer.device + " from " + framebuffer.driver;
    // A driver unbind takes the device lock and can block: time-limited.
    auto written = write_console(env_.host, platform_driver(paths_, framebuffer.driver) / "unbind", framebuffer.device,
                                 "unbind from " + framebuffer.driver);
    if (!written) return with_context(std::move(written), what);
    if (link_name(platform_device(paths_, framebuffer.device) / "driver")) return fail(what + ": it is still bound", EBUSY);
    return {};
  }

  Expected<void> stop_unit(const std::string& unit) {
    auto active = env_.services.is_active(unit);
    if (!active) return with_context(tl::unexpected(active.error()), "asking systemd about " + unit);
    if (!*active) return {};  // nothing to stop, and so nothing to start again
    if (auto saved = record({ConsoleStep::Kind::unit, unit, ""}); !saved) return saved;
    if (auto stopped = env_.services.stop(unit); !stopped) {
      if (stopped.error().code == ETIMEDOUT) return stop_timed_out(unit, stopped.error());
      return with_context(std::move(stopped), "stopping " + unit);
    }
    auto still = env_.services.is_active(unit);
    if (still && *still) return fail("stopping " + unit + ": it is still active", EBUSY);
    return {};
  }

  // systemd goes on with a stop the limit cut short (a unit that ignores SIGTERM is killed at its
  // TimeoutStopSec): a start queued behind it brings the unit back when it ends, so the hand-back
  // does not wait for it too. Its step leaves the record unless the start could not be queued.
  Expected<void> stop_timed_out(const std::string& unit, const Error& error) {
    std::string then = "systemd starts it again once its stop ends";
    if (auto queued = env_.services.queue_start(unit); queued) {
      record_.steps.pop_back();
      if (auto saved = env_.store.save(record_); !saved) env_.host.log.error(saved.error().message);
    } else {
      then = "queueing its start failed (" + queued.error().message + ")";
    }
    env_.host.log.warning(unit + " did not stop in time; " + then);
    return fail("stopping " + unit + ": " + error.message + "; " + then, ETIMEDOUT);
  }

  ConsoleEnv& env_;
  const HostPaths& paths_;
  const ConsoleHandover& handover_;
  ConsoleRecord record_;
};

// ---- handing back -------------------------------------------------------------------------------

class Handback {
 public:
  Handback(ConsoleEnv& env, const ConsoleRecord& record)
      : env_(env), paths_(env.host.paths), record_(record), gpu_(record.gpu.str()) {}

  std::vector<Finding> run() {
    wait_for_gpu();
    std::vector<const ConsoleStep*> vtconsoles, framebuffers, units;
    // Undone in reverse of the order they were taken.
    for (auto step = record_.steps.rbegin(); step != record_.steps.rend(); ++step) {
      auto& list = step->kind == ConsoleStep::Kind::vtconsole ? vtconsoles
                   : step->kind == ConsoleStep::Kind::framebuffer ? framebuffers
                                                                   : units;
      list.push_back(&*step);
    }
    std::vector<const ConsoleStep*> waiting;
    for (const auto* step : vtconsoles) {
      if (!rebind_vtconsole(*step, false)) waiting.push_back(step);  // not there yet
    }
    for (const auto* step : framebuffers) rebind_framebuffer(*step);
    // fbcon's vtconsole exists only while a framebuffer does: one released framebuffer coming back
    // registers it again (fbcon_fb_registered takes the consoles over by itself).
    for (const auto* step : waiting) rebind_vtconsole(*step, true);
    for (const auto* step : units) start_unit(*step);
    save_what_is_left();
    return std::move(findings_);
  }

 private:
  // One thing that did not come back; `retry` stays in the record for the next attempt.
  void report(Finding finding, const ConsoleStep* retry) {
    env_.host.log.error(finding.line());
    findings_.push_back(std::move(finding));
    if (retry != nullptr) left_.push_back(*retry);
  }

  // "drm" below the GPU, or "0000:01:00.1/sound" below another function of its card.
  bool has_own(const std::string& kind) const {
    const auto slash = kind.find('/');
    if (slash == std::string::npos) return !list_directory(paths_.pci_device(record_.gpu) / kind).empty();
    const auto function = parse_pci_address(kind.substr(0, slash));
    return function && !list_directory(paths_.pci_device(*function) / kind.substr(slash + 1)).empty();
  }

  static std::string own_device_name(const std::string& kind) {
    if (kind == "graphics") return "framebuffer (fbdev)";
    if (kind == "drm") return "DRM device";
    const auto slash = kind.find('/');
    if (slash != std::string::npos && kind.substr(slash + 1) == "sound") return "sound card on " + kind.substr(0, slash);
    return kind;
  }

  // The GPU's driver makes its DRM and fbdev devices while it probes, some of it asynchronously:
  // the console can only come back on them once they are there, and a display manager or sound
  // server started before its card's sound card is registered (snd_hda_intel probes its codecs in
  // a work item, azx_probe_work) fails.
  void wait_for_gpu() {
    if (record_.wait_for.empty() || !path_exists(paths_.pci_device(record_.gpu))) return;
    const auto deadline = std::chrono::steady_clock::now() + env_.device_wait;
    for (;;) {
      const bool all = std::all_of(record_.wait_for.begin(), record_.wait_for.end(),
                                   [&](const std::string& kind) { return has_own(kind); });
      if (all) return;
      if (std::chrono::steady_clock::now() >= deadline) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    const auto driver = link_name(paths_.pci_device(record_.gpu) / "driver");
    std::vector<std::string> missing;
    for (const auto& kind : record_.wait_for) {
      if (!has_own(kind)) missing.push_back(own_device_name(kind));
    }
    report({Severity::error, gpu_,
            "its " + join(missing, " and ") + " did not come back within " +
                std::to_string(env_.device_wait.count()) + " ms on " + driver.value_or("no driver"),
            "see dmesg for " + driver.value_or("the GPU's driver") + "; vfioctl restore --all tries the console again",
            "console-device-missing"},
           nullptr);
  }

  // Rebinds fbcon on the vtconsole the step names. Returns false only when it is not there yet
  // and this is not the last pass; anything else is done or reported.
  bool rebind_vtconsole(const ConsoleStep& step, bool last_pass) {
    auto console = vtconsole_named(paths_, step.name);
    if (!console && !last_pass) return false;
    if (console && !console->bound) {
      (void)write_console(env_.host, vtconsole_bind(paths_, console->node), "1", "bind of fbcon");
      console = vtconsole_named(paths_, step.name);
    }
    if (console && !console->bound) {
      // vt_bind only takes the consoles of the first driver that is not a module ("(S)"); once
      // vgaarb has swapped vgacon for dummycon (vga_remove_vgacon), every driver left is one
      // ("(M) dummy device") and the write does nothing. Unbinding the driver that holds the consoles
      // now hands them to the first other one (do_unbind_con_driver): fbcon, in the lab's 6.1.
      for (const auto& holder : read_vtconsoles(paths_)) {
        if (holder.bound && holder.name != step.name && holder.name.starts_with("(M)")) {
          (void)write_console(env_.host, vtconsole_bind(paths_, holder.node), "0", "unbind of " + holder.name);
        }
      }
      console = vtconsole_named(paths_, step.name);
    }
    if (console && console->bound) {
      env_.host.log.info("fbcon bound again on " + console->node + " for " + record_.gpu.str());
      return true;
    }
    if (!console) {
      report({Severity::error, gpu_,
              "fbcon did not come back: no vtconsole is a frame buffer device (no framebuffer is registered)",
              "load the GPU's driver or bind its firmware framebuffer, then echo 1 > /sys/class/vtconsole/vtconN/bind "
              "for the frame buffer device; vfioctl restore --all tries again",
              "vtconsole-not-back"},
             &step);
    } else {
      report({Severity::error, gpu_, "fbcon is not bound to " + console->node + " again (its bind reads 0 after writing 1)",
              "echo 1 > /sys/class/vtconsole/" + console->node + "/bind; see dmesg", "vtconsole-not-back"},
             &step);
    }
    return true;
  }

  void rebind_framebuffer(const ConsoleStep& step) {
    const fs::path device = platform_device(paths_, step.name);
    if (!path_exists(device)) {
      // A native driver that takes the GPU over unregisters the firmware framebuffer on its memory
      // for good (aperture_remove_conflicting_devices); its own framebuffer replaces it.
      if (has_own("graphics") || has_own("drm")) {
        env_.host.log.info(step.name + " is gone: the GPU's own driver replaced it");
        return;
      }
      report({Severity::error, gpu_, step.name + " is gone and the GPU shows no framebuffer of its own",
              "load the GPU's driver, or reboot to get the firmware framebuffer back", "framebuffer-not-back"},
             nullptr);
      return;
    }
    auto now = link_name(device / "driver");
    if (!now) {
      (void)write_console(env_.host, platform_driver(paths_, step.where) / "bind", step.name, "bind to " + step.where);
      now = link_name(device / "driver");
    }
    if (now == step.where) {
      env_.host.log.info(step.name + " bound to " + step.where + " again for " + record_.gpu.str());
      return;
    }
    if (now) {
      env_.host.log.warning(step.name + " is on " + *now + ", not " + step.where + "; someone rebound it, so it is left there");
      return;
    }
    report({Severity::error, gpu_, step.name + " did not bind to " + step.where + " again",
            "echo " + step.name + " > /sys/bus/platform/drivers/" + step.where + "/bind; see dmesg",
            "framebuffer-not-back"},
           &step);
  }

  void start_unit(const ConsoleStep& step) {
    auto started = env_.services.start(step.name);
    auto active = started ? env_.services.is_active(step.name) : Expected<bool>(false);
    if (started && active && *active) {
      env_.host.log.info(step.name + " started again");
      return;
    }
    const std::string why = !started ? started.error().message : "it is not active afterwards";
    report({Severity::error, gpu_, step.name + " did not start again (" + why + ")",
            "systemctl start " + step.name + "; journalctl -u " + step.name, "unit-not-started"},
           &step);
  }

  void save_what_is_left() {
    if (left_.empty()) {
      if (auto removed = env_.store.remove(record_.gpu); !removed) env_.host.log.error(removed.error().message);
      return;
    }
    ConsoleRecord left = record_;
    // Back in the order they were taken, so the next attempt undoes them in reverse again.
    left.steps.assign(left_.rbegin(), left_.rend());
    if (auto saved = env_.store.save(left); !saved) env_.host.log.error(saved.error().message);
  }

  ConsoleEnv& env_;
  const HostPaths& paths_;
  const ConsoleRecord& record_;
  const std::string gpu_;
  std::vector<Finding> findings_;
  std::vector<ConsoleStep> left_;  // in reverse of the order taken
};

// Where the framebuffer fbcon draws on lies: below a PCI device (its address), below none (a
// firmware framebuffer sysfb did not parent to its GPU: empty), or no framebuffer at all (nullopt).
// fbcon takes the primary one (CONFIG_FRAMEBUFFER_CONSOLE_DETECT_PRIMARY, fbcon_select_primary):
// the default VGA device's, else the first registered, which has the lowest number.
std::optional<std::string> fbcon_framebuffer_owner(const HostPaths& paths) {
  const fs::path graphics = paths.under("/sys/class/graphics");
  std::vector<std::pair<unsigned long, std::string>> framebuffers;  // (N, owner)
  for (const auto& name : list_directory(graphics)) {
    if (!name.starts_with("fb") || name.size() < 3 || name.find_first_not_of("0123456789", 2) != std::string::npos) {
      continue;  // "fbcon" is fbcon's own device
    }
    const auto target = resolve(graphics / name);
    if (!target) continue;
    std::string owner;
    for (const auto& part : *target) {
      if (parse_pci_address(part.string())) owner = part.string();
    }
    framebuffers.emplace_back(std::stoul(name.substr(2)), owner);
  }
  if (framebuffers.empty()) return std::nullopt;
  std::sort(framebuffers.begin(), framebuffers.end());
  for (const auto& [number, owner] : framebuffers) {
    if (!owner.empty() && read_attribute(paths.under("/sys/bus/pci/devices") / owner / "boot_vga") == "1") return owner;
  }
  return framebuffers.front().second;
}

}  // namespace

bool VtConsole::on_framebuffer() const { return name.find("frame buffer") != std::string::npos; }

std::vector<VtConsole> read_vtconsoles(const HostPaths& paths) {
  std::vector<VtConsole> consoles;
  const fs::path dir = paths.under("/sys/class/vtconsole");
  for (const auto& node : list_directory(dir)) {
    const auto name = read_attribute(dir / node / "name");
    if (!name) continue;  // unregistered meanwhile
    consoles.push_back({node, *name, read_attribute(dir / node / "bind") == "1"});
  }
  return consoles;
}

std::string GpuConsole::describe() const {
  std::vector<std::string> parts;
  for (const auto& console : vtconsoles) parts.push_back("fbcon on " + console.node);
  for (const auto& framebuffer : framebuffers) {
    parts.push_back(framebuffer.device + " (" + framebuffer.driver + ") on its memory");
  }
  if (parts.empty()) parts.push_back("its framebuffer");
  return join(parts, ", ");
}

std::optional<GpuConsole> find_gpu_console(const HostPaths& paths, const PciDevice& device) {
  if ((device.class_code >> 16) != 0x03) return std::nullopt;  // display controllers only
  GpuConsole console;
  console.gpu = device.address;
  console.framebuffers = firmware_framebuffers_on(paths, device);
  std::vector<VtConsole> fbcon;
  for (const auto& vt : read_vtconsoles(paths)) {
    if (vt.bound && vt.on_framebuffer()) fbcon.push_back(vt);
  }
  // The console is on the GPU when a firmware framebuffer draws on its memory, or when fbcon is bound
  // and its framebuffer is the GPU's own; a firmware one that could not be placed (no /proc/iomem
  // to read) is taken to be the boot VGA device's, where the firmware left its screen.
  const auto fbcon_on = fbcon.empty() ? std::nullopt : fbcon_framebuffer_owner(paths);
  const bool carries = !console.framebuffers.empty() ||
                       (fbcon_on && (*fbcon_on == device.address.str() || (fbcon_on->empty() && device.boot_vga)));
  if (!carries) return std::nullopt;
  console.vtconsoles = std::move(fbcon);
  for (const char* kind : {"drm", "graphics"}) {
    if (!list_directory(paths.pci_device(device.address) / kind).empty()) console.own_devices.emplace_back(kind);
  }
  // The card's other functions in its slot: its HDMI/DP audio's sound card.
  for (std::uint8_t function = 0; function < 8; ++function) {
    PciAddress other = device.address;
    other.function = function;
    if (other == device.address) continue;
    if (!list_directory(paths.pci_device(other) / "sound").empty()) console.own_devices.push_back(other.str() + "/sound");
  }
  return console;
}

std::string ConsoleHandover::describe() const {
  std::vector<std::string> parts;
  for (const auto& vt : console.vtconsoles) parts.push_back("unbind fbcon from " + vt.node);
  for (const auto& fb : console.framebuffers) parts.push_back("release " + fb.device + " (" + fb.driver + ")");
  for (const auto& unit : units) parts.push_back("stop " + unit + " if it runs");
  if (parts.empty()) parts.push_back("nothing to unbind (the console is already released)");
  return join(parts, "; ");
}

Expected<void> hand_over_console(ConsoleEnv& env, const std::string& domain, const ConsoleHandover& handover) {
  return Handover(env, domain, handover).run();
}

std::vector<Finding> hand_back_console(ConsoleEnv& env, const ConsoleRecord& record) { return Handback(env, record).run(); }

}  // namespace vfiohooks
