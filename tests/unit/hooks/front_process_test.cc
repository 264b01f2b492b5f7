// SPDX-License-Identifier: LGPL-2.1-or-later
// The built front (vfio-hooks-qemu) as libvirt runs it: argv, the domain XML on a pipe, exit
// status, stdout and stderr, and whether it started the engine beside it with what. Each run is in a
// user and mount namespace of its own, with a tmpfs on /run, so /run/vfio-hooks is the test's and
// "root" is root only there; the engine is a script that records what it was given.
#include <fcntl.h>
#include <sched.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "plugin/base/sysfs_reader.h"
#include "tests/unit/hooks/libvirt_message.h"

namespace vfiohooks {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::MatchesRegex;

constexpr const char* kPciDomain =
    "<domain type='kvm'><name>guest</name><devices><hostdev mode='subsystem' type='pci' managed='yes'><source>"
    "<address domain='0x0000' bus='0x03' slot='0x00' function='0x0'/></source></hostdev></devices></domain>\n";
constexpr const char* kUsbDomain =
    "<domain type='kvm'><name>guest</name><devices><hostdev mode='subsystem' type='usb'><source><vendor "
    "id='0x046d'/><product id='0xc52b'/></source></hostdev></devices></domain>\n";
// What the engine stand-in records: its argv, one per line, and its stdin.
constexpr const char* kRecordingEngine =
    "#!/bin/sh\nd=$(dirname \"$0\")\nprintf '%s\\n' \"$0\" \"$@\" > \"$d/engine-argv\"\ncat > \"$d/engine-stdin\"\n"
    "echo engine-stderr >&2\nexit 7\n";

struct FrontRun {
  int status = -1;
  std::string out;
  std::string err;
};

class FrontProcessTest : public ::testing::Test {
 protected:
  FrontProcessTest() {
    char pattern[] = "/tmp/vfio-hooks-front-XXXXXX";
    dir_ = ::mkdtemp(pattern);
    fs::copy_file(VFIO_HOOKS_FRONT, front());
  }
  ~FrontProcessTest() override { fs::remove_all(dir_); }

  fs::path front() const { return dir_ / "vfio-hooks-qemu"; }
  fs::path engine() const { return dir_ / "vfio-hooks-engine"; }
  void install_engine(fs::perms perms = fs::perms(0755)) {
    std::ofstream(engine()) << kRecordingEngine;
    fs::permissions(engine(), perms);
  }
  bool engine_ran() const { return fs::exists(dir_ / "engine-argv"); }
  std::vector<std::string> engine_argv() const {
    std::vector<std::string> lines;
    std::ifstream in(dir_ / "engine-argv");
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
  }
  std::string engine_stdin() const { return read_file(dir_ / "engine-stdin").value_or("(none)"); }

  // Runs the front with `args`, `xml` written to its stdin through a pipe, and these files under
  // /run/vfio-hooks ("devices/ADDRESS.json", "devices/" for an empty directory; no directory at all
  // when `state` is nullopt), as uid `uid` (0: root).
  using State = std::optional<std::vector<std::string>>;
  FrontRun run(const std::vector<std::string>& args, const std::string& xml, const State& state = std::nullopt,
               uid_t uid = 0) {
    return run_with(args, xml, state, {}, uid);
  }
  // The same, with these files (path under /run, content) in the run's /run too.
  using RunFiles = std::vector<std::pair<std::string, std::string>>;
  FrontRun run_with(const std::vector<std::string>& args, const std::string& xml, const State& state,
                    const RunFiles& run_files, uid_t uid = 0) {
    int in[2];
    if (::pipe(in) != 0) return {};
    const fs::path out = dir_ / "stdout", err = dir_ / "stderr";
    const pid_t child = ::fork();
    if (child == 0) {
      ::close(in[1]);
      enter_namespaces(uid, state, run_files);
      ::dup2(in[0], STDIN_FILENO);
      ::dup2(::open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), STDOUT_FILENO);
      ::dup2(::open(err.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600), STDERR_FILENO);
      std::vector<std::string> argv{"/etc/libvirt/hooks/qemu.d/50-vfio-hooks"};
      argv.insert(argv.end(), args.begin(), args.end());
      std::vector<char*> pointers;
      for (auto& arg : argv) pointers.push_back(arg.data());
      pointers.push_back(nullptr);
      ::execv(front().c_str(), pointers.data());
      ::_exit(126);
    }
    ::close(in[0]);
    ::signal(SIGPIPE, SIG_IGN);  // the front may stop reading early, as it may with libvirt
    for (std::size_t done = 0; done < xml.size();) {
      const ssize_t n = ::write(in[1], xml.data() + done, xml.size() - done);
      if (n <= 0) break;
      done += static_cast<std::size_t>(n);
    }
    ::close(in[1]);
    int status = 0;
    ::waitpid(child, &status, 0);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), read_file(out).value_or(""),
            read_file(err).value_or("")};
  }

  fs::path dir_;

 private:
  // In the child: a user namespace where the test is `uid`, a mount namespace with a tmpfs of its own
  // on /run holding the given state. Exits 125 with a message when the kernel does not allow it.
  static void enter_namespaces(uid_t uid, const std::optional<std::vector<std::string>>& state,
                               const RunFiles& run_files) {
    const uid_t outer_uid = ::geteuid();
    const gid_t outer_gid = ::getegid();
    auto die = [](const char* what) {
      std::perror(what);
      ::_exit(125);
    };
    if (::unshare(CLONE_NEWUSER | CLONE_NEWNS) != 0) die("unshare(CLONE_NEWUSER | CLONE_NEWNS)");
    auto write_to = [&](const char* file, const std::string& text) {
      std::ofstream out(file);
      if (!(out << text) || !out.flush()) die(file);
    };
    write_to("/proc/self/setgroups", "deny");
    write_to("/proc/self/uid_map", std::to_string(uid) + " " + std::to_string(outer_uid) + " 1\n");
    write_to("/proc/self/gid_map", "0 " + std::to_string(outer_gid) + " 1\n");
    if (::mount("tmpfs", "/run", "tmpfs", 0, "mode=0755") != 0) die("mount tmpfs on /run");
    for (const auto& [path, content] : run_files) {
      const fs::path file = "/run/" + path;
      fs::create_directories(file.parent_path());
      std::ofstream(file) << content;
    }
    if (!state) return;
    fs::create_directories("/run/vfio-hooks");
    for (const auto& name : *state) {
      const fs::path file = "/run/vfio-hooks/" + name;
      fs::create_directories(file.parent_path());
      if (!name.ends_with('/')) std::ofstream(file) << "{}";
    }
  }
};

