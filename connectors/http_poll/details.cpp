// Detail fetches: after a page, further requests whose answers are merged into its records under
// their own keys — per page (one request for all the page's ids, in batches if the ERP limits
// them; each answer row tied back to its records by `match`) or per record. A detail that fails
// fails the whole page, so nothing is committed without its details; an answer that matches the
// detail's `empty_answer:` (the 404 for a thirdparty deleted since) is no value, not a failure.
// A detail with `next:` follows its answer's next links and joins the rows of every page.
#include <boost/json/serialize.hpp>

#include <map>
#include <set>

#include "connectors/http_poll/json_path.h"
#include "connectors/http_poll/poller.h"

namespace fb::connectors::http_poll {
namespace json = boost::json;

namespace {

// Odoo writes `false` for an empty many2one; no id is null, false or "".
bool is_id(const json::value& v) {
    return !(v.is_null() || v.is_bool() || (v.is_string() && v.as_string().empty()));
}

// The ids `path` names in `record`: every value found, a list taken element by element.
std::vector<json::value> ids_of(const json::value& record, const std::string& path) {
    std::vector<const json::value*> found;
    find_all(record, path, found);
    std::vector<json::value> out;
    for (const auto* v : found) {
        if (v->is_array()) {
            for (const auto& e : v->as_array())
                if (is_id(e)) out.push_back(e);
        } else if (is_id(*v)) {
            out.push_back(*v);
        }
    }
    return out;
}

json::value empty_value(const Spec::Detail& d) { return d.first ? json::value(nullptr) : json::value(json::array()); }

}  // namespace

// One detail request (and the pages its next links lead to); false (and `page` failed, named
// after the detail) when it fails.
bool Poller::detail(const Spec::Detail& d, json::object context, Page& page, json::value& answer) {
    const std::string what = "detail `" + d.name + "`";
    auto ex = exchange(*d.request, d.next.empty() ? std::move(context) : context, d.error, what, &d.empty_answer);
    page.detail_requests.push_back(ex.sent);
    if (ex.empty_answer) {
        answer = empty_value(d);
        page.details_none.push_back(what + ": " + ex.sent.method + " " + http::mask_secrets(ex.sent.url, secrets()) +
                                    " answered " + std::to_string(d.empty_answer.status) + " (empty_answer), read as " +
                                    (!d.per_record ? "no rows" : d.first ? "null" : "[]"));
        return true;
    }
    for (std::size_t pages = 1; ex.error == Exchange::Error::none; ++pages) {
        const auto* rows = find_path(ex.body, d.records);
        bool paged = !d.next.empty();
        if (!rows || !(rows->is_array() || rows->is_null() || (d.per_record && !paged))) {
            ex.error = Exchange::Error::decode;
            ex.reason = what + ": no " + (d.per_record && !paged ? "value" : "list of rows") + " at " + d.records +
                        " in the answer" + (pages > 1 ? " (page " + std::to_string(pages) + ")" : "") + ": " +
                        http::mask_secrets(json::serialize(ex.body).substr(0, 200), secrets());
            break;
        }
        if (!paged) {
            answer = *rows;
            return true;
        }
        if (pages == 1) answer = json::array();
        if (rows->is_array())
            for (const auto& row : rows->as_array()) answer.as_array().push_back(row);
        const auto* link = find_path(ex.body, d.next);
        if (!link || !link->is_string() || link->as_string().empty()) return true;
        if (pages == d.max_pages) {  // merging part of the lines would be a silent loss
            ex.error = Exchange::Error::decode;
            ex.reason = what + ": the answer still has a next link (" + d.next + ") after " + std::to_string(pages) +
                        (pages == 1 ? " page" : " pages") + " (max_pages): " + http::mask_secrets(std::string(link->as_string()), secrets());
            break;
        }
        auto url = resolve_link(ex.sent.url, std::string(link->as_string()));
        if (auto why = foreign_link(ex.sent.url, url); !why.empty()) {
            ex.error = Exchange::Error::decode;
            ex.reason = what + ": " + http::mask_secrets(why, secrets());
            break;
        }
        ex = exchange(*d.request, context, d.error, what + " (page " + std::to_string(pages + 1) + ")", &d.empty_answer, url);
        page.detail_requests.push_back(ex.sent);
        if (ex.empty_answer) return true;  // a later page that is empty: no more rows
    }
    auto sent = std::move(page.sent);
    static_cast<Exchange&>(page) = std::move(ex);
    page.sent = std::move(sent);  // the dry run shows the page's request first
    return false;
}

void Poller::fetch_details(const Cursor& cursor, Page& page) {
    for (const auto& r : page.records)
        if (!r.is_object()) {
            page.error = Page::Error::decode;
            page.reason = "details need records that are objects (to merge into), found " + json::serialize(r).substr(0, 100);
            return;
        }
    for (const auto& d : spec_.details) {
        if (d.per_record) {
            for (auto& record : page.records) {
                json::array ids;
                if (!d.ids.empty()) {
                    for (auto& id : ids_of(record, d.ids)) ids.push_back(std::move(id));
                    if (ids.empty()) {  // nothing to fetch for this one
                        record.as_object()[d.name] = empty_value(d);
                        continue;
                    }
                }
                json::value answer;
                if (!detail(d, {{"ids", ids}, {"record", record}, {"cursor", cursor_context(cursor, spec_.cursor)}}, page, answer))
                    return;
                if (d.first && answer.is_array())
                    answer = answer.as_array().empty() ? json::value(nullptr) : answer.as_array()[0];
                record.as_object()[d.name] = std::move(answer);
            }
            continue;
        }
        // Per page: every id once, in the order first met.
        json::array ids;
        std::set<std::string> seen;
        for (const auto& record : page.records)
            for (auto& id : ids_of(record, d.ids))
                if (seen.insert(text_of(id)).second) ids.push_back(std::move(id));
        std::multimap<std::string, const json::value*> by_id;  // match value → answer rows
        std::vector<json::value> answers;
        answers.reserve(ids.empty() ? 0 : (d.batch ? (ids.size() + d.batch - 1) / d.batch : 1));
        for (std::size_t from = 0; from < ids.size();) {
            std::size_t to = d.batch ? std::min(ids.size(), from + d.batch) : ids.size();
            json::array chunk(ids.begin() + from, ids.begin() + to);
            json::value answer;
            if (!detail(d, {{"ids", std::move(chunk)}, {"records", page.records}, {"cursor", cursor_context(cursor, spec_.cursor)}},
                        page, answer))
                return;
            answers.push_back(std::move(answer));
            from = to;
        }
        for (const auto& a : answers)
            if (a.is_array())
                for (const auto& row : a.as_array())
                    if (const auto* m = find_path(row, d.match)) by_id.emplace(text_of(*m), &row);
        for (auto& record : page.records) {
            json::array rows;
            std::set<const json::value*> taken;  // a row matching two of the record's ids comes once
            for (const auto& id : ids_of(record, d.ids)) {
                auto [lo, hi] = by_id.equal_range(text_of(id));
                for (auto it = lo; it != hi; ++it)
                    if (taken.insert(it->second).second) rows.push_back(*it->second);
            }
            if (d.first) record.as_object()[d.name] = rows.empty() ? json::value(nullptr) : rows[0];
            else record.as_object()[d.name] = std::move(rows);
        }
    }
}

}  // namespace fb::connectors::http_poll
