// RFC 9113 §8.2, §8.2.1, §8.2.2, §8.2.3, §8.3, §8.5 and RFC 8441 §4: header field validation.
import assert from "node:assert/strict";
import { assertByteString, ErrorCode, ProtocolError } from "../lib/errors.ts";
import type { HeaderField } from "../lib/events.ts";
import {
  extractMethod,
  extractStatus,
  type FieldValidationFlags,
  normalizeInboundHeaders,
  normalizeOutboundHeaders,
  parseContentLength,
  validateInboundHeaders,
  validateOutboundHeaders,
} from "../lib/fields.ts";

const REQUEST: FieldValidationFlags = {
  isClient: false,
  isTrailer: false,
  isResponseHeader: false,
  isPushPromise: false,
};
const RESPONSE: FieldValidationFlags = {
  isClient: true,
  isTrailer: false,
  isResponseHeader: true,
  isPushPromise: false,
};
const TRAILER: FieldValidationFlags = {
  isClient: false,
  isTrailer: true,
  isResponseHeader: false,
  isPushPromise: false,
};
const PUSH: FieldValidationFlags = {
  isClient: true,
  isTrailer: false,
  isResponseHeader: false,
  isPushPromise: true,
};

const GET: HeaderField[] = [
  [":method", "GET"],
  [":scheme", "https"],
  [":path", "/"],
  [":authority", "example.com"],
];
const OK: HeaderField[] = [[":status", "200"]];

function req(...extra: HeaderField[]): HeaderField[] {
  return [...GET, ...extra];
}
function res(...extra: HeaderField[]): HeaderField[] {
  return [...OK, ...extra];
}

interface Case {
  name: string;
  fields: HeaderField[];
  flags: FieldValidationFlags;
  detail: string;
}

