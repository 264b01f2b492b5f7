// SPDX-License-Identifier: LGPL-2.1-or-later
#pragma once

#include <string_view>

namespace vfiohooks {

// Where actions are recorded. Production logs to syslog (ident "vfio-hooks"); tests record.
class Log {
 public:
  virtual ~Log() = default;
  virtual void info(std::string_view message) = 0;
  virtual void warning(std::string_view message) = 0;
  virtual void error(std::string_view message) = 0;
};

class SyslogLog : public Log {
 public:
  SyslogLog();
  ~SyslogLog() override;
  void info(std::string_view message) override;
  void warning(std::string_view message) override;
  void error(std::string_view message) override;
};

class NullLog : public Log {
 public:
  void info(std::string_view) override {}
  void warning(std::string_view) override {}
  void error(std::string_view) override {}
};

}  // namespace vfiohooks
