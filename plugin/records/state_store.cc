// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/records/state_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>
#include <thread>

#include <nlohmann/json.hpp>

#include "plugin/base/deadline.h"
#include "plugin/base/durable_file.h"
#include "plugin/base/printable.h"

namespace vfiohooks {

namespace fs = std::filesystem;
using nlohmann::json;

namespace {

Error os_error(const std::string& what, int code) { return Error{what + ": " + std::strerror(code), code}; }

json to_json(const Record& record) {
  json out = {{"address", record.address.str()},
              {"domain", record.domain},
              {"original_driver", record.original_driver},
              {"original_override", record.original_override},
              {"companion", record.companion},
              {"phase", to_string(record.phase)},
              {"since", record.since}};
  if (record.iommu_group) out["iommu_group"] = *record.iommu_group;
  if (const auto& blocked = record.blocked_write) {
    out["blocked_write"] = {{"pid", blocked->pid}, {"start_time", blocked->start_time}, {"write", blocked->what}};
  }
  return out;
}

// The field's value when it is a whole number that fits T; records are ours, but a bad one must be
// an error, never a wrapped or truncated number.
template <typename T>
Expected<T> integer_field(const json& in, const char* key) {
  const json& value = in.at(key);
  if (value.is_number_unsigned() && std::in_range<T>(value.get<std::uint64_t>())) {
    return static_cast<T>(value.get<std::uint64_t>());
  }
  if (value.is_number_integer() && !value.is_number_unsigned() && std::in_range<T>(value.get<std::int64_t>())) {
    return static_cast<T>(value.get<std::int64_t>());
  }
  return fail(std::string("'") + key + "' is not a whole number in range");
}

Expected<BlockedWrite> blocked_write_from(const json& in) {
  if (!in.is_object()) return fail("'blocked_write' is not an object");
  BlockedWrite blocked;
  auto pid = integer_field<int>(in, "pid");
  if (!pid) return tl::unexpected(pid.error());
  if (*pid <= 0) return fail("'pid' is not a process id");
  auto start = integer_field<std::uint64_t>(in, "start_time");
  if (!start) return tl::unexpected(start.error());
  blocked.pid = *pid;
  blocked.start_time = *start;
  blocked.what = in.at("write").get<std::string>();
  if (!is_printable(blocked.what)) return fail("'write' holds control characters");
  return blocked;
}

}  // namespace

std::string record_text(const Record& record) {
  return to_json(record).dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

Expected<Record> parse_record(std::string_view text) {
  const json in = json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_object()) return fail("not a JSON object");
  try {
    Record record;
    auto address = parse_pci_address(in.at("address").get<std::string>());
    if (!address) return tl::unexpected(address.error());
    record.address = *address;
    record.domain = in.at("domain").get<std::string>();
    record.original_driver = in.at("original_driver").get<std::string>();
    record.original_override = in.at("original_override").get<std::string>();
    record.companion = in.value("companion", false);
    const auto phase = in.at("phase").get<std::string>();
    if (phase != "intent" && phase != "bound") {
      return fail("unknown phase '" + printable(phase, 40) + "'");
    }
    record.phase = phase == "bound" ? Phase::bound : Phase::intent;
    if (in.contains("since")) {
      auto since = integer_field<std::int64_t>(in, "since");
      if (!since) return tl::unexpected(since.error());
      record.since = *since;
    }
    if (in.contains("iommu_group")) {
      auto group = integer_field<unsigned>(in, "iommu_group");
      if (!group) return tl::unexpected(group.error());
      record.iommu_group = *group;
    }
    if (in.contains("blocked_write")) {
      auto blocked = blocked_write_from(in.at("blocked_write"));
      if (!blocked) return tl::unexpected(blocked.error());
      record.blocked_write = std::move(*blocked);
    }
    return record;
  } catch (const json::exception& error) {
    return fail(std::string("missing or mistyped field (") + error.what() + ")");
  }
}

std::string_view to_string(Phase phase) { return phase == Phase::bound ? "bound" : "intent"; }

StateStore::StateStore(fs::path state_dir)
    : dir_(std::move(state_dir)),
      records_(dir_ / "devices", {record_text, parse_record, [](const Record& r) -> const PciAddress& { return r.address; }}) {}

Expected<StateLock> StateLock::acquire(const fs::path& state_dir, std::chrono::milliseconds wait) {
  if (auto made = ensure_private_directory(state_dir); !made) return tl::unexpected(made.error());
  const fs::path file = state_dir / "lock";
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return tl::unexpected(os_error("cannot open " + file.string(), errno));
  const auto deadline = std::chrono::steady_clock::now() + wait;
  while (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    if (errno != EWOULDBLOCK && errno != EINTR) {
      const int code = errno;
      ::close(fd);
      return tl::unexpected(os_error("cannot lock " + file.string(), code));
    }
    if (stop_requested()) {
      ::close(fd);
      return fail("stopped by a signal while waiting for " + file.string(), ECANCELED);
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      ::close(fd);
      return fail("another vfio-hooks process holds " + file.string() + " (waited " +
                      std::to_string(wait.count() / 1000) + " s)",
                  EWOULDBLOCK);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return StateLock(fd);
}

StateLock::StateLock(StateLock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }

StateLock::~StateLock() {
  if (fd_ >= 0) ::close(fd_);
}

}  // namespace vfiohooks
