#include "daemon/daemon_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <set>
#include <sstream>

#include "util/unique_fd.hpp"

namespace sr::daemon {
namespace {

// Inodes of sockets in state LISTEN (0A) on `port`, from a /proc/net/tcp file.
// Line format: "sl local_address rem_address st ... uid timeout inode".
void collect_listen_inodes(const char* file, std::uint16_t port, std::set<std::string>& out) {
  std::ifstream in(file);
  std::string line;
  std::getline(in, line);  // header
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string sl, local, remote, st, txrx, trtm, retr, uid, timeout, inode;
    if (!(ls >> sl >> local >> remote >> st >> txrx >> trtm >> retr >> uid >> timeout >> inode))
      continue;
    if (st != "0A") continue;
    auto colon = local.rfind(':');
    if (colon == std::string::npos) continue;
    unsigned p = 0;
    std::from_chars(local.data() + colon + 1, local.data() + local.size(), p, 16);
    if (p == port) out.insert("socket:[" + inode + "]");
  }
}

// The same from the kernel's sock_diag netlink interface (what `ss -ltn`
// uses): a dump restricted to TCP_LISTEN walks only the listening sockets,
// while every read of /proc/net/tcp walks all buckets of the established
// hash table, milliseconds of kernel time per launch on a large machine
// (docs/benchmarks.md). nullopt when the interface is not available.
std::optional<std::set<std::string>> diag_listen_inodes(std::uint16_t port) {
  std::set<std::string> out;
  for (std::uint8_t family : {AF_INET, AF_INET6}) {
    util::UniqueFd fd(::socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC, NETLINK_SOCK_DIAG));
    if (!fd) return std::nullopt;
    struct {
      nlmsghdr header;
      inet_diag_req_v2 request;
    } req{};
    req.header.nlmsg_len = sizeof req;
    req.header.nlmsg_type = SOCK_DIAG_BY_FAMILY;
    req.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    req.request.sdiag_family = family;
    req.request.sdiag_protocol = IPPROTO_TCP;
    req.request.idiag_states = 1u << TCP_LISTEN;
    if (::send(fd.get(), &req, sizeof req, 0) != static_cast<ssize_t>(sizeof req))
      return std::nullopt;
    alignas(nlmsghdr) char buf[16384];
    for (bool done = false; !done;) {
      ssize_t n = ::recv(fd.get(), buf, sizeof buf, 0);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return std::nullopt;
      int left = static_cast<int>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
        if (h->nlmsg_type == NLMSG_DONE) {
          done = true;
          break;
        }
        if (h->nlmsg_type == NLMSG_ERROR) return std::nullopt;
        const auto* m = static_cast<const inet_diag_msg*>(NLMSG_DATA(h));
        if (ntohs(m->id.idiag_sport) == port)
          out.insert("socket:[" + std::to_string(m->idiag_inode) + "]");
      }
    }
  }
  return out;
}

}  // namespace

// An unbracketed "::1:9090" reads as host ::1, port 9090, as the engine's
// own listener parsing reads it.
util::Result<HostPort> dial_address(const std::string& listen) {
  SR_ASSIGN(HostPort out, util::with_context(util::parse_host_port(listen, {.colons = util::BareColons::last_is_port}),
                                             "bad listen address '" + listen + "'"));
  if (out.host.empty() || out.host == "0.0.0.0") out.host = "127.0.0.1";
  if (out.host == "::") out.host = "::1";
  return out;
}

bool tcp_accepts(const HostPort& address, std::chrono::milliseconds timeout) {
  sockaddr_storage ss{};
  socklen_t len = 0;
  auto* v4 = reinterpret_cast<sockaddr_in*>(&ss);
  auto* v6 = reinterpret_cast<sockaddr_in6*>(&ss);
  if (::inet_pton(AF_INET, address.host.c_str(), &v4->sin_addr) == 1) {
    v4->sin_family = AF_INET;
    v4->sin_port = htons(address.port);
    len = sizeof *v4;
  } else if (::inet_pton(AF_INET6, address.host.c_str(), &v6->sin6_addr) == 1) {
    v6->sin6_family = AF_INET6;
    v6->sin6_port = htons(address.port);
    len = sizeof *v6;
  } else {
    return false;
  }
  util::UniqueFd fd(::socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) return false;
  if (::connect(fd.get(), reinterpret_cast<sockaddr*>(&ss), len) == 0) return true;
  if (errno != EINPROGRESS) return false;
  pollfd pfd{fd.get(), POLLOUT, 0};
  if (::poll(&pfd, 1, static_cast<int>(timeout.count())) != 1) return false;
  int err = 0;
  socklen_t elen = sizeof err;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ERROR, &err, &elen) != 0) return false;
  return err == 0;
}

bool listener_owned_by(pid_t pid, std::uint16_t port) {
  std::set<std::string> inodes;
  if (auto diag = diag_listen_inodes(port)) {
    inodes = std::move(*diag);
  } else {
    collect_listen_inodes("/proc/net/tcp", port, inodes);
    collect_listen_inodes("/proc/net/tcp6", port, inodes);
  }
  if (inodes.empty()) return false;
  std::error_code ec;
  std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec);
  for (; !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
    auto target = std::filesystem::read_symlink(it->path(), ec);
    if (ec) {
      ec.clear();
      continue;
    }
    if (inodes.count(target.string())) return true;
  }
  return false;
}

}  // namespace sr::daemon
