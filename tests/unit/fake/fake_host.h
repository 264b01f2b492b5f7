// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/kernel/host_paths.h"
#include "plugin/kernel/kernel.h"
#include "tests/unit/fake/fake_kernel_view.h"

namespace vfiohooks::testing {

// A host root in a temp directory, laid out like sysfs/procfs/devfs, and a Kernel that gives writes
// the kernel's semantics there (FACTS.md): bind/unbind move the `driver` links, driver_override is
// read at probe time, drivers_probe succeeds even when nothing binds, vfio-pci matches only through
// driver_override, /dev/vfio/N comes and goes with the group's first and last vfio device.
//
// ALL state the library's writes touch lives in the tree (the library writes from forked children,
// tests race processes):
//   <root>/.fake-kernel/drivers/<D>/{ids,module}   what the fake knows about each driver (loaded or not)
//   <root>/.fake-kernel/resets/<ADDRESS>            the resets a device's hardware offers besides a bus reset
//   <root>/.fake-kernel/faults                      injected faults, one per line
//   <root>/.fake-kernel/locked/<ADDRESS>/           a device whose lock a hanging remove holds
//   <root>/.fake-kernel/lock-waits                  every access that had to wait for a device lock
//   <root>/.fake-kernel-writes                      every write attempted: "/abs/path value" per line
//   <root>/.fake-kernel/ns/<NAME>/{mountinfo,view}  a mount namespace's table and root (the host's is <root>)
// What only reading needs — device numbers, the files behind /proc/PID/fd, loop backing files — is
// kept by the FakeKernelView that paths() carries, filled while the machine is built.
// Only the process that made the host removes its directory.
class FakeHost : public Kernel {
 public:
  // A healthy, empty host: IOMMU on (groups appear as devices are added), interrupt remapping,
  // vfio-pci installed as a module but not loaded, no devices.
  FakeHost();
  ~FakeHost() override;
  FakeHost(const FakeHost&) = delete;
  FakeHost& operator=(const FakeHost&) = delete;

  const std::filesystem::path& root() const { return root_; }
  HostPaths paths() const { return HostPaths(root_, view_); }
  // "<root>/sys/..." for "/sys/...".
  std::filesystem::path at(std::string_view absolute) const;

  // ---- Kernel -------------------------------------------------------------------------------
  Expected<void> write_attribute(const std::filesystem::path& path, std::string_view value) override;
  Expected<void> load_module(std::string_view name) override;

  // ---- Building the machine -----------------------------------------------------------------
  struct Driver {
    std::string name;                  // "e1000e"
    std::vector<std::string> ids;      // "8086:15bb", or "class:0604" (class/subclass); empty: override only
    std::string module;                // module name; empty: built in (always loaded)
    bool loaded = true;
    // A DRM driver with fbdev emulation (bochs-drm, i915, amdgpu): binding a device makes drm/cardN
    // and graphics/fbN below it and removes the firmware framebuffers on its memory; see below.
    bool drm = false;
  };
  void add_driver(const Driver& driver);

  struct Device {
    std::string address;               // "0000:05:00.0"
    std::string parent;                // upstream bridge's address; empty: on the root bus
    std::uint16_t vendor = 0;
    std::uint16_t device = 0;
    std::uint32_t class_code = 0;      // 0x020000
    std::uint8_t header_type = 0;      // without the multifunction bit
    bool multifunction = false;
    std::optional<unsigned> iommu_group;
    std::string driver;                // bound at boot; must be a loaded driver (or empty)
    std::string driver_override;
    bool boot_vga = false;
    unsigned sriov_totalvfs = 0;       // > 0: an SR-IOV PF
    bool vfio_dev = false;             // bound to a vfio variant driver: <dev>/vfio-dev exists
    // What the kernel reads when it picks the reset methods at enumeration (pci_init_reset_methods),
    // written into config space as a real capability list; reset_method and reset follow from it.
    bool pcie = false;                   // a PCI Express capability (and 4096 bytes of config space)
    bool flr = false;                    // ...with FLReset+ in DevCap
    bool af_flr = false;                 // an Advanced Features capability with TP+ and FLR+
    bool pm = false;                     // a power management capability...
    bool no_soft_reset = false;          // ...with No_Soft_Reset in PMCSR: D3hot -> D0 resets nothing
    bool device_specific_reset = false;  // a kernel quirk resets it (pci_dev_reset_methods)
    bool in_vendor_reset_table = false;  // the vendor-reset module, once loaded, resets it (device_specific)
    bool no_bus_reset = false;           // a kernel quirk forbids bus resets (PCI_DEV_FLAGS_NO_BUS_RESET)
  };
  void add_device(const Device& device);
  // Links `vf` to its PF `pf` (physfn, virtfnN) and sets the PF's sriov_numvfs.
  void add_virtfn(const std::string& pf, unsigned index, const std::string& vf);

