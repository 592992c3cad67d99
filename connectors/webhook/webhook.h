// The webhook source: the ERP POSTs documents to /webhooks/<flow> (one JSON document, or NDJSON
// batches); the answer is the acknowledgement, sent only after the commit.
#pragma once

#include <string>

#include "connectors/registry.h"
#include "connectors/webhook/signature.h"
#include "core/source.h"

namespace fb::connectors::webhook {

struct Spec : core::SourceSpec {
    std::string hmac_secret;  // secret: never logged; empty = no signature required
    std::string hmac_header = "X-Signature";
    SignatureEncoding hmac_encoding = SignatureEncoding::hex;
};

extern const Connector connector;

}  // namespace fb::connectors::webhook
