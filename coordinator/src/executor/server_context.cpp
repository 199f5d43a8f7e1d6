// server_context.cpp — default seams of ServerContext (see server_context.h).
#include "executor/server_context.h"

#include <cstdio>

#include "transaction/transaction_hooks.h"

namespace jade::coord::exec {

void ServerContext::ProposeMetadata(std::vector<Command> commands, std::function<void(Status)> done) {
    for (const Command& cmd : commands) {
        Status st = store().Append(cmd);
        if (!st) {
            done(st);
            return;
        }
        std::fprintf(stderr, "jade-coordinator: metadata: %s\n", DescribeCommand(cmd).c_str());
    }
    done(Status{});
}

const std::string& ServerContext::server_secret() const {
    static const std::string none;
    return none;
}

txn::TransactionHooks& ServerContext::transaction_hooks() {
    static txn::TransactionHooks pass_through;
    return pass_through;
}

}  // namespace jade::coord::exec