  // A block device below a PCI device: `subpath` is relative to the device dir
  // ("nvme/nvme0/nvme0n1/nvme0n1p2"); its name is the last component; `dev` is "259:2".
  void add_block(const std::string& address, const std::string& subpath, const std::string& dev);
  // A virtual block device (dm-0, md0) stacked on `lowers` (their holders/ link to it).
  void add_virtual_block(const std::string& name, const std::string& dev, const std::vector<std::string>& lowers);
  // A mount in mount namespace `ns` ("host": PID 1's); everything below `mount_point` there stats
  // as being on `dev`. `options` are the filesystem's own (mountinfo's last field).
  void add_mount(const std::string& dev, const std::string& mount_point, const std::string& fs_type,
                 const std::string& source, const std::string& options = "rw", const std::string& ns = "host");
  // Takes a mount out of its namespace's table; files already open on it keep their identity, as
  // after umount -l.
  void umount(const std::string& mount_point, const std::string& ns = "host");
  void add_swap(const std::string& filename);  // "/dev/dm-1" as /proc/swaps shows it
  void add_swap_file(const std::string& path);  // a swap file, on whatever is mounted there
  // /dev/<name> (a plain file), and /dev/mapper/<alias> → ../<name> when an alias is given.
  void add_dev_node(const std::string& name, const std::string& mapper_alias = "");

  // ---- Networking (fake_host_network.cc; the rtnetlink answers are FakeNetwork's) -------------
  // A network interface of the device at `address`, up, in the host's network namespace: sysfs
  // <dev>/net/<interface> and /sys/class/net/<interface>; rtnetlink names the device its parent.
  void add_net(const std::string& address, const std::string& interface);
  // A virtio-net interface: the virtio device `virtio` (virtio0) below the function at `address`,
  // on the virtio bus, and its interface below it.
  void add_virtio_net(const std::string& address, const std::string& virtio, const std::string& interface);
  // A virtual interface on `lowers`, each lower getting an upper_<name> link and the interface a
  // lower_<lower> link (net/core/dev.c __netdev_adjacent_dev_insert). `kind` bond, bridge, team,
  // vrf and openvswitch (the datapath, ovs-system) make it the lowers' master; vlan, macvlan and
  // ipvlan sit on their one lower (IFLA_LINK).
  void add_virtual_net(const std::string& name, const std::vector<std::string>& lowers,
                       const std::string& kind = "bond");
  // An Open vSwitch internal port (a bridge's own interface, kind openvswitch, no master).
  void add_ovs_internal_port(const std::string& name);
  // A route through `interface`: the default route or 192.168.2.0/24 in the main table.
  void add_route(const std::string& interface, bool is_default);
  // A route of any table: `destination` "default" (IPv4), "default6", or "10.0.0.0/8".
  void add_table_route(const std::string& interface, const std::string& destination, unsigned table);
  void add_address(const std::string& interface, const std::string& cidr);  // "10.9.9.9/32"
  void add_global_ipv6(const std::string& interface);                       // 2001:db8::42/64
  // A network namespace; with `bind_mount`, /run/netns/<name> in the host's mount namespace keeps
  // it (ip netns add), and no process need be in it.
  void add_network_namespace(const std::string& name, bool bind_mount);
  // `ip link set dev INTERFACE netns NS` ("host" moves it back): the host's sysfs shows it only in
  // the host's namespace (sysfs tags net class directories by namespace).
  void move_net(const std::string& interface, const std::string& ns);
  // A packet socket of `pid` bound to `interface` (dhclient, tcpdump -i, lldpd): /proc/net/packet
  // of the interface's namespace, and a socket descriptor of the process.
  void add_packet_socket(int pid, const std::string& interface);
  // `pid` maps the file at `path` (as the process names it: "/sys/bus/pci/devices/.../resource0").
  void map_file(int pid, const std::string& path);
  FakeNetwork& network() { return view_->network(); }
  // The fake kernel's view: its call log and the faults it injects into reads.
  FakeKernelView& kernel_view() { return *view_; }

