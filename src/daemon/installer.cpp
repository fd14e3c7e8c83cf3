#include "daemon/installer.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <curl/curl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>

#include "util/atomic_file.hpp"
#include "util/command_runner.hpp"
#include "util/random.hpp"
#include "util/secure_dir.hpp"


namespace sr::daemon {
namespace {

constexpr std::size_t kMaxDownload = 256u << 20;

std::string env_or(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : std::move(fallback);
}

size_t on_body(char* data, size_t size, size_t n, void* user) {
  auto* body = static_cast<std::string*>(user);
  if (body->size() + size * n > kMaxDownload) return 0;  // aborts the transfer
  body->append(data, size * n);
  return size * n;
}

// GET into memory; an HTTP error status is an error naming the URL.
util::Result<std::string> download(const std::string& url) {
  std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
  if (!curl) return util::fail(util::ErrorKind::io, "curl_easy_init failed");
  std::string body;
  char errbuf[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(curl.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl.get(), CURLOPT_FOLLOWLOCATION, 1L);  // release assets redirect to a CDN
  curl_easy_setopt(curl.get(), CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(curl.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl.get(), CURLOPT_REDIR_PROTOCOLS_STR, "https");
  curl_easy_setopt(curl.get(), CURLOPT_CONNECTTIMEOUT, 15L);
  curl_easy_setopt(curl.get(), CURLOPT_TIMEOUT, 300L);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(curl.get(), CURLOPT_WRITEDATA, &body);
  curl_easy_setopt(curl.get(), CURLOPT_ERRORBUFFER, errbuf);
  CURLcode rc = curl_easy_perform(curl.get());
  if (rc != CURLE_OK)
    return util::fail(util::ErrorKind::connect,
                      "GET " + url + ": " + (errbuf[0] ? errbuf : curl_easy_strerror(rc)));
  long status = 0;
  curl_easy_getinfo(curl.get(), CURLINFO_RESPONSE_CODE, &status);
  if (status >= 400)
    return util::fail(status == 404 ? util::ErrorKind::not_found : util::ErrorKind::api,
                      "GET " + url + ": HTTP " + std::to_string(status));
  return body;
}

util::Result<std::string> sha256_hex(const std::string& data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), md, &len, EVP_sha256(), nullptr) != 1)
    return util::fail(util::ErrorKind::io, "EVP_Digest(sha256) failed");
  return util::to_hex(md, len);
}

// Runs a short helper (gpgv, the version probe) with a minimal environment.
util::Result<util::CommandResult> run_capture(const std::string& exe, std::vector<std::string> args) {
  args.insert(args.begin(), exe);
  return util::with_context(
      util::system_command_runner().run({.argv = std::move(args), .env = util::environment_subset({"PATH", "HOME", "LANG"})}),
      "running " + exe);
}

// A private scratch directory removed on scope exit.
struct TempDir {
  std::filesystem::path path;
  ~TempDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

util::Result<void> verify_signature(const egress::Paths& paths, const std::string& base, const std::string& checksums,
                                    std::vector<std::string>& warnings) {
  auto gpgv = util::find_program("gpgv");
  if (!gpgv) {
    warnings.push_back("gpgv is not installed: the signature of checksums.txt was NOT verified");
    return {};
  }
  std::filesystem::path keyring = env_or("SANDBOX_EGRESS_RELEASE_KEYRING", (paths.home / "iron-proxy-release.gpg").string());
  if (!std::filesystem::exists(keyring)) {
    warnings.push_back("no release keyring at " + keyring.string() +
                       " (set SANDBOX_EGRESS_RELEASE_KEYRING): the signature of checksums.txt was NOT verified");
    return {};
  }
  SR_ASSIGN(std::string signature, util::with_context(download(base + "/checksums.txt.asc"), "downloading the signature"));
  SR_ASSIGN(std::string suffix, util::random_hex(8));
  TempDir tmp{std::filesystem::temp_directory_path() / ("sandbox-egress-install-" + suffix)};
  SR_TRY(util::ensure_private_dir(tmp.path));
  SR_TRY(util::write_file_atomic(tmp.path / "checksums.txt", checksums, 0600));
  SR_TRY(util::write_file_atomic(tmp.path / "checksums.txt.asc", signature, 0600));
  SR_ASSIGN(util::CommandResult run, run_capture(*gpgv, {"--status-fd", "1", "--keyring", std::filesystem::absolute(keyring).string(),
                                               (tmp.path / "checksums.txt.asc").string(),
                                               (tmp.path / "checksums.txt").string()}));
  if (!run.ok())
    return util::fail(util::ErrorKind::security, "gpgv: BAD or unverifiable signature on checksums.txt (keyring " +
                                                     keyring.string() + "); refusing to install");
  SR_ASSIGN(const std::string pinned,
            release_key_pin(compiled_release_key_fingerprint(),
                            env_or("SANDBOX_EGRESS_RELEASE_KEY_FINGERPRINT", ""), warnings));
  if (!pinned.empty() && !signed_by(run.out, pinned))
    return util::fail(util::ErrorKind::security,
                      "checksums.txt is signed by a key other than the pinned " + pinned + "; refusing to install");
  return {};
}

// Normalised fingerprint: spaces removed, upper-case; "" if not hex of a
// fingerprint's length (40: OpenPGP v4, 64: v5).
std::string normalise_fingerprint(std::string_view in) {
  std::string out;
  for (char c : in) {
    if (c == ' ') continue;
    if (!std::isxdigit(static_cast<unsigned char>(c))) return {};
    out.push_back(static_cast<char>(std::toupper(static_cast<unsigned char>(c))));
  }
  return out.size() == 40 || out.size() == 64 ? out : std::string();
}

}  // namespace

// The upstream iron-proxy release key's fingerprint is not known on this
// offline build machine, so the default is empty (no compiled-in pin; the
// environment variable still pins). Packagers set it with
//   cmake -DSANDBOX_EGRESS_RELEASE_KEY_FINGERPRINT=<40 hex digits>
#ifndef SR_EGRESS_RELEASE_KEY_FINGERPRINT
#define SR_EGRESS_RELEASE_KEY_FINGERPRINT ""
#endif

std::string_view compiled_release_key_fingerprint() { return SR_EGRESS_RELEASE_KEY_FINGERPRINT; }

util::Result<std::string> release_key_pin(std::string_view compiled, std::string_view env_value,
                                          std::vector<std::string>& warnings) {
  if (!compiled.empty()) {
    std::string pin = normalise_fingerprint(compiled);
    if (pin.empty())
      return util::fail(util::ErrorKind::invalid_argument,
                        "the compiled-in release key fingerprint '" + std::string(compiled) +
                            "' is not 40 or 64 hex digits (rebuild with a valid "
                            "-DSANDBOX_EGRESS_RELEASE_KEY_FINGERPRINT)");
    if (!env_value.empty() && normalise_fingerprint(env_value) != pin)
      warnings.push_back("$SANDBOX_EGRESS_RELEASE_KEY_FINGERPRINT is ignored: this build pins the release "
                         "key " + pin);
    return pin;
  }
  if (env_value.empty()) return std::string();
  std::string pin = normalise_fingerprint(env_value);
  if (pin.empty())
    return util::fail(util::ErrorKind::invalid_argument,
                      "$SANDBOX_EGRESS_RELEASE_KEY_FINGERPRINT is not a key fingerprint (40 or 64 hex digits)");
  return pin;
}

bool signed_by(const std::string& gpgv_status, const std::string& pin) {
  std::istringstream lines(gpgv_status);
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::vector<std::string> w;
    for (std::string x; words >> x;) w.push_back(x);
    // [GNUPG:] VALIDSIG <signing fpr> <date> <ts> <expire> <ver> <rsv> <pk algo> <hash> <class> <primary fpr>
    if (w.size() < 3 || w[0] != "[GNUPG:]" || w[1] != "VALIDSIG") continue;
    if (w[2] == pin || (w.size() >= 12 && w[11] == pin)) return true;
  }
  return false;
}