const MALFORMED: Case[] = [
  // §8.2.1 field names
  { name: "an empty name", fields: req(["", "x"]), flags: REQUEST, detail: "empty_header_name" },
  {
    name: "an uppercase name",
    fields: req(["X-Foo", "1"]),
    flags: REQUEST,
    detail: "uppercase_header_name",
  },
  {
    name: "an uppercase pseudo-header name",
    fields: [[":Method", "GET"], [":scheme", "https"], [":path", "/"]],
    flags: REQUEST,
    detail: "uppercase_header_name",
  },
  {
    name: "a SP in a name",
    fields: req(["x foo", "1"]),
    flags: REQUEST,
    detail: "invalid_header_name",
  },
  {
    name: "a NUL in a name",
    fields: req(["x\0", "1"]),
    flags: REQUEST,
    detail: "invalid_header_name",
  },
  {
    name: "a DEL in a name",
    fields: req(["x\x7f", "1"]),
    flags: REQUEST,
    detail: "invalid_header_name",
  },
  {
    name: "a 0xff in a name",
    fields: req(["x\xff", "1"]),
    flags: REQUEST,
    detail: "invalid_header_name",
  },
  {
    name: "a colon inside a name",
    fields: req(["x:y", "1"]),
    flags: REQUEST,
    detail: "invalid_header_name",
  },
  {
    name: "a double-colon pseudo-header",
    fields: [["::path", "/"], ...GET],
    flags: REQUEST,
    detail: "invalid_header_name",
  },
  {
    name: "a CRLF in a name",
    fields: req(["x\r\ny", "1"]),
    flags: REQUEST,
    detail: "invalid_header_name",
  },
  {
    name: "a delimiter '(' in a name",
    fields: req(["x(y)", "1"]),
    flags: REQUEST,
    detail: "invalid_header_name",
  },
  // §8.2.1 field values
  {
    name: "a NUL in a value",
    fields: req(["x", "a\0b"]),
    flags: REQUEST,
    detail: "invalid_header_value",
  },
  {
    name: "a CR in a value",
    fields: req(["x", "a\rb"]),
    flags: REQUEST,
    detail: "invalid_header_value",
  },
  {
    name: "a LF in a value",
    fields: req(["x", "a\nb"]),
    flags: REQUEST,
    detail: "invalid_header_value",
  },
  {
    name: "a LF in a pseudo-header value",
    fields: [[":method", "GET"], [":scheme", "https"], [":path", "/\n"]],
    flags: REQUEST,
    detail: "invalid_header_value",
  },
  {
    name: "a leading SP in a value",
    fields: req(["x", " a"]),
    flags: REQUEST,
    detail: "header_value_whitespace",
  },
  {
    name: "a trailing SP in a value",
    fields: req(["x", "a "]),
    flags: REQUEST,
    detail: "header_value_whitespace",
  },
  {
    name: "a leading HTAB in a value",
    fields: req(["x", "\ta"]),
    flags: REQUEST,
    detail: "header_value_whitespace",
  },
  {
    name: "a trailing HTAB in a response value",
    fields: res(["x", "a\t"]),
    flags: RESPONSE,
    detail: "header_value_whitespace",
  },
  {
    name: "a value of one SP",
    fields: req(["x", " "]),
    flags: REQUEST,
    detail: "header_value_whitespace",
  },
  // §8.2.2 connection-specific fields
  ...["connection", "proxy-connection", "keep-alive", "transfer-encoding", "upgrade"].map((
    name,
  ) => ({
    name: `a ${name} field`,
    fields: req([name, "x"]),
    flags: REQUEST,
    detail: "connection_specific_header",
  })),
  {
    name: "transfer-encoding in a response",
    fields: res(["transfer-encoding", "chunked"]),
    flags: RESPONSE,
    detail: "connection_specific_header",
  },
  {
    name: "connection in a trailer",
    fields: [["connection", "close"]],
    flags: TRAILER,
    detail: "connection_specific_header",
  },
  { name: "te: gzip", fields: req(["te", "gzip"]), flags: REQUEST, detail: "invalid_te" },
  {
    name: "te: trailers, gzip",
    fields: req(["te", "trailers, gzip"]),
    flags: REQUEST,
    detail: "invalid_te",
  },
  // §8.3 pseudo-headers in general
  {
    name: "an unknown pseudo-header",
    fields: req([":foo", "bar"]).slice(0, 4).concat([[":foo", "bar"]]),
    flags: REQUEST,
    detail: "unknown_pseudo_header",
  },
  {
    name: "an unknown pseudo-header in a response",
    fields: [[":status", "200"], [":reason", "OK"]],
    flags: RESPONSE,
    detail: "unknown_pseudo_header",
  },
  {
    name: "a duplicate :method",
    fields: [[":method", "GET"], ...GET],
    flags: REQUEST,
    detail: "duplicate_pseudo_header",
  },
  {
    name: "a duplicate :path",
    fields: [...GET, [":path", "/b"]],
    flags: REQUEST,
    detail: "duplicate_pseudo_header",
  },
  {
    name: "a duplicate :status",
    fields: [[":status", "200"], [":status", "200"]],
    flags: RESPONSE,
    detail: "duplicate_pseudo_header",
  },
  {
    name: "a pseudo-header after a regular field",
    fields: [[":method", "GET"], [":scheme", "https"], ["x", "1"], [":path", "/"]],
    flags: REQUEST,
    detail: "pseudo_header_after_regular",
  },
  {
    name: ":status after a regular field",
    fields: [["x", "1"], [":status", "200"]],
    flags: RESPONSE,
    detail: "pseudo_header_after_regular",
  },
  {
    name: "a pseudo-header in a trailer",
    fields: [[":status", "200"]],
    flags: TRAILER,
    detail: "pseudo_header_in_trailer",
  },
  {
    name: "a request pseudo-header in a trailer",
    fields: [["grpc-status", "0"], [":path", "/"]],
    flags: TRAILER,
    detail: "pseudo_header_in_trailer",
  },
  // §8.3.1 requests
  {
    name: "a request without :method",
    fields: GET.slice(1),
    flags: REQUEST,
    detail: "missing_pseudo_header",
  },
  {
    name: "a request without :scheme",
    fields: [[":method", "GET"], [":path", "/"]],
    flags: REQUEST,
    detail: "missing_pseudo_header",
  },
  {
    name: "a request without :path",
    fields: [[":method", "GET"], [":scheme", "https"], [":authority", "a"]],
    flags: REQUEST,
    detail: "missing_pseudo_header",
  },
  {
    name: "a request without any pseudo-header",
    fields: [["x", "1"]],
    flags: REQUEST,
    detail: "missing_pseudo_header",
  },
  {
    name: "a request with :status",
    fields: req().slice(0, 3).concat([[":status", "200"]]),
    flags: REQUEST,
    detail: "response_pseudo_header_in_request",
  },
  {
    name: "an empty :path",
    fields: [[":method", "GET"], [":scheme", "https"], [":path", ""]],
    flags: REQUEST,
    detail: "empty_path",
  },
  {
    name: "an empty :path with a non-http scheme",
    fields: [[":method", "GET"], [":scheme", "foo"], [":path", ""]],
    flags: REQUEST,
    detail: "empty_path",
  },
  {
    name: "a relative :path for https",
    fields: [[":method", "GET"], [":scheme", "https"], [":path", "index.html"]],
    flags: REQUEST,
    detail: "invalid_path",
  },
  {
    name: "an absolute-form :path for http",
    fields: [[":method", "GET"], [":scheme", "http"], [":path", "http://a/"]],
    flags: REQUEST,
    detail: "invalid_path",
  },
  {
    name: "* as :path on GET",
    fields: [[":method", "GET"], [":scheme", "https"], [":path", "*"]],
    flags: REQUEST,
    detail: "invalid_path",
  },
  {
    name: "an empty :method",
    fields: [[":method", ""], [":scheme", "https"], [":path", "/"]],
    flags: REQUEST,
    detail: "invalid_method",
  },
  {
    name: "a :method with a space",
    fields: [[":method", "GET /"], [":scheme", "https"], [":path", "/"]],
    flags: REQUEST,
    detail: "invalid_method",
  },
  {
    name: "host differing from :authority",
    fields: req(["host", "evil.example"]),
    flags: REQUEST,
    detail: "host_authority_mismatch",
  },
  {
    name: "a duplicate host",
    fields: [[":method", "GET"], [":scheme", "https"], [":path", "/"], ["host", "a"], [
      "host",
      "a",
    ]],
    flags: REQUEST,
    detail: "duplicate_host_header",
  },
  {
    name: "userinfo in :authority for https",
    fields: [[":method", "GET"], [":scheme", "https"], [":path", "/"], [":authority", "u:p@a"]],
    flags: REQUEST,
    detail: "authority_with_userinfo",
  },
  // §8.5 CONNECT and RFC 8441 extended CONNECT
  {
    name: "CONNECT with :scheme",
    fields: [[":method", "CONNECT"], [":authority", "a:443"], [":scheme", "https"]],
    flags: REQUEST,
    detail: "connect_with_scheme_or_path",
  },
  {
    name: "CONNECT with :path",
    fields: [[":method", "CONNECT"], [":authority", "a:443"], [":path", "/"]],
    flags: REQUEST,
    detail: "connect_with_scheme_or_path",
  },
  {
    name: "CONNECT without :authority",
    fields: [[":method", "CONNECT"]],
    flags: REQUEST,
    detail: "missing_pseudo_header",
  },
  {
    name: ":protocol on GET",
    fields: [...GET, [":protocol", "websocket"]],
    flags: REQUEST,
    detail: "protocol_without_connect",
  },
  {
    name: "extended CONNECT without :path",
    fields: [[":method", "CONNECT"], [":protocol", "websocket"], [":scheme", "https"], [
      ":authority",
      "a",
    ]],
    flags: REQUEST,
    detail: "missing_pseudo_header",
  },
  {
    name: "extended CONNECT without :scheme",
    fields: [[":method", "CONNECT"], [":protocol", "websocket"], [":path", "/chat"], [
      ":authority",
      "a",
    ]],
    flags: REQUEST,
    detail: "missing_pseudo_header",
  },
  {
    name: "extended CONNECT without :authority",
    fields: [[":method", "CONNECT"], [":protocol", "websocket"], [":scheme", "https"], [
      ":path",
      "/chat",
    ]],
    flags: REQUEST,
    detail: "missing_pseudo_header",
  },
  // §8.3.2 responses
  {
    name: "a response without :status",
    fields: [["x", "1"]],
    flags: RESPONSE,
    detail: "missing_pseudo_header",
  },
  {
    name: "a response with :method",
    fields: [[":status", "200"], [":method", "GET"]],
    flags: RESPONSE,
    detail: "request_pseudo_header_in_response",
  },
  {
    name: "a response with :path",
    fields: [[":path", "/"], [":status", "200"]],
    flags: RESPONSE,
    detail: "request_pseudo_header_in_response",
  },
  {
    name: "a response with :protocol",
    fields: [[":status", "200"], [":protocol", "websocket"]],
    flags: RESPONSE,
    detail: "request_pseudo_header_in_response",
  },
  {
    name: "a two-digit :status",
    fields: [[":status", "20"]],
    flags: RESPONSE,
    detail: "invalid_status",
  },
  {
    name: "a four-digit :status",
    fields: [[":status", "2000"]],
    flags: RESPONSE,
    detail: "invalid_status",
  },
  {
    name: "a non-numeric :status",
    fields: [[":status", "2x0"]],
    flags: RESPONSE,
    detail: "invalid_status",
  },
  {
    name: "a :status below 100",
    fields: [[":status", "099"]],
    flags: RESPONSE,
    detail: "invalid_status",
  },
  {
    name: "an empty :status",
    fields: [[":status", ""]],
    flags: RESPONSE,
    detail: "invalid_status",
  },
  {
    name: "the 101 status (§8.6)",
    fields: [[":status", "101"]],
    flags: RESPONSE,
    detail: "switching_protocols_status",
  },
  // content-length (RFC 9110 §8.6)
  {
    name: "a negative content-length",
    fields: res(["content-length", "-1"]),
    flags: RESPONSE,
    detail: "invalid_content_length",
  },
  {
    name: "an empty content-length",
    fields: req(["content-length", ""]),
    flags: REQUEST,
    detail: "invalid_content_length",
  },
  {
    name: "a comma-joined content-length",
    fields: req(["content-length", "5, 5"]),
    flags: REQUEST,
    detail: "invalid_content_length",
  },
  {
    name: "a content-length above 2^53-1",
    fields: req(["content-length", "99999999999999999"]),
    flags: REQUEST,
    detail: "invalid_content_length",
  },
  {
    name: "conflicting content-lengths",
    fields: req(["content-length", "5"], ["content-length", "6"]),
    flags: REQUEST,
    detail: "conflicting_content_length",
  },
  // §8.4.1 push promises are requests, and safe
  {
    name: "a push promise without :path",
    fields: [[":method", "GET"], [":scheme", "https"], [":authority", "a"]],
    flags: PUSH,
    detail: "missing_pseudo_header",
  },
  {
    name: "a push promise with :status",
    fields: [...GET, [":status", "200"]],
    flags: PUSH,
    detail: "response_pseudo_header_in_request",
  },
  {
    name: "a push promise with POST",
    fields: [[":method", "POST"], [":scheme", "https"], [":path", "/"], [":authority", "a"]],
    flags: PUSH,
    detail: "unsafe_push_method",
  },
];

