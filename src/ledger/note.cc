// Ed25519 keys (OpenSSL EVP), C2SP signed notes, checkpoints and cosignatures, key files
// (docs/formats/ledger.md §3, §4).
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>

#include "ledger/internal.h"
#include "ledger/ledger.h"

namespace ipdx::ledger {
namespace {

using internal::AsChars;
using internal::Base64Decode;
using internal::Base64Encode;

constexpr std::string_view kSigPrefix = "\xE2\x80\x94 ";  // U+2014 EM DASH, space
constexpr size_t kMaxSignatures = 100;
constexpr std::string_view kPrivateKeyPrefix = "PRIVATE+KEY+";

struct PkeyDeleter {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;

Result<std::array<uint8_t, 32>> PublicFromSeed(std::span<const uint8_t, 32> seed) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), 32));
  std::array<uint8_t, 32> pub{};
  size_t len = pub.size();
  if (!key || EVP_PKEY_get_raw_public_key(key.get(), pub.data(), &len) != 1 || len != 32) {
    return Status::Internal("OpenSSL could not derive an Ed25519 public key");
  }
  return pub;
}

Result<std::string> Ed25519Sign(std::span<const uint8_t, 32> seed, std::string_view message) {
  PkeyPtr key(EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nullptr, seed.data(), 32));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::string sig(64, '\0');
  size_t len = sig.size();
  if (!key || !ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len,
                     reinterpret_cast<const unsigned char*>(message.data()), message.size()) != 1 ||
      len != 64) {
    return Status::Internal("OpenSSL Ed25519 signing failed");
  }
  return sig;
}

bool Ed25519Verify(const std::array<uint8_t, 32>& pub, std::string_view message,
                   std::string_view sig) {
  if (sig.size() != 64) return false;
  PkeyPtr key(EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr, pub.data(), 32));
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!key || !ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1) {
    return false;
  }
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(message.data()),
                          message.size()) == 1;
}

std::string HexId(uint32_t id) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", id);
  return buf;
}

std::optional<uint32_t> ParseHexId(std::string_view s) {
  if (s.size() != 8) return std::nullopt;
  uint32_t v = 0;
  for (char c : s) {
    int d;
    if (c >= '0' && c <= '9') {
      d = c - '0';
    } else if (c >= 'a' && c <= 'f') {
      d = c - 'a' + 10;
    } else {
      return std::nullopt;  // the text form is lower-case hex only
    }
    v = (v << 4) | static_cast<uint32_t>(d);
  }
  return v;
}

// Splits "<name>+<id>+<key>" at the first two '+' (names and ids have none; base64 may).
std::vector<std::string_view> SplitPlus(std::string_view s) {
  std::vector<std::string_view> parts;
  for (int i = 0; i < 2; ++i) {
    const size_t p = s.find('+');
    if (p == std::string_view::npos) break;
    parts.push_back(s.substr(0, p));
    s.remove_prefix(p + 1);
  }
  parts.push_back(s);
  return parts;
}

std::string BigEndian32(uint32_t v) {
  std::string out;
  internal::PutU32(out, v);
  return out;
}

bool IsKnownType(uint8_t t) {
  return t == static_cast<uint8_t>(KeyType::kEd25519) ||
         t == static_cast<uint8_t>(KeyType::kCosignatureV1);
}

}  // namespace

uint32_t KeyId(std::string_view name, KeyType type, std::span<const uint8_t, 32> public_key) {
  std::string buf(name);
  buf.push_back('\n');
  buf.push_back(static_cast<char>(type));
  buf.append(AsChars(public_key));
  const Sha256Digest d = Sha256(buf);
  return (uint32_t{d[0]} << 24) | (uint32_t{d[1]} << 16) | (uint32_t{d[2]} << 8) | d[3];
}