TEST_F(FrontProcessTest, PrepareOfAPciAssignmentHandsTheSameArgvAndAllTheXmlToTheEngine) {
  install_engine();
  // Larger than the front's first read buffer and than a pipe holds.
  std::string xml = kPciDomain;
  xml.insert(xml.find("<devices>"), "<description>" + std::string(300000, 'x') + "</description>");

  const FrontRun result = run({"guest", "prepare", "begin", "-"}, xml);

  EXPECT_EQ(result.status, 7) << result.err;  // the engine's
  EXPECT_THAT(engine_argv(), ::testing::ElementsAre(engine().string(), "guest", "prepare", "begin", "-"));
  EXPECT_EQ(engine_stdin(), xml);
  EXPECT_EQ(result.err, "engine-stderr\n");
  EXPECT_EQ(result.out, "");
}

TEST_F(FrontProcessTest, PrepareOfADomainWithoutPciAssignmentNeverStartsTheEngine) {
  install_engine();
  const FrontRun result = run({"guest", "prepare", "begin", "-"}, kUsbDomain, std::vector<std::string>{});
  EXPECT_EQ(result.status, 0);
  EXPECT_FALSE(engine_ran());
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.err, "");
}

// <interface type='network'>: the front reads the network's status file under /run (the tmpfs here)
// and starts the engine only for a network whose definition may be a hostdev pool. With no status
// file it reads the config under /etc, which has no such network on a test machine.
TEST_F(FrontProcessTest, PrepareOfANetworkInterfaceStartsTheEngineOnlyForAHostdevPool) {
  install_engine();
  const auto domain = [](const std::string& network) {
    return "<domain><name>guest</name><devices><interface type='network'><source network='" + network +
           "'/><model type='virtio'/></interface></devices></domain>\n";
  };
  const RunFiles networks = {
      {"libvirt/network/vfio-hooks-test-nat.xml",
       "<networkstatus><class_id bitmap='0-2'/><floor sum='0'/><network><name>vfio-hooks-test-nat</name><forward "
       "mode='nat'/><bridge name='virbr9'/></network></networkstatus>\n"},
      {"libvirt/network/vfio-hooks-test-pool.xml",
       "<networkstatus><class_id bitmap='0-2'/><floor sum='0'/><network><name>vfio-hooks-test-pool</name><forward "
       "mode='hostdev' managed='yes'><address type='pci' domain='0x0000' bus='0x03' slot='0x10' function='0x1'/>"
       "</forward></network></networkstatus>\n"},
  };
  for (const std::string network : {"vfio-hooks-test-nat", "vfio-hooks-test-undefined"}) {
    const FrontRun result = run_with({"guest", "prepare", "begin", "-"}, domain(network), std::nullopt, networks);
    EXPECT_EQ(result.status, 0) << network << ": " << result.err;
    EXPECT_EQ(result.err, "") << network;
    EXPECT_FALSE(engine_ran()) << network;
  }
  const FrontRun pool =
      run_with({"guest", "prepare", "begin", "-"}, domain("vfio-hooks-test-pool"), std::nullopt, networks);
  EXPECT_EQ(pool.status, 7) << pool.err;
  EXPECT_EQ(engine_stdin(), domain("vfio-hooks-test-pool"));
}

