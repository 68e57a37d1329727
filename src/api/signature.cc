// HTTP Message Signatures (RFC 9421) with Ed25519, and Content-Digest (RFC 9530).
//
// ipdx supports the subset node-to-node requests need: derived components @method, @path,
// @authority, @scheme, @query, @target-uri and header fields without parameters; one signature
// per request; Ed25519 keys (the node keys of ledger/). Structured-field parsing is strict: a
// header ipdx cannot read exactly is refused, never guessed.
#include <algorithm>
#include <cctype>
#include <string>
#include <vector>

#include "api/api.h"
#include "api/internal.h"
#include "common/hash.h"

namespace ipdx::api {
namespace {

const std::vector<std::string> kRequiredComponents = {"@method", "@path", "@authority",
                                                      "content-digest"};

bool IsKeyChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.' ||
         c == '*';
}

// A strict reader of the RFC 8941 pieces RFC 9421 headers use.
class SfReader {
 public:
  explicit SfReader(std::string_view s) : s_(s) {}
  bool AtEnd() const { return pos_ >= s_.size(); }
  size_t pos() const { return pos_; }
  void SkipSpaces() {
    while (pos_ < s_.size() && s_[pos_] == ' ') ++pos_;
  }
  bool Consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  char Peek() const { return pos_ < s_.size() ? s_[pos_] : '\0'; }
  bool Key(std::string* out) {
    size_t start = pos_;
    if (pos_ >= s_.size() || !((s_[pos_] >= 'a' && s_[pos_] <= 'z') || s_[pos_] == '*')) {
      return false;
    }
    while (pos_ < s_.size() && IsKeyChar(s_[pos_])) ++pos_;
    *out = std::string(s_.substr(start, pos_ - start));
    return true;
  }
  bool String(std::string* out) {
    if (!Consume('"')) return false;
    out->clear();
    while (pos_ < s_.size()) {
      char c = s_[pos_++];
      if (c == '\\') {
        if (pos_ >= s_.size() || (s_[pos_] != '"' && s_[pos_] != '\\')) return false;
        *out += s_[pos_++];
      } else if (c == '"') {
        return true;
      } else if (c < 0x20 || c > 0x7e) {
        return false;
      } else {
        *out += c;
      }
    }
    return false;
  }
  bool Integer(int64_t* out) {
    bool neg = Consume('-');
    size_t start = pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (pos_ == start || pos_ - start > 15) return false;
    auto v = internal::ParseUint(s_.substr(start, pos_ - start));
    if (!v) return false;
    *out = neg ? -static_cast<int64_t>(*v) : static_cast<int64_t>(*v);
    return true;
  }
  bool ByteSequence(std::string* out) {
    if (!Consume(':')) return false;
    size_t end = s_.find(':', pos_);
    if (end == std::string_view::npos) return false;
    auto bytes = internal::Base64Decode(s_.substr(pos_, end - pos_));
    if (!bytes.ok()) return false;
    *out = std::move(bytes).value();
    pos_ = end + 1;
    return true;
  }

 private:
  std::string_view s_;
  size_t pos_ = 0;
};

std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  out += '"';
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

// Parses one Signature-Input member "label=(...);params" (the whole header value: ipdx accepts
// exactly one signature). `params_text` receives the text after "label=", the serialised form
// the signature base uses.
Result<SignatureInput> ParseSignatureInput(std::string_view header, std::string* params_text) {
  const Status bad = Status::InvalidArgument("malformed Signature-Input header");
  SfReader r(internal::Trim(header));
  SignatureInput in;
  if (!r.Key(&in.label) || !r.Consume('=')) return bad;
  const size_t params_start = r.pos();
  if (!r.Consume('(')) return bad;
  in.components.clear();
  for (;;) {
    r.SkipSpaces();
    if (r.Consume(')')) break;
    std::string comp;
    if (!r.String(&comp)) return bad;
    if (r.Peek() == ';') {
      return Status::InvalidArgument("Signature-Input: component parameters are not supported");
    }
    in.components.push_back(std::move(comp));
    if (r.Peek() != ' ' && r.Peek() != ')') return bad;
  }
  while (r.Consume(';')) {
    std::string key;
    if (!r.Key(&key) || !r.Consume('=')) return bad;
    if (key == "created" || key == "expires") {
      int64_t v = 0;
      if (!r.Integer(&v)) return bad;
      (key == "created" ? in.created : in.expires) = v;
    } else if (key == "keyid" || key == "nonce" || key == "alg" || key == "tag") {
      std::string v;
      if (!r.String(&v)) return bad;
      (key == "keyid"   ? in.key_id
       : key == "nonce" ? in.nonce
       : key == "alg"   ? in.alg
                        : in.tag) = std::move(v);
    } else {
      return Status::InvalidArgument("Signature-Input: unknown parameter '" + key + "'");
    }
  }
  std::string_view whole = internal::Trim(header);
  if (!r.AtEnd()) {
    return Status::InvalidArgument(
        "Signature-Input: exactly one signature is accepted (extra text after the first)");
  }
  *params_text = std::string(whole.substr(params_start));
  return in;
}

Result<std::pair<std::string, std::string>> ParseSignature(std::string_view header) {
  const Status bad = Status::InvalidArgument("malformed Signature header");
  SfReader r(internal::Trim(header));
  std::string label, sig;
  if (!r.Key(&label) || !r.Consume('=') || !r.ByteSequence(&sig) || !r.AtEnd()) return bad;
  return std::make_pair(label, sig);
}

}  // namespace