bool IsValidKeyName(std::string_view name) {
  if (name.empty() || !internal::IsValidUtf8(name)) return false;
  if (name.find('+') != std::string_view::npos) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    const auto c = static_cast<uint8_t>(name[i]);
    if (c <= 0x20 || c == 0x7F) return false;
    // Unicode white space beyond ASCII: U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
    // U+202F, U+205F, U+3000.
    if (c == 0xC2 && i + 1 < name.size()) {
      const auto d = static_cast<uint8_t>(name[i + 1]);
      if (d == 0x85 || d == 0xA0) return false;
    }
    if (c == 0xE1 && name.substr(i, 3) == "\xE1\x9A\x80") return false;
    if (c == 0xE2 && i + 2 < name.size() && static_cast<uint8_t>(name[i + 1]) == 0x80) {
      const auto d = static_cast<uint8_t>(name[i + 2]);
      if (d <= 0x8A || d == 0xA8 || d == 0xA9 || d == 0xAF) return false;
    }
    if (c == 0xE2 && name.substr(i, 3) == "\xE2\x81\x9F") return false;
    if (c == 0xE3 && name.substr(i, 3) == "\xE3\x80\x80") return false;
  }
  return true;
}

// ------------------------------------------------------------------ VerifierKey

Result<VerifierKey> VerifierKey::FromPublicKey(std::string name, KeyType type,
                                               std::span<const uint8_t, 32> public_key) {
  if (!IsValidKeyName(name)) return Status::InvalidArgument("invalid key name '" + name + "'");
  if (!IsKnownType(static_cast<uint8_t>(type))) {
    return Status::InvalidArgument("unsupported key type");
  }
  VerifierKey k;
  k.name_ = std::move(name);
  k.type_ = type;
  std::copy(public_key.begin(), public_key.end(), k.public_key_.begin());
  k.key_id_ = KeyId(k.name_, type, k.public_key_);
  return k;
}

Result<VerifierKey> VerifierKey::Parse(std::string_view vkey) {
  const auto parts = SplitPlus(vkey);
  if (parts.size() != 3) {
    return Status::InvalidArgument("verifier key is not <name>+<hex id>+<base64 key>");
  }
  const std::string name(parts[0]);
  auto id = ParseHexId(parts[1]);
  if (!id) return Status::InvalidArgument("verifier key " + name + ": key id is not 8 hex digits");
  auto key = Base64Decode(parts[2]);
  if (!key || key->empty()) {
    return Status::InvalidArgument("verifier key " + name + ": key is not valid base64");
  }
  const auto type = static_cast<uint8_t>((*key)[0]);
  if (!IsKnownType(type)) {
    return Status::InvalidArgument("verifier key " + name + ": unsupported key type 0x" +
                                   HexEncode(std::span<const uint8_t>(&type, 1)));
  }
  if (key->size() != 33) {
    return Status::InvalidArgument("verifier key " + name + ": Ed25519 key must be 32 bytes, got " +
                                   std::to_string(key->size() - 1));
  }
  std::array<uint8_t, 32> pub{};
  std::memcpy(pub.data(), key->data() + 1, 32);
  IPDX_ASSIGN_OR_RETURN(VerifierKey k, FromPublicKey(name, static_cast<KeyType>(type), pub));
  if (k.key_id_ != *id) {
    return Status::InvalidArgument("verifier key " + name + ": key id " + std::string(parts[1]) +
                                   " does not match the key (expected " + HexId(k.key_id_) + ")");
  }
  return k;
}

std::string VerifierKey::ToString() const {
  std::string key(1, static_cast<char>(type_));
  key.append(AsChars(public_key_));
  return name_ + "+" + HexId(key_id_) + "+" + Base64Encode(key);
}

bool VerifierKey::Verify(std::string_view text, std::string_view signature) const {
  if (type_ == KeyType::kEd25519) return Ed25519Verify(public_key_, text, signature);
  // cosignature/v1: timestamp (u64) || Ed25519 signature over the cosigned message.
  if (signature.size() != 72) return false;
  internal::ByteReader r(signature);
  uint64_t timestamp = 0;
  if (!r.U64(timestamp) || timestamp > static_cast<uint64_t>(INT64_MAX)) return false;
  return Ed25519Verify(public_key_, CosignatureMessage(timestamp, text), signature.substr(8));
}

// ------------------------------------------------------------------ SignerKey

Result<SignerKey> SignerKey::FromSeed(std::string name, KeyType type,
                                      std::span<const uint8_t, 32> seed) {
  IPDX_ASSIGN_OR_RETURN(auto pub, PublicFromSeed(seed));
  IPDX_ASSIGN_OR_RETURN(VerifierKey v, VerifierKey::FromPublicKey(std::move(name), type, pub));
  SignerKey k;
  k.verifier_ = std::move(v);
  std::copy(seed.begin(), seed.end(), k.seed_.begin());
  return k;
}

