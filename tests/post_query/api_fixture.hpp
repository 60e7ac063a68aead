#pragma once
// A migrated read model and a running post-query over it, on each backend.
#include <memory>

#include <gtest/gtest.h>

#include "api_client.hpp"
#include "post_query_process.hpp"
#include "process.hpp"
#include "read_model_db.hpp"

namespace fanout::test {

class PostQueryApiTest : public ::testing::TestWithParam<TestBackend> {
protected:
    void SetUp() override {
        db_ = std::make_unique<ReadModelDb>(GetParam(), dir_.path());
        db_->migrate();
        process_ = std::make_unique<PostQueryProcess>(serve_args(db_->connection()), dir_ / "post-query.log");
        ASSERT_TRUE(process_->start());
        client_ = std::make_unique<ApiClient>(process_->port());
    }

    ApiResponse get(const std::string& target) const { return client_->get(target); }

    TempDir dir_;
    std::unique_ptr<ReadModelDb> db_;
    std::unique_ptr<PostQueryProcess> process_;
    std::unique_ptr<ApiClient> client_;
};

inline std::string backend_param_name(const ::testing::TestParamInfo<TestBackend>& info) {
    return backend_name(info.param);
}

}  // namespace fanout::test
