#include "app/command.h"

namespace onedoor::app {

const std::vector<Command>& commands() {
  static const std::vector<Command> k = {
      {"serve", "run the gateway (HTTP FHIR API)", serveCommand},
      {"check", "load and check configuration and definitions, like nginx -t", checkCommand},
      {"convert", "convert a FHIR resource between JSON and XML", convertCommand},
      {"fhirpath", "evaluate FHIRPath expressions against a resource", fhirpathCommand},
      {"validate", "validate resources against the base definitions and profiles", validateCommand},
      {"map", "run a FHIR Mapping Language map on a FHIR resource or an HL7 v2 message", mapCommand},
      {"audit", "query and verify the audit log, list break-glass accesses", auditCommand},
      {"outbox", "list, show, replay or discard messages for delivery to partners", outboxCommand},
      {"identity", "list possible duplicate patients for review, or record a pair as different people", identityCommand},
      {"consent", "explain the consent decision for a partner, purpose and resource", consentCommand},
      {"token", "get an access token for a partner with its development key", tokenCommand},
      {"keygen", "generate development key pairs (gateway and sample partners)", keygenCommand},
  };
  return k;
}

}  // namespace onedoor::app
