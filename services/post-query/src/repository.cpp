#include "repository.hpp"

#include <unordered_map>

namespace fanout::post_query {
namespace {

bool is_postgresql(soci::session& session) { return session.get_backend_name() == "postgresql"; }

/// Binds the result columns in order and runs `sql` once.
template <class... Columns>
void execute_into(soci::statement& st, const std::string& sql, Columns&... columns) {
    (st.exchange(soci::into(columns)), ...);
    st.alloc();
    st.prepare(sql, soci::details::st_one_time_query);  // PostgreSQL: no PREPARE/DEALLOCATE round trips
    st.define_and_bind();
    st.execute(false);
}

/// One read snapshot: the page query and the comments query see the same
/// model. REPEATABLE READ on PostgreSQL; on SQLite (WAL) any transaction is one.
class ReadSnapshot {
public:
    explicit ReadSnapshot(soci::session& session) : session_(session) {
        session_ << (is_postgresql(session_) ? "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY" : "BEGIN");
    }
    ~ReadSnapshot() {
        if (done_) return;
        try {
            session_ << "ROLLBACK";
        } catch (...) {
            // the caller sees the original error and discards a broken session
        }
    }
    ReadSnapshot(const ReadSnapshot&) = delete;
    ReadSnapshot& operator=(const ReadSnapshot&) = delete;
    void end() {
        session_ << "COMMIT";
        done_ = true;
    }

private:
    soci::session& session_;
    bool done_ = false;
};

std::vector<Post> select_posts(soci::session& session, const PostFilter& filter, const PageRequest& page,
                               std::size_t fetch) {
    // posts holds live posts only: the plugin deletes a removed post's row
    // (its tombstone lives in removed_posts), so no filter is needed here.
    std::string sql = "SELECT p.post_id, p.author, p.message, p.date_posted, p.likes FROM posts p WHERE 1 = 1";
    soci::statement st(session);
    switch (filter.kind) {
        case PostFilter::Kind::all: break;
        case PostFilter::Kind::by_id:
            sql += " AND p.post_id = :post_id";
            st.exchange(soci::use(filter.text));
            break;
        case PostFilter::Kind::by_author:
            sql += " AND p.author = :author";
            st.exchange(soci::use(filter.text));
            break;
        case PostFilter::Kind::with_comments:
            sql += " AND EXISTS (SELECT 1 FROM comments c WHERE c.post_id = p.post_id)";
            break;
        case PostFilter::Kind::with_likes:
            sql += " AND p.likes >= :min_likes";
            st.exchange(soci::use(filter.min_likes));
            break;
    }
    if (page.after) {
        sql += " AND (p.date_posted, p.post_id) > (:after_date, :after_id)";
        st.exchange(soci::use(page.after->date_posted));
        st.exchange(soci::use(page.after->post_id));
    }
    sql += " ORDER BY p.date_posted, p.post_id LIMIT :limit";
    const long long limit = static_cast<long long>(fetch);
    st.exchange(soci::use(limit));

    Post row;
    long long likes = 0;
    execute_into(st, sql, row.post_id, row.author, row.message, row.date_posted, likes);
    std::vector<Post> posts;
    while (st.fetch()) {
        row.likes = likes;
        posts.push_back(row);
    }
    return posts;
}

/// `{"a","b"}`: a PostgreSQL text[] literal, bound as one parameter.
std::string pg_text_array(const std::vector<Post>& posts) {
    std::string out = "{";
    for (const Post& p : posts) {
        if (out.size() > 1) out += ',';
        out += '"';
        for (const char c : p.post_id) {
            if (c == '"' || c == '\\') out += '\\';
            out += c;
        }
        out += '"';
    }
    return out + "}";
}

void attach_comments(soci::session& session, std::vector<Post>& posts) {
    std::unordered_map<std::string, std::size_t> index;
    for (std::size_t i = 0; i < posts.size(); ++i) index.emplace(posts[i].post_id, i);
    std::string sql = "SELECT comment_id, post_id, username, comment, comment_date, edited FROM comments WHERE ";
    soci::statement st(session);
    std::string id_array;
    if (is_postgresql(session)) {
        // One array parameter: PostgreSQL plans `IN ($1, ..., $1000)` far slower.
        id_array = pg_text_array(posts);
        sql += "post_id = ANY (CAST(:ids AS TEXT[]))";
        st.exchange(soci::use(id_array));
    } else {
        sql += "post_id IN (";
        for (std::size_t i = 0; i < posts.size(); ++i) {
            sql += (i == 0 ? ":p" : ", :p") + std::to_string(i);
            st.exchange(soci::use(posts[i].post_id));
        }
        sql += ")";
    }
    sql += " ORDER BY post_id, comment_date, comment_id";

    Comment row;
    int edited = 0;
    execute_into(st, sql, row.comment_id, row.post_id, row.username, row.comment, row.comment_date, edited);
    while (st.fetch()) {
        const auto it = index.find(row.post_id);
        if (it == index.end()) continue;
        row.edited = edited != 0;
        posts[it->second].comments.push_back(row);
    }
}

}  // namespace

PostPage find_posts(soci::session& session, const PostFilter& filter, const PageRequest& page) {
    PostPage result;
    ReadSnapshot snapshot(session);
    // One row past the page tells whether another page follows.
    result.posts = select_posts(session, filter, page, page.limit + 1);
    if (result.posts.size() > page.limit) {
        result.posts.resize(page.limit);
        result.next = PageKey{result.posts.back().date_posted, result.posts.back().post_id};
    }
    if (!result.posts.empty()) attach_comments(session, result.posts);
    snapshot.end();
    return result;
}

bool has_table(soci::session& session, const std::string& table) {
    int tables = 0;
    if (is_postgresql(session)) {
        session << "SELECT COUNT(*) FROM pg_catalog.pg_tables WHERE tablename = :t"
                   " AND schemaname = ANY (current_schemas(false))",
            soci::use(table), soci::into(tables);
    } else {
        session << "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = :t", soci::use(table),
            soci::into(tables);
    }
    return tables > 0;
}

SchemaStatus schema_status(soci::session& session) {
    SchemaStatus status;
    if (!has_table(session, "schema_version")) return status;
    soci::indicator ind = soci::i_null;
    session << "SELECT version FROM schema_version WHERE component = 'read_model'", soci::into(status.version, ind);
    if (ind != soci::i_ok) {
        status.version = 0;
        return status;
    }
    status.state = status.version >= k_required_schema_version ? SchemaState::ready : SchemaState::outdated;
    return status;
}

}  // namespace fanout::post_query