Deno.test("validateInboundHeaders rejects every malformed block with its detail token", async (t) => {
  // RFC 9113 §8.1.1: malformed messages are a stream error of type PROTOCOL_ERROR.
  assert.ok(MALFORMED.length >= 40, `only ${MALFORMED.length} cases`);
  for (const c of MALFORMED) {
    await t.step(`rejects ${c.name} (${c.detail})`, () => {
      assert.throws(() => validateInboundHeaders(c.fields, c.flags), (error: unknown) => {
        assert.ok(error instanceof ProtocolError, `not a ProtocolError: ${error}`);
        assert.equal(error.detail, c.detail, error.message);
        assert.equal(error.errorCode, ErrorCode.PROTOCOL_ERROR);
        assert.equal(error.streamId, undefined);
        return true;
      });
    });
  }
});

Deno.test("validateOutboundHeaders applies the same rules to what we send", async (t) => {
  // API.md §5: "Outbound field names and values are validated like inbound ones".
  for (const c of MALFORMED) {
    await t.step(`rejects ${c.name} (${c.detail})`, () => {
      assert.throws(() => validateOutboundHeaders(c.fields, c.flags), {
        name: "ProtocolError",
        detail: c.detail,
      });
    });
  }
});

const VALID: { name: string; fields: HeaderField[]; flags: FieldValidationFlags }[] = [
  { name: "a plain GET", fields: GET, flags: REQUEST },
  {
    name: "a GET with regular fields",
    fields: req(["accept", "*/*"], ["x-a", ""]),
    flags: REQUEST,
  },
  { name: "a request without :authority or host", fields: GET.slice(0, 3), flags: REQUEST },
  {
    name: "a request with host only",
    fields: [[":method", "GET"], [":scheme", "http"], [":path", "/x?y=1"], ["host", "a"]],
    flags: REQUEST,
  },
  { name: "host equal to :authority", fields: req(["host", "Example.COM"]), flags: REQUEST },
  { name: "te: trailers", fields: req(["te", "trailers"]), flags: REQUEST },
  { name: "te: Trailers", fields: req(["te", "Trailers"]), flags: REQUEST },
  {
    name: "OPTIONS *",
    fields: [[":method", "OPTIONS"], [":scheme", "https"], [":path", "*"], [":authority", "a"]],
    flags: REQUEST,
  },
  {
    name: "a relative path with a non-http scheme",
    fields: [[":method", "GET"], [":scheme", "urn"], [":path", "isbn:123"]],
    flags: REQUEST,
  },
  {
    name: "CONNECT",
    fields: [[":method", "CONNECT"], [":authority", "a.example:443"]],
    flags: REQUEST,
  },
  {
    name: "extended CONNECT (RFC 8441)",
    fields: [
      [":method", "CONNECT"],
      [":protocol", "websocket"],
      [":scheme", "https"],
      [":path", "/chat"],
      [":authority", "a.example"],
      ["sec-websocket-version", "13"],
    ],
    flags: REQUEST,
  },
  { name: "a value with inner whitespace", fields: req(["x", "a \t b"]), flags: REQUEST },
  { name: "a value with obs-text", fields: req(["x", "caf\xe9"]), flags: REQUEST },
  {
    name: "all token characters in a name",
    fields: req(["!#$%&'*+-.^_`|~09az", "1"]),
    flags: REQUEST,
  },
  {
    name: "duplicate equal content-lengths",
    fields: req(["content-length", "5"], ["content-length", "05"]),
    flags: REQUEST,
  },
  { name: "a 200 response", fields: res(["content-type", "text/plain"]), flags: RESPONSE },
  {
    name: "a 103 informational response",
    fields: [[":status", "103"], ["link", "</s.css>"]],
    flags: RESPONSE,
  },
  { name: "a 100 informational response", fields: [[":status", "100"]], flags: RESPONSE },
  { name: "a 599 response", fields: [[":status", "599"]], flags: RESPONSE },
  {
    name: "a response with content-length 0",
    fields: res(["content-length", "0"]),
    flags: RESPONSE,
  },
  { name: "trailers", fields: [["grpc-status", "0"], ["grpc-message", "ok"]], flags: TRAILER },
  { name: "empty trailers", fields: [], flags: TRAILER },
  {
    name: "a response trailer",
    fields: [["x-checksum", "abc"]],
    flags: { ...TRAILER, isClient: true },
  },
  { name: "a pushed GET", fields: GET, flags: PUSH },
  {
    name: "a pushed HEAD",
    fields: [[":method", "HEAD"], [":scheme", "https"], [":path", "/a"], [":authority", "a"]],
    flags: PUSH,
  },
];