// A network file the front cannot read is for the engine to judge (it refuses what it cannot read).
TEST_F(FrontProcessTest, AnUnreadableNetworkDefinitionStartsTheEngine) {
  install_engine();
  const std::string xml =
      "<domain><name>guest</name><devices><interface type='network'><source "
      "network='vfio-hooks-test-dir'/></interface></devices></domain>\n";
  // A directory where the file should be: open(2) succeeds, read(2) fails with EISDIR.
  const FrontRun result = run_with({"guest", "prepare", "begin", "-"}, xml, std::nullopt,
                                   {{"libvirt/network/vfio-hooks-test-dir.xml/x", ""}});
  EXPECT_EQ(result.status, 7) << result.err;
  EXPECT_TRUE(engine_ran());
}

TEST_F(FrontProcessTest, AMissingEngineRefusesTheStartInOneLine) {
  const FrontRun result = run({"guest", "prepare", "begin", "-"}, kPciDomain);
  EXPECT_EQ(result.status, 1);
  EXPECT_EQ(result.err, "vfio-hooks: engine: cannot run " + engine().string() +
                            ": No such file or directory; fix: reinstall vfio-hooks (vfio-hooks-engine belongs "
                            "beside vfio-hooks-qemu)\n");
  EXPECT_EQ(result.out, "");
  // virt-manager's dialog shows it whole, with the installed path and a long domain name.
  std::string line = result.err.substr(0, result.err.find('\n'));
  line.replace(line.find(engine().string()), engine().string().size(), "/usr/libexec/vfio-hooks/vfio-hooks-engine");
  EXPECT_LE((testing::libvirt_prefix("windows11-gaming-gpu", "prepare", "begin") + line).size(),
            testing::kDialogCharacters);
}

TEST_F(FrontProcessTest, AnEngineThatIsNotExecutableRefusesTheStart) {
  install_engine(fs::perms(0644));
  const FrontRun result = run({"guest", "prepare", "begin", "-"}, kPciDomain);
  EXPECT_EQ(result.status, 1);
  EXPECT_THAT(result.err,
              MatchesRegex("vfio-hooks: engine: cannot run .*/vfio-hooks-engine: Permission denied; fix: .*\n"));
  EXPECT_FALSE(engine_ran());
}

TEST_F(FrontProcessTest, ReleaseStartsTheEngineOnlyWhenTheIndexNamesTheDomainOrCannotSay) {
  install_engine();
  const std::vector<std::string> other = {"devices/0000:03:00.0.json", "devices/0000:03:00.0@other"};
  EXPECT_EQ(run({"guest", "release", "end", "-"}, kPciDomain).status, 0);  // no /run/vfio-hooks at all
  EXPECT_EQ(run({"guest", "release", "end", "-"}, kPciDomain, other).status, 0);
  EXPECT_FALSE(engine_ran());

  const FrontRun mine =
      run({"guest", "release", "end", "-"}, kPciDomain, State({"devices/0000:04:00.0.json", "devices/0000:04:00.0@guest"}));
  EXPECT_EQ(mine.status, 7);
  EXPECT_THAT(engine_argv(), ::testing::ElementsAre(engine().string(), "guest", "release", "end", "-"));
  EXPECT_EQ(engine_stdin(), kPciDomain);  // stdin is libvirt's, untouched
  fs::remove(dir_ / "engine-argv");

  // A record without an entry (from before the index) could be anybody's.
  EXPECT_EQ(run({"guest", "release", "end", "-"}, kPciDomain, State({"devices/0000:05:00.0.json"})).status, 7);
  EXPECT_TRUE(engine_ran());
}

// libvirt runs release after a start that failed once the console was handed over (take_devices
// gave the devices back, the console did not come back): a console record is all the domain holds,
// and only the engine can give the console back.
TEST_F(FrontProcessTest, ReleaseStartsTheEngineForADomainHoldingOnlyAConsole) {
  install_engine();
  const State others = State({"devices/", "consoles/0000:00:02.0.json", "consoles/0000:00:02.0@other"});
  EXPECT_EQ(run({"guest", "release", "end", "-"}, kPciDomain, others).status, 0);
  EXPECT_FALSE(engine_ran());

  const State console = State({"devices/", "consoles/0000:00:02.0.json", "consoles/0000:00:02.0@guest"});
  EXPECT_EQ(run({"guest", "release", "end", "-"}, kPciDomain, console).status, 7);
  EXPECT_THAT(engine_argv(), ::testing::ElementsAre(engine().string(), "guest", "release", "end", "-"));
  fs::remove(dir_ / "engine-argv");
  EXPECT_EQ(run({"guest", "reconnect", "begin", "-"}, kPciDomain, console).status, 7);
  EXPECT_TRUE(engine_ran());
  fs::remove(dir_ / "engine-argv");
  // A console record without an entry could be anybody's, as a device record is.
  EXPECT_EQ(run({"guest", "release", "end", "-"}, kPciDomain, State({"consoles/0000:00:02.0.json"})).status, 7);
  EXPECT_TRUE(engine_ran());
}

