import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ERROR_STATUS,
  ProxyError,
  UpstreamConnectError,
  UpstreamRemoteResetError,
  UpstreamTimeoutError,
} from "../errors";
import type { ProxyErrorCode } from "../errors";
import { errorReply } from "./local-reply";
import { failureDetails, lateFailureDetails, upstreamResetDetails } from "./response-code-details";

describe("response code details", () => {
  it("gives every error code a detail without blanks, as Envoy stores details", () => {
    for (const code of Object.keys(ERROR_STATUS) as ProxyErrorCode[]) {
      const details = failureDetails(new ProxyError(code, code), false);
      // Brackets are the RBAC filter's: rbac_access_denied_matched_policy[none].
      assert.match(details, /^[a-z0-9_.{},:[\]]+$/, code);
    }
  });

  it("writes an upstream reset with its reason and the transport's, blanks as underscores", () => {
    assert.equal(
      upstreamResetDetails("remote connection failure", "delayed connect error: Connection refused"),
      "upstream_reset_before_response_started{remote_connection_failure,delayed_connect_error:_Connection_refused}",
    );
    assert.equal(
      upstreamResetDetails("connection termination", undefined, true),
      "upstream_reset_after_response_started{connection_termination}",
    );
  });

  it("tells a try's own timeout from the route's, and names the codec of a malformed request", () => {
    assert.deepEqual(
      [
        failureDetails(new UpstreamTimeoutError(), false),
        failureDetails(new UpstreamTimeoutError(true), false),
        failureDetails(new ProxyError("IGW_ERR_BAD_REQUEST", "bad"), false),
        failureDetails(new ProxyError("IGW_ERR_BAD_REQUEST", "bad"), true),
      ],
      [
        "response_timeout",
        "upstream_per_try_timeout",
        "http1.codec_error",
        "http2.violation.of.messaging.rule",
      ],
    );
  });

  it("makes a failure after the response head a late reset, and leaves other failures as they are", () => {
    assert.deepEqual(
      [
        lateFailureDetails(new UpstreamRemoteResetError(false), false),
        lateFailureDetails(new UpstreamTimeoutError(), false),
      ],
      ["upstream_reset_after_response_started{remote_reset}", "response_timeout"],
    );
  });

  it("goes with the reply's body: a refused connect and a refused stream", () => {
    const refused = Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });
    const connect = errorReply(new UpstreamConnectError("refused", refused));
    assert.deepEqual(
      [connect.details, connect.transportFailureReason],
      [
        "upstream_reset_before_response_started{remote_connection_failure,delayed_connect_error:_Connection_refused}",
        "delayed connect error: Connection refused",
      ],
    );
    const stream = errorReply(new UpstreamRemoteResetError(true), true);
    assert.deepEqual(
      [stream.details, stream.transportFailureReason, stream.body],
      [
        "upstream_reset_before_response_started{remote_refused_stream_reset}",
        undefined,
        "upstream connect error or disconnect/reset before headers. retried and the latest reset reason: remote refused stream reset",
      ],
    );
  });
});
