// main.cpp — jade-coordinator: flags, config, start the server loop; nothing else.
//
//   jade-coordinator --listen 127.0.0.1 --port 6432 --data-dir DIR [--config FILE]
#include <cstdio>

#include "config/config.h"
#include "server/server.h"

int main(int argc, char** argv) {
    auto config = jade::coord::ParseCommandLine(argc, argv);
    if (!config) {
        const auto& e = config.error();
        if (e.sqlstate == "00000") {
            std::fputs(e.message.c_str(), stdout);
            return 0;
        }
        std::fprintf(stderr, "jade-coordinator: %s\n", e.message.c_str());
        return 2;
    }
    jade::coord::Server server(std::move(config).value());
    auto st = server.Start();
    if (!st) {
        std::fprintf(stderr, "jade-coordinator: FATAL: %s%s%s\n", st.error().message.c_str(),
                     st.error().detail.empty() ? "" : ": ", st.error().detail.c_str());
        return 1;
    }
    return server.Run();
}