  void add_virtio(const std::string& address, const std::string& name, const std::string& mount_tag);

  // ---- Character devices, loop devices, btrfs ------------------------------------------------
  // A character device of a PCI device: sysfs <dev>/<subpath> with `dev` and a `subsystem` link
  // ("drm", "drm/card1", "226:1"), and its node (`node`, "/dev/dri/card1").
  void add_char_device(const std::string& address, const std::string& subsystem, const std::string& subpath,
                       const std::string& dev, const std::string& node);
  // The `name` attribute of an input device directory (".../input/input3") below `address`.
  void add_input_name(const std::string& address, const std::string& subpath, const std::string& name);
  // A bound loop device (`name` "loop0", `dev` "7:0") on the host file `file`, whose identity it
  // keeps from now on, as LOOP_GET_STATUS64 reports it; `status_error` makes that ioctl fail.
  void add_loop(const std::string& name, const std::string& dev, const std::string& file, int status_error = 0);
  // A btrfs filesystem over several block devices (/sys/fs/btrfs/UUID/devices/).
  void add_btrfs(const std::string& uuid, const std::vector<std::string>& members);
  // /proc/driver/nvidia/gpus/ADDRESS/information with "Device Minor: N".
  void add_nvidia_gpu(const std::string& address, unsigned minor);

  // ---- Processes and mount namespaces ---------------------------------------------------------
  // Every host runs PID 1 (systemd) and the hook itself (kHookPid, /proc/self) in the initial PID
  // and mount namespaces, with the host root as their root.
  static constexpr int kHookPid = 7000;
  // A mount namespace that starts as a copy of the host's (unshare -m, PrivateMounts=).
  void add_mount_namespace(const std::string& ns);
  // A character device node made with mknod inside namespace `ns` (a container's own /dev): its
  // own inode, the device number `dev`.
  void mknod_char(const std::string& ns, const std::string& path, const std::string& dev);
  struct Process {
    int pid = 0;
    std::string comm;
    std::string ns = "host";        // its mount namespace
    std::vector<std::string> open;  // files it has open, as paths in its namespace ("/dev/dri/card1")
    std::string cwd = "/";
    std::string net = "host";  // its network namespace
    std::string cgroup = "/";  // its cgroup in the unified hierarchy: "/system.slice/gdm.service"
  };
  void add_process(const Process& process);
  // It exits: its /proc entry goes, with its open files; the last process of a network namespace
  // no bind mount keeps takes the namespace with it, and its physical interfaces come back to the
  // host's (FACTS: net/core/dev.c default_device_exit_net).
  void end_process(int pid);
  // An open file of `pid` on a filesystem no mount table shows (lazily unmounted): readlink shows
  // `path`, stat its filesystem `dev`.
  void add_unmounted_file(int pid, const std::string& path, const std::string& dev);
  // The hook runs chrooted into `dir`: its root is not PID 1's, and its own mountinfo shows only
  // the mounts below `dir`.
  void chroot_hook(const std::string& dir);
  // /proc is a child PID namespace's: PID 1 is that namespace's init.
  void put_init_in_child_pid_namespace();
  // /proc/PID/fd cannot be read (hidepid, an LSM): EACCES.
  void deny_open_files(int pid);
  // A mount namespace no process is in, kept by a bind mount of its nsfs file at `file` in the
  // host's namespace (`unshare --mount=FILE`); it starts as a copy of the host's mounts. A visit
  // (KernelView::visit_mount_namespace) shows up as a process of ours in it while it lasts.
  void add_kept_namespace(const std::string& ns, const std::string& file);
  // Every read of `path` through the KernelView (stat, readlink, list, read) fails with `error`.
  void fail_read(const std::string& path, int error);
  // An NVMe controller `controller` ("nvme0") below `address` in the subsystem `subsystem`
  // ("nvme-subsys0") with native multipath: its namespace's disk `head` ("nvme0n1", `dev`) lives
  // under /sys/devices/virtual/nvme-subsystem/, and only a hidden path disk below the controller.
  void add_nvme_multipath(const std::string& address, const std::string& controller, const std::string& subsystem,
                          const std::string& head, const std::string& dev);
  // What the fake kernel answers reads with (claims, holds, failures).
  FakeKernelView& kernel_view() const { return *view_; }
  // For each write made, "PATH: DEV..." the block devices the library held open with O_EXCL then.
  std::vector<std::string> claims_at_writes() const;