Result<SignerKey> SignerKey::Generate(std::string name, KeyType type) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "ED25519"));
  std::array<uint8_t, 32> seed{};
  size_t len = seed.size();
  if (!key || EVP_PKEY_get_raw_private_key(key.get(), seed.data(), &len) != 1 || len != 32) {
    return Status::Internal("OpenSSL could not generate an Ed25519 key");
  }
  auto out = FromSeed(std::move(name), type, seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  return out;
}

Result<SignerKey> SignerKey::Parse(std::string_view skey) {
  if (skey.substr(0, kPrivateKeyPrefix.size()) != kPrivateKeyPrefix) {
    return Status::InvalidArgument("private key does not start with PRIVATE+KEY+");
  }
  const auto parts = SplitPlus(skey.substr(kPrivateKeyPrefix.size()));
  if (parts.size() != 3) {
    return Status::InvalidArgument("private key is not PRIVATE+KEY+<name>+<hex id>+<base64 key>");
  }
  auto id = ParseHexId(parts[1]);
  auto key = Base64Decode(parts[2]);
  if (!id || !key || key->size() != 33 || !IsKnownType(static_cast<uint8_t>((*key)[0]))) {
    return Status::InvalidArgument("private key " + std::string(parts[0]) +
                                   ": malformed id or key, or unsupported key type");
  }
  std::array<uint8_t, 32> seed{};
  std::memcpy(seed.data(), key->data() + 1, 32);
  auto k = FromSeed(std::string(parts[0]), static_cast<KeyType>((*key)[0]), seed);
  OPENSSL_cleanse(seed.data(), seed.size());
  OPENSSL_cleanse(key->data(), key->size());
  if (!k.ok()) return k.status();
  if (k->key_id() != *id) {
    return Status::InvalidArgument("private key " + std::string(parts[0]) +
                                   ": key id does not match the key");
  }
  return k;
}

std::string SignerKey::ToString() const {
  std::string key(1, static_cast<char>(type()));
  key.append(AsChars(seed_));
  return std::string(kPrivateKeyPrefix) + name() + "+" + HexId(key_id()) + "+" + Base64Encode(key);
}

Result<NoteSignature> SignerKey::Sign(std::string_view text) const {
  if (type() != KeyType::kEd25519) {
    return Status::FailedPrecondition("key " + name() + " is a cosignature key, not a note key");
  }
  IPDX_ASSIGN_OR_RETURN(std::string sig, Ed25519Sign(seed_, text));
  return NoteSignature{name(), key_id(), std::move(sig)};
}

Result<NoteSignature> SignerKey::Cosign(std::string_view checkpoint_text,
                                        uint64_t timestamp) const {
  if (type() != KeyType::kCosignatureV1) {
    return Status::FailedPrecondition("key " + name() + " is not a cosignature/v1 key");
  }
  if (timestamp > static_cast<uint64_t>(INT64_MAX)) {
    return Status::InvalidArgument("cosignature timestamp exceeds 2^63-1");
  }
  IPDX_ASSIGN_OR_RETURN(std::string sig,
                        Ed25519Sign(seed_, CosignatureMessage(timestamp, checkpoint_text)));
  std::string blob;
  internal::PutU64(blob, timestamp);
  blob += sig;
  return NoteSignature{name(), key_id(), std::move(blob)};
}

// ------------------------------------------------------------------ notes

