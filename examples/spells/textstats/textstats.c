/* textstats: counts characters, words, lines and sentences of {"text": "..."}.
 *
 * Reads the input object from stdin, decodes the "text" member (all JSON string escapes,
 * including surrogate pairs), and writes one JSON object to stdout. The platform has already
 * validated the input against schema.json, but the parser still refuses anything malformed. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_INPUT (1u << 20)

static char input[MAX_INPUT + 1];
static char text[MAX_INPUT + 1];
static size_t pos, len;

static void fail(const char *why) {
    fprintf(stderr, "textstats: %s\n", why);
    exit(2);
}

static void skip_ws(void) {
    while (pos < len && (input[pos] == ' ' || input[pos] == '\t' || input[pos] == '\n' || input[pos] == '\r')) pos++;
}

static int hex4(uint32_t *out) {
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        if (pos >= len) return 0;
        char c = input[pos++];
        v <<= 4;
        if (c >= '0' && c <= '9') v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f') v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F') v |= (uint32_t)(c - 'A' + 10);
        else return 0;
    }
    *out = v;
    return 1;
}

static size_t put_utf8(char *dst, uint32_t cp) {
    if (cp < 0x80) { dst[0] = (char)cp; return 1; }
    if (cp < 0x800) { dst[0] = (char)(0xC0 | (cp >> 6)); dst[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        dst[0] = (char)(0xE0 | (cp >> 12)); dst[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        dst[2] = (char)(0x80 | (cp & 0x3F)); return 3;
    }
    dst[0] = (char)(0xF0 | (cp >> 18)); dst[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    dst[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); dst[3] = (char)(0x80 | (cp & 0x3F)); return 4;
}

/* Parses a JSON string at pos; decodes it into dst when dst is not NULL. Returns its length. */
static size_t parse_string(char *dst) {
    size_t n = 0;
    if (pos >= len || input[pos] != '"') fail("expected a string");
    pos++;
    while (pos < len && input[pos] != '"') {
        char c = input[pos++];
        if (c != '\\') { if (dst) dst[n] = c; n++; continue; }
        if (pos >= len) fail("unterminated escape");
        char e = input[pos++];
        uint32_t cp;
        switch (e) {
            case '"': case '\\': case '/': cp = (uint32_t)e; break;
            case 'b': cp = '\b'; break;
            case 'f': cp = '\f'; break;
            case 'n': cp = '\n'; break;
            case 'r': cp = '\r'; break;
            case 't': cp = '\t'; break;
            case 'u':
                if (!hex4(&cp)) fail("bad \\u escape");
                if (cp >= 0xD800 && cp <= 0xDBFF && pos + 1 < len && input[pos] == '\\' && input[pos + 1] == 'u') {
                    uint32_t low;
                    pos += 2;
                    if (!hex4(&low) || low < 0xDC00 || low > 0xDFFF) fail("bad surrogate pair");
                    cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
                } else if (cp >= 0xD800 && cp <= 0xDFFF) {
                    cp = 0xFFFD;
                }
                break;
            default: fail("unknown escape");
        }
        char tmp[4];
        size_t k = put_utf8(dst ? dst + n : tmp, cp);
        n += k;
    }
    if (pos >= len) fail("unterminated string");
    pos++;
    return n;
}

static void skip_value(void) {
    skip_ws();
    if (pos >= len) fail("expected a value");
    if (input[pos] == '"') { parse_string(NULL); return; }
    if (input[pos] == '{' || input[pos] == '[') {
        int depth = 0;
        while (pos < len) {
            char c = input[pos];
            if (c == '"') { parse_string(NULL); continue; }
            if (c == '{' || c == '[') depth++;
            if (c == '}' || c == ']') { depth--; if (depth == 0) { pos++; return; } }
            pos++;
        }
        fail("unterminated value");
    }
    while (pos < len && input[pos] != ',' && input[pos] != '}' && input[pos] != ']') pos++;
}

static int is_space(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; }

int main(void) {
    len = fread(input, 1, MAX_INPUT + 1, stdin);
    if (len > MAX_INPUT) fail("input too large");
    long text_len = -1;
    skip_ws();
    if (pos >= len || input[pos++] != '{') fail("expected an object");
    for (;;) {
        skip_ws();
        if (pos < len && input[pos] == '}') break;
        static char key[64];
        size_t start = pos;
        size_t klen = parse_string(NULL);
        int is_text = 0;
        if (klen == 4) { pos = start; parse_string(key); is_text = memcmp(key, "text", 4) == 0; }
        skip_ws();
        if (pos >= len || input[pos++] != ':') fail("expected ':'");
        skip_ws();
        if (is_text) text_len = (long)parse_string(text);
        else skip_value();
        skip_ws();
        if (pos < len && input[pos] == ',') { pos++; continue; }
        if (pos < len && input[pos] == '}') break;
        fail("expected ',' or '}'");
    }
    if (text_len < 0) fail("missing \"text\"");

    long characters = 0, words = 0, lines = text_len > 0 ? 1 : 0, sentences = 0;
    int in_word = 0, in_sentence = 0;
    for (long i = 0; i < text_len; i++) {
        unsigned char c = (unsigned char)text[i];
        if ((c & 0xC0) != 0x80) characters++;
        if (c == '\n') lines++;
        if (is_space(c)) { in_word = 0; continue; }
        if (!in_word) { words++; in_word = 1; }
        if (c == '.' || c == '!' || c == '?') {
            if (in_sentence) { sentences++; in_sentence = 0; }
        } else {
            in_sentence = 1;
        }
    }
    if (in_sentence) sentences++;
    printf("{\"bytes\":%ld,\"characters\":%ld,\"words\":%ld,\"lines\":%ld,\"sentences\":%ld}\n",
           text_len, characters, words, lines, sentences);
    return 0;
}
