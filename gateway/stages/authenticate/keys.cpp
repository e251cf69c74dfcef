#include "stages/authenticate/keys.h"

#include <Poco/Crypto/ECDSADigestEngine.h>
#include <Poco/Crypto/ECKey.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/JWT/Serializer.h>
#include <Poco/JWT/Signer.h>
#include <openssl/ecdsa.h>

#include <fstream>
#include <memory>

#include "core/base64.h"

namespace onedoor::stages::authenticate {

core::Result<JwtKeyPtr> JwtKey::load(const std::string& alg, const std::string& pem_file, bool is_private) {
  if (alg != "RS384" && alg != "RS512" && alg != "ES384") {
    return core::invalid("key algorithm must be RS384, RS512 or ES384 (got " + alg + ")");
  }
  if (!std::ifstream(pem_file)) return core::Status(core::Code::kNotFound, "cannot read key file " + pem_file);
  auto key = std::make_shared<JwtKey>();
  key->alg_ = alg;
  try {
    if (alg == "ES384") {
      key->ec_ = is_private ? new Poco::Crypto::ECKey("", pem_file, "") : new Poco::Crypto::ECKey(pem_file, "", "");
    } else {
      key->rsa_ = is_private ? new Poco::Crypto::RSAKey("", pem_file, "") : new Poco::Crypto::RSAKey(pem_file, "", "");
    }
  } catch (const Poco::Exception& e) {
    return core::invalid("key file " + pem_file + " is not a usable " + alg + " key: " + e.displayText());
  }
  return JwtKeyPtr(key);
}

core::Result<JwtKeyPtr> JwtKey::generateEc(const std::string& private_pem, const std::string& public_pem) {
  auto key = std::make_shared<JwtKey>();
  key->alg_ = "ES384";
  try {
    key->ec_ = new Poco::Crypto::ECKey("secp384r1");
    if (!private_pem.empty()) key->ec_->save(public_pem, private_pem, "");
  } catch (const Poco::Exception& e) {
    return core::internal("cannot generate an EC key: " + e.displayText());
  }
  return JwtKeyPtr(key);
}

namespace {

void configure(Poco::JWT::Signer& s, const Poco::SharedPtr<Poco::Crypto::ECKey>& ec,
               const Poco::SharedPtr<Poco::Crypto::RSAKey>& rsa, const std::string& alg) {
  if (ec) s.setECKey(ec);
  if (rsa) s.setRSAKey(rsa);
  s.setAlgorithms({alg});
}

// ES384 JWS signatures are the raw r || s, each left-padded to 48 bytes (RFC 7518 section 3.4).
// Poco 1.12's Signer drops leading zero bytes of r or s (about 1 signature in 200 is then short and
// fails to verify anywhere), so ES384 is signed and verified here: OpenSSL makes and checks the DER
// signature, these functions convert between DER and the JWS form.
constexpr int kEs384Half = 48;

using SigPtr = std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)>;

std::string derToRaw(const std::string& der) {
  const auto* p = reinterpret_cast<const unsigned char*>(der.data());
  SigPtr sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())), &ECDSA_SIG_free);
  if (!sig) throw Poco::Exception("OpenSSL returned an unreadable ECDSA signature");
  std::string raw(2 * kEs384Half, '\0');
  auto* out = reinterpret_cast<unsigned char*>(raw.data());
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), out, kEs384Half) != kEs384Half ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), out + kEs384Half, kEs384Half) != kEs384Half) {
    throw Poco::Exception("ECDSA signature component longer than 48 bytes");
  }
  return raw;
}

// Empty when `raw` is not exactly 96 bytes.
std::string rawToDer(const std::string& raw) {
  if (raw.size() != 2 * kEs384Half) return {};
  const auto* in = reinterpret_cast<const unsigned char*>(raw.data());
  SigPtr sig(ECDSA_SIG_new(), &ECDSA_SIG_free);
  BIGNUM* r = BN_bin2bn(in, kEs384Half, nullptr);
  BIGNUM* s = BN_bin2bn(in + kEs384Half, kEs384Half, nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return {};
  }
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return {};
  std::string der(static_cast<size_t>(len), '\0');
  auto* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &out);
  return der;
}

}  // namespace

std::string JwtKey::sign(Poco::JWT::Token& token) const {
  if (alg_ != "ES384") {
    Poco::JWT::Signer s;
    configure(s, ec_, rsa_, alg_);
    return s.sign(token, alg_);
  }
  token.setAlgorithm(alg_);
  std::string input = Poco::JWT::Serializer::serialize(token.header()) + "." +
                      Poco::JWT::Serializer::serialize(token.payload());
  return input + "." + core::base64(derToRaw(signBytes(input)), core::Base64::kUrlNoPadding);
}

bool JwtKey::verify(const std::string& jwt, Poco::JWT::Token& token) const {
  if (alg_ == "ES384") {
    try {
      auto dot = jwt.rfind('.');
      if (dot == std::string::npos) return false;
      Poco::JWT::Token parsed(jwt);
      if (parsed.getAlgorithm() != alg_) return false;
      auto raw = core::fromBase64(jwt.substr(dot + 1), core::Base64::kUrlNoPadding);
      if (!raw) return false;
      std::string der = rawToDer(*raw);
      if (der.empty() || !verifyBytes(jwt.substr(0, dot), der)) return false;
      token = std::move(parsed);
      return true;
    } catch (const Poco::Exception&) {
      return false;
    }
  }
  try {
    Poco::JWT::Signer s;
    configure(s, ec_, rsa_, alg_);
    return s.tryVerify(jwt, token);
  } catch (const Poco::Exception&) {
    return false;
  }
}

std::string JwtKey::signBytes(const std::string& data) const {
  Poco::Crypto::ECDSADigestEngine engine(*ec_, "SHA384");
  engine.update(data);
  const auto& sig = engine.signature();
  return std::string(sig.begin(), sig.end());
}

bool JwtKey::verifyBytes(const std::string& data, const std::string& signature) const {
  try {
    Poco::Crypto::ECDSADigestEngine engine(*ec_, "SHA384");
    engine.update(data);
    return engine.verify(Poco::DigestEngine::Digest(signature.begin(), signature.end()));
  } catch (const Poco::Exception&) {
    return false;
  }
}

}  // namespace onedoor::stages::authenticate