Deno.test("validateInboundHeaders and validateOutboundHeaders accept valid blocks", async (t) => {
  // RFC 9113 §8.3.1, §8.3.2, §8.5, RFC 8441 §4.
  for (const c of VALID) {
    await t.step(`accepts ${c.name}`, () => {
      validateInboundHeaders(c.fields, c.flags);
      validateOutboundHeaders(c.fields, c.flags);
    });
  }
});

Deno.test("validateOutboundHeaders throws TypeError for a char above 255", () => {
  // API.md "Header fields": a char above 255 in an outbound field is a TypeError.
  assert.throws(() => validateOutboundHeaders(req(["x", "\u20ac"]), REQUEST), TypeError);
  assert.throws(() => validateOutboundHeaders(req(["x\u20ac", "1"]), REQUEST), TypeError);
  assert.throws(() => validateOutboundHeaders(req(["x", " \u20ac"]), REQUEST), TypeError);
  // Inbound strings come from HPACK and are octets; a wide char is just not a token.
  assert.throws(() => validateInboundHeaders(req(["x\u20ac", "1"]), REQUEST), {
    detail: "invalid_header_name",
  });
});

Deno.test("normalizeInboundHeaders joins cookie fields with '; ' at the first cookie", () => {
  // RFC 9113 §8.2.3: "these MUST be concatenated into a single octet string using ... "; "".
  const fields: HeaderField[] = [
    ...GET,
    ["cookie", "a=b"],
    ["accept", "*/*"],
    ["cookie", "c=d"],
    ["cookie", "e=f"],
  ];
  assert.deepEqual(normalizeInboundHeaders(fields), [
    ...GET,
    ["cookie", "a=b; c=d; e=f"],
    ["accept", "*/*"],
  ]);
  assert.equal(fields.length, 8, "input untouched");
  const one: HeaderField[] = [...GET, ["cookie", "a=b"]];
  assert.equal(normalizeInboundHeaders(one), one, "no copy with a single cookie");
  assert.equal(normalizeInboundHeaders(GET), GET, "no copy without cookies");
});

