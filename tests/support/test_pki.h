#pragma once
// A throw-away public key infrastructure for TLS tests, made with OpenSSL: a CA, certificates it
// issues (server with subjectAltName, clients with a subject), and a second, untrusted CA. Every
// key is generated for the test run and written to the test's folder; nothing is committed.

#include <filesystem>
#include <string>

namespace onedoor::testing {

struct PemPair {
  std::string certificate;  // path of the PEM certificate
  std::string private_key;  // path of the PEM private key
};

class TestPki {
 public:
  // A CA named `name` ("CN=<name>") with its files in `dir`.
  TestPki(const std::filesystem::path& dir, const std::string& name);
  ~TestPki();
  TestPki(const TestPki&) = delete;
  TestPki& operator=(const TestPki&) = delete;

  const std::string& caFile() const { return ca_.certificate; }
  // A server certificate for 127.0.0.1 and localhost.
  PemPair server(const std::string& file_stem);
  // A client certificate with subject CN=<common_name>, O=<organisation>.
  PemPair client(const std::string& file_stem, const std::string& common_name, const std::string& organisation);

 private:
  PemPair issue(const std::string& file_stem, const std::string& common_name, const std::string& organisation,
                bool server);

  std::filesystem::path dir_;
  PemPair ca_;
  void* ca_key_ = nullptr;   // EVP_PKEY*
  void* ca_cert_ = nullptr;  // X509*
  long serial_ = 1;
};

}  // namespace onedoor::testing