Result<Note> ParseNote(std::string_view msg) {
  if (!internal::IsValidUtf8(msg)) return Status::InvalidArgument("note: not valid UTF-8");
  for (size_t i = 0; i < msg.size(); ++i) {
    const auto c = static_cast<uint8_t>(msg[i]);
    if ((c < 0x20 && c != '\n') || c == 0x7F) {
      return Status::InvalidArgument("note: control character at byte " + std::to_string(i));
    }
  }
  if (msg.empty() || msg.back() != '\n') {
    return Status::InvalidArgument("note: does not end in a newline");
  }
  const size_t split = msg.rfind("\n\n");
  if (split == std::string_view::npos) {
    return Status::InvalidArgument("note: no blank line before the signatures");
  }
  Note note;
  note.text = std::string(msg.substr(0, split + 1));
  std::string_view sigs = msg.substr(split + 2);
  if (sigs.empty()) return Status::InvalidArgument("note: no signature lines");
  size_t line_no = 0;
  while (!sigs.empty()) {
    ++line_no;
    const size_t nl = sigs.find('\n');  // present: the message ends in '\n'
    std::string_view line = sigs.substr(0, nl);
    sigs.remove_prefix(nl + 1);
    const std::string where = "note: signature line " + std::to_string(line_no);
    if (line.substr(0, kSigPrefix.size()) != kSigPrefix) {
      return Status::InvalidArgument(where + " does not start with an em dash and a space");
    }
    line.remove_prefix(kSigPrefix.size());
    const size_t sp = line.find(' ');
    if (sp == std::string_view::npos) return Status::InvalidArgument(where + ": no signature");
    const std::string name(line.substr(0, sp));
    if (!IsValidKeyName(name)) return Status::InvalidArgument(where + ": invalid key name");
    auto blob = Base64Decode(line.substr(sp + 1));
    if (!blob || blob->size() < 5) {
      return Status::InvalidArgument(where + ": signature is not base64 of key id + signature");
    }
    if (note.signatures.size() == kMaxSignatures) {
      return Status::InvalidArgument("note: more than 100 signatures");
    }
    internal::ByteReader r(*blob);
    NoteSignature sig;
    sig.key_name = name;
    (void)r.U32(sig.key_id);
    sig.signature = blob->substr(4);
    note.signatures.push_back(std::move(sig));
  }
  return note;
}

std::string FormatNote(const Note& note) {
  std::string out = note.text;
  out += '\n';
  for (const NoteSignature& s : note.signatures) {
    out += kSigPrefix;
    out += s.key_name;
    out += ' ';
    out += Base64Encode(BigEndian32(s.key_id) + s.signature);
    out += '\n';
  }
  return out;
}

Result<std::string> SignNote(std::string_view text, std::span<const SignerKey> signers) {
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument("note text must end in a newline");
  }
  Note note;
  note.text = std::string(text);
  for (const SignerKey& k : signers) {
    IPDX_ASSIGN_OR_RETURN(NoteSignature sig, k.Sign(text));
    note.signatures.push_back(std::move(sig));
  }
  if (note.signatures.empty()) return Status::InvalidArgument("a note needs a signer");
  std::string msg = FormatNote(note);
  // Refuse to emit anything our own parser would reject (control characters, blank text lines
  // that would move the signature split).
  IPDX_ASSIGN_OR_RETURN(Note check, ParseNote(msg));
  if (check.text != note.text) return Status::InvalidArgument("note text contains a blank line");
  return msg;
}

Result<VerifiedNote> OpenNote(std::string_view message, std::span<const VerifierKey> trusted) {
  IPDX_ASSIGN_OR_RETURN(Note note, ParseNote(message));
  VerifiedNote out;
  for (const NoteSignature& sig : note.signatures) {
    for (const VerifierKey& k : trusted) {
      if (k.name() != sig.key_name || k.key_id() != sig.key_id) continue;
      if (!k.Verify(note.text, sig.signature)) {
        return Status::PermissionDenied("note: signature by trusted key " + k.name() + "+" +
                                        HexId(k.key_id()) + " does not verify");
      }
      bool seen = false;
      for (const VerifierKey& v : out.verified_by)
        seen |= v.key_id() == k.key_id() && v.name() == k.name();
      if (!seen) out.verified_by.push_back(k);
    }
  }
  if (out.verified_by.empty()) {
    std::string names;
    for (const NoteSignature& sig : note.signatures) {
      names += (names.empty() ? "" : ", ") + sig.key_name + "+" + HexId(sig.key_id);
    }
    std::string want;
    for (const VerifierKey& k : trusted) {
      want += (want.empty() ? "" : ", ") + k.name() + "+" + HexId(k.key_id());
    }
    return Status::PermissionDenied("note: no signature by a trusted key (signed by " + names +
                                    "; trusted: " + (want.empty() ? "none" : want) + ")");
  }
  out.note = std::move(note);
  return out;
}

// ------------------------------------------------------------------ checkpoints

