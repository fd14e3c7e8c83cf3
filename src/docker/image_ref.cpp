#include "docker/image_ref.hpp"

#include <algorithm>

namespace sr::docker {

namespace {

bool is_lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128) return false;
  auto word = [](char c) {
    return is_lower_alnum(c) || (c >= 'A' && c <= 'Z') || c == '_';
  };
  if (!word(tag.front())) return false;
  return std::all_of(tag.begin(), tag.end(), [&](char c) { return word(c) || c == '.' || c == '-'; });
}

bool valid_digest(std::string_view digest) {
  auto colon = digest.find(':');
  if (colon == std::string_view::npos || colon == 0) return false;
  auto hex = digest.substr(colon + 1);
  return hex.size() >= 32 && std::all_of(hex.begin(), hex.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

// Path components: lowercase alphanumerics separated by '.', '_', '__' or '-'s.
bool valid_path(std::string_view path) {
  if (path.empty()) return false;
  std::size_t start = 0;
  while (start <= path.size()) {
    auto end = path.find('/', start);
    auto comp = path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
    if (comp.empty() || !is_lower_alnum(comp.front()) || !is_lower_alnum(comp.back())) return false;
    for (char c : comp)
      if (!is_lower_alnum(c) && c != '.' && c != '_' && c != '-') return false;
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return true;
}

bool looks_like_domain(std::string_view first) {
  return first.find('.') != std::string_view::npos || first.find(':') != std::string_view::npos ||
         first == "localhost";
}

}  // namespace

std::string ImageRef::repository() const {
  return domain.empty() ? path : domain + "/" + path;
}

std::string ImageRef::familiar() const {
  std::string name;
  if (domain.empty() || domain == "docker.io" || domain == "index.docker.io") {
    name = path.starts_with("library/") && path.find('/', 8) == std::string::npos ? path.substr(8) : path;
  } else {
    name = repository();
  }
  if (!tag.empty()) name += ":" + tag;
  if (!digest.empty()) name += "@" + digest;
  return name;
}

std::string ImageRef::pull_tag() const { return digest.empty() ? tag : digest; }

util::Result<ImageRef> parse_image_ref(std::string_view ref) {
  auto bad = [&](std::string_view why) {
    return util::fail(util::ErrorKind::invalid_argument,
                      "invalid reference format \"" + std::string(ref) + "\": " + std::string(why));
  };
  if (ref.empty()) return bad("empty image name");
  ImageRef out;
  std::string_view rest = ref;
  if (auto at = rest.find('@'); at != std::string_view::npos) {
    out.digest = std::string(rest.substr(at + 1));
    rest = rest.substr(0, at);
    if (!valid_digest(out.digest)) return bad("invalid digest");
  }
  auto last_slash = rest.rfind('/');
  auto colon = rest.rfind(':');
  if (colon != std::string_view::npos && (last_slash == std::string_view::npos || colon > last_slash)) {
    out.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!valid_tag(out.tag)) return bad("invalid tag");
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos && looks_like_domain(rest.substr(0, slash))) {
    out.domain = std::string(rest.substr(0, slash));
    rest = rest.substr(slash + 1);
  }
  if (std::any_of(rest.begin(), rest.end(), [](char c) { return c >= 'A' && c <= 'Z'; }))
    return bad("repository name must be lowercase");
  if (!valid_path(rest)) return bad("invalid repository name");
  out.path = std::string(rest);
  if (out.tag.empty() && out.digest.empty()) out.tag = "latest";
  return out;
}

}  // namespace sr::docker
