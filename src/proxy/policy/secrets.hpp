// Credential injection: swaps each proxy token for its real value in the
// requests a sandbox sends, and refuses a token that is headed anywhere else.
//
// This module sees INNER requests only (plain-HTTP forwards and the decrypted
// requests inside a CONNECT tunnel), never the CONNECT itself, so `require`
// is never applied to a CONNECT (iron-proxy v0.39 applies it there too, so
// every HTTPS request to a mapped host fails: iron-proxy issue #222).
//
// Contract of SecretSet::apply, in this order:
//  1. Wrong-host refusal. The request is scanned for every known proxy token:
//     in every header name and value (all headers, not just the configured
//     ones; "Basic" payloads of Authorization/Proxy-Authorization are also
//     decoded), in the target (raw and percent-decoded), in the destination
//     host name itself, and in the body when the caller buffered it. A token
//     found towards a host that none of that token's entries' rules match
//     rejects the request: reason "proxy token for OPENAI_API_KEY sent to
//     host evil.example". Nothing is modified then.
//  2. Swaps, for each entry whose rules match the host: in each configured
//     header (names case-insensitive; substring replacement; "Basic" payloads
//     decoded, swapped, re-encoded), in the query when match_query, in the
//     path when match_path (real values percent-encoded where they contain
//     characters outside RFC 3986 "unreserved"), in the body when match_body
//     and the body was buffered (the caller fixes Content-Length).
//  3. require: an entry with require=true whose rules match the host, and whose
//     token was found nowhere in the request, rejects it: reason "request to
//     api.openai.com carries no proxy token for OPENAI_API_KEY (require)".
//
// Streamed bodies (too large to buffer, or towards a host with no body
// swap) are not seen by apply(): SecretSet::watch() gives a TokenWatch that
// scans them as they pass for tokens refused towards the host, with the same
// wrong-host rule as step 1. For a WebSocket's frames from the sandbox (the
// messages are its body) the watch also swaps, as it scans, the tokens of the
// entries with match_body whose rules match the host.
//
// Reasons name env var names and host names only: never a token or a real
// value (a token inside the destination host name is not echoed either).
// Detection limits (documented, not defended): tokens inside compressed or
// otherwise re-encoded bodies (gzip, JSON \u escapes, base64 outside Basic
// auth) are not recognised.
#pragma once

#include <boost/beast/http/fields.hpp>
#include <boost/beast/http/message.hpp>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "proxy/policy/decision.hpp"
#include "proxy/policy/host_match.hpp"
#include "proxy/policy/scrubber.hpp"
#include "proxyconf/proxy_config.hpp"
#include "util/error.hpp"

namespace sr::proxy {

// Reads a secret's real value by env var name: getenv in the engine, a map in
// tests. nullopt or an empty value means "not set".
using SecretLookup = std::function<std::optional<std::string>(std::string_view env_name)>;

// The engine's lookup: std::getenv.
SecretLookup environment_lookup();

// The request head the pipeline hands over; modified in place on allow.
using RequestHead = boost::beast::http::request_header<boost::beast::http::fields>;

struct SwapOutcome {
  Decision decision = Decision::allow;  // allow or reject (never error)
  std::string reason;                   // empty on allow
  std::vector<std::string> swapped;     // env var names, config order, no duplicates
  bool body_changed = false;            // the caller must fix Content-Length
};

// One real value and the token that stands for it (for the scrubber).
struct ValueToken {
  std::string value;
  std::string token;
  std::string env_name;
};

class SecretSet;

// The base64 runs that carry `value` when it sits in a Basic payload the
// engine re-encoded after a swap, each paired with the same run of `token`
// (for the scrubber). The user part before the value is unknown and of any
// length, so the value starts at any of the three offsets within a base64
// group: for each, the run of characters that depend on the value alone,
// and that run completed with the '=' padding (the value ends the payload,
// as a password does). The scrubbed echo then carries no character made of
// the value's bits only; the one character before the run and the one
// after it mix up to 4 bits of the value's first or last byte with the
// neighbouring bytes. Where the value ends the payload, the echo reads back
// as exactly base64(user:token) at one offset, and at the other two when
// the value's and the token's first bytes agree in their top 2 or top 4 bits
// (the top 2 bits of any two letters agree); otherwise that one byte is
// mixed. Runs shorter than 8 characters are left out (they would match
// unrelated base64). base64url is not covered.
std::vector<std::pair<std::string, std::string>> basic_echo_forms(std::string_view value,
                                                                  std::string_view token);

// Scans a byte stream sent towards one host (a streamed request body) for
// proxy tokens that must not go there, whatever the chunking: feed() hands
// back what may be sent now and holds back a tail shorter than the longest
// token, so a token split across pieces is caught before any of it leaves.
class TokenWatch {
 public:
  // Appends to `out` what may be sent now. False when a token refused
  // towards the host has been found: nothing of it was appended (nor is
  // anything after it), and reason() names the secret and the host.
  bool feed(std::string_view piece, std::string& out);
  // The held-back tail, at the end of the stream (same result as feed()).
  bool finish(std::string& out);
  [[nodiscard]] const std::string& reason() const { return reason_; }
  // The env var names whose tokens have been swapped for their real value so
  // far (a watch built with swap_own), in rule order, each once.
  [[nodiscard]] std::vector<std::string> swapped() const;

