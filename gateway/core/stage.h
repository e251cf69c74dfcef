#pragma once
// Stage: one step of the exchange pipeline (authenticate → parse → validate → consent → map →
// route → audit). A stage holds its configuration and pure logic; it never calls another stage.
// Stages are built at start-up and shared by all request threads: run() must be thread-safe.

#include <string_view>

#include "core/exchange.h"
#include "core/status.h"

namespace onedoor::core {

enum class Flow {
  kContinue,  // go on to the next stage
  kRespond,   // the response is decided; skip the remaining request stages, run the response path
  kStop,      // end the exchange now; only stages that always run (audit) still see it
};

class Stage {
 public:
  virtual ~Stage() = default;
  virtual std::string_view name() const = 0;
  // Non-OK only if the stage could not do its job; problems *in the data* go to
  // exchange.issues() and the stage decides the response.
  [[nodiscard]] virtual Result<Flow> run(Exchange& exchange) = 0;
  // Runs on the way back, in reverse order, for stages whose run() was reached (filters such as
  // consent redaction). The default does nothing.
  [[nodiscard]] virtual Status respond(Exchange& exchange) {
    (void)exchange;
    return Status::ok();
  }
  // True for stages that run whatever happened before them (audit).
  virtual bool always() const { return false; }
};

}  // namespace onedoor::core
