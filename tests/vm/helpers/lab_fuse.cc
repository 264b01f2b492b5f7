// SPDX-License-Identifier: LGPL-2.1-or-later
// lab-fuse MOUNTPOINT: a FUSE filesystem for the lab with one file, `file` ("hello\n"), spoken to
// the kernel through /dev/fuse with no library. Every answer says "cache nothing" (entry and
// attribute validity 0), so each stat(2) of its files goes to this daemon: SIGSTOP it and a stat
// hangs, as on a FUSE or NFS filesystem whose daemon or server stopped answering. The host guard
// must still answer (tests/vm/scenarios/host-use-kernel.sh). Serves until unmounted.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <linux/fuse.h>
#include <sys/mount.h>
#include <sys/stat.h>

namespace {

constexpr std::uint64_t kRoot = FUSE_ROOT_ID;
constexpr std::uint64_t kFile = 2;
constexpr char kContent[] = "hello\n";

int device = -1;

void reply(std::uint64_t unique, int error, const void* body = nullptr, std::size_t size = 0) {
  fuse_out_header header{};
  header.len = static_cast<std::uint32_t>(sizeof header + (error == 0 ? size : 0));
  header.error = -error;
  header.unique = unique;
  std::vector<char> out(header.len);
  std::memcpy(out.data(), &header, sizeof header);
  if (error == 0 && size > 0) std::memcpy(out.data() + sizeof header, body, size);
  if (::write(device, out.data(), out.size()) < 0 && errno != ENOENT) std::perror("lab-fuse: write");
}

fuse_attr attr_of(std::uint64_t node) {
  fuse_attr attr{};
  attr.ino = node;
  attr.nlink = node == kRoot ? 2 : 1;
  attr.mode = node == kRoot ? (S_IFDIR | 0755) : (S_IFREG | 0644);
  attr.size = node == kRoot ? 0 : sizeof kContent - 1;
  attr.blksize = 4096;
  return attr;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: lab-fuse MOUNTPOINT\n");
    return 2;
  }
  device = ::open("/dev/fuse", O_RDWR | O_CLOEXEC);
  if (device < 0) {
    std::perror("lab-fuse: /dev/fuse");
    return 1;
  }
  const std::string options = "fd=" + std::to_string(device) + ",rootmode=40000,user_id=0,group_id=0";
  if (::mount("lab-fuse", argv[1], "fuse.lab", MS_NOSUID | MS_NODEV, options.c_str()) != 0) {
    std::perror("lab-fuse: mount");
    return 1;
  }
  std::vector<char> buffer(FUSE_MIN_READ_BUFFER + 65536);
  for (;;) {
    const ssize_t got = ::read(device, buffer.data(), buffer.size());
    if (got < 0 && (errno == EINTR || errno == ENOENT || errno == EAGAIN)) continue;
    if (got < 0) return errno == ENODEV ? 0 : (std::perror("lab-fuse: read"), 1);  // ENODEV: unmounted
    const auto* in = reinterpret_cast<const fuse_in_header*>(buffer.data());
    const char* body = buffer.data() + sizeof *in;
    switch (in->opcode) {
      case FUSE_INIT: {
        const auto* init = reinterpret_cast<const fuse_init_in*>(body);
        fuse_init_out out{};
        out.major = FUSE_KERNEL_VERSION;
        out.minor = FUSE_KERNEL_MINOR_VERSION;
        out.max_readahead = init->max_readahead;
        out.max_write = 4096;
        out.max_background = 16;
        out.congestion_threshold = 12;
        reply(in->unique, 0, &out, sizeof out);
        break;
      }
      case FUSE_LOOKUP: {
        if (in->nodeid != kRoot || std::strcmp(body, "file") != 0) {
          reply(in->unique, ENOENT);
          break;
        }
        fuse_entry_out out{};
        out.nodeid = kFile;
        out.attr = attr_of(kFile);
        reply(in->unique, 0, &out, sizeof out);
        break;
      }
      case FUSE_GETATTR: {
        fuse_attr_out out{};
        out.attr = attr_of(in->nodeid);
        reply(in->unique, 0, &out, sizeof out);
        break;
      }
      case FUSE_OPEN:
      case FUSE_OPENDIR: {
        fuse_open_out out{};
        reply(in->unique, 0, &out, sizeof out);
        break;
      }
      case FUSE_READ: {
        const auto* read = reinterpret_cast<const fuse_read_in*>(body);
        const std::size_t length = sizeof kContent - 1;
        const std::size_t from = std::min<std::size_t>(read->offset, length);
        reply(in->unique, 0, kContent + from, std::min<std::size_t>(read->size, length - from));
        break;
      }
      case FUSE_READDIR:
        reply(in->unique, 0);  // an empty listing
        break;
      case FUSE_STATFS: {
        fuse_statfs_out out{};
        out.st.bsize = 4096;
        out.st.namelen = 255;
        reply(in->unique, 0, &out, sizeof out);
        break;
      }
      case FUSE_RELEASE:
      case FUSE_RELEASEDIR:
      case FUSE_FLUSH:
      case FUSE_ACCESS:
        reply(in->unique, 0);
        break;
      case FUSE_FORGET:
      case FUSE_BATCH_FORGET:
      case FUSE_INTERRUPT:
        break;  // no answer
      case FUSE_DESTROY:
        reply(in->unique, 0);
        return 0;
      default:
        reply(in->unique, ENOSYS);
    }
  }
}
