#include "definition.hpp"

#include <set>

#include <yaml-cpp/yaml.h>

#include "fanout/common/yaml_document.hpp"
#include "fanout/sql/named_statement.hpp"

namespace fanout::plugins::sql_config {
namespace {

class Reader {
public:
    explicit Reader(std::filesystem::path file) : file_(std::move(file)) {}

    [[noreturn]] void fail(const YAML::Node& at, const std::string& message) const {
        const YAML::Mark mark = at.Mark();
        fail_at(mark.line + 1, mark.column + 1, message);
    }
    [[noreturn]] void fail_at(int line, int column, const std::string& message) const {
        throw DefinitionError(file_.string() + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " +
                              message);
    }

    void only_keys(const YAML::Node& map, const std::set<std::string>& allowed, const std::string& what) const {
        for (const auto& entry : map) {
            if (!entry.first.IsScalar()) fail(entry.first, "a key in " + what + " must be text");
            const std::string key = entry.first.as<std::string>();
            if (allowed.count(key) == 0) {
                std::string list;
                for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
                fail(entry.first, "unknown key '" + key + "' in " + what + " (expected " + list + ")");
            }
        }
    }

    std::string text(const YAML::Node& node, const std::string& what) const {
        if (!node.IsScalar()) fail(node, what + " must be text");
        return node.as<std::string>();
    }

    /// A text, or a list of texts, as a list.
    std::vector<std::string> texts(const YAML::Node& node, const std::string& what) const {
        if (node.IsScalar()) return {node.as<std::string>()};
        if (!node.IsSequence() || node.size() == 0) fail(node, what + " must be SQL text or a non-empty list of them");
        std::vector<std::string> out;
        for (const auto& item : node) out.push_back(text(item, what + " entries"));
        return out;
    }

    /// The places of what texts() returns for `node`.
    static std::vector<Place> places(const YAML::Node& node) {
        if (node.IsScalar()) return {Place{node.Mark().line + 1, node.Mark().column + 1}};
        std::vector<Place> out;
        for (const auto& item : node) out.push_back(Place{item.Mark().line + 1, item.Mark().column + 1});
        return out;
    }

    const std::filesystem::path& file() const { return file_; }

private:
    std::filesystem::path file_;
};

}  // namespace

std::string where(const Definition& definition, const Statement& statement) {
    return definition.file.string() + ":" + std::to_string(statement.line) + ":" + std::to_string(statement.column) +
           ": ";
}

std::string where(const Definition& definition, Place place) {
    return definition.file.string() + ":" + std::to_string(place.line) + ":" + std::to_string(place.column) + ": ";
}

sql::NamedStatement compile(const Definition& definition, const Statement& statement, sql::Backend backend) {
    try {
        return sql::compile_named(statement.sql, backend);
    } catch (const sql::NamedStatementError& e) {
        throw DefinitionError(where(definition, statement) + "statement '" + statement.name + "': " + e.what() +
                              " (at byte " + std::to_string(e.offset() + 1) + " of its SQL)");
    }
}

Definition load_definition(const std::filesystem::path& file) {
    Reader r(file);
    YAML::Node root;
    try {
        root = common::load_yaml_document(common::read_config_text(file));
    } catch (const common::YamlDocumentError& e) {
        r.fail_at(e.line(), e.column(), e.what());
    }
    if (!root.IsDefined() || root.IsNull()) r.fail_at(1, 1, "the projection definition is empty");
    if (!root.IsMap()) r.fail(root, "a projection definition is a mapping (component, migrations, on)");
    r.only_keys(root, {"component", "checkpoint_table", "migrations", "on"}, "the projection definition");

    Definition d;
    d.file = file;
    if (!root["component"]) r.fail(root, "missing 'component': the projection's name in its database (e.g. likes)");
    d.component = r.text(root["component"], "component");
    if (!sql::plain_identifier(d.component)) {
        r.fail(root["component"], "component must be a name of letters, digits and _ (at most 63), not starting with a digit");
    }
    d.checkpoint_table = d.component + "_checkpoints";
    if (root["checkpoint_table"]) {
        d.checkpoint_table = r.text(root["checkpoint_table"], "checkpoint_table");
        if (!sql::plain_identifier(d.checkpoint_table)) {
            r.fail(root["checkpoint_table"],
                   "checkpoint_table must be a table name of letters, digits and _ (at most 63), not starting with a digit");
        }
    }

    const YAML::Node migrations = root["migrations"];
    if (!migrations) r.fail(root, "missing 'migrations': the statements that create the projection's tables");
    if (!migrations.IsSequence() || migrations.size() == 0) {
        r.fail(migrations, "migrations must be a non-empty list (each with sql, and optionally description and postgresql)");
    }
    d.schema.component = d.component;
    for (std::size_t i = 0; i < migrations.size(); ++i) {
        const YAML::Node m = migrations[i];
        if (!m.IsMap()) r.fail(m, "a migration is a mapping with sql (and optionally description, postgresql)");
        r.only_keys(m, {"description", "sql", "postgresql"}, "a migration");
        if (!m["sql"]) r.fail(m, "migration " + std::to_string(i + 1) + " has no sql");
        sql::Migration migration;
        migration.description =
            m["description"] ? r.text(m["description"], "description") : "migration " + std::to_string(i + 1);
        migration.statements = r.texts(m["sql"], "sql");
        d.migration_places.push_back(Reader::places(m["sql"]));
        if (m["postgresql"]) migration.postgresql_statements = r.texts(m["postgresql"], "postgresql");
        d.schema.migrations.push_back(std::move(migration));
    }

    const YAML::Node on = root["on"];
    if (!on) r.fail(root, "missing 'on': per event type, the statements its events run");
    if (!on.IsMap() || on.size() == 0) r.fail(on, "on must map event types to lists of statements");
    for (const auto& entry : on) {
        const std::string type = r.text(entry.first, "an event type");
        if (type.empty()) r.fail(entry.first, "an event type must not be empty");
        const YAML::Node list = entry.second;
        if (!list.IsSequence() || list.size() == 0) {
            r.fail(list, "the statements of " + type + " must be a non-empty list of {name, sql}");
        }
        std::vector<Statement>& statements = d.on[type];
        std::set<std::string> names;
        for (const auto& s : list) {
            if (!s.IsMap()) r.fail(s, "a statement is a mapping with name and sql");
            r.only_keys(s, {"name", "sql"}, "a statement");
            if (!s["name"]) r.fail(s, "a statement of " + type + " has no name (it names the statement in errors)");
            if (!s["sql"]) r.fail(s, "statement '" + s["name"].as<std::string>() + "' has no sql");
            Statement st;
            st.name = r.text(s["name"], "name");
            if (st.name.empty()) r.fail(s["name"], "a statement name must not be empty");
            if (!names.insert(st.name).second) r.fail(s["name"], "statement '" + st.name + "' is named twice in " + type);
            st.sql = r.text(s["sql"], "sql");
            st.line = s["sql"].Mark().line + 1;
            st.column = s["sql"].Mark().column + 1;
            statements.push_back(std::move(st));
            compile(d, statements.back(), sql::Backend::sqlite);
            compile(d, statements.back(), sql::Backend::postgresql);
        }
    }
    return d;
}

}  // namespace fanout::plugins::sql_config