std::string ContentDigest(std::string_view body) { return ContentDigestOf(Sha256(body)); }

std::string ContentDigestOf(const Sha256Digest& d) {
  return "sha-256=:" +
         internal::Base64Encode(
             std::string_view(reinterpret_cast<const char*>(d.data()), d.size())) +
         ":";
}

std::string SerializeSignatureParams(const SignatureInput& input) {
  std::string out = "(";
  for (size_t i = 0; i < input.components.size(); ++i) {
    if (i > 0) out += ' ';
    out += Quote(input.components[i]);
  }
  out += ")";
  if (input.created) out += ";created=" + std::to_string(*input.created);
  if (input.expires) out += ";expires=" + std::to_string(*input.expires);
  if (!input.key_id.empty()) out += ";keyid=" + Quote(input.key_id);
  if (!input.nonce.empty()) out += ";nonce=" + Quote(input.nonce);
  if (!input.alg.empty()) out += ";alg=" + Quote(input.alg);
  if (!input.tag.empty()) out += ";tag=" + Quote(input.tag);
  return out;
}

Result<std::string> SignatureBase(const HttpMessage& message, const std::vector<std::string>& comps,
                                  std::string_view serialized_params) {
  std::string base;
  std::vector<std::string> seen;
  for (const std::string& c : comps) {
    if (std::find(seen.begin(), seen.end(), c) != seen.end()) {
      return Status::InvalidArgument("signature component '" + c + "' appears twice");
    }
    seen.push_back(c);
    std::string value;
    if (c == "@method") {
      value = message.method;
    } else if (c == "@path") {
      value = message.path.empty() ? "/" : message.path;
    } else if (c == "@authority") {
      value = Lower(message.authority);
    } else if (c == "@scheme") {
      value = Lower(message.scheme);
    } else if (c == "@query") {
      value = message.query.empty() ? "?" : message.query;
    } else if (c == "@target-uri") {
      value = Lower(message.scheme) + "://" + Lower(message.authority) +
              (message.path.empty() ? "/" : message.path) + message.query;
    } else if (!c.empty() && c[0] == '@') {
      return Status::InvalidArgument("signature component '" + c + "' is not supported");
    } else {
      if (c != Lower(c)) {
        return Status::InvalidArgument("signature component '" + c + "' is not lower case");
      }
      auto it = message.headers.find(c);
      if (it == message.headers.end()) {
        return Status::InvalidArgument("signature covers header '" + c +
                                       "' that the request does not have");
      }
      value = std::string(internal::Trim(it->second));
    }
    if (value.find('\n') != std::string::npos || value.find('\r') != std::string::npos) {
      return Status::InvalidArgument("signature component '" + c + "' contains a line break");
    }
    base += Quote(c) + ": " + value + "\n";
  }
  base += "\"@signature-params\": ";
  base += serialized_params;
  return base;
}