  // ---- Consoles and framebuffers (fake_host_console.cc) --------------------------------------
  // The kernel's console layer as sysfs shows it: /sys/class/vtconsole/vtconN/{name,bind}, the
  // framebuffers in /sys/class/graphics, firmware framebuffers on the platform bus, /proc/iomem.
  // - The system console driver ("(S) dummy device") is registered first; "(S)" drivers cannot be
  //   bound or unbound through sysfs (vt_bind/vt_unbind need CON_DRIVER_FLAG_MODULE, "(M)").
  // - Registering a framebuffer while no other is: fbcon registers as "(M) frame buffer device"
  //   and takes the consoles over (fbcon_fb_registered → do_fbcon_takeover), unless its take-over
  //   is deferred. Unregistering the last one: fbcon hands the consoles to the first other driver
  //   and its vtconsole goes away (fbcon_fb_unregistered → do_unregister_con_driver).
  // - Writing a vtconsole's bind (simple_strtoul of the value): zero unbinds an "(M)" driver, its
  //   consoles going to the first other registered driver (do_unbind_con_driver); non-zero binds
  //   it only if the first "(S)" driver holds the consoles (vt_bind's defcsw). The write succeeds
  //   whatever happened (store_bind returns count).
  // - Platform drivers' bind/unbind move a framebuffer platform device's driver link; bound, it has
  //   fbN and its claim in /proc/iomem.
  // - A DRM driver binding a GPU unregisters every firmware framebuffer device on its memory
  //   (aperture_remove_conflicting_pci_devices → platform_device_unregister).
  // A memory BAR of a device: its line in `resource` and its region in /proc/iomem.
  void add_memory_bar(const std::string& address, unsigned index, std::uint64_t start, std::uint64_t size);
  // A framebuffer registered below the device (its driver's fbdev), with fbcon taking it as above.
  void add_framebuffer_console(const std::string& address);
  // A firmware framebuffer platform device `device` ("efi-framebuffer.0") bound to `driver`, drawing on
  // [start, start + size), which /proc/iomem shows as `claim` ("efifb"). With `resource` (sysfb's
  // simple-framebuffer), the device's own resource ("BOOTFB") stays in /proc/iomem while unbound.
  void add_firmware_framebuffer(const std::string& device, const std::string& driver, const std::string& claim,
                                std::uint64_t start, std::uint64_t size, const std::string& resource = "");
  // The firmware left VGA text mode (a BIOS boot): the system console is "(S) VGA+" instead of
  // "(S) dummy device". A DRM driver binding the boot VGA device swaps it for "(M) dummy device"
  // (vga_remove_vgacon), after which vt_bind can no longer bind fbcon (it needs a driver that is
  // not a module): only unbinding the dummy gives fbcon the consoles back. Call before any
  // framebuffer exists.
  void use_vga_text_console();
  // fbcon does not take consoles over when a framebuffer registers (deferred take-over).
  void defer_fbcon_takeover();
  // Binding `address` to its DRM driver registers no framebuffer (a probe that fails half-way).
  void no_framebuffer_on_probe(const std::string& address);
  // "vtcon0 (S) dummy device bind=0" per vtconsole, in node order.
  std::vector<std::string> vtconsoles() const;
  bool fbcon_bound() const;
  std::vector<std::string> framebuffers() const;            // "fb0 below 0000:00:02.0" / "fb0 below efi-framebuffer.0"
  std::string platform_driver_of(const std::string& device) const;  // "" when unbound
  bool platform_device_exists(const std::string& device) const;