Result<Checkpoint> ParseCheckpoint(std::string_view text) {
  if (text.empty() || text.back() != '\n') {
    return Status::InvalidArgument("checkpoint: text does not end in a newline");
  }
  std::vector<std::string_view> lines;
  std::string_view rest = text;
  while (!rest.empty()) {
    const size_t nl = rest.find('\n');
    lines.push_back(rest.substr(0, nl));
    rest.remove_prefix(nl + 1);
  }
  if (lines.size() < 3) return Status::InvalidArgument("checkpoint: fewer than 3 lines");
  Checkpoint cp;
  if (lines[0].empty()) return Status::InvalidArgument("checkpoint: empty origin line");
  cp.origin = std::string(lines[0]);
  auto size = internal::ParseDecimal(lines[1]);
  if (!size) {
    return Status::InvalidArgument(
        "checkpoint: line 2 is not a tree size without leading zeros: '" + std::string(lines[1]) +
        "'");
  }
  cp.tree_size = *size;
  auto root = internal::Base64DecodeHash(lines[2]);
  if (!root) return Status::InvalidArgument("checkpoint: line 3 is not a base64 32-byte hash");
  cp.root = *root;
  for (size_t i = 3; i < lines.size(); ++i) {
    if (lines[i].empty()) {
      return Status::InvalidArgument("checkpoint: empty extension line " + std::to_string(i + 1));
    }
    cp.extensions.emplace_back(lines[i]);
  }
  return cp;
}

std::string FormatCheckpoint(const Checkpoint& cp) {
  std::string out = cp.origin + "\n" + std::to_string(cp.tree_size) + "\n" +
                    Base64Encode(std::span<const uint8_t>(cp.root)) + "\n";
  for (const std::string& e : cp.extensions) out += e + "\n";
  return out;
}

std::string CosignatureMessage(uint64_t timestamp, std::string_view checkpoint_text) {
  std::string out = "cosignature/v1\ntime " + std::to_string(timestamp) + "\n";
  out.append(checkpoint_text);
  return out;
}

Result<uint64_t> CosignatureTimestamp(const NoteSignature& signature) {
  if (signature.signature.size() != 72) {
    return Status::InvalidArgument("signature by " + signature.key_name +
                                   " is not a cosignature/v1 signature");
  }
  internal::ByteReader r(signature.signature);
  uint64_t ts = 0;
  (void)r.U64(ts);
  return ts;
}

Result<std::string> AddCosignature(std::string_view signed_checkpoint, const VerifierKey& log_key,
                                   const SignerKey& witness, uint64_t timestamp) {
  IPDX_ASSIGN_OR_RETURN(VerifiedNote opened,
                        OpenNote(signed_checkpoint, std::span<const VerifierKey>(&log_key, 1)));
  IPDX_ASSIGN_OR_RETURN(Checkpoint cp, ParseCheckpoint(opened.note.text));
  if (cp.origin != log_key.name()) {
    return Status::InvalidArgument("checkpoint origin " + cp.origin +
                                   " is not the log key's name " + log_key.name());
  }
  IPDX_ASSIGN_OR_RETURN(NoteSignature sig, witness.Cosign(opened.note.text, timestamp));
  Note note = std::move(opened.note);
  // One cosignature per witness key: a newer one replaces the older.
  std::erase_if(note.signatures, [&](const NoteSignature& s) {
    return s.key_name == sig.key_name && s.key_id == sig.key_id;
  });
  note.signatures.push_back(std::move(sig));
  return FormatNote(note);
}

std::string DefaultOrigin(std::string_view office) { return "ipdx/" + std::string(office); }

std::string HashToBase64(const Hash& hash) { return internal::Base64Encode(hash); }

