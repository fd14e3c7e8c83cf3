// -v/--volume (compose loader ParseVolume as docker/cli uses it) and --mount
// (docker/cli opts.MountOpt).
#include <algorithm>
#include <charconv>
#include <filesystem>
#include <string>
#include <vector>

#include "cli/run/values.hpp"

namespace sr::cli {
namespace {

using nlohmann::json;
using util::ErrorKind;
using util::fail;

// filepath.Abs: join with cwd, then Clean.
std::string absolute_path(std::string_view cwd, std::string_view rel) {
  std::vector<std::string> parts;
  const std::string joined = std::string(cwd) + "/" + std::string(rel);
  std::size_t pos = 0;
  while (pos <= joined.size()) {
    const auto next = std::min(joined.find('/', pos), joined.size());
    const std::string part = joined.substr(pos, next - pos);
    if (part == "..") {
      if (!parts.empty()) parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    pos = next + 1;
  }
  std::string out;
  for (const auto& p : parts) out += "/" + p;
  return out.empty() ? "/" : out;
}

std::string to_lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

util::Result<void> apply_mount_field(json& m, const std::string& field, std::string_view cwd) {
  const auto eq = field.find('=');
  const std::string key = to_lower(field.substr(0, eq));
  if (eq == std::string::npos) {
    if (key == "readonly" || key == "ro") {
      m["ReadOnly"] = true;
    } else if (key == "volume-nocopy") {
      m["VolumeOptions"]["NoCopy"] = true;
    } else if (key == "bind-nonrecursive") {
      return fail(ErrorKind::invalid_argument,
                  "bind-nonrecursive is deprecated, use bind-recursive=disabled instead");
    } else {
      return fail(ErrorKind::invalid_argument,
                  "invalid field '" + field + "' must be a key=value pair");
    }
    return {};
  }
  const std::string val = field.substr(eq + 1);
  auto invalid = [&] {
    return fail(ErrorKind::invalid_argument, "invalid value for " + key + ": " + val);
  };
  if (key == "type") {
    m["Type"] = to_lower(val);
  } else if (key == "source" || key == "src") {
    m["Source"] = (val == "." || val.starts_with("./")) ? absolute_path(cwd, val) : val;
  } else if (key == "target" || key == "dst" || key == "destination") {
    m["Target"] = val;
  } else if (key == "readonly" || key == "ro") {
    auto b = parse_bool(val);
    if (!b) return invalid();
    m["ReadOnly"] = *b;
  } else if (key == "consistency") {
    m["Consistency"] = to_lower(val);
  } else if (key == "bind-propagation") {
    m["BindOptions"]["Propagation"] = to_lower(val);
  } else if (key == "bind-recursive") {
    if (val == "disabled") m["BindOptions"]["NonRecursive"] = true;
    else if (val == "enabled") m["BindOptions"];
    else return fail(ErrorKind::invalid_argument, "unsupported value for bind-recursive: " + val +
                                                      " (this daemon API knows enabled|disabled)");
  } else if (key == "volume-nocopy") {
    auto b = parse_bool(val);
    if (!b) return invalid();
    m["VolumeOptions"]["NoCopy"] = *b;
  } else if (key == "volume-subpath") {
    m["VolumeOptions"]["Subpath"] = val;
  } else if (key == "volume-label" || key == "volume-opt") {
    const auto veq = val.find('=');
    json& target = key == "volume-label" ? m["VolumeOptions"]["Labels"]
                                         : m["VolumeOptions"]["DriverConfig"]["Options"];
    target[val.substr(0, veq)] = veq == std::string::npos ? "" : val.substr(veq + 1);
  } else if (key == "volume-driver") {
    m["VolumeOptions"]["DriverConfig"]["Name"] = val;
  } else if (key == "tmpfs-size") {
    auto size = parse_ram_bytes(val);
    if (!size) return invalid();
    m["TmpfsOptions"]["SizeBytes"] = *size;
  } else if (key == "tmpfs-mode") {
    std::uint32_t mode = 0;
    auto [p, ec] = std::from_chars(val.data(), val.data() + val.size(), mode, 8);
    if (val.empty() || ec != std::errc() || p != val.data() + val.size()) return invalid();
    m["TmpfsOptions"]["Mode"] = mode;
  } else {
    return fail(ErrorKind::invalid_argument,
                "unexpected key '" + key + "' in '" + field + "'");
  }
  return {};
}

}  // namespace

// encoding/csv for one record: fields split at commas, "..." quoting with ""
// as an escaped quote.
util::Result<std::vector<std::string>> split_csv(std::string_view s) {
  std::vector<std::string> fields(1);
  bool in_quotes = false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (in_quotes) {
      if (c == '"' && i + 1 < s.size() && s[i + 1] == '"') {
        fields.back() += '"';
        ++i;
      } else if (c == '"') {
        in_quotes = false;
      } else {
        fields.back() += c;
      }
    } else if (c == '"' && fields.back().empty()) {
      in_quotes = true;
    } else if (c == ',') {
      fields.emplace_back();
    } else {
      fields.back() += c;
    }
  }
  if (in_quotes) return fail(ErrorKind::invalid_argument, "extraneous or missing \" in quoted-field");
  return fields;
}

util::Result<VolumeSpec> parse_volume(std::string_view s, std::string_view cwd) {
  if (s.empty()) return fail(ErrorKind::invalid_argument, "invalid empty volume spec");
  const auto colon = s.find(':');
  if (colon == std::string_view::npos) return VolumeSpec{VolumeSpec::Kind::anonymous, "", std::string(s)};
  // The daemon validates the rest (modes, absolute target) with its own
  // wording, exactly as it does for the Docker CLI.
  const std::string_view host = s.substr(0, colon);
  if (host.empty() || s.substr(colon + 1).empty() || s.substr(colon + 1).starts_with(':'))
    return fail(ErrorKind::invalid_argument, "invalid spec: " + std::string(s) +
                                                 ": empty section between colons");
  std::string bind(s);
  if (host.front() == '.') bind = absolute_path(cwd, host) + std::string(s.substr(colon));
  return VolumeSpec{VolumeSpec::Kind::bind, std::move(bind), ""};
}

util::Result<json> parse_mount(std::string_view s, std::string_view cwd) {
  SR_ASSIGN(const auto fields, split_csv(s));
  json m = {{"Type", "volume"}};
  for (const auto& field : fields) SR_TRY(apply_mount_field(m, field, cwd));
  const std::string type = m["Type"].get<std::string>();
  if (!m.contains("Target") || m["Target"].get<std::string>().empty())
    return fail(ErrorKind::invalid_argument, "target is required");
  if (m.contains("VolumeOptions") && type != "volume")
    return fail(ErrorKind::invalid_argument, "cannot mix 'volume-*' options with mount type '" + type + "'");
  if (m.contains("BindOptions") && type != "bind")
    return fail(ErrorKind::invalid_argument, "cannot mix 'bind-*' options with mount type '" + type + "'");
  if (m.contains("TmpfsOptions") && type != "tmpfs")
    return fail(ErrorKind::invalid_argument, "cannot mix 'tmpfs-*' options with mount type '" + type + "'");
  // The CLI allocates VolumeOptions with an empty DriverConfig; the daemon
  // stores and shows it that way.
  if (m.contains("VolumeOptions") && !m["VolumeOptions"].contains("DriverConfig"))
    m["VolumeOptions"]["DriverConfig"] = json::object();
  if (type != "bind" && type != "volume" && type != "tmpfs")
    return fail(ErrorKind::invalid_argument,
                "unsupported mount type '" + type + "' (supported: bind, volume, tmpfs)");
  return m;
}

namespace {

bool valid_device_mode(std::string_view mode) {
  if (mode.empty() || mode.size() > 3) return false;
  for (char c : mode)
    if (c != 'r' && c != 'w' && c != 'm') return false;
  return std::ranges::count(mode, 'r') <= 1 && std::ranges::count(mode, 'w') <= 1 &&
         std::ranges::count(mode, 'm') <= 1;
}

// Go's path.Clean for an absolute path (no trailing slash but for "/").
std::string clean_path(std::string_view p) {
  std::string out = std::filesystem::path(p).lexically_normal().string();
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

}  // namespace

util::Result<DeviceSpec> parse_device(std::string_view s) {
  std::vector<std::string> parts;
  for (std::size_t start = 0;;) {
    const auto colon = s.find(':', start);
    parts.emplace_back(s.substr(start, colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() > 3 || parts[0].empty())
    return fail(ErrorKind::invalid_argument, "bad format for path: " + std::string(s));
  DeviceSpec d;
  d.path_on_host = parts[0];
  if (parts.size() == 3) {
    if (!valid_device_mode(parts[2]))
      return fail(ErrorKind::invalid_argument, "bad mode specified: " + parts[2]);
    d.path_in_container = parts[1];
    d.permissions = parts[2];
  } else if (parts.size() == 2 && !valid_device_mode(parts[1])) {
    d.path_in_container = parts[1];
  } else if (parts.size() == 2) {
    d.permissions = parts[1];
  }
  if (d.path_in_container.empty()) d.path_in_container = d.path_on_host;
  if (!d.path_in_container.starts_with('/'))
    return fail(ErrorKind::invalid_argument, d.path_in_container + " is not an absolute path");
  d.path_in_container = clean_path(d.path_in_container);
  if (parts.size() == 1) d.path_on_host = d.path_in_container;
  return d;
}

}  // namespace sr::cli
