#pragma once
// Writes an Exchange's response onto a Poco HTTP response: status, headers, and the body in the
// negotiated FHIR format (or the stored JSON as-is when nothing needs re-encoding).

#include <Poco/Net/HTTPServerResponse.h>

#include "core/exchange.h"

namespace onedoor::http {

void writeResponse(core::Exchange& exchange, bool head, Poco::Net::HTTPServerResponse& out);

}  // namespace onedoor::http