 private:
  friend class SecretSet;
  TokenWatch(std::shared_ptr<const ScrubRules> rules,
             std::shared_ptr<const std::vector<std::string>> owners, std::vector<bool> refused,
             std::vector<bool> swaps, std::string host);
  bool accept(std::string&& piece, std::string& out);

  StreamScrubber scan_;  // per token: itself, or its real value where swapped
  std::shared_ptr<const std::vector<std::string>> owners_;  // per rule: the token's env var
  std::vector<bool> refused_;                           // per rule: may not go to host_
  std::vector<bool> swaps_;                             // per rule: replaced by its value
  std::string host_;                                    // as it appears in a reason
  std::string reason_;
};

class SecretSet {
 public:
  SecretSet() = default;  // no secrets: apply() always allows, swaps nothing

  // Builds the set from the config's `secrets` entries, reading every real
  // value once through `lookup` (the engine calls this at start and on
  // reload). Fails (invalid_argument) on: a source type other than "env", an
  // empty var or proxy_value, an env var that is unset or empty, an invalid
  // rule host, a token that is a substring of another token or of a real
  // value (the swap would be ambiguous), the same token used for two
  // different env vars. An entry with no rules never matches (iron-proxy
  // semantics) but its token is still refused towards every host.
  static util::Result<SecretSet> create(const std::vector<proxyconf::Secret>& secrets,
                                        const SecretLookup& lookup);

  // `host` is the host the request is actually sent to (the CONNECT target
  // or the absolute-form URI host), not the Host header. `body` is the
  // buffered request body, or nullptr when the body is streamed unbuffered
  // (then it is neither scanned nor swapped).
  SwapOutcome apply(RequestHead& head, std::string_view host, std::string* body) const;

  // Whether the pipeline should buffer the body of a request to `host`
  // (within max_request_body_bytes) so that apply() can swap in it: true when
  // an entry whose rules match the host has match_body.
  [[nodiscard]] bool wants_body(std::string_view host) const;

  // Whether any entry's rules match `host`: the engine injects a real value
  // there, so a response from it may echo one (the engine then asks for
  // identity encoding and refuses compressed bodies it could not scrub).
  [[nodiscard]] bool maps_host(std::string_view host) const;

  // A TokenWatch for a stream towards `host`, or nullopt when every token
  // may go there and none is to be swapped (or there are none). With
  // `swap_own` (a WebSocket's frames from the sandbox), the tokens of entries
  // with match_body whose rules match the host are replaced by their values.
  [[nodiscard]] std::optional<TokenWatch> watch(std::string_view host, bool swap_own = false) const;

  // Real value -> token pairs, longest value first.
  [[nodiscard]] std::vector<ValueToken> value_tokens() const;

  // What the response scrubber replaces, named by env var: each real value
  // by its token, and, for a secret swapped in headers, the base64 forms of
  // the value a Basic payload swap can emit (basic_echo_forms) by the same
  // forms of its token.
  [[nodiscard]] std::vector<Replacement> echo_replacements() const;

  // Replaces every token with "[proxy-token:ENV]" and every real value with
  // "[secret:ENV]": for anything written to logs (audit host/path/reason).
  [[nodiscard]] std::string redact(std::string_view text) const;

  [[nodiscard]] bool empty() const { return entries_.empty(); }

 private:
  struct Entry {
    std::string env_name;
    std::string token;
    std::string value;
    std::vector<std::string> headers;  // lowercase
    bool match_query = false;
    bool match_path = false;
    bool match_body = false;
    bool require = false;
    HostMatcher rules;
  };
  std::vector<Entry> entries_;
  std::shared_ptr<const ScrubRules> redactor_;  // tokens and values -> labels
  std::shared_ptr<const ScrubRules> tokens_;    // token -> itself, named by the token
  // Per rule of tokens_: the env var of the entry that token belongs to.
  std::shared_ptr<const std::vector<std::string>> token_owners_;

  friend struct SecretSetAccess;  // implementation helpers in secrets.cpp
};

}  // namespace sr::proxy
