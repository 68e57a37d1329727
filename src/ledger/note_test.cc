// Signed notes, keys, checkpoints and cosignatures against tests/ledger-vectors/.
#include <sys/stat.h>

#include "ledger/test_util.h"

namespace ipdx::ledger {
namespace {

using testing::FromHex;
using testing::LoadJson;

std::vector<VerifierKey> Keys(std::initializer_list<std::string> vkeys) {
  std::vector<VerifierKey> out;
  for (const auto& v : vkeys) {
    auto k = VerifierKey::Parse(v);
    EXPECT_TRUE(k.ok()) << v << ": " << k.status().ToString();
    if (k.ok()) out.push_back(*k);
  }
  return out;
}

SignerKey SeedKey(const std::string& name, KeyType type, const std::string& seed_hex) {
  const std::string seed = FromHex(seed_hex);
  std::array<uint8_t, 32> s{};
  std::copy(seed.begin(), seed.end(), s.begin());
  auto k = SignerKey::FromSeed(name, type, s);
  EXPECT_TRUE(k.ok());
  return *k;
}

TEST(NoteTest, C2spExampleVerifies) {
  const auto v = LoadJson("signed_note_vectors.json")["c2sp_signed_note_example"];
  auto keys = Keys({v["vkey"]});
  ASSERT_EQ(keys.size(), 1u);
  EXPECT_EQ(keys[0].key_id(), 0x530d903au);
  auto opened = OpenNote(v["note"].get<std::string>(), keys);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->note.text, "This is an example message.\n");
  EXPECT_EQ(keys[0].ToString(), v["vkey"]);
}

TEST(NoteTest, GoSumdbSignerReproducesNoteByteForByte) {
  const auto v = LoadJson("signed_note_vectors.json")["go_sumdb_note"];
  auto skey = SignerKey::Parse(v["skey"].get<std::string>());
  ASSERT_TRUE(skey.ok()) << skey.status().ToString();
  EXPECT_EQ(skey->ToString(), v["skey"]);
  EXPECT_EQ(skey->verifier().ToString(), v["vkey"]);
  auto signed_note = SignNote(v["text"].get<std::string>(), std::span(&*skey, 1));
  ASSERT_TRUE(signed_note.ok());
  EXPECT_EQ(*signed_note, v["signed_note"]);

  // A note with an extra signature by another (unknown) key still opens; with both keys trusted
  // both signatures verify.
  const std::string both =
      v["signed_note"].get<std::string>() + v["enoch_sig_line"].get<std::string>();
  auto peter = Keys({v["vkey"]});
  ASSERT_TRUE(OpenNote(both, peter).ok());
  auto two = Keys({v["vkey"], v["enoch_vkey"]});
  auto opened = OpenNote(both, two);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  EXPECT_EQ(opened->verified_by.size(), 2u);
  // Only Enoch trusted: Peter's signature is ignored, Enoch's verifies.
  EXPECT_TRUE(OpenNote(both, Keys({v["enoch_vkey"]})).ok());

  for (const auto& bad : v["bad_vkeys"]) {
    EXPECT_FALSE(VerifierKey::Parse(bad.get<std::string>()).ok()) << bad;
  }
}

TEST(NoteTest, MalformedNotesAreRejected) {
  const auto v = LoadJson("signed_note_vectors.json")["go_sumdb_note_negative_cases"];
  auto keys = Keys({v["verifier_vkey"]});
  int checked = 0;
  for (const auto& c : v["cases"]) {
    if (c.contains("note_hex")) {
      const std::string note = FromHex(c["note_hex"].get<std::string>());
      EXPECT_FALSE(OpenNote(note, keys).ok()) << c["desc"];
      ++checked;
    }
  }
  EXPECT_GE(checked, 8);
  // 101 copies of a valid signature line: over our 100 limit (Go's), while 16 must be accepted.
  const auto g = LoadJson("signed_note_vectors.json")["go_sumdb_note"];
  const std::string text = g["text"];
  const std::string signed_note = g["signed_note"];
  const std::string sig_line = signed_note.substr(text.size() + 1);
  std::string many = text + "\n";
  for (int i = 0; i < 101; ++i) many += sig_line;
  EXPECT_FALSE(ParseNote(many).ok());
  std::string sixteen = text + "\n";
  for (int i = 0; i < 16; ++i) sixteen += sig_line;
  EXPECT_TRUE(OpenNote(sixteen, keys).ok());
}

TEST(NoteTest, TamperingIsDetected) {
  const auto v = LoadJson("signed_note_vectors.json")["go_sumdb_note"];
  auto keys = Keys({v["vkey"]});
  std::string note = v["signed_note"];
  note[3] ^= 0x20;  // flip a bit in the text
  auto opened = OpenNote(note, keys);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.status().code(), StatusCode::kPermissionDenied);
  // Unknown key only: rejected as untrusted.
  auto other = SignerKey::Generate("PeterNeumann", KeyType::kEd25519);
  ASSERT_TRUE(other.ok());
  auto untrusted = OpenNote(v["signed_note"].get<std::string>(), std::span(&other->verifier(), 1));
  ASSERT_FALSE(untrusted.ok());
  EXPECT_NE(untrusted.status().message().find("no signature by a trusted key"), std::string::npos);
}