  // ---- Runtime power management (fake_host_power.cc) -----------------------------------------
  // Every function starts awake: power/control "on" (pci_pm_init forbids runtime PM until user space
  // allows it), power/runtime_status "active", power_state "D0". runtime_suspend() puts one to sleep
  // as the kernel does once "auto" is written to power/control and it is idle: runtime_status
  // "suspended"; an unbound function stays in D0 (pci_pm_runtime_suspend), a bound one goes to
  // D3hot, or to D3cold where the platform can cut its power (`d3cold`: a laptop's discrete GPU). A
  // bridge sleeps only once every function below it does (rpm_suspend: -EBUSY while a child is
  // active): runtime_suspend throws otherwise.
  // FACTS (pci.c pci_config_pm_runtime_get): a read of a function's `config` resumes the bridge above
  // it (pm_runtime_get_sync of its parent) and, from D3cold, the function itself; both sleep again
  // once the read is done (pci_config_pm_runtime_put). Nothing else the library reads wakes a
  // function. Binding leaves the status as it is (the kernel resumes a function to probe it; vfio-pci
  // lets an unused one sleep again).
  void runtime_suspend(const std::string& address, bool d3cold = false);
  // The functions a config read woke, one entry per read (inotify merges back-to-back reads of one
  // file), oldest first. Reads by any process are seen (inotify IN_ACCESS: a read(2) that returned
  // data; an open alone is none, as for the kernel); the fake's own reads of config space never
  // touch the file.
  std::vector<std::string> wakes();

  // Host-wide switches.
  void set_interrupt_remapping(bool on);
  void set_allow_unsafe_interrupts(bool allowed);
  void remove_iommu();              // no groups, no iommu_group links: the IOMMU is off
  // Boots a kernel of another release (default 6.8.0-fake): before 5.15 there is no reset_method,
  // only `reset`; before 4.13 a bridge shows no secondary_bus_number (only its pci_bus directory, and
  // its config space, say it is one). Call it before adding devices.
  void set_kernel_release(const std::string& release);
  // Every config file shows only its first 64 bytes: what a process without CAP_SYS_ADMIN reads
  // (pci_read_config).
  void read_config_unprivileged();
  // A module that drives no PCI device, loaded (/sys/module/NAME): vendor_reset.
  void add_loaded_module(const std::string& name);
  void uninstall_module(const std::string& module);  // gone from modules.dep and unknown to load_module

