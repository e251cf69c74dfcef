#pragma once
// Keys for JSON Web Tokens: partners' public keys (RS384 or ES384, each with its one allowed
// algorithm) and the gateway's own EC P-384 signing key. Loaded from PEM files at start-up;
// immutable and shared afterwards.

#include <Poco/Crypto/ECKey.h>
#include <Poco/Crypto/RSAKey.h>
#include <Poco/JWT/Token.h>

#include <memory>
#include <string>

#include "core/status.h"

namespace onedoor::stages::authenticate {

class JwtKey {
 public:
  // A public key (to verify) or private key (to sign and verify) from a PEM file. `alg` is the
  // only algorithm the key will be used with: RS384 or ES384 (partners), RS512 (NHS login).
  static core::Result<std::shared_ptr<const JwtKey>> load(const std::string& alg, const std::string& pem_file,
                                                          bool is_private);
  // A new EC P-384 key pair (tests and `onedoor keygen`); written as PEM if paths are given.
  static core::Result<std::shared_ptr<const JwtKey>> generateEc(const std::string& private_pem = "",
                                                                const std::string& public_pem = "");

  const std::string& alg() const { return alg_; }
  // Signs `token` with this key and its algorithm; throws Poco exceptions.
  std::string sign(Poco::JWT::Token& token) const;
  // Verifies `jwt` accepting exactly this key's algorithm, never the token's own choice; false on
  // any failure (bad signature, other algorithm, malformed).
  bool verify(const std::string& jwt, Poco::JWT::Token& token) const;
  // Signs raw bytes (ECDSA P-384 over SHA-384, DER); used for audit checkpoints.
  std::string signBytes(const std::string& data) const;
  bool verifyBytes(const std::string& data, const std::string& signature) const;

 private:
  std::string alg_;
  Poco::SharedPtr<Poco::Crypto::ECKey> ec_;
  Poco::SharedPtr<Poco::Crypto::RSAKey> rsa_;
};

using JwtKeyPtr = std::shared_ptr<const JwtKey>;

}  // namespace onedoor::stages::authenticate
