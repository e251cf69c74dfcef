#pragma once
// Pipeline: owns the order of the stages and runs an exchange through them. Built once at
// start-up from a registry of named stages; immutable and thread-safe afterwards.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/stage.h"

namespace onedoor::core {

class StageRegistry {
 public:
  using Factory = std::function<Result<std::unique_ptr<Stage>>()>;
  // Registering a name twice is an error.
  Status add(const std::string& name, Factory factory);
  Result<std::unique_ptr<Stage>> make(const std::string& name) const;
  bool has(const std::string& name) const { return factories_.count(name) != 0; }

 private:
  std::map<std::string, Factory> factories_;
};

class Pipeline {
 public:
  static Result<Pipeline> build(const StageRegistry& registry,
                                const std::vector<std::string>& order);
  explicit Pipeline(std::vector<std::unique_ptr<Stage>> stages) {
    for (auto& s : stages) stages_.push_back(std::move(s));
  }

  // Runs every stage; afterwards exchange.response is set (a stage failure becomes an
  // OperationOutcome with the status's HTTP code). Never throws.
  void run(Exchange& exchange) const;
  std::vector<std::string> names() const;

 private:
  std::vector<std::shared_ptr<Stage>> stages_;
};

}  // namespace onedoor::core