TEST(NoteTest, WitnessAndFormatsKeysRoundTrip) {
  const auto v = LoadJson("signed_note_vectors.json");
  for (const auto& [name, k] : v["formats_test_keys"]["keys"].items()) {
    auto skey = SignerKey::Parse(k["skey"].get<std::string>());
    ASSERT_TRUE(skey.ok()) << name;
    EXPECT_EQ(skey->verifier().ToString(), k["vkey"]) << name;
  }
  const auto w = v["witness_update_vectors"];
  auto log = Keys({w["log_vkey"]});
  for (const char* cp : {"checkpoint_size5", "checkpoint_size8"}) {
    auto opened = OpenNote(w[cp].get<std::string>(), log);
    ASSERT_TRUE(opened.ok()) << cp << opened.status().ToString();
    auto parsed = ParseCheckpoint(opened->note.text);
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(parsed->origin, "monkeys");
  }
  // The published consistency proof 5 -> 8 links the size-5 root to the size-8 checkpoint.
  auto cp8 = ParseCheckpoint(ParseNote(w["checkpoint_size8"].get<std::string>())->text);
  std::vector<Hash> proof;
  for (const auto& h : w["consistency_proof_5_to_8_hex"])
    proof.push_back(testing::HashHex(h.get<std::string>()));
  EXPECT_TRUE(VerifyConsistency(
                  5, 8,
                  testing::HashHex(w["root_size5_consistent_with_proof_hex"].get<std::string>()),
                  cp8->root, proof)
                  .ok());
}

TEST(NoteTest, DerivedCheckpointsAndCosignatureReproduced) {
  const auto d = LoadJson("signed_note_vectors.json")["derived_for_this_project"];
  const auto ref = LoadJson("rfc6962_vectors.json");
  SignerKey log = SeedKey(d["log"]["origin"], KeyType::kEd25519, d["log"]["ed25519_seed_hex"]);
  EXPECT_EQ(log.verifier().ToString(), d["log"]["vkey"]);
  SignerKey witness =
      SeedKey(d["witness"]["name"], KeyType::kCosignatureV1, d["witness"]["ed25519_seed_hex"]);
  EXPECT_EQ(witness.verifier().ToString(), d["witness"]["vkey_cosignature_v1"]);

  MemoryLogStorage s;
  for (const auto& hex : ref["reference_tree"]["leaf_inputs_hex"]) {
    if (*s.TreeSize() == 5) {
      auto note5 = SignCheckpoint(s, log);
      ASSERT_TRUE(note5.ok()) << note5.status().ToString();
      EXPECT_EQ(*note5, d["checkpoint_size5_signed"]);
    }
    ASSERT_TRUE(Append(s, FromHex(hex.get<std::string>())).ok());
  }
  auto note8 = SignCheckpoint(s, log);
  ASSERT_TRUE(note8.ok());
  const uint64_t ts = d["witness"]["cosignature_timestamp"];
  EXPECT_EQ(CosignatureMessage(ts, ParseNote(*note8)->text),
            d["cosignature_v1_signed_message_size8"]);
  auto cosigned = AddCosignature(*note8, log.verifier(), witness, ts);
  ASSERT_TRUE(cosigned.ok()) << cosigned.status().ToString();
  EXPECT_EQ(*cosigned, d["checkpoint_size8_signed_and_cosigned"]);
  auto opened = OpenNote(*cosigned, std::vector<VerifierKey>{log.verifier(), witness.verifier()});
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(opened->verified_by.size(), 2u);
  EXPECT_EQ(*CosignatureTimestamp(opened->note.signatures[1]), ts);
  // A witness refuses to cosign a checkpoint whose log signature it cannot verify.
  EXPECT_FALSE(AddCosignature(*note8, witness.verifier(), witness, ts).ok());
}