Deno.test("normalizeOutboundHeaders lowercases, strips whitespace and drops connection fields", () => {
  // RFC 9113 §8.2: "Field names MUST be converted to lowercase"; §8.2.2: connection-specific fields.
  const { fields, sensitive } = normalizeOutboundHeaders(
    [
      [":status", "200"],
      ["Content-Type", "  text/html\t"],
      ["Connection", "keep-alive"],
      ["keep-alive", "timeout=5"],
      ["TRANSFER-ENCODING", "chunked"],
      ["proxy-connection", "x"],
      ["upgrade", "h2c"],
      [" X-Padded ", " v "],
      ["te", "trailers"],
    ],
    { splitCookies: false },
  );
  assert.deepEqual(fields, [
    [":status", "200"],
    ["content-type", "text/html"],
    ["x-padded", "v"],
    ["te", "trailers"],
  ]);
  assert.equal(sensitive.size, 0);
  validateOutboundHeaders(fields, RESPONSE);
});

Deno.test("normalizeOutboundHeaders returns the same array when nothing changes", () => {
  const input: HeaderField[] = [[":status", "200"], ["content-type", "text/plain"]];
  const result = normalizeOutboundHeaders(input, { splitCookies: true });
  assert.equal(result.fields, input);
  // An iterable that is not an array is materialised.
  const fromMap = normalizeOutboundHeaders(new Map([["x-a", "1"]]), { splitCookies: false });
  assert.deepEqual(fromMap.fields, [["x-a", "1"]]);
  // Fields before the first change are kept as the same tuple objects.
  const first: HeaderField = [":status", "200"];
  const copied = normalizeOutboundHeaders([first, ["X", "1"]], { splitCookies: false });
  assert.equal(copied.fields[0], first);
  assert.deepEqual(copied.fields[1], ["x", "1"]);
});

