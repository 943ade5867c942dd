//! @TITLE@: greets whoever the input names.
//!
//! The input arrives on stdin as one JSON object, already checked against schema.json;
//! the spell writes one JSON value to stdout and exits 0. stderr is a log for the maker.
//! WASI's own calls are used for input and output: they are the same in every Zig release.
const std = @import("std");
const wasi = std.os.wasi;

var input: [65536]u8 = undefined;

fn write(fd: wasi.fd_t, bytes: []const u8) void {
    var rest = bytes;
    while (rest.len > 0) {
        var iov = [_]wasi.ciovec_t{.{ .base = rest.ptr, .len = rest.len }};
        var written: usize = 0;
        if (wasi.fd_write(fd, &iov, 1, &written) != .SUCCESS or written == 0) return;
        rest = rest[written..];
    }
}

fn readInput() []const u8 {
    var length: usize = 0;
    while (length < input.len) {
        var iov = [_]wasi.iovec_t{.{ .base = input[length..].ptr, .len = input.len - length }};
        var got: usize = 0;
        if (wasi.fd_read(0, &iov, 1, &got) != .SUCCESS or got == 0) break;
        length += got;
    }
    return input[0..length];
}

fn skipSpace(text: []const u8, start: usize) usize {
    var at = start;
    while (at < text.len and std.ascii.isWhitespace(text[at])) at += 1;
    return at;
}

/// The raw text of a string member's value, escapes kept, so it can be copied into JSON.
fn stringMember(json: []const u8, quoted_key: []const u8) ?[]const u8 {
    const found = std.mem.indexOf(u8, json, quoted_key) orelse return null;
    var at = skipSpace(json, found + quoted_key.len);
    if (at >= json.len or json[at] != ':') return null;
    at = skipSpace(json, at + 1);
    if (at >= json.len or json[at] != '"') return null;
    const start = at + 1;
    var end = start;
    while (end < json.len and json[end] != '"') end += if (json[end] == '\\' and end + 1 < json.len) 2 else 1;
    if (end >= json.len) return null;
    return json[start..end];
}

pub fn main() u8 {
    const name = stringMember(readInput(), "\"name\"") orelse {
        write(2, "the input has no \"name\" string\n");
        return 1;
    };
    write(1, "{\"greeting\":\"Hello, ");
    write(1, name);
    write(1, "!\"}");
    return 0;
}
