// `fieldbridge poll --config F --flow NAME --dry-run`: what the poll source would do, shown to
// the integrator, against the real ERP, committing nothing.
#include <boost/json/serialize.hpp>

#include <filesystem>

#include "connectors/http_poll/http_poll.h"
#include "connectors/http_poll/poller.h"
#include "core/ids.h"
#include "mapping/tools.h"
#include "store/database.h"

namespace fb::connectors::http_poll {
namespace json = boost::json;

namespace {

// The cursor the daemon left in the state file, if there is one (read only).
Cursor stored_cursor(const config::Config& config, const config::FlowConfig& flow, const Spec& spec, std::ostream& out) {
    std::error_code ec;
    if (std::filesystem::exists(config.state.path, ec)) {
        try {
            store::Database db(config.state.path, store::Database::Mode::read_only);
            store::Statement q(db.handle(), "SELECT value FROM source_state WHERE flow = ?1 AND key = 'cursor'");
            q.bind(1, flow.name);
            if (q.step()) {
                auto c = Cursor::from_json(q.text(0));
                q.reset();
                if (c) return *c;
                // The daemon fails the source on it (http_poll.cpp); the dry run says so and goes on.
                out << "(the stored cursor does not parse: the daemon does not poll until it is deleted; "
                       "this dry run asks from cursor.initial)\n";
            }
        } catch (const std::exception&) {  // an older state file without source_state
        }
    }
    return Cursor::initial(spec.cursor);
}

void print_request(const char* label, const http::ClientRequest& r, const std::vector<std::string>& secrets,
                   std::ostream& out) {
    out << label << ": " << r.method << " " << http::mask_secrets(r.url, secrets) << "\n";
    for (const auto& [k, v] : r.headers) out << "  " << k << ": " << http::mask_secrets(v, secrets) << "\n";
    if (!r.body.empty()) out << "  body: " << http::mask_secrets(r.body, secrets) << "\n";
}

}  // namespace

int dry_run(const config::Config& config, const std::string& flow_name, int pages, std::ostream& out) {
    const auto* flow = config.flow(flow_name);
    if (!flow) {
        out << "no flow `" << flow_name << "` in " << config.file << "\n";
        return 1;
    }
    const auto* spec = dynamic_cast<const Spec*>(flow->source.spec.get());
    if (!spec) {
        out << "flow `" << flow_name << "` has a " << flow->source.type << " source, not http_poll\n";
        return 1;
    }
    auto mapping = mapping::Mapping::load(flow->mapping);
    Poller poller(*spec);
    auto cursor = stored_cursor(config, *flow, *spec, out);
    out << "cursor: " << cursor.to_json() << "\n";
    const Cursor start = cursor;
    PageState state;
    for (int n = 1; n <= pages; ++n) {
        auto now = core::now_unix_ms();
        auto page = poller.fetch(start, state, now);
        out << "--- page " << n << "\n";
        print_request("request", page.sent, poller.secrets(), out);
        for (const auto& d : page.detail_requests) print_request("detail request", d, poller.secrets(), out);
        if (page.error != Page::Error::none) {
            out << "error (" << to_string(page.error) << "): " << page.reason << "\n";
            return 1;
        }
        for (const auto& none : page.details_none) out << "(" << none << ")\n";
        out << "records: " << page.records.size() << "\n";
        std::size_t unreadable = 0;
        cursor = advance(cursor, page.records, spec->cursor, now - spec->cursor.settle.count(), unreadable);
        out << "cursor it would store: " << cursor.to_json() << "\n";
        if (unreadable) out << "records without a readable " << spec->cursor.time << ": " << unreadable << "\n";
        auto show = [&](const json::value& input) {
            for (const auto& r : mapping->map(input)) {
                if (r.kind == mapping::MapResult::Kind::failed)
                    out << "failed " << r.document_id << ": " << (r.error ? r.error->message() : "") << "\n";
                else if (r.kind == mapping::MapResult::Kind::filtered)
                    out << "filtered " << r.document_id << "\n";
                else
                    out << mapping::pretty_json(r.work_order) << "\n";
            }
        };
        if (page.empty_answer) out << "(the ERP answered an empty list: empty_answer)\n";
        else if (spec->map_answer) show(page.body);
        else if (!page.records.empty()) show(json::value(page.records));
        if (!page.next) {
            out << "(last page)\n";
            break;
        }
        state = *page.next;
    }
    out << "nothing was committed\n";
    return 0;
}

}  // namespace fb::connectors::http_poll
