#include "stages/authenticate/keys.h"

#include <Poco/Crypto/ECDSADigestEngine.h>
#include <Poco/JWT/Signer.h>
#include <Poco/Crypto/ECKey.h>
#include <Poco/Crypto/RSAKey.h>

#include <fstream>

namespace onedoor::stages::authenticate {

core::Result<JwtKeyPtr> JwtKey::load(const std::string& alg, const std::string& pem_file, bool is_private) {
  if (alg != "RS384" && alg != "ES384") return core::invalid("key algorithm must be RS384 or ES384 (got " + alg + ")");
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

}  // namespace

std::string JwtKey::sign(Poco::JWT::Token& token) const {
  Poco::JWT::Signer s;
  configure(s, ec_, rsa_, alg_);
  return s.sign(token, alg_);
}

bool JwtKey::verify(const std::string& jwt, Poco::JWT::Token& token) const {
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