Result<std::string> SignCheckpoint(LogStorage& storage, const SignerKey& log_key) {
  IPDX_ASSIGN_OR_RETURN(uint64_t size, storage.TreeSize());
  IPDX_ASSIGN_OR_RETURN(Hash root, TreeRoot(storage, size));
  // Never sign a tree that disagrees with what was signed before (split view): the latest
  // stored checkpoint must be a prefix of the current tree.
  IPDX_ASSIGN_OR_RETURN(std::vector<uint64_t> sizes, storage.CheckpointSizes());
  if (!sizes.empty()) {
    const uint64_t last = *std::max_element(sizes.begin(), sizes.end());
    IPDX_ASSIGN_OR_RETURN(std::string prev_note, storage.ReadCheckpoint(last));
    IPDX_ASSIGN_OR_RETURN(Note prev, ParseNote(prev_note));
    IPDX_ASSIGN_OR_RETURN(Checkpoint prev_cp, ParseCheckpoint(prev.text));
    if (last > size) {
      return Status::Corruption("log holds " + std::to_string(size) + " entries but checkpoint " +
                                std::to_string(last) +
                                " was signed: refusing to sign a smaller tree");
    }
    IPDX_ASSIGN_OR_RETURN(Hash prev_root_now, TreeRoot(storage, last));
    if (prev_root_now != prev_cp.root) {
      return Status::Corruption("stored tree at size " + std::to_string(last) +
                                " no longer matches its signed checkpoint: refusing to sign");
    }
    if (last == size && prev_cp.origin == log_key.name()) return prev_note;  // keeps cosignatures
  }
  // Re-derive the leaf hashes of the entries this checkpoint adds: a bit flipped between append
  // and signing must stop the signature, not be committed to forever.
  const uint64_t first_new = sizes.empty() ? 0 : *std::max_element(sizes.begin(), sizes.end());
  constexpr uint64_t kBatch = 4096;
  for (uint64_t start = first_new; start < size; start += kBatch) {
    const uint64_t count = std::min(kBatch, size - start);
    IPDX_ASSIGN_OR_RETURN(std::vector<std::string> entries, storage.ReadEntries(start, count));
    std::vector<NodeId> ids;
    for (uint64_t i = 0; i < count; ++i) ids.push_back(NodeId{0, start + i});
    IPDX_ASSIGN_OR_RETURN(std::vector<Hash> stored, storage.ReadHashes(ids));
    if (entries.size() != count || stored.size() != count) {
      return Status::Corruption("leaves [" + std::to_string(start) + ", " +
                                std::to_string(start + count) +
                                ") are incomplete in storage: refusing to sign");
    }
    for (uint64_t i = 0; i < count; ++i) {
      if (LeafHash(entries[i]) != stored[i]) {
        return Status::Corruption("leaf " + std::to_string(start + i) +
                                  ": stored entry does not hash to the stored leaf hash: "
                                  "refusing to sign");
      }
    }
  }
  const std::string text = FormatCheckpoint(Checkpoint{log_key.name(), size, root, {}});
  IPDX_ASSIGN_OR_RETURN(std::string note, SignNote(text, std::span<const SignerKey>(&log_key, 1)));
  IPDX_RETURN_IF_ERROR(storage.StoreCheckpoint(size, note));
  return note;
}

// ------------------------------------------------------------------ key files

Status WritePrivateKeyFile(const std::string& path, const SignerKey& key) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    const int err = errno;
    if (err == EEXIST) return Status::AlreadyExists("key file " + path + " already exists");
    return Status::IOError("cannot create key file " + path + ": " + std::strerror(err));
  }
  // The mode given to open() is reduced by the umask only, never widened; make it exact anyway.
  std::string text = key.ToString() + "\n";
  Status st = Status::Ok();
  if (::fchmod(fd, 0600) != 0) st = Status::IOError("cannot chmod key file " + path);
  size_t off = 0;
  while (st.ok() && off < text.size()) {
    const ssize_t n = ::write(fd, text.data() + off, text.size() - off);
    if (n < 0) {
      if (errno == EINTR) continue;
      st = Status::IOError("cannot write key file " + path + ": " + std::strerror(errno));
      break;
    }
    off += static_cast<size_t>(n);
  }
  if (st.ok() && ::fsync(fd) != 0) st = Status::IOError("cannot sync key file " + path);
  ::close(fd);
  OPENSSL_cleanse(text.data(), text.size());
  if (!st.ok()) ::unlink(path.c_str());
  return st;
}

Result<SignerKey> ReadPrivateKeyFile(const std::string& path) {
  struct stat sb {};
  if (::stat(path.c_str(), &sb) != 0) {
    return Status::IOError("cannot read key file " + path + ": " + std::strerror(errno));
  }
  if ((sb.st_mode & 077) != 0) {
    return Status::PermissionDenied("key file " + path +
                                    " is readable by group or others; chmod 600 it");
  }
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  if (!in) return Status::IOError("cannot read key file " + path);
  std::string text = ss.str();
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
  auto key = SignerKey::Parse(text);
  OPENSSL_cleanse(text.data(), text.size());
  if (!key.ok()) return key.status().WithContext(path);
  return key;
}

}  // namespace ipdx::ledger