Deno.test("normalizeOutboundHeaders splits cookies only when asked", () => {
  // RFC 9113 §8.2.3: "the Cookie header field MAY be split into separate header fields".
  const long = "session=0123456789abcdefghij";
  const input: HeaderField[] = [...GET, ["cookie", `${long}; theme=dark; ${long}`]];
  const split = normalizeOutboundHeaders(input, { splitCookies: true });
  assert.deepEqual(split.fields, [
    ...GET,
    ["cookie", long],
    ["cookie", "theme=dark"],
    ["cookie", long],
  ]);
  assert.deepEqual([...split.sensitive], ["cookie"], "theme=dark is a short crumb");
  const kept = normalizeOutboundHeaders(input, { splitCookies: false });
  assert.equal(kept.fields, input);
  assert.equal(kept.sensitive.size, 0, "the joined value is 20 bytes or longer");
  // The round trip through inbound normalisation gives the original value back.
  assert.deepEqual(normalizeInboundHeaders(split.fields), input);
});

Deno.test("normalizeOutboundHeaders marks authorization, proxy-authorization and short cookies", () => {
  // RFC 7541 §7.1.3: short secrets must not be put into the dynamic table.
  const result = normalizeOutboundHeaders(
    [
      ...GET,
      ["Authorization", "Bearer abc"],
      ["proxy-authorization", "Basic xyz"],
      ["cookie", "id=1"],
      ["x-authorization-hint", "no"],
    ],
    { splitCookies: false },
  );
  assert.deepEqual([...result.sensitive].sort(), [
    "authorization",
    "cookie",
    "proxy-authorization",
  ]);
  const long = normalizeOutboundHeaders([["cookie", "x".repeat(20)]], { splitCookies: false });
  assert.equal(long.sensitive.has("cookie"), false);
  const short = normalizeOutboundHeaders([["cookie", "x".repeat(19)]], { splitCookies: false });
  assert.equal(short.sensitive.has("cookie"), true);
});

