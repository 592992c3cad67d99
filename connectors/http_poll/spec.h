// The `http_poll` source's config: the request (a request mapping over {cursor, page, session,
// now, until}), where the records are, how pages follow one another, the cursor, the session,
// what counts as an error in an HTTP 200, and the pace.
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "core/source_spec.h"
#include "http/auth.h"
#include "http/client.h"
#include "http/login.h"
#include "http/session.h"
#include "mapping/mapping.h"
#include "connectors/http_poll/zone.h"

namespace fb::config {
class Section;
}

namespace fb::connectors::http_poll {

// "The answer means X" when the value at `path` of the JSON body is present (`equals` empty) or
// equals `equals` (compared as text: true, false, 0, "100").
struct BodyRule {
    std::string path;
    std::string equals;
    bool present_only = false;
    bool empty() const { return path.empty(); }
    bool matches(std::string_view body) const;
};

// An answer that means "no records" though its status is not 2xx: Dolibarr up to 18 answers an
// empty list as HTTP 404 {"error": {"code": 404, "message": "Not Found: No shipment found"}}.
// The status and a rule on the body must both hold, so a 404 for a mistyped URL stays a failure.
struct EmptyAnswer {
    int status = 0;  // 0: not configured
    BodyRule body;
    bool empty() const { return status == 0; }
    bool matches(int answer_status, std::string_view answer_body) const {
        return status != 0 && answer_status == status && body.matches(answer_body);
    }
};

struct Spec : core::SourceSpec {
    std::shared_ptr<const mapping::Mapping> request;  // request mapping over the poll context
    std::string request_file;
    boost::json::object vars;  // `vars:` as $.vars in every request (base URL, company id, user…)
    std::vector<std::string> var_secrets;  // values of vars named *password*, *secret*, *token*, *key*
    std::chrono::milliseconds every{30000};
    bool catch_up = true;  // while pages come back full, poll again at once
    http::ClientOptions client;
    http::Auth auth;

    std::string records = "$";  // path to the list of records in the answer
    // `records_missing: empty`: an answer without the list at all is an empty page (QuickBooks
    // leaves `Invoice` out of an empty `QueryResponse`); by default it fails the page, so that a
    // typo in `records:` is not read as "no changes" for ever.
    bool missing_records_empty = false;
    // The mapping sees the page's list of records (default; its `columns:` and `group_by` apply
    // to the list), or the whole answer (for a mapping with its own `documents:`).
    bool map_answer = false;
    BodyRule error;             // an HTTP 200 that is a failure (JSON-RPC "error", IsSuccess: false)
    EmptyAnswer empty_answer;   // a non-2xx answer that is an empty page
    // Rows of one document (the same cursor id, e.g. a Kingdee bill's line items) are never
    // committed apart: the rows of the last document on a page wait for the next page.
    bool group_rows = false;

    enum class Paging { none, next_link, offset, page_number, token, link_header };
    Paging paging = Paging::none;
    std::string next;      // next_link: path to the next URL; token: path to the next token
    std::string rel = "next";  // link_header: the `rel` of the RFC 8288 Link that is the next page
    // A flag in the answer that says whether more pages follow (NetSuite's `$.hasMore`, Zoho's
    // `$.page_context.has_more_page`): when set, false ends the data, true asks for the next page
    // even after a short one; empty: the paging type's own end rule alone.
    std::string more;
    std::size_t size = 100;  // offset / page_number: the page size (a shorter page is the last)
    // offset: each page is asked from the last record of the page before, which must come back
    // first; when it does not, rows moved between the two requests (one before it changed and
    // left the window), and the rows after it shifted past the offset: the poll starts again
    // from the stored cursor instead of skipping them.
    bool boundary_check = true;
    std::size_t max_pages = 1000;  // per poll: a guard against an ERP that pages forever
    // per answer: more records than this fail the page (an ERP that ignores the page size, or a
    // hostile answer of a million `{}`s: each record costs ~2 KiB on its way to the state file).
    std::size_t max_records = 10000;

    struct Cursor {
        std::string time;  // path in a record to its change time
        // path to its clock time when the ERP splits it off (SAP B1: UpdateDate + UpdateTime)
        std::string time_of_day;
        // where the change time is when `time` is null or absent (Tryton and Odoo leave
        // write_date empty until a record's first edit: create_date)
        std::string time_fallback;
        std::string id;    // path to its id (ties on the time are ordered by it)
        std::string initial = "1970-01-01T00:00:00Z";
        std::chrono::milliseconds overlap{5 * 60 * 1000};
        std::chrono::milliseconds settle{0};
        int tz_offset_minutes = 0;  // for times written without a zone (and *_local in requests)
        const date::time_zone* tz = nullptr;  // `tz: Europe/Berlin`: a named zone instead
        Zone zone() const { return tz ? Zone(tz) : Zone(tz_offset_minutes); }
    } cursor;

    // A further request per page (one for all the page's ids: batched) or per record, whose
    // answer is merged into each record under `name` (details.cpp). Run in the order listed, so
    // a later one can read an earlier one's result (`$.move_lines[*].product_id[0]`).
    struct Detail {
        std::string name;  // the key the answer goes under in each record
        std::shared_ptr<const mapping::Mapping> request;  // over {ids, records | record, session, vars, cursor, now}
        std::string request_file;
        bool per_record = false;
        std::string ids;            // in each record: the ids to fetch (a list, a scalar, `[*]` paths)
        std::string records = "$";  // in the answer: its list of rows (per record: the value merged)
        std::string match = "$.id"; // per page: in each answer row, the id that ties it to a record
        bool first = false;         // `take: first`: one row (or null), not a list
        std::size_t batch = 0;      // per page: at most this many ids per request (0: all at once)
        BodyRule error;             // an HTTP 200 that is a failure (default: the source's `error:`)
        EmptyAnswer empty_answer;   // a non-2xx answer that is no value (a thirdparty deleted since: 404)
        // The answer's next link (`$['@odata.nextLink']`, `$.links.next`): followed, the rows of
        // every page joined, until an answer has none; still one after `max_pages` fails the page
        // rather than merge part of the lines.
        std::string next;
        std::size_t max_pages = 100;
    };
    std::vector<Detail> details;

    std::shared_ptr<const http::LoginSpec> login;  // null: no login (daemon/http/login.h)
};

std::shared_ptr<const core::SourceSpec> read_spec(config::Section& source, const std::string& base_dir);

}  // namespace fb::connectors::http_poll
