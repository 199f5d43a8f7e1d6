// client_channel.h — what the statement executor needs from the client's connection: the
// protocol output buffer, flow control, and COPY FROM STDIN input. Implemented by the frontend
// session (frontend/client_session.h), which owns the socket and the protocol state.
#pragma once

#include <functional>
#include <string>
#include <string_view>

namespace jade::coord::exec {

class ClientChannel {
public:
    /** Receives the client's messages while COPY FROM STDIN runs (CopyData, CopyDone, CopyFail, ...). */
    using CopySink = std::function<void(char type, std::string_view payload)>;

    virtual ~ClientChannel() = default;
    /** Protocol messages for the client are appended here. */
    virtual std::string& out() = 0;
    /** Sends buffered output now. */
    virtual void Flush() = 0;
    /** True while the client has more output queued than its budget (pause the workers). */
    virtual bool OutputFull() const = 0;
    /** Runs `fn` once when the client's queued output has drained. */
    virtual void WhenDrained(std::function<void()> fn) = 0;
    /** Output must reach the client as written (COPY IN starts): ends a row-limited capture. */
    virtual void StopCapture() = 0;
    /** Routes the client's next messages to `sink` until EndCopyIn(). */
    virtual void StartCopyIn(CopySink sink) = 0;
    /** Ends COPY IN routing (safe to call from inside the sink). */
    virtual void EndCopyIn() = 0;
    /** Stops reading COPY input (the workers have unsent data)... */
    virtual void PauseCopyIn() = 0;
    /** ...and reads it again, processing what is buffered. */
    virtual void ResumeCopyIn() = 0;
    /** The user name the client logged in with. */
    virtual std::string user() const = 0;
};

}  // namespace jade::coord::exec