TEST_F(FrontProcessTest, ReconnectWithoutItsEngineWarnsAndLetsTheDomainRun) {
  const FrontRun result =
      run({"guest", "reconnect", "begin", "-"}, kPciDomain, State({"devices/0000:04:00.0.json", "devices/0000:04:00.0@guest"}));
  EXPECT_EQ(result.status, 0);
  EXPECT_THAT(result.err, MatchesRegex("vfio-hooks: engine: warning: cannot run .*; fix: reinstall vfio-hooks .*\n"));
}

TEST_F(FrontProcessTest, XmlFiltersAndOtherOperationsPrintNothingAndStartNothing) {
  install_engine();
  const std::vector<std::string> held = {"devices/0000:03:00.0.json", "devices/0000:03:00.0@guest"};
  for (const auto& call : std::vector<std::vector<std::string>>{{"guest", "migrate", "begin", "-"},
                                                                {"guest", "restore", "begin", "-"},
                                                                {"guest", "start", "begin", "-"},
                                                                {"guest", "stopped", "end", "-"},
                                                                {"guest", "prepare", "end", "-"},
                                                                {"guest", "no-such-op", "x", "extra"}}) {
    const FrontRun result = run(call, kPciDomain, held);
    EXPECT_EQ(result.status, 0) << call[1];
    EXPECT_EQ(result.out, "") << call[1];
    EXPECT_EQ(result.err, "") << call[1];
  }
  EXPECT_FALSE(engine_ran());
}

TEST_F(FrontProcessTest, AnOrdinaryUserIsNeverHandedOver) {
  install_engine();
  const std::vector<std::string> held = {"devices/0000:03:00.0.json", "devices/0000:03:00.0@guest"};
  EXPECT_EQ(run({"guest", "prepare", "begin", "-"}, kPciDomain, held, 1000).status, 0);
  EXPECT_EQ(run({"guest", "release", "end", "-"}, kPciDomain, held, 1000).status, 0);
  EXPECT_FALSE(engine_ran());
}

TEST_F(FrontProcessTest, HelpVersionAndUsage) {
  const FrontRun help = run({"--help"}, "");
  EXPECT_EQ(help.status, 0);
  EXPECT_THAT(help.out, HasSubstr("  prepare begin    check the domain's PCI hostdevs"));
  const FrontRun version = run({"--version"}, "");
  EXPECT_EQ(version.out, "vfio-hooks-qemu " VFIO_HOOKS_VERSION "\n");
  const FrontRun usage = run({"guest"}, "");
  EXPECT_EQ(usage.status, 1);
  EXPECT_THAT(usage.err, ::testing::StartsWith("usage: vfio-hooks-qemu NAME OP SUBOP"));
}

// What makes the no-op cost a process start: the loader maps libc and nothing else (the static C++
// runtime names the loader itself, for thread-local storage). Not in the sanitizer tier, whose build
// links the sanitizers' runtimes: the plain build's unit tier runs it.
#ifndef VFIO_HOOKS_SANITIZED
TEST(FrontBinary, NeedsNoSharedLibraryButLibc) {
  FILE* pipe = ::popen(("readelf --dynamic " + std::string(VFIO_HOOKS_FRONT) + " 2>&1").c_str(), "r");
  ASSERT_NE(pipe, nullptr);
  std::string output;
  char buffer[512];
  while (std::fgets(buffer, sizeof buffer, pipe)) output += buffer;
  ASSERT_EQ(::pclose(pipe), 0) << output;
  std::vector<std::string> needed;
  for (std::size_t at = output.find("(NEEDED)"); at != std::string::npos; at = output.find("(NEEDED)", at + 1)) {
    const std::size_t open = output.find('[', at), close = output.find(']', at);
    needed.push_back(output.substr(open + 1, close - open - 1));
  }
  EXPECT_THAT(needed, ::testing::Contains("libc.so.6"));
  EXPECT_THAT(needed, ::testing::Each(::testing::AnyOf("libc.so.6", ::testing::StartsWith("ld-linux"))));
}
#endif

}  // namespace
}  // namespace vfiohooks