  // ---- Fault injection (persistent, in the tree; matched on the path's suffix) ---------------
  // A write whose path ends with `path_suffix` (and whose value is `value`, when given) fails.
  void fail_writes(const std::string& path_suffix, int error, const std::string& value = "");
  // Such a write succeeds and changes nothing (an attribute whose store ignores what it cannot do,
  // as a vtconsole's bind does).
  void ignore_writes(const std::string& path_suffix, const std::string& value = "");
  // Such a write sleeps `ms` first (a blocked sysfs write; killing the writer abandons it).
  void block_writes(const std::string& path_suffix, int ms, const std::string& value = "");
  // A write to drivers_probe (for `address`, or for any device) succeeds and binds nothing: a probe
  // that fails in dmesg only.
  void probe_binds_nothing(const std::string& address = "");
  // When a write to `path_suffix` arrives, device `address` disappears first (surprise removal).
  void vanish_on_write(const std::string& path_suffix, const std::string& address);
  void fail_module_load(const std::string& module);
  // An unbind of `address` from its driver hangs in the driver's remove, as a 9p share's does while
  // it is mounted (drivers/base/dd.c __device_release_driver): the `driver` link vanishes at once,
  // then the writer sleeps uninterruptibly holding the device's lock. While it does, /proc shows
  // the writer in state D (it survives SIGKILL), writes that take the lock (driver_override, bind,
  // unbind of the device) wait for it, reading driver_override or sriov_numvfs blocks (those files
  // become FIFOs), and drivers_probe does nothing (the kernel still sees the old driver). Each wait
  // is logged (lock_waits). The remove finishes at finish_remove(), or by itself after `max_ms`.
  void hang_remove(const std::string& address, int max_ms);
  // The remove of `address` finishes (what the driver waited for was released): the device is
  // unbound, its lock free, its writer gone. Writes that waited for the lock land now, those of
  // killed writers too (mutex_lock is not interruptible: the kernel finishes the write first).
  void finish_remove(const std::string& address);
  // True once an unbind of `address` hangs in its remove (the link already gone).
  bool remove_hanging(const std::string& address) const;
  // Someone vfio-hooks has no record of (an admin's `echo ADDRESS > .../unbind`) unbinds `address`
  // from its driver, whose remove hangs (hang_remove, for at most `max_ms`). Returns the writer's
  // pid once the remove holds the device's lock. The writer is a child of the calling process: reap
  // it once the remove is over (finish_remove).
  pid_t unbind_elsewhere(const std::string& address, int max_ms = 20000);
  void clear_faults();

  // ---- Looking ------------------------------------------------------------------------------
  std::string driver_of(const std::string& address) const;    // "" when unbound
  std::string override_of(const std::string& address) const;  // "" when unset
  bool has_vfio_node(unsigned group) const;
  bool device_exists(const std::string& address) const;
  // Every device's driver and override, and the /dev/vfio nodes: equal snapshots mean nothing changed.
  std::string snapshot() const;
  // How many times the library listed /proc: once per scan of the processes.
  int process_scans() const { return view_->times_listed(at("/proc")); }
  // Every write attempted, "/sys/... value" ("\n" in a value shown as \n), oldest first.
  std::vector<std::string> writes() const;
  void clear_writes();
  // Every access that waited for a device lock a hanging remove held: "write PATH VALUE" or
  // "read PATH". Empty: nothing ever blocked behind it.
  std::vector<std::string> lock_waits() const;

