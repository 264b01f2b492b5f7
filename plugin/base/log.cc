// SPDX-License-Identifier: LGPL-2.1-or-later
#include "plugin/base/log.h"

#include <syslog.h>

#include <string>

namespace vfiohooks {

SyslogLog::SyslogLog() { ::openlog("vfio-hooks", LOG_PID, LOG_DAEMON); }
SyslogLog::~SyslogLog() { ::closelog(); }

void SyslogLog::info(std::string_view message) { ::syslog(LOG_INFO, "%s", std::string(message).c_str()); }
void SyslogLog::warning(std::string_view message) { ::syslog(LOG_WARNING, "%s", std::string(message).c_str()); }
void SyslogLog::error(std::string_view message) { ::syslog(LOG_ERR, "%s", std::string(message).c_str()); }

}  // namespace vfiohooks
