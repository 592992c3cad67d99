#include "connectors/http_poll/spec.h"

#include <boost/json/parse.hpp>

#include <algorithm>
#include <regex>

#include "config/section.h"
#include "connectors/http_poll/cursor.h"
#include "connectors/http_poll/json_path.h"
#include "http/endpoint_config.h"
#include "http/login.h"
#include "mapping/time.h"

namespace fb::connectors::http_poll {
namespace json = boost::json;

bool BodyRule::matches(std::string_view body) const {
    if (path.empty()) return false;
    boost::system::error_code ec;
    json::parse_options opts;
    opts.max_depth = 64;
    auto root = json::parse(body, ec, {}, opts);
    if (ec) return false;
    const auto* v = find_path(root, path);
    if (!v) return false;
    if (present_only) return !v->is_null();
    return text_of(*v) == equals;
}

namespace {

std::shared_ptr<const mapping::Mapping> request_mapping(config::Section& s, const std::string& key,
                                                        const std::string& base_dir, bool required) {
    auto file = s.string(key, "", required);
    if (file.empty()) return nullptr;
    auto m = mapping::Mapping::load(config::resolve(base_dir, file));
    if (!m->is_request())
        s.fail(s.get(key), s.where() + "." + key + ": " + file +
                               " is a work-order mapping; a poll request is a mapping with `request:`");
    return m;
}

BodyRule read_rule(config::Section& parent, const std::string& key) {
    BodyRule r;
    auto n = parent.get(key);
    if (!n) return r;
    auto s = parent.child(n, parent.where() + "." + key);
    r.path = http::read_path(s, "path", "", true);
    r.equals = s.string("equals", "");
    r.present_only = !s.has("equals");
    s.reject_unknown();
    return r;
}

EmptyAnswer read_empty_answer(config::Section& parent) {
    EmptyAnswer e;
    auto n = parent.get("empty_answer");
    if (!n) return e;
    auto s = parent.child(n, parent.where() + ".empty_answer");
    e.status = int(s.integer("status", 0, 100, 599));
    if (e.status == 0)
        s.fail(n, s.where() + " needs `status:`, the HTTP status the ERP answers an empty list with (404)");
    if (e.status / 100 == 2)
        s.fail(s.get("status"), s.where() + ".status: a 2xx answer is read as an answer already; an empty list in it is no records");
    if (!s.has("path"))
        s.fail(n, s.where() + " needs `path:` (and `equals:`), what in the body says the list is empty "
                              "(`$.error.message`), so that the same status for a wrong URL stays a failure");
    e.body.path = http::read_path(s, "path", "", true);
    e.body.equals = s.string("equals", "");
    e.body.present_only = !s.has("equals");
    s.reject_unknown();
    return e;
}

int read_offset(config::Section& s, const std::string& key) {
    auto text = s.string(key, "+00:00");
    static const std::regex re(R"(([+-])(\d\d):(\d\d))");
    std::smatch m;
    if (!std::regex_match(text, m, re))
        s.fail(s.get(key), s.where() + "." + key + " must be an offset like +08:00, found `" + text + "`");
    int minutes = std::stoi(m[2]) * 60 + std::stoi(m[3]);
    return m[1] == "-" ? -minutes : minutes;
}

// After tz/tz_offset: a time without an offset is read in the cursor's zone. One the cursor
// cannot read would start the first poll from 1970, re-reading the ERP's whole history.
void read_initial(config::Section& c, Spec::Cursor& cursor) {
    cursor.initial = c.string("initial", cursor.initial);
    if (!parse_time(json::value(cursor.initial), cursor.zone()))
        c.fail(c.get("initial"), c.where() + ".initial: `" + cursor.initial +
                                     "` is not a time the cursor reads: write it like 2026-01-01T00:00:00Z, "
                                     "2026-01-01 (at tz_offset or in tz) or unix seconds");
}

}  // namespace

std::shared_ptr<const core::SourceSpec> read_spec(config::Section& s, const std::string& base_dir) {
    auto spec = std::make_shared<Spec>();
    spec->request_file = config::resolve(base_dir, s.string("request", "", true));
    spec->request = request_mapping(s, "request", base_dir, true);
    http::read_vars(s, spec->vars, spec->var_secrets);
    spec->every = s.duration("every", spec->every);
    spec->catch_up = s.boolean("catch_up", spec->catch_up);
    spec->client.timeout = s.duration("timeout", spec->client.timeout);
    http::read_client_limits(s, base_dir, spec->client);
    spec->auth = http::read_auth(s);
    spec->records = http::read_path(s, "records", spec->records);
    spec->missing_records_empty = s.choice("records_missing", "fail", {"fail", "empty"}) == "empty";
    spec->map_answer = s.choice("map", "records", {"records", "answer"}) == "answer";
    spec->error = read_rule(s, "error");
    spec->empty_answer = read_empty_answer(s);
    spec->group_rows = s.boolean("group_rows", false);

    auto p = s.section("paging");
    auto kind = p.choice("type", "none", {"none", "next_link", "offset", "page_number", "token", "link_header"});
    spec->paging = kind == "next_link" ? Spec::Paging::next_link
                   : kind == "link_header" ? Spec::Paging::link_header
                   : kind == "offset" ? Spec::Paging::offset
                   : kind == "page_number" ? Spec::Paging::page_number
                   : kind == "token" ? Spec::Paging::token
                                     : Spec::Paging::none;
    spec->next = http::read_path(p, "next", "", spec->paging == Spec::Paging::next_link || spec->paging == Spec::Paging::token);
    if (spec->paging == Spec::Paging::link_header) spec->rel = p.string("rel", spec->rel);
    spec->more = p.string("more", "");
    if (!spec->more.empty() && !spec->more.starts_with("$"))
        p.fail(p.get("more"), p.where() + ".more is a path in the answer to its \"more pages follow\" flag, like $.hasMore, found `" + spec->more + "`");
    if (!spec->more.empty() && spec->paging == Spec::Paging::none)
        p.fail(p.get("more"), p.where() + ".more needs a paging type: with `none` there is only one page");
    spec->size = p.integer("size", spec->size, 1, 100000);
    if (spec->paging == Spec::Paging::offset) spec->boundary_check = p.boolean("boundary_check", true);
    spec->max_pages = p.integer("max_pages", spec->max_pages, 1, 1000000);
    spec->max_records = p.integer("max_records", std::max<std::size_t>(spec->max_records, 10 * spec->size), 1, 10000000);
    p.reject_unknown();

    auto c = s.section("cursor");
    if (spec->group_rows && !c.has("id"))
        s.fail(s.get("group_rows"), s.where() + ".group_rows needs cursor.id: the rows of one document share it");
    spec->cursor.time = http::read_path(c, "time", "", true);
    spec->cursor.time_of_day = http::read_path(c, "time_of_day");
    spec->cursor.time_fallback = http::read_path(c, "time_fallback");
    spec->cursor.id = http::read_path(c, "id");
    spec->cursor.overlap = c.duration("overlap", spec->cursor.overlap);
    spec->cursor.settle = c.duration("settle", spec->cursor.settle);
    spec->cursor.tz_offset_minutes = read_offset(c, "tz_offset");
    if (auto name = c.string("tz", ""); !name.empty()) {
        if (c.has("tz_offset"))
            c.fail(c.get("tz"), c.where() + ": tz and tz_offset both say where the times are: keep one");
        spec->cursor.tz = mapping::find_zone(name);
        if (!spec->cursor.tz)
            c.fail(c.get("tz"), c.where() + ".tz: `" + name + "` is not a time zone of the tz database (like Europe/Berlin, Asia/Shanghai)");
    }
    read_initial(c, spec->cursor);
    c.reject_unknown();

    if (auto list = s.get("details")) {
        if (!list.IsSequence()) s.fail(list, s.where() + ".details must be a list of detail fetches");
        for (std::size_t i = 0; i < list.size(); ++i) {
            auto d = s.child(list[i], s.where() + ".details[" + std::to_string(i) + "]");
            Spec::Detail detail;
            detail.name = d.string("name", "", true);
            for (const auto& other : spec->details)
                if (other.name == detail.name) d.fail(d.get("name"), d.where() + ".name: `" + detail.name + "` is used twice");
            detail.request_file = config::resolve(base_dir, d.string("request", "", true));
            detail.request = request_mapping(d, "request", base_dir, true);
            detail.per_record = d.choice("per", "page", {"page", "record"}) == "record";
            detail.ids = http::read_path(d, "ids", "", !detail.per_record, true);
            detail.records = http::read_path(d, "records", detail.records);
            detail.match = http::read_path(d, "match", detail.match);
            detail.first = d.choice("take", "all", {"all", "first"}) == "first";
            detail.batch = d.integer("batch", 0, 0, 100000);
            detail.error = d.has("error") ? read_rule(d, "error") : spec->error;
            detail.empty_answer = read_empty_answer(d);
            detail.next = http::read_path(d, "next");
            detail.max_pages = d.integer("max_pages", detail.max_pages, 1, 100000);
            if (d.has("max_pages") && detail.next.empty())
                d.fail(d.get("max_pages"), d.where() + ".max_pages limits the next links followed: it needs `next:`");
            d.reject_unknown();
            spec->details.push_back(std::move(detail));
        }
        if (spec->map_answer && !spec->details.empty())
            s.fail(list, s.where() + ".details merge into the records: they need `map: records`, not `map: answer`");
    }

    spec->login = http::read_login(s, "login", base_dir);
    return spec;
}

}  // namespace fb::connectors::http_poll