 private:
  std::filesystem::path device_dir(const std::string& address) const;  // resolved; empty when absent
  std::filesystem::path driver_dir(const std::string& driver) const;
  std::filesystem::path known_driver(const std::string& driver) const;
  std::vector<std::string> known_drivers() const;
  std::vector<std::string> ids_of(const std::string& driver) const;
  bool is_loaded(const std::string& driver) const;
  bool matches(const std::string& driver, const std::string& address) const;
  bool ids_match(const std::string& driver, const std::string& address) const;
  int probe(const std::string& driver, const std::string& address);  // 0 or an errno
  void attach(const std::string& driver, const std::string& address);
  void detach(const std::string& address);
  void remove_device(const std::string& address);
  void make_driver_dir(const std::string& driver);
  void probe_unbound_devices(const std::string& driver);  // driver registration, new_id
  std::optional<unsigned> group_of(const std::string& address) const;
  // Config space as the device holds it (the fake's own copy: reading the sysfs file would count as
  // a wake), and whether its header type is other than 0.
  std::string hardware_config(const std::string& address) const;
  bool is_bridge_header(const std::string& address) const;
  // A bridge's secondary bus as sysfs shows it: secondary_bus_number (>= 4.13) and pci_bus/DDDD:BB.
  void set_secondary_bus(const std::filesystem::path& bridge_dir, const std::string& domain, unsigned bus) const;
  bool release_at_least(unsigned major, unsigned minor) const;
  std::vector<std::string> probe_reset_methods(const std::string& address) const;
  Expected<void> write_reset_method(const std::string& address, const std::filesystem::path& path, std::string value);
  bool is_vfio_driver(const std::string& driver) const;
  Expected<void> apply_write(const std::filesystem::path& path, std::string value);
  Expected<void> as_the_host_names_it(Expected<void> result) const;
  // ---- the device lock of a hanging remove ----
  std::filesystem::path lock_dir(const std::string& address) const;
  bool is_locked(const std::string& address) const;
  // The device whose lock a write to `path` with `value` takes, or "" for none.
  std::string lock_taken_by(const std::filesystem::path& path, const std::string& value) const;
  // Waits like a process in D state: /proc shows it so, and its write lands at finish_remove()
  // even when it was killed meanwhile.
  void wait_for_lock(const std::string& address, const std::filesystem::path& path, const std::string& value,
                     const std::string& what);
  void show_in_proc(pid_t pid, char state) const;
  Expected<void> hang_in_remove(const std::string& address, int max_ms);
  // An attribute's text, from the saved copy while the device is locked (the file is a FIFO then).
  std::string attribute_of(const std::string& address, const std::string& name) const;
  void append(const std::filesystem::path& file, const std::string& line) const;
  void relink(const std::filesystem::path& link, const std::filesystem::path& target) const;
  // The console layer (fake_host_console.cc).
  void on_attached(const std::string& driver, const std::string& address);
  void on_detaching(const std::string& driver, const std::string& address);
  Expected<void> console_write(const std::filesystem::path& parent, const std::string& name, const std::string& value,
                               bool& handled);
  void ensure_system_console();
  std::string add_vtconsole(const std::string& name, bool take_consoles);  // returns its node
  void remove_vtconsole(const std::string& node);
  void take_consoles_to(const std::string& node);
  void hand_consoles_back_from(const std::string& node);
  void register_framebuffer(const std::filesystem::path& parent, const std::string& name);
  void unregister_framebuffers_below(const std::filesystem::path& dir);
  void set_vtconsole_bound(const std::string& node, bool bound);
  std::string vtconsole_node(const std::string& prefix) const;  // the node whose name starts so; "" when none
  void add_iomem(std::uint64_t start, std::uint64_t end, const std::string& name);
  void remove_iomem(const std::string& name);
  void render_iomem();
  void attach_platform(const std::string& device, const std::string& driver);
  void detach_platform(const std::string& device);
  void unregister_platform(const std::string& device);

  // The processes, namespaces and mounts part (fake_host_processes.cc).
  struct FakeMount {
    std::string ns;
    unsigned id = 0;
    std::string dev, mount_point, fs_type, source, options;
    std::string root = "/";
  };
  void start_processes();
  std::filesystem::path ns_view(const std::string& ns) const;
  void write_mount_tables();
  void add_block_node(const std::filesystem::path& sysfs_dir, const std::string& dev);
  void end_network_namespace_of(int pid);
  void unregister_nets(const std::string& address);
  void register_nets(const std::string& address);
  void link_magic(int pid, const std::string& name, const std::filesystem::path& target, const std::string& shown);

  std::filesystem::path root_;
  int owner_pid_ = 0;
  std::shared_ptr<FakeKernelView> view_;
  std::vector<FakeMount> mounts_;
  std::vector<std::string> namespaces_{"host"};
  std::string hook_root_ = "/";
  unsigned next_mount_id_ = 30;
  std::uint64_t next_socket_ = 90000;
  std::map<std::string, std::filesystem::path> net_dirs_;  // interface -> its sysfs directory
  std::map<int, std::string> process_nets_;                // pid -> its network namespace
  std::set<std::string> bound_namespaces_;                 // network namespaces a bind mount keeps
  unsigned next_detached_ = 1;
  int next_visitor_ = 30000;
  // Runtime PM (fake_host_power.cc): one inotify instance watching sleeping functions' config files.
  int inotify_fd_ = -1;
  std::map<int, std::string> watched_;  // watch descriptor -> address
  std::vector<std::string> wakes_;
};

}  // namespace vfiohooks::testing