namespace {

struct ArchiveDeleter {
  void operator()(archive* a) const { archive_read_free(a); }
};

bool unsafe_entry_path(const std::string& p) {
  if (p.empty() || p.front() == '/') return true;
  std::stringstream ss(p);
  std::string part;
  while (std::getline(ss, part, '/'))
    if (part == "..") return true;
  return false;
}

// The top-level `iron-proxy` regular file. Any absolute path, `..` component
// or link in the archive refuses it as a whole: a release never has them.
util::Result<std::string> extract_binary(const std::string& tarball, const std::string& asset) {
  std::unique_ptr<archive, ArchiveDeleter> a(archive_read_new());
  archive_read_support_filter_gzip(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_memory(a.get(), tarball.data(), tarball.size()) != ARCHIVE_OK)
    return util::fail(util::ErrorKind::invalid_argument, "reading " + asset + ": " + archive_error_string(a.get()));
  std::optional<std::string> binary;
  archive_entry* entry = nullptr;
  int rc;
  while ((rc = archive_read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
    const char* raw = archive_entry_pathname(entry);
    std::string path = raw ? raw : "";
    if (unsafe_entry_path(path))
      return util::fail(util::ErrorKind::security, asset + ": unsafe entry path '" + path + "'; refusing the archive");
    if (archive_entry_hardlink(entry) || archive_entry_filetype(entry) == AE_IFLNK)
      return util::fail(util::ErrorKind::security, asset + ": entry '" + path + "' is a link; refusing the archive");
    if (path.rfind("./", 0) == 0) path.erase(0, 2);
    if (path != "iron-proxy" || archive_entry_filetype(entry) != AE_IFREG) continue;
    std::string data;
    char buf[65536];
    la_ssize_t n;
    while ((n = archive_read_data(a.get(), buf, sizeof buf)) > 0) data.append(buf, static_cast<std::size_t>(n));
    if (n < 0) return util::fail(util::ErrorKind::io, "reading " + asset + ": " + archive_error_string(a.get()));
    binary = std::move(data);
  }
  if (rc != ARCHIVE_EOF)
    return util::fail(util::ErrorKind::invalid_argument, "reading " + asset + ": " + archive_error_string(a.get()));
  if (!binary) return util::fail(util::ErrorKind::not_found, asset + " has no top-level 'iron-proxy' file");
  return *binary;
}

util::Result<std::string> platform_asset() {
  utsname u{};
  if (::uname(&u) != 0) return util::fail_errno("uname");
  return release_asset_name(u.sysname, u.machine);
}

}  // namespace

util::Result<std::string> release_asset_name(std::string_view os, std::string_view machine) {
  std::string o = os == "Linux" || os == "linux" ? "linux" : os == "Darwin" || os == "darwin" ? "darwin" : "";
  std::string m = machine == "x86_64" || machine == "amd64"    ? "amd64"
                  : machine == "aarch64" || machine == "arm64" ? "arm64"
                                                               : "";
  if (o.empty() || m.empty())
    return util::fail(util::ErrorKind::invalid_argument,
                      "iron-proxy " + std::string(kIronProxyVersion) + " has no release for " + std::string(os) + "/" +
                          std::string(machine) + " (linux|darwin on amd64|arm64 only); use proxy.engine: builtin");
  return "iron-proxy_" + std::string(kIronProxyVersion) + "_" + o + "_" + m + ".tar.gz";
}

std::string release_base_url(const egress::Config& config) {
  std::string fallback = config.proxy.release_base_url.empty()
                             ? "https://github.com/ironsh/iron-proxy/releases/download/v" + std::string(kIronProxyVersion)
                             : config.proxy.release_base_url;
  std::string url = env_or("SANDBOX_EGRESS_RELEASE_BASE_URL", fallback);
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

util::Result<std::string> checksum_for(const std::string& checksums, const std::string& file) {
  std::istringstream in(checksums);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string digest, name;
    if (!(ls >> digest >> name)) continue;
    if (!name.empty() && name.front() == '*') name.erase(0, 1);  // binary-mode marker
    if (name == file) return digest;
  }
  return util::fail(util::ErrorKind::not_found, "checksums.txt has no entry for " + file);
}

util::Result<std::string> probe_version(const egress::Paths& paths, const std::filesystem::path& binary) {
  struct stat st {};
  if (::stat(binary.c_str(), &st) != 0) return util::fail_errno("stat " + binary.string());
  const auto cache = paths.bin_dir() / ".iron-proxy.version";
  nlohmann::json key = {{"path", binary.string()}, {"mtime", st.st_mtim.tv_sec}, {"mtime_ns", st.st_mtim.tv_nsec},
                        {"size", st.st_size}};
  if (auto text = util::read_file_nofollow(cache)) {
    auto cached = nlohmann::json::parse(*text, nullptr, false);
    if (cached.is_object() && cached.value("key", nlohmann::json()) == key) return cached.value("version", "");
  }
  SR_ASSIGN(util::CommandResult run, run_capture(binary.string(), {"--version"}));
  if (!run.ok())
    return util::fail(util::ErrorKind::api, binary.string() + " --version failed (" + run.status_text() + ")");
  std::string version = run.out.substr(0, run.out.find('\n'));
  (void)util::write_file_atomic(cache, nlohmann::json{{"key", key}, {"version", version}}.dump(), 0600);
  return version;
}

util::Result<InstallOutcome> install_iron_proxy(const egress::Paths& paths, const egress::Config& config, InstallMode mode) {
  InstallOutcome out;
  out.binary = paths.iron_proxy_binary();
  if (mode == InstallMode::if_missing && ::access(out.binary.c_str(), X_OK) == 0) {
    out.status = InstallStatus::already_present;
    if (auto v = probe_version(paths, out.binary)) out.version = *v;
    return out;
  }
  SR_ASSIGN(const std::string asset, platform_asset());
  const std::string base = release_base_url(config);
  SR_ASSIGN(std::string checksums, util::with_context(download(base + "/checksums.txt"), "downloading checksums"));
  SR_TRY(verify_signature(paths, base, checksums, out.warnings));
  SR_ASSIGN(std::string expected, checksum_for(checksums, asset));
  SR_ASSIGN(std::string tarball, util::with_context(download(base + "/" + asset), "downloading the release"));
  SR_ASSIGN(std::string actual, sha256_hex(tarball));
  if (actual != expected)
    return util::fail(util::ErrorKind::security, "SHA-256 mismatch for " + asset + ": checksums.txt says " + expected +
                                                     ", the download is " + actual + "; refusing to install");
  SR_ASSIGN(std::string binary, extract_binary(tarball, asset));
  SR_TRY(util::ensure_dir(paths.bin_dir()));
  SR_TRY(util::with_context(util::write_file_atomic(out.binary, binary, 0755), "installing iron-proxy"));
  if (auto v = probe_version(paths, out.binary))
    out.version = *v;
  else
    out.warnings.push_back("version probe failed: " + v.error().message);
  return out;
}

}  // namespace sr::daemon
