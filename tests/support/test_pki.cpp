#include "support/test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <stdexcept>

namespace onedoor::testing {

namespace {

EVP_PKEY* newKey() {
  EVP_PKEY* key = EVP_EC_gen("prime256v1");
  if (key == nullptr) throw std::runtime_error("OpenSSL cannot generate an EC key");
  return key;
}

void addExtension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (ext == nullptr) throw std::runtime_error("bad X509 extension");
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* newCertificate(EVP_PKEY* key, long serial, const std::string& cn, const std::string& org) {
  X509* cert = X509_new();
  X509_set_version(cert, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(cert), serial);
  X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert), 24 * 3600);
  X509_set_pubkey(cert, key);
  X509_NAME* name = X509_get_subject_name(cert);
  if (!org.empty()) {
    X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(org.c_str()), -1, -1, 0);
  }
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  return cert;
}

void write(const std::filesystem::path& path, X509* cert, EVP_PKEY* key) {
  FILE* f = std::fopen(path.string().c_str(), "w");
  if (f == nullptr) throw std::runtime_error("cannot write " + path.string());
  bool ok = cert != nullptr ? PEM_write_X509(f, cert) == 1
                            : PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
  std::fclose(f);
  if (!ok) throw std::runtime_error("cannot write PEM " + path.string());
}

}  // namespace

TestPki::TestPki(const std::filesystem::path& dir, const std::string& name) : dir_(dir) {
  std::filesystem::create_directories(dir_);
  auto* key = newKey();
  X509* cert = newCertificate(key, serial_++, name, "OneDoor tests");
  X509_set_issuer_name(cert, X509_get_subject_name(cert));
  addExtension(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
  addExtension(cert, cert, NID_key_usage, "critical,keyCertSign,cRLSign");
  addExtension(cert, cert, NID_subject_key_identifier, "hash");
  X509_sign(cert, key, EVP_sha256());
  ca_ = {(dir_ / (name + ".ca.pem")).string(), (dir_ / (name + ".ca.key.pem")).string()};
  write(ca_.certificate, cert, nullptr);
  write(ca_.private_key, nullptr, key);
  ca_key_ = key;
  ca_cert_ = cert;
}

TestPki::~TestPki() {
  X509_free(static_cast<X509*>(ca_cert_));
  EVP_PKEY_free(static_cast<EVP_PKEY*>(ca_key_));
}

PemPair TestPki::server(const std::string& file_stem) { return issue(file_stem, "127.0.0.1", "", true); }

PemPair TestPki::client(const std::string& file_stem, const std::string& common_name, const std::string& organisation) {
  return issue(file_stem, common_name, organisation, false);
}

PemPair TestPki::issue(const std::string& file_stem, const std::string& cn, const std::string& org, bool server) {
  auto* ca_cert = static_cast<X509*>(ca_cert_);
  auto* ca_key = static_cast<EVP_PKEY*>(ca_key_);
  EVP_PKEY* key = newKey();
  X509* cert = newCertificate(key, serial_++, cn, org);
  X509_set_issuer_name(cert, X509_get_subject_name(ca_cert));
  addExtension(cert, ca_cert, NID_basic_constraints, "critical,CA:FALSE");
  addExtension(cert, ca_cert, NID_authority_key_identifier, "keyid:always");
  if (server) {
    addExtension(cert, ca_cert, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    addExtension(cert, ca_cert, NID_ext_key_usage, "serverAuth");
  } else {
    addExtension(cert, ca_cert, NID_ext_key_usage, "clientAuth");
  }
  X509_sign(cert, ca_key, EVP_sha256());
  PemPair out{(dir_ / (file_stem + ".pem")).string(), (dir_ / (file_stem + ".key.pem")).string()};
  write(out.certificate, cert, nullptr);
  write(out.private_key, nullptr, key);
  X509_free(cert);
  EVP_PKEY_free(key);
  return out;
}

}  // namespace onedoor::testing