Deno.test("assertByteString throws TypeError above 0xff and accepts Latin-1", () => {
  // API.md "Header fields": strings are byte strings (each char code 0–255).
  assertByteString("", "Header name");
  assertByteString("\x00\x7f\x80\xff", "Header value");
  assert.throws(() => assertByteString("ab\u0100", "Header value"), {
    name: "TypeError",
    message: /Header value "ab\u0100" is not a byte string: character code "256" at index "2"/,
  });
  assert.throws(() => assertByteString("\u{1F600}", "Header name"), TypeError);
});

Deno.test("parseContentLength reads 1*DIGIT and rejects disagreeing duplicates", async (t) => {
  // RFC 9110 §8.6: Content-Length = 1*DIGIT; RFC 9113 §8.1.1.
  assert.equal(parseContentLength(res(["content-length", "0"])), 0);
  assert.equal(parseContentLength(res(["content-length", "10485760"])), 10_485_760);
  assert.equal(parseContentLength(res(["content-length", "7"], ["content-length", "7"])), 7);
  assert.equal(parseContentLength(res(["content-type", "x"])), undefined);
  assert.equal(parseContentLength(res(["content-length", "9007199254740991"])), 2 ** 53 - 1);
  assert.equal(parseContentLength(res(["content-length", "0000000000000000000042"])), 42);
  const bad: [string, HeaderField[], string][] = [
    ["empty", res(["content-length", ""]), "invalid_content_length"],
    ["signed", res(["content-length", "+5"]), "invalid_content_length"],
    ["spaced", res(["content-length", "5 "]), "invalid_content_length"],
    ["list", res(["content-length", "5,5"]), "invalid_content_length"],
    ["hex", res(["content-length", "0x10"]), "invalid_content_length"],
    ["huge", res(["content-length", "9007199254740992"]), "invalid_content_length"],
    [
      "differing",
      res(["content-length", "5"], ["content-length", "4"]),
      "conflicting_content_length",
    ],
  ];
  for (const [name, fields, detail] of bad) {
    await t.step(`rejects ${name}`, () => {
      assert.throws(() => parseContentLength(fields), { name: "ProtocolError", detail });
    });
  }
});