Result<SignedHeaders> SignRequest(const ledger::SignerKey& key, HttpMessage message,
                                  std::string_view body, int64_t created_unix, std::string nonce) {
  if (nonce.empty()) {
    IPDX_ASSIGN_OR_RETURN(std::string raw, internal::RandomBytes(16));
    nonce = internal::Base64UrlEncode(raw);
  }
  SignedHeaders out;
  out.content_digest = ContentDigest(body);
  message.headers["content-digest"] = out.content_digest;
  SignatureInput in;
  in.components = kRequiredComponents;
  in.created = created_unix;
  in.key_id = key.name();
  in.nonce = std::move(nonce);
  in.alg = "ed25519";
  const std::string params = SerializeSignatureParams(in);
  IPDX_ASSIGN_OR_RETURN(std::string base, SignatureBase(message, in.components, params));
  IPDX_ASSIGN_OR_RETURN(ledger::NoteSignature sig, key.Sign(base));
  out.signature_input = in.label + "=" + params;
  out.signature = in.label + "=:" + internal::Base64Encode(sig.signature) + ":";
  return out;
}

bool NonceCache::Insert(const std::string& key_id, const std::string& nonce, int64_t expires_unix,
                        int64_t now_unix) {
  std::lock_guard lock(mu_);
  // Forget what left the window.
  while (!by_expiry_.empty() && by_expiry_.begin()->first < now_unix) {
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  std::string key = key_id + '\n' + nonce;
  if (seen_.count(key) != 0) return false;
  while (seen_.size() >= max_entries_ && !by_expiry_.empty()) {
    seen_.erase(by_expiry_.begin()->second);
    by_expiry_.erase(by_expiry_.begin());
  }
  seen_.emplace(key, expires_unix);
  by_expiry_.emplace(expires_unix, std::move(key));
  return true;
}

Result<std::string> VerifyRequest(const HttpMessage& message, std::string_view body_digest,
                                  const std::map<std::string, ledger::VerifierKey>& pinned,
                                  NonceCache& nonces, int64_t now_unix, int64_t max_skew_s) {
  auto input_it = message.headers.find("signature-input");
  auto sig_it = message.headers.find("signature");
  if (input_it == message.headers.end() || sig_it == message.headers.end()) {
    return Status::InvalidArgument("a signed request needs Signature-Input and Signature headers");
  }
  std::string params;
  IPDX_ASSIGN_OR_RETURN(SignatureInput in, ParseSignatureInput(input_it->second, &params));
  IPDX_ASSIGN_OR_RETURN(auto sig, ParseSignature(sig_it->second));
  if (sig.first != in.label) {
    return Status::InvalidArgument("Signature and Signature-Input name different labels");
  }
  for (const std::string& required : kRequiredComponents) {
    if (std::find(in.components.begin(), in.components.end(), required) == in.components.end()) {
      return Status::PermissionDenied("the signature does not cover " + required);
    }
  }
  if (!in.alg.empty() && in.alg != "ed25519") {
    return Status::PermissionDenied("signature algorithm '" + in.alg + "' is not accepted");
  }
  if (!in.created) return Status::PermissionDenied("the signature has no created time");
  if (*in.created > now_unix + max_skew_s || *in.created < now_unix - max_skew_s) {
    return Status::PermissionDenied("the signature was created outside the accepted window of " +
                                    std::to_string(max_skew_s) + " s");
  }
  if (in.expires && *in.expires < now_unix) {
    return Status::PermissionDenied("the signature has expired");
  }
  if (in.nonce.empty() || in.nonce.size() > 128) {
    return Status::PermissionDenied("the signature needs a nonce (at most 128 characters)");
  }
  auto key_it = pinned.find(in.key_id);
  if (key_it == pinned.end() || key_it->second.type() != ledger::KeyType::kEd25519) {
    return Status::PermissionDenied("key '" + in.key_id + "' is not a pinned peer key");
  }
  auto digest_it = message.headers.find("content-digest");
  if (digest_it == message.headers.end() || internal::Trim(digest_it->second) != body_digest) {
    return Status::PermissionDenied("Content-Digest does not match the request body");
  }
  IPDX_ASSIGN_OR_RETURN(std::string base, SignatureBase(message, in.components, params));
  if (!key_it->second.Verify(base, sig.second)) {
    return Status::PermissionDenied("the signature does not verify with key '" + in.key_id + "'");
  }
  // Only a verified request uses up its nonce, so forged requests cannot block real ones.
  if (!nonces.Insert(in.key_id, in.nonce, *in.created + max_skew_s, now_unix)) {
    return Status::PermissionDenied("replayed request: nonce already used by key '" + in.key_id +
                                    "'");
  }
  return in.key_id;
}

}  // namespace ipdx::api
