// A source is how documents come in: it hands the engine documents plus an acknowledgement
// point (a poll cursor, a file's identity; for a webhook, its reply) and acknowledges to the ERP
// only after the engine committed both in one SQLite transaction. Everything else a source
// needs (backpressure, retries, metrics, readiness) is the engine's: ingest/source_context.h.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/source_spec.h"
#include "ledger/ledger.h"

namespace fb::core {

// State a source keeps beside its documents, written in their transaction (table source_state,
// keyed by flow and key): a poll cursor, the identity of a file taken.
struct Checkpoint {
    std::string key;    // e.g. "cursor", "file:<content hash>"
    std::string value;  // the source's own text, usually JSON
};

// What one commit holds: the documents and the acknowledgement point they move the source to.
struct Batch {
    std::vector<ledger::Submission> submissions;
    std::vector<Checkpoint> checkpoints;
};

class Source {
public:
    virtual ~Source() = default;
    // Begins taking documents: a thread of its own (poll, file), or nothing at all (a webhook
    // is called by the HTTP server through the endpoint it registered).
    virtual void start() = 0;
    // Returns once nothing is in flight; what was committed stays committed, what was not is
    // taken again after the restart.
    virtual void stop() = 0;
};

}  // namespace fb::core
