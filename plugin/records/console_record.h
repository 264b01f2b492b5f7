// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "plugin/base/error.h"
#include "plugin/records/indexed_record.h"
#include "plugin/records/pci_address.h"
#include "plugin/records/state_store.h"

namespace vfiohooks {

// One thing done to hand a host console over, recorded before it is done.
struct ConsoleStep {
  enum class Kind {
    vtconsole,    // fbcon unbound from a virtual console
    framebuffer,  // a firmware framebuffer platform device unbound from its driver
    unit,         // a systemd unit stopped
  };
  Kind kind = Kind::vtconsole;
  // vtconsole: the console driver's name ("(M) frame buffer device"), because fbcon may come back
  // under another vtconN; framebuffer: the platform device ("efi-framebuffer.0"); unit: "gdm.service".
  std::string name;
  // vtconsole: the node it was bound at ("vtcon1"); framebuffer: its driver ("efi-framebuffer").
  std::string where;

  // "fbcon on vtcon1", "efi-framebuffer.0 (efi-framebuffer)", "gdm.service".
  std::string describe() const;
};

// A host console handed over for a domain: what to give back, in the order it was taken.
struct ConsoleRecord {
  PciAddress gpu;
  std::string domain;
  // What the GPU's own driver showed before ("drm", "graphics") and its card's sound cards
  // ("0000:01:00.1/sound"): waited for after it comes back, before the console is rebound on it
  // and the units start.
  std::vector<std::string> wait_for;
  std::vector<ConsoleStep> steps;
  std::int64_t since = 0;  // seconds since the epoch

  // What is still released, in the order it was taken: "fbcon on vtcon1, gdm.service"; empty when
  // nothing is.
  std::string describe_steps() const;
};

// The console records beside the device records, written the same crash-safe way and indexed the
// same way (/run/vfio-hooks/consoles/ADDRESS.json and ADDRESS@DOMAIN), under the same state lock.
class ConsoleStore {
 public:
  explicit ConsoleStore(std::filesystem::path state_dir);

  Expected<void> save(const ConsoleRecord& record) { return records_.save(record); }
  Expected<void> remove(const PciAddress& gpu) { return records_.remove(gpu); }
  std::optional<ConsoleRecord> find(const PciAddress& gpu) const { return records_.find(gpu); }

  using Contents = IndexedRecords<ConsoleRecord>::Contents;
  Contents load() const { return records_.load(); }

 private:
  IndexedRecords<ConsoleRecord> records_;
};

std::string_view to_string(ConsoleStep::Kind kind);

}  // namespace vfiohooks
