#include "proxy/policy/secrets.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <cstdlib>
#include <set>

#include "proxy/policy/scrubber.hpp"
#include "util/add_unique.hpp"
#include "util/url.hpp"

namespace sr::proxy {
namespace http = boost::beast::http;

namespace {

std::string_view sv(boost::beast::string_view s) { return {s.data(), s.size()}; }

bool iequals(std::string_view a, std::string_view b) {
  return boost::beast::iequals(boost::beast::string_view(a.data(), a.size()),
                               boost::beast::string_view(b.data(), b.size()));
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

bool replace_all(std::string& text, std::string_view from, std::string_view to) {
  bool changed = false;
  for (std::size_t at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
    text.replace(at, from.size(), to);
    changed = true;
  }
  return changed;
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    int hi = 0, lo = 0;
    if (s[i] == '%' && i + 2 < s.size() &&
        (hi = hex_value(s[i + 1])) >= 0 && (lo = hex_value(s[i + 2])) >= 0) {
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

// "Basic <base64>" (scheme case-insensitive): returns the decoded payload.
std::optional<std::string> basic_payload(std::string_view value, std::size_t* payload_at = nullptr) {
  if (value.size() < 6 || !iequals(value.substr(0, 6), "basic ")) return std::nullopt;
  std::size_t at = value.find_first_not_of(' ', 6);
  if (at == std::string_view::npos) return std::nullopt;
  std::string_view b64 = value.substr(at);
  while (!b64.empty() && b64.back() == ' ') b64.remove_suffix(1);
  if (b64.empty() || b64.size() % 4 != 0 || b64.size() > 64 * 1024) return std::nullopt;
  std::string out(b64.size() / 4 * 3, '\0');
  int n = EVP_DecodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(b64.data()), static_cast<int>(b64.size()));
  if (n < 0) return std::nullopt;
  // EVP_DecodeBlock counts the '=' padding as zero bytes; drop them.
  std::size_t pad = b64.ends_with("==") ? 2 : b64.ends_with('=') ? 1 : 0;
  out.resize(static_cast<std::size_t>(n) - pad);
  if (payload_at) *payload_at = at;
  return out;
}

std::string base64(std::string_view raw) {
  std::string out((raw.size() + 2) / 3 * 4 + 1, '\0');
  int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                          reinterpret_cast<const unsigned char*>(raw.data()), static_cast<int>(raw.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

constexpr char kBase64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

// The base64 of `raw` placed at offset `align` (0..2) of a longer payload:
// the characters that depend on `raw` alone, and with `padded` the payload
// ending with `raw` (the last group completed with '=').
std::string base64_at(std::string_view raw, std::size_t align, bool padded) {
  auto ch = [](unsigned v) { return kBase64[v & 0x3f]; };
  auto byte = [&](std::size_t i) { return static_cast<unsigned char>(raw[i]); };
  std::size_t k = (3 - align) % 3;  // bytes sharing a group with what precedes
  if (raw.size() < k) return {};
  std::string out;
  // Characters of the first group made of raw's bytes only.
  if (k == 1) out += ch(byte(0));
  if (k == 2) {
    out += ch(((byte(0) & 0x0f) << 2) | (byte(1) >> 6));
    out += ch(byte(1));
  }
  std::size_t whole = (raw.size() - k) / 3 * 3;
  out += base64(raw.substr(k, whole));
  std::size_t r = raw.size() - k - whole;  // bytes sharing a group with what follows
  if (r == 0) return out;
  unsigned a = byte(k + whole), b = r == 2 ? byte(k + whole + 1) : 0;
  out += ch(a >> 2);
  if (r == 2) out += ch(((a & 0x03) << 4) | (b >> 4));
  if (padded) {
    if (r == 1) out += std::string{ch((a & 0x03) << 4), '=', '='};
    if (r == 2) out += std::string{ch((b & 0x0f) << 2), '='};
  }
  return out;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> basic_echo_forms(std::string_view value,
                                                                  std::string_view token) {
  std::vector<std::pair<std::string, std::string>> forms;
  // Padded first: where the value's run needs no padding (it fills its last
  // group) both runs are one string, and the token's padded run is the one
  // that reads back exactly when the value ends the payload.
  for (std::size_t align = 0; align < 3; ++align) {
    for (bool padded : {true, false}) {
      std::string from = base64_at(value, align, padded);
      // Short forms would match unrelated base64; a run this short holds
      // little of the value anyway.
      if (from.size() < 8) continue;
      if (std::any_of(forms.begin(), forms.end(), [&](const auto& f) { return f.first == from; }))
        continue;
      forms.emplace_back(std::move(from), base64_at(token, align, padded));
    }
  }
  return forms;
}

// Implementation helpers with access to SecretSet's entries.
struct SecretSetAccess {
  using Entry = SecretSet::Entry;

  // Everything in the request a token could hide in, as views and owned
  // decoded copies (Basic payloads, the percent-decoded target).
  struct Haystack {
    std::vector<std::string_view> views;
    std::vector<std::string> owned;
    [[nodiscard]] bool contains(std::string_view needle) const {
      for (auto v : views)
        if (v.find(needle) != std::string_view::npos) return true;
      for (const auto& o : owned)
        if (o.find(needle) != std::string::npos) return true;
      return false;
    }
  };

  static Haystack gather(const RequestHead& head, const std::string* body) {
    Haystack h;
    for (const auto& f : head) {
      h.views.push_back(sv(f.name_string()));
      h.views.push_back(sv(f.value()));
      if (auto p = basic_payload(sv(f.value()))) h.owned.push_back(std::move(*p));
    }
    h.views.push_back(sv(head.method_string()));
    h.views.push_back(sv(head.target()));
    if (sv(head.target()).find('%') != std::string_view::npos) {
      std::string decoded = percent_decode(sv(head.target()));
      if (decoded != sv(head.target())) h.owned.push_back(std::move(decoded));
    }
    if (body) h.views.push_back(*body);
    return h;
  }

  // Step 1 of apply(): a token headed to a host none of its entries allow.
  static std::optional<std::string> wrong_host(const SecretSet& set, const Haystack& h,
                                               std::string_view raw_host, std::string_view host,
                                               bool host_ok) {
    std::set<std::string_view> checked;
    for (const auto& e : set.entries_) {
      if (!checked.insert(e.token).second) continue;
      bool in_host = raw_host.find(e.token) != std::string_view::npos ||
                     host.find(e.token) != std::string_view::npos;
      if (!in_host && !h.contains(e.token)) continue;
      if (in_host) return "proxy token for " + e.env_name + " in the destination host name";
      bool allowed = false;
      for (const auto& other : set.entries_)
        if (other.token == e.token && host_ok && other.rules.matches_normalized(host)) allowed = true;
      if (!allowed)
        return "proxy token for " + e.env_name + " sent to host " +
               (host_ok ? set.redact(host) : std::string("(invalid host name)"));
    }
    return std::nullopt;
  }

  static bool is_configured(const Entry& e, std::string_view name) {
    return std::any_of(e.headers.begin(), e.headers.end(),
                       [&](const std::string& h) { return iequals(h, name); });
  }

  // Whether a configured header of `e` holds its token or a Basic payload
  // (which may hide it): the rewrite below runs only then.
  static bool headers_may_swap(const Entry& e, const RequestHead& head) {
    for (const auto& f : head) {
      if (!is_configured(e, sv(f.name_string()))) continue;
      auto value = sv(f.value());
      if (value.find(e.token) != std::string_view::npos || basic_payload(value)) return true;
    }
    return false;
  }

  static bool swap_headers(const Entry& e, RequestHead& head) {
    if (e.headers.empty() || !headers_may_swap(e, head)) return false;
    bool changed = false;
    std::vector<std::pair<std::string, std::string>> fields;  // the configured ones, in order
    for (const auto& f : head)
      if (is_configured(e, sv(f.name_string())))
        fields.emplace_back(std::string(sv(f.name_string())), std::string(sv(f.value())));
    std::set<std::string> touched;
    for (auto& [name, value] : fields) {
      std::size_t at = 0;
      bool field_changed = false;
      if (auto payload = basic_payload(value, &at); payload && replace_all(*payload, e.token, e.value)) {
        value = value.substr(0, at) + base64(*payload);
        field_changed = true;
      }
      field_changed = replace_all(value, e.token, e.value) || field_changed;
      if (field_changed) touched.insert(lowercase(name));
      changed = changed || field_changed;
    }
    // Rewrite each touched header name, keeping the order among its fields.
    for (const auto& lname : touched) {
      head.erase(lname);
      for (const auto& [name, value] : fields)
        if (lowercase(name) == lname) head.insert(name, value);
    }
    return changed;
  }

  static bool swap_target(const Entry& e, RequestHead& head) {
    if (!e.match_query && !e.match_path) return false;
    std::string target(sv(head.target()));
    std::size_t q = target.find('?');
    std::string path = target.substr(0, q);
    std::string query = q == std::string::npos ? "" : target.substr(q);
    std::string encoded = util::percent_encode(e.value);
    bool changed = false;
    if (e.match_path) changed = replace_all(path, e.token, encoded) || changed;
    if (e.match_query) changed = replace_all(query, e.token, encoded) || changed;
    if (changed) head.target(path + query);
    return changed;
  }
};

SecretLookup environment_lookup() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {

util::Result<void> check_ambiguity(const std::vector<ValueToken>& all) {
  for (const auto& a : all) {
    for (const auto& b : all) {
      if (&a == &b) continue;
      if (a.token == b.token && a.env_name != b.env_name)
        return util::fail(util::ErrorKind::invalid_argument,
                          "secrets " + a.env_name + " and " + b.env_name + " use the same proxy token");
      if (a.token != b.token && b.token.find(a.token) != std::string::npos)
        return util::fail(util::ErrorKind::invalid_argument, "the proxy token of " + a.env_name +
                                                                 " is part of the proxy token of " + b.env_name);
      if (b.value.find(a.token) != std::string::npos || a.token.find(b.value) != std::string::npos)
        return util::fail(util::ErrorKind::invalid_argument,
                          "the proxy token of " + a.env_name + " and the value of " + b.env_name +
                              " contain one another; swaps would be ambiguous");
    }
  }
  return {};
}

}  // namespace

util::Result<SecretSet> SecretSet::create(const std::vector<proxyconf::Secret>& secrets,
                                          const SecretLookup& lookup) {
  SecretSet set;
  std::vector<ValueToken> all;
  for (std::size_t i = 0; i < secrets.size(); ++i) {
    const auto& s = secrets[i];
    std::string what = "secret " + std::to_string(i) + (s.source_var.empty() ? "" : " (" + s.source_var + ")");
    if (s.source_type != "env")
      return util::fail(util::ErrorKind::invalid_argument,
                        what + ": source type \"" + s.source_type + "\" is not supported (only env)");
    if (s.source_var.empty()) return util::fail(util::ErrorKind::invalid_argument, what + ": source var is empty");
    if (s.proxy_value.empty())
      return util::fail(util::ErrorKind::invalid_argument, what + ": proxy_value is empty");
    auto value = lookup(s.source_var);
    if (!value || value->empty())
      return util::fail(util::ErrorKind::invalid_argument,
                        what + ": environment variable " + s.source_var + " is not set or empty");
    SR_ASSIGN(HostMatcher rules, util::with_context(HostMatcher::create(s.rule_hosts), what + ": rules"));
    Entry e{s.source_var, s.proxy_value, *value, {}, s.match_query, s.match_path, s.match_body, s.require,
            std::move(rules)};
    for (const auto& h : s.match_headers) e.headers.push_back(lowercase(h));
    all.push_back(ValueToken{e.value, e.token, e.env_name});
    set.entries_.push_back(std::move(e));
  }
  SR_TRY(check_ambiguity(all));
  std::vector<Replacement> redactions;
  for (const auto& vt : all) {
    redactions.push_back(Replacement{vt.token, "[proxy-token:" + vt.env_name + "]"});
    redactions.push_back(Replacement{vt.value, "[secret:" + vt.env_name + "]"});
  }
  set.redactor_ = std::make_shared<const ScrubRules>(std::move(redactions));
  std::vector<Replacement> tokens;
  for (const auto& vt : all)
    if (std::none_of(tokens.begin(), tokens.end(), [&](const Replacement& r) { return r.from == vt.token; }))
      tokens.push_back(Replacement{vt.token, vt.token, vt.token});
  set.tokens_ = std::make_shared<const ScrubRules>(std::move(tokens));
  std::vector<std::string> owners;
  for (std::size_t i = 0; i < set.tokens_->size(); ++i) {
    const std::string& token = set.tokens_->rule_name(i);
    auto it = std::find_if(all.begin(), all.end(), [&](const ValueToken& vt) { return vt.token == token; });
    owners.push_back(it->env_name);  // every rule comes from `all`
  }
  set.token_owners_ = std::make_shared<const std::vector<std::string>>(std::move(owners));
  return set;
}

std::optional<TokenWatch> SecretSet::watch(std::string_view host_in, bool swap_own) const {
  if (entries_.empty()) return std::nullopt;
  auto normalized = normalize_host(host_in);
  std::size_t n = tokens_->size();
  std::vector<bool> refused(n), swaps(n);
  std::vector<const Entry*> swap_from(n, nullptr);
  bool any_refused = false, any_swap = false;
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& token = tokens_->rule_name(i);
    bool allowed = false;
    for (const auto& e : entries_) {
      if (e.token != token || !normalized || !e.rules.matches_normalized(*normalized)) continue;
      allowed = true;
      if (swap_own && e.match_body) swap_from[i] = &e;
    }
    refused[i] = !allowed;
    swaps[i] = swap_from[i] != nullptr;
    any_refused = any_refused || !allowed;
    any_swap = any_swap || swaps[i];
  }
  if (!any_refused && !any_swap) return std::nullopt;
  std::shared_ptr<const ScrubRules> rules = tokens_;
  if (any_swap) {
    // Same tokens in the same order (ScrubRules' sort is stable), so the
    // per-rule tables above still line up; only the swapped ones change.
    std::vector<Replacement> replacements;
    for (std::size_t i = 0; i < n; ++i) {
      const std::string& token = tokens_->rule_name(i);
      replacements.push_back(Replacement{token, swap_from[i] ? swap_from[i]->value : token, token});
    }
    rules = std::make_shared<const ScrubRules>(std::move(replacements));
  }
  // The reason is only spelled out if a token is found.
  return TokenWatch(std::move(rules), token_owners_, std::move(refused), std::move(swaps),
                    normalized ? redact(*normalized) : std::string("(invalid host name)"));
}

TokenWatch::TokenWatch(std::shared_ptr<const ScrubRules> rules,
                       std::shared_ptr<const std::vector<std::string>> owners, std::vector<bool> refused,
                       std::vector<bool> swaps, std::string host)
    : scan_(std::move(rules)), owners_(std::move(owners)), refused_(std::move(refused)),
      swaps_(std::move(swaps)), host_(std::move(host)) {}

std::vector<std::string> TokenWatch::swapped() const {
  std::vector<std::string> names;
  const auto& tally = scan_.tally();
  for (std::size_t i = 0; i < tally.size() && i < swaps_.size(); ++i)
    if (tally[i] && swaps_[i]) util::add_unique(names, (*owners_)[i]);
  return names;
}

bool TokenWatch::accept(std::string&& piece, std::string& out) {
  if (!reason_.empty()) return false;
  const auto& tally = scan_.tally();
  for (std::size_t i = 0; i < tally.size() && i < refused_.size(); ++i) {
    if (tally[i] && refused_[i]) {
      reason_ = "proxy token for " + (*owners_)[i] + " sent to host " + host_;
      return false;
    }
  }
  if (out.empty())
    out = std::move(piece);
  else
    out += piece;
  return true;
}

bool TokenWatch::feed(std::string_view piece, std::string& out) {
  if (!reason_.empty()) return false;
  return accept(scan_.feed(piece), out);
}

bool TokenWatch::finish(std::string& out) {
  if (!reason_.empty()) return false;
  return accept(scan_.finish(), out);
}

SwapOutcome SecretSet::apply(RequestHead& head, std::string_view host_in, std::string* body) const {
  SwapOutcome out;
  if (entries_.empty()) return out;
  auto normalized = normalize_host(host_in);
  std::string_view host = normalized ? std::string_view(*normalized) : host_in;
  auto haystack = SecretSetAccess::gather(head, body);

  if (auto reason = SecretSetAccess::wrong_host(*this, haystack, host_in, host, normalized.has_value())) {
    out.decision = Decision::reject;
    out.reason = std::move(*reason);
    return out;
  }
  std::vector<const Entry*> applying;
  for (const auto& e : entries_)
    if (normalized && e.rules.matches_normalized(host)) applying.push_back(&e);
  // require before any swap, so that a rejected request is left untouched.
  for (const Entry* e : applying) {
    if (e->require && !haystack.contains(e->token)) {
      out.decision = Decision::reject;
      out.reason = "request to " + redact(host) + " carries no proxy token for " + e->env_name + " (require)";
      return out;
    }
  }
  for (const Entry* e : applying) {
    bool swapped = SecretSetAccess::swap_headers(*e, head);
    swapped = SecretSetAccess::swap_target(*e, head) || swapped;
    if (e->match_body && body && replace_all(*body, e->token, e->value)) {
      swapped = true;
      out.body_changed = true;
    }
    if (swapped) util::add_unique(out.swapped, e->env_name);
  }
  return out;
}

bool SecretSet::wants_body(std::string_view host) const {
  auto normalized = normalize_host(host);
  if (!normalized) return false;
  for (const auto& e : entries_)
    if (e.match_body && e.rules.matches_normalized(*normalized)) return true;
  return false;
}

bool SecretSet::maps_host(std::string_view host) const {
  auto normalized = normalize_host(host);
  if (!normalized) return false;
  for (const auto& e : entries_)
    if (e.rules.matches_normalized(*normalized)) return true;
  return false;
}

std::vector<Replacement> SecretSet::echo_replacements() const {
  std::vector<Replacement> out;
  for (const auto& vt : value_tokens()) {
    out.push_back(Replacement{vt.value, vt.token, vt.env_name});
    bool in_headers = std::any_of(entries_.begin(), entries_.end(), [&](const Entry& e) {
      return e.value == vt.value && !e.headers.empty();
    });
    if (!in_headers) continue;
    for (auto& [from, to] : basic_echo_forms(vt.value, vt.token))
      out.push_back(Replacement{std::move(from), std::move(to), vt.env_name});
  }
  return out;
}

std::vector<ValueToken> SecretSet::value_tokens() const {
  std::vector<ValueToken> out;
  for (const auto& e : entries_) {
    bool dup = std::any_of(out.begin(), out.end(), [&](const ValueToken& v) { return v.value == e.value; });
    if (!dup) out.push_back(ValueToken{e.value, e.token, e.env_name});
  }
  std::stable_sort(out.begin(), out.end(),
                   [](const ValueToken& a, const ValueToken& b) { return a.value.size() > b.value.size(); });
  return out;
}

std::string SecretSet::redact(std::string_view text) const {
  if (!redactor_) return std::string(text);
  return redactor_->scrub(text);
}

}  // namespace sr::proxy