Deno.test("extractMethod and extractStatus read the leading pseudo-headers", () => {
  // RFC 9113 §8.3: pseudo-headers come first.
  assert.equal(extractMethod(GET), "GET");
  assert.equal(extractMethod(OK), undefined);
  assert.equal(extractStatus(OK), "200");
  assert.equal(extractStatus(GET), undefined);
  assert.equal(extractStatus([["x", "1"], [":status", "200"]]), undefined);
  assert.equal(extractStatus([]), undefined);
});

Deno.test("validateInboundHeaders validates 10 000 typical requests quickly", () => {
  // A smoke bound for the hot path, not a benchmark: must stay well under a second.
  const fields = req(
    ["user-agent", "curl/8.5.0"],
    ["accept", "*/*"],
    ["accept-encoding", "gzip, deflate, br"],
    ["cookie", "a=b"],
    ["content-length", "1234"],
  );
  const start = performance.now();
  for (let i = 0; i < 10_000; i++) validateInboundHeaders(fields, REQUEST);
  const elapsed = performance.now() - start;
  assert.ok(elapsed < 1000, `took ${elapsed} ms`);
});

/** A small seeded PRNG (mulberry32) so failures print a reproducible seed. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** RFC 9113 §8.2.1 + RFC 9110 §5.1 written as regular expressions: the reference to agree with. */
function referenceDetail(name: string, value: string): string | undefined {
  if (!/^[!#$%&'*+\-.^_`|~0-9a-zA-Z]*$/.test(name) || name === "") {
    return /[A-Z]/.test(name) ? "uppercase_header_name" : "invalid_header_name";
  }
  if (/[A-Z]/.test(name)) return "uppercase_header_name";
  if (/^[ \t]|[ \t]$/.test(value)) return "header_value_whitespace";
  if (/[\0\r\n]/.test(value)) return "invalid_header_value";
  return undefined;
}

Deno.test("validateInboundHeaders agrees with a regex reference on random field octets", () => {
  // RFC 9113 §8.2.1, seeded and bounded: 20 000 random fields.
  // FIELDS_SEED overrides the seed when env access is granted; the default is fixed.
  const granted = Deno.permissions.querySync({ name: "env", variable: "FIELDS_SEED" });
  const seed = Number(
    (granted.state === "granted" ? Deno.env.get("FIELDS_SEED") : undefined) ?? 0x5eed,
  );
  const random = mulberry32(seed);
  const interesting = [0x00, 0x09, 0x0a, 0x0d, 0x20, 0x3a, 0x41, 0x5a, 0x61, 0x7f, 0x80, 0xff];
  const octet = () =>
    random() < 0.3
      ? interesting[Math.floor(random() * interesting.length)]!
      : random() < 0.8
      ? 0x61 + Math.floor(random() * 26)
      : Math.floor(random() * 256);
  const text = (max: number) =>
    String.fromCharCode(...Array.from({ length: Math.floor(random() * max) }, octet));
  let rejected = 0;
  for (let i = 0; i < 20_000; i++) {
    // "x-" keeps clear of the special names (te, host, connection, content-length, ...).
    const name = random() < 0.05 ? "" : `x-${text(6)}`;
    const value = text(8);
    const expected = referenceDetail(name, value);
    let actual: string | undefined;
    try {
      validateInboundHeaders(req([name, value]), REQUEST);
    } catch (error) {
      assert.ok(error instanceof ProtocolError, `seed ${seed}: ${error}`);
      actual = error.detail;
      rejected++;
    }
    const shown = JSON.stringify([name, value]);
    assert.equal(actual, name === "" ? "empty_header_name" : expected, `seed ${seed}: ${shown}`);
  }
  assert.ok(rejected > 1000 && rejected < 19_000, `seed ${seed}: ${rejected} rejected`);
});
