// JWT keys and SMART scopes: ES384 signatures in the JWS form (fixed 96 bytes), verification that
// accepts only the key's own algorithm, RS384, and scope parsing in v1 and v2 forms.
#include <Poco/JWT/Signer.h>
#include <boost/test/unit_test.hpp>


#include "core/base64.h"
#include "stages/authenticate/keys.h"
#include "stages/authenticate/scopes.h"
#include "support/test_support.h"

using onedoor::stages::authenticate::JwtKey;
using onedoor::stages::authenticate::allows;
using onedoor::stages::authenticate::parseScope;

namespace {

std::string signatureBytes(const std::string& jwt) {
  return onedoor::core::fromBase64(jwt.substr(jwt.rfind('.') + 1), onedoor::core::Base64::kUrlNoPadding).value_or("");
}

Poco::JWT::Token claims(int i) {
  Poco::JWT::Token t;
  t.setSubject("partner-" + std::to_string(i));
  t.setId("jti-" + std::to_string(i));
  return t;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(Keys)

// Poco 1.12 dropped leading zero bytes of r or s (about 1 signature in 200); 2,000 signatures
// make a miss of that bug unlikely (p < 1e-4).
BOOST_AUTO_TEST_CASE(es384_signatures_are_always_96_bytes_and_verify) {
  auto key = JwtKey::generateEc();
  BOOST_REQUIRE(key.isOk());
  int short_sigs = 0, failures = 0;
  for (int i = 0; i < 2000; ++i) {
    Poco::JWT::Token t = claims(i);
    std::string jwt = (*key)->sign(t);
    if (signatureBytes(jwt).size() != 96) ++short_sigs;
    Poco::JWT::Token back;
    if (!(*key)->verify(jwt, back) || back.getSubject() != "partner-" + std::to_string(i)) ++failures;
  }
  BOOST_CHECK_EQUAL(short_sigs, 0);
  BOOST_CHECK_EQUAL(failures, 0);
}

BOOST_AUTO_TEST_CASE(verification_rejects_tampering_other_keys_and_other_algorithms) {
  auto key = JwtKey::generateEc();
  auto other = JwtKey::generateEc();
  Poco::JWT::Token t = claims(1);
  std::string jwt = (*key)->sign(t);
  Poco::JWT::Token out;
  BOOST_CHECK((*key)->verify(jwt, out));
  BOOST_CHECK(!(*other)->verify(jwt, out));
  // A changed payload.
  std::string forged = jwt;
  auto dot = forged.find('.');
  forged[dot + 3] = forged[dot + 3] == 'A' ? 'B' : 'A';
  BOOST_CHECK(!(*key)->verify(forged, out));
  // alg "none", and an HMAC token whose secret is guessable: the key's algorithm is fixed.
  Poco::JWT::Token none = claims(2);
  Poco::JWT::Signer hmac("not-a-secret");
  std::string hs = hmac.sign(none, Poco::JWT::Signer::ALGO_HS256);
  BOOST_CHECK(!(*key)->verify(hs, out));
  BOOST_CHECK(!(*key)->verify(jwt.substr(0, jwt.rfind('.') + 1), out));
  BOOST_CHECK(!(*key)->verify("not a token", out));
  // A truncated signature (95 bytes) is refused, not padded.
  BOOST_CHECK(!(*key)->verify(jwt.substr(0, jwt.size() - 2), out));
}

BOOST_AUTO_TEST_CASE(rs384_keys_sign_and_verify_only_rs384) {
  onedoor::testing::TempDir dir;
  Poco::Crypto::RSAKey rsa(Poco::Crypto::RSAKey::KL_2048, Poco::Crypto::RSAKey::EXP_LARGE);
  std::string pub = (dir.path() / "rsa.pub.pem").string(), priv = (dir.path() / "rsa.key.pem").string();
  rsa.save(pub, priv, "");
  auto signer = JwtKey::load("RS384", priv, true);
  auto verifier = JwtKey::load("RS384", pub, false);
  BOOST_REQUIRE(signer.isOk() && verifier.isOk());
  Poco::JWT::Token t = claims(3);
  std::string jwt = (*signer)->sign(t);
  Poco::JWT::Token out;
  BOOST_CHECK((*verifier)->verify(jwt, out));
  // The same key pair offered for another algorithm is not accepted.
  Poco::JWT::Token t2 = claims(4);
  Poco::JWT::Signer rs256;
  rs256.setRSAKey(new Poco::Crypto::RSAKey("", priv, ""));
  BOOST_CHECK(!(*verifier)->verify(rs256.sign(t2, Poco::JWT::Signer::ALGO_RS256), out));
  BOOST_CHECK(!JwtKey::load("HS256", priv, true).isOk());
  BOOST_CHECK(!JwtKey::load("ES384", (dir.path() / "missing.pem").string(), false).isOk());
}

BOOST_AUTO_TEST_CASE(checkpoint_signatures_verify_only_their_bytes) {
  auto key = JwtKey::generateEc();
  std::string sig = (*key)->signBytes("head 42 abc");
  BOOST_CHECK((*key)->verifyBytes("head 42 abc", sig));
  BOOST_CHECK(!(*key)->verifyBytes("head 43 abc", sig));
  BOOST_CHECK(!(*key)->verifyBytes("head 42 abc", "garbage"));
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(Scopes)

BOOST_AUTO_TEST_CASE(v1_and_v2_scopes_parse_to_the_same_permissions) {
  auto v1 = parseScope("system/Patient.read");
  auto v2 = parseScope("system/Patient.rs");
  BOOST_REQUIRE(v1 && v2);
  BOOST_CHECK_EQUAL(v1->toString(), v2->toString());
  BOOST_CHECK_EQUAL(parseScope("system/*.write")->letters, "cud");
  BOOST_CHECK_EQUAL(parseScope("system/*.*")->letters, "cruds");
  BOOST_CHECK(!parseScope("user/Patient.read"));
  BOOST_CHECK(!parseScope("system/Patient.rx"));
  BOOST_CHECK(!parseScope("system/Patient.sr"));  // v2 letters are in order
  BOOST_CHECK(!parseScope("system/.read"));
}

BOOST_AUTO_TEST_CASE(scopes_cover_and_allow) {
  BOOST_CHECK(parseScope("system/*.cruds")->covers(*parseScope("system/Observation.rs")));
  BOOST_CHECK(!parseScope("system/Patient.rs")->covers(*parseScope("system/Patient.c")));
  BOOST_CHECK(!parseScope("system/Patient.rs")->covers(*parseScope("system/*.r")));
  std::vector<std::string> granted = {"system/Patient.read", "system/ServiceRequest.c"};
  BOOST_CHECK(allows(granted, "Patient", 'r'));
  BOOST_CHECK(allows(granted, "Patient", 's'));
  BOOST_CHECK(!allows(granted, "Patient", 'u'));
  BOOST_CHECK(allows(granted, "ServiceRequest", 'c'));
  BOOST_CHECK(!allows(granted, "Observation", 'r'));
}

BOOST_AUTO_TEST_SUITE_END()