TEST(NoteTest, SunlightCosignaturesVerify) {
  const auto v = LoadJson("signed_note_vectors.json")["sunlight_cosignature_v1"];
  struct Case {
    const char* key;
    const char* note;
  };
  for (const Case& c :
       {Case{"witness_vkey", "witness_checkpoint"}, Case{"witness2_vkey", "witness2_checkpoint"},
        Case{"mirror_vkey", "mirror_checkpoint"}}) {
    auto keys = Keys({v[c.key]});
    ASSERT_EQ(keys[0].type(), KeyType::kCosignatureV1);
    auto opened = OpenNote(v[c.note].get<std::string>(), keys);
    ASSERT_TRUE(opened.ok()) << c.note << ": " << opened.status().ToString();
    for (const auto& sig : opened->note.signatures) {
      if (sig.key_name == keys[0].name()) {
        EXPECT_EQ(*CosignatureTimestamp(sig), v["cosignature_timestamp"].get<uint64_t>());
      }
    }
    // The seed rule reproduces the public key.
  }
  const Sha256Digest seed = Sha256("skylight test witness key");
  auto k = SignerKey::FromSeed("witness.example.org", KeyType::kCosignatureV1, seed);
  ASSERT_TRUE(k.ok());
  EXPECT_EQ(k->verifier().ToString(), v["witness_vkey"]);
  // Mirror checkpoint root equals our tree of "record 0".."record 299".
  MemoryLogStorage s;
  for (int i = 0; i < 300; ++i) ASSERT_TRUE(Append(s, "record " + std::to_string(i)).ok());
  auto cp = ParseCheckpoint(ParseNote(v["mirror_checkpoint"].get<std::string>())->text);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(*TreeRoot(s, 300), cp->root);
}

TEST(NoteTest, CheckpointParsingRules) {
  const auto v = LoadJson("signed_note_vectors.json")["c2sp_tlog_checkpoint_example_unverifiable"];
  auto note = ParseNote(v["note"].get<std::string>());
  ASSERT_TRUE(note.ok());
  auto cp = ParseCheckpoint(note->text);
  ASSERT_TRUE(cp.ok());
  EXPECT_EQ(cp->origin, "example.com/behind-the-sofa");
  EXPECT_EQ(cp->tree_size, 20852163u);
  EXPECT_EQ(FormatCheckpoint(*cp), note->text);
  EXPECT_EQ(CosignatureMessage(1679315147, note->text), v["cosigned_message_example"]);
  EXPECT_EQ(*CosignatureTimestamp(note->signatures[1]), 1679315147u);

  const std::string root = "CsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=";
  EXPECT_FALSE(ParseCheckpoint("o\n012\n" + root + "\n").ok());  // leading zero
  EXPECT_FALSE(ParseCheckpoint("o\n-1\n" + root + "\n").ok());
  EXPECT_FALSE(ParseCheckpoint("o\n12\n" + root).ok());  // no final newline
  EXPECT_FALSE(ParseCheckpoint("o\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxqw==\n").ok());
  EXPECT_FALSE(ParseCheckpoint("o\n12\n" + root + "\n\n").ok());  // empty extension line
  EXPECT_FALSE(ParseCheckpoint("\n12\n" + root + "\n").ok());
  auto ext = ParseCheckpoint("o\n0\n" + root + "\nextra line\n");
  ASSERT_TRUE(ext.ok());
  EXPECT_EQ(ext->extensions, std::vector<std::string>{"extra line"});
  EXPECT_EQ(DefaultOrigin("US"), "ipdx/US");
}

TEST(NoteTest, KeyFilesAreWrittenWithMode0600) {
  const auto dir =
      std::filesystem::temp_directory_path() / ("ipdx-ledger-key-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const std::string path = (dir / "node.key").string();
  std::filesystem::remove(path);
  auto key = SignerKey::Generate(DefaultOrigin("EP"), KeyType::kEd25519);
  ASSERT_TRUE(key.ok());
  ASSERT_TRUE(WritePrivateKeyFile(path, *key).ok());
  struct stat sb {};
  ASSERT_EQ(::stat(path.c_str(), &sb), 0);
  EXPECT_EQ(sb.st_mode & 0777, 0600u);
  EXPECT_EQ(WritePrivateKeyFile(path, *key).code(), StatusCode::kAlreadyExists);
  auto back = ReadPrivateKeyFile(path);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->ToString(), key->ToString());
  ASSERT_EQ(::chmod(path.c_str(), 0644), 0);
  EXPECT_EQ(ReadPrivateKeyFile(path).status().code(), StatusCode::kPermissionDenied);
  std::filesystem::remove_all(dir);
  // Two generated keys differ.
  auto other = SignerKey::Generate(DefaultOrigin("EP"), KeyType::kEd25519);
  EXPECT_NE(other->ToString(), key->ToString());
}

}  // namespace
}  // namespace ipdx::ledger
