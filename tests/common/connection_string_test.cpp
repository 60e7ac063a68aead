#include "fanout/common/connection_string.hpp"

#include <gtest/gtest.h>

#include <string>

namespace fanout::common {
namespace {

std::string error_of(std::string_view text) {
    try {
        parse_connection_string(text);
    } catch (const ConnectionStringError& e) {
        return e.what();
    }
    return "(no error)";
}

std::string param(const ConnectionString& cs, std::string_view keyword) {
    const std::string* v = cs.parameter(keyword);
    return v ? *v : "(absent)";
}

TEST(ConnectionString, SqliteFormsKeepTheirPath) {
    EXPECT_EQ(parse_connection_string("sqlite:/var/lib/fanout/rm.db").path, "/var/lib/fanout/rm.db");
    EXPECT_EQ(parse_connection_string("sqlite3:/var/lib/rm.db").path, "/var/lib/rm.db");
    EXPECT_EQ(parse_connection_string("sqlite:///abs/rm.db").path, "/abs/rm.db");
    EXPECT_EQ(parse_connection_string("sqlite3://rel/rm.db").path, "rel/rm.db");
    EXPECT_EQ(parse_connection_string("sqlite:rm.db").path, "rm.db");
    EXPECT_EQ(parse_connection_string("/data/read model.db").path, "/data/read model.db");
    EXPECT_EQ(parse_connection_string("events.db").path, "events.db");
    EXPECT_EQ(parse_connection_string("/data/no-suffix").path, "/data/no-suffix");
    const ConnectionString cs = parse_connection_string("sqlite:/tmp/a b.db");
    EXPECT_TRUE(cs.is_sqlite());
    EXPECT_EQ(cs.soci_connect_string(), "db=\"/tmp/a b.db\"");
    EXPECT_EQ(cs.display(), "sqlite:/tmp/a b.db");
}

TEST(ConnectionString, UrlFormBecomesLibpqParameters) {
    const ConnectionString cs = parse_connection_string(
        "postgresql://fanout:secret@db.example:6543/read_model?sslmode=require&application_name=pq");
    ASSERT_TRUE(cs.is_postgresql());
    EXPECT_EQ(param(cs, "host"), "db.example");
    EXPECT_EQ(param(cs, "port"), "6543");
    EXPECT_EQ(param(cs, "dbname"), "read_model");
    EXPECT_EQ(param(cs, "user"), "fanout");
    EXPECT_EQ(param(cs, "password"), "secret");
    EXPECT_EQ(param(cs, "sslmode"), "require");
    EXPECT_EQ(param(cs, "application_name"), "pq");
    EXPECT_EQ(cs.display(),
              "host=db.example port=6543 dbname=read_model user=fanout password=*** sslmode=require "
              "application_name=pq");
}

TEST(ConnectionString, PostgresSchemeAndMinimalUrls) {
    struct Case {
        const char* text;
        const char* keyword;
        const char* value;
    };
    for (const Case& c : {Case{"postgres://h/db", "host", "h"}, Case{"postgres://h/db", "dbname", "db"},
                          Case{"postgresql:///db", "host", "(absent)"}, Case{"postgresql:///db", "dbname", "db"},
                          Case{"postgresql://u@h", "user", "u"}, Case{"postgresql://u@h", "password", "(absent)"}}) {
        EXPECT_EQ(param(parse_connection_string(c.text), c.keyword), c.value) << c.text << " " << c.keyword;
    }
    for (const char* text : {"postgresql://", "postgresql://?"}) {
        EXPECT_NE(error_of(text).find("must name at least a host"), std::string::npos) << text;
    }
}

TEST(ConnectionString, KeywordFormWithQuotesAndEscapes) {
    const ConnectionString cs =
        parse_connection_string("host=127.0.0.1 port = 5432  dbname=fanout user=fanout password='it\\'s a \\\\ pw'");
    ASSERT_TRUE(cs.is_postgresql());
    EXPECT_EQ(param(cs, "host"), "127.0.0.1");
    EXPECT_EQ(param(cs, "port"), "5432");
    EXPECT_EQ(param(cs, "password"), "it's a \\ pw");
    EXPECT_EQ(param(parse_connection_string("password=a\\ b dbname=x"), "password"), "a b");
    EXPECT_EQ(param(parse_connection_string("dbname=''"), "dbname"), "");
}

TEST(ConnectionString, PercentDecodingOfEveryUrlPart) {
    const ConnectionString cs =
        parse_connection_string("postgresql://us%40er:p%40ss%3Aw%2Fo%20rd%25@h/my%20db?application_name=a%26b");
    EXPECT_EQ(param(cs, "user"), "us@er");
    EXPECT_EQ(param(cs, "password"), "p@ss:w/o rd%");
    EXPECT_EQ(param(cs, "dbname"), "my db");
    EXPECT_EQ(param(cs, "application_name"), "a&b");
    // Socket directory as a percent-encoded host.
    EXPECT_EQ(param(parse_connection_string("postgresql://%2Fvar%2Frun%2Fpostgresql/db"), "host"),
              "/var/run/postgresql");
}

TEST(ConnectionString, UnencodedAtAndSlashInPasswordStillParse) {
    const ConnectionString cs = parse_connection_string("postgresql://u:p@ss/w@h:5432/db");
    EXPECT_EQ(param(cs, "password"), "p@ss/w");
    EXPECT_EQ(param(cs, "host"), "h");
    EXPECT_EQ(param(cs, "dbname"), "db");
}

TEST(ConnectionString, Ipv6HostsAndHostLists) {
    const ConnectionString v6 = parse_connection_string("postgresql://u:pw@[::1]:15432/db");
    EXPECT_EQ(param(v6, "host"), "::1");
    EXPECT_EQ(param(v6, "port"), "15432");
    EXPECT_EQ(param(parse_connection_string("postgresql://[fe80::1%25eth0]/db"), "host"), "fe80::1%eth0");
    const ConnectionString list = parse_connection_string("postgresql://h1:5432,[::1],h3:5434/db");
    EXPECT_EQ(param(list, "host"), "h1,::1,h3");
    EXPECT_EQ(param(list, "port"), "5432,,5434");
    EXPECT_NE(error_of("postgresql://::1/db").find("brackets"), std::string::npos);
    EXPECT_NE(error_of("postgresql://[::1/db").find("unterminated '['"), std::string::npos);
}

TEST(ConnectionString, SpecialCharacterPasswordsSurviveTheSociString) {
    for (const std::string password : {"p w", "a'b\"c", "x\\y", "%41&b=c?d#e", "sp ace=eq", "ü日本", "@/:;"}) {
        ConnectionString cs;
        cs.kind = DatabaseKind::postgresql;
        cs.parameters = {{"host", "h"}, {"password", password}};
        const std::string soci = cs.soci_connect_string();
        // SOCI 4.0 splits on whitespace and drops '"': neither may appear.
        EXPECT_EQ(soci.find_first_of(" \t\"'\\"), std::string::npos) << soci;
        const ConnectionString back = parse_connection_string(soci);
        EXPECT_EQ(param(back, "password"), password);
        EXPECT_EQ(param(back, "host"), "h");
    }
}

TEST(ConnectionString, KeywordAndUrlFormsGiveTheSameParameters) {
    const ConnectionString a = parse_connection_string("postgresql://fanout:p%20w%27@127.0.0.1:15432/fanout");
    const ConnectionString b =
        parse_connection_string("host=127.0.0.1 port=15432 dbname=fanout user=fanout password='p w\\''");
    EXPECT_EQ(a.parameters, b.parameters);
    EXPECT_EQ(a.soci_connect_string(), b.soci_connect_string());
}

TEST(ConnectionString, ARepeatedKeywordKeepsTheLastValueAsInLibpq) {
    EXPECT_EQ(param(parse_connection_string("host=h dbname=a dbname=b"), "dbname"), "b");
    EXPECT_EQ(param(parse_connection_string("postgresql://h/a?dbname=b"), "dbname"), "b");
    EXPECT_EQ(parse_connection_string("host=h dbname=a dbname=b").parameters.size(), 2u);
}

TEST(ConnectionString, SetDefaultOnlyWhenAbsent) {
    ConnectionString cs = parse_connection_string("postgresql://h/db?connect_timeout=9");
    cs.set_default("connect_timeout", "5");
    EXPECT_EQ(param(cs, "connect_timeout"), "9");
    ConnectionString other = parse_connection_string("host=h");
    other.set_default("connect_timeout", "5");
    EXPECT_EQ(param(other, "connect_timeout"), "5");
    EXPECT_EQ(other.soci_connect_string(), "postgresql://?host=h&connect_timeout=5");
}

TEST(ConnectionString, MessagesNeverShowThePassword) {
    const char* cases[] = {
        "postgresql://u:hunter2@h:99999/db",                 // bad port
        "postgresql://u:hunter2@h/db?sslmod=require",        // unknown parameter
        "postgresql://u:hunter2@h/db?password=hunter2&x=1",  // unknown parameter after a repeated password
        "host=h password=hunter2 dbnam=x",                   // unknown keyword
        "host=h password='hunter2 dbname=x",                 // unterminated quote
        "postgresql://u:hunter2%zz@h/db",                    // bad percent-encoding in the password
        "postgresql://u:hun?ter2@h/db",                      // unencoded '?' in the password
        "host=h sslpassword=hunter2 port=abc",               // bad port
    };
    for (const char* c : cases) {
        const std::string message = error_of(c);
        EXPECT_NE(message, "(no error)") << c;
        EXPECT_EQ(message.find("hunter2"), std::string::npos) << message;
        EXPECT_EQ(message.find("ter2"), std::string::npos) << message;
    }
}

TEST(ConnectionString, RedactionMasksEveryPasswordForm) {
    EXPECT_EQ(redact_connection_string("postgresql://u:s3cr%40t@h:5432/db"), "postgresql://u:***@h:5432/db");
    EXPECT_EQ(redact_connection_string("postgres://u:a@b@h/db"), "postgres://u:***@h/db");
    EXPECT_EQ(redact_connection_string("postgresql://u@h/db?password=x&sslmode=require"),
              "postgresql://u@h/db?password=***&sslmode=require");
    EXPECT_EQ(redact_connection_string("host=h password = 'a b\\' c' dbname=d"), "host=h password = *** dbname=d");
    EXPECT_EQ(redact_connection_string("host=h PASSWORD=x sslpassword=y"), "host=h PASSWORD=*** sslpassword=***");
    EXPECT_EQ(redact_connection_string("sqlite:/tmp/rm.db"), "sqlite:/tmp/rm.db");
    EXPECT_EQ(redact_connection_string("postgresql://h/db"), "postgresql://h/db");
    EXPECT_EQ(parse_connection_string("host=h user=u password=x").display(), "host=h user=u password=***");
}

TEST(ConnectionString, BadInputGetsAClearError) {
    EXPECT_NE(error_of("").find("empty connection string"), std::string::npos);
    EXPECT_NE(error_of("   ").find("empty connection string"), std::string::npos);
    EXPECT_NE(error_of("sqlite:").find("empty SQLite database path"), std::string::npos);
    EXPECT_NE(error_of("sqlite3://").find("empty SQLite database path"), std::string::npos);
    EXPECT_NE(error_of("sqlite:/a\"b.db").find("must not contain '\"'"), std::string::npos);
    EXPECT_NE(error_of("mysql://u@h/db").find("unsupported scheme 'mysql://'"), std::string::npos);
    EXPECT_NE(error_of("mysql://h/db?x=1").find("unsupported scheme 'mysql://'"), std::string::npos);
    EXPECT_NE(error_of("oracle:somewhere").find("unsupported scheme 'oracle:'"), std::string::npos);
    EXPECT_EQ(parse_connection_string("./oracle:somewhere").path, "./oracle:somewhere");
    EXPECT_EQ(parse_connection_string("sqlite:oracle:somewhere").path, "oracle:somewhere");
    EXPECT_NE(error_of("postgresql://h:0/db").find("port '0' is not a number in 1..65535"), std::string::npos);
    EXPECT_NE(error_of("postgresql://h:x/db").find("port 'x'"), std::string::npos);
    EXPECT_NE(error_of("postgresql://h/db?sslmode").find("has no '=value'"), std::string::npos);
    EXPECT_NE(error_of("postgresql://h/db#frag").find("fragment"), std::string::npos);
    EXPECT_NE(error_of("postgresql://h/d%0").find("bad percent-encoding in the database name"), std::string::npos);
    EXPECT_NE(error_of("postgresql://h/d%00b").find("NUL"), std::string::npos);
    EXPECT_NE(error_of("host=h dbnme=x").find("unknown PostgreSQL parameter 'dbnme'"), std::string::npos);
    EXPECT_NE(error_of("host=h dbname").find("'dbname' without '='"), std::string::npos);
    EXPECT_NE(error_of("=x").find("without a keyword"), std::string::npos);
    EXPECT_NE(error_of("host=h port=65536").find("port '65536'"), std::string::npos);
    EXPECT_NE(error_of("postgresql://h/db?ssl=false").find("'ssl' takes only 'true'"), std::string::npos);
    EXPECT_EQ(param(parse_connection_string("postgresql://h/db?ssl=true"), "sslmode"), "require");
    // Every message starts by naming the (redacted) input.
    EXPECT_EQ(error_of("host=h dbnme=x").rfind("connection string 'host=h dbnme=x': ", 0), 0u);
}

TEST(ConnectionString, LongInputIsShortenedInMessages) {
    const std::string text = "host=h " + std::string(5000, 'x');
    EXPECT_LT(error_of(text).size(), 400u);
}

}  // namespace
}  // namespace fanout::common
