// SPDX-License-Identifier: LGPL-2.1-or-later
#include "tests/unit/tools/vfioctl_runner.h"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tools/cli.h"

extern char** environ;

namespace vfiohooks::testing {

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

RunResult run_vfioctl_in_process(const HostPaths& paths, Kernel& kernel, Log& log, vfioctl::ConnectionFactory connect,
                                 const std::vector<std::string>& args, std::chrono::milliseconds lock_wait) {
  std::ostringstream out, err;
  std::istringstream in;
  vfioctl::Context ctx(paths, kernel, log, std::move(connect), out, err, in);
  ctx.lock_wait = lock_wait;
  const int status = vfioctl::run_vfioctl(ctx, args);
  return {status, out.str(), err.str()};
}

RunResult run_vfioctl_process(const std::vector<std::string>& args, const std::string& input,
                              std::optional<std::chrono::milliseconds> limit) {
  char dir_template[] = "/tmp/vfioctl-run.XXXXXX";
  if (::mkdtemp(dir_template) == nullptr) throw std::runtime_error("mkdtemp");
  const std::string dir = dir_template;
  std::ofstream(dir + "/in") << input;

  std::vector<std::string> argv_storage{VFIOCTL_PATH};
  argv_storage.insert(argv_storage.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_storage) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e != nullptr; ++e) {
    if (std::string(*e).rfind("LIBVIRT_DEFAULT_URI=", 0) != 0) env_storage.emplace_back(*e);
  }
  std::vector<char*> envp;
  for (auto& e : env_storage) envp.push_back(e.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, (dir + "/in").c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, (dir + "/out").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  posix_spawn_file_actions_addopen(&actions, 2, (dir + "/err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  pid_t pid = 0;
  const int rc = posix_spawn(&pid, argv[0], &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot run " + std::string(VFIOCTL_PATH));
  RunResult result;
  int status = 0;
  const auto deadline = std::chrono::steady_clock::now() + limit.value_or(std::chrono::milliseconds(0));
  for (;;) {
    const pid_t done = ::waitpid(pid, &status, limit ? WNOHANG : 0);
    if (done == pid) break;
    if (done < 0 && errno != EINTR) throw std::runtime_error("waitpid");
    if (done == 0 && std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid, SIGKILL);
      result.timed_out = true;
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      break;
    }
    if (done == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  result.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  result.out = slurp(dir + "/out");
  result.err = slurp(dir + "/err");
  std::filesystem::remove_all(dir);
  return result;
}

std::string data_file(const std::string& name) { return std::string(VFIOCTL_DATA_DIR) + "/" + name; }

std::string test_host_uri() { return "test://" + data_file("host.xml"); }

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> result;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) result.push_back(line);
  return result;
}

}  // namespace vfiohooks::testing
