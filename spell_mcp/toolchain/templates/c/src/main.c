/* @TITLE@: greets whoever the input names.
 *
 * The input arrives on stdin as one JSON object, already checked against schema.json;
 * the spell writes one JSON value to stdout and exits 0. stderr is a log for the maker.
 */
#include <stdio.h>
#include <string.h>

#define MAX_INPUT 65536

static char input[MAX_INPUT + 1];

static const char *skip_space(const char *at) {
    while (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r') at++;
    return at;
}

/* The raw text of a string member's value, escapes kept, so it can be copied into JSON. */
static const char *string_member(const char *json, const char *key, size_t *length) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *at = strstr(json, quoted);
    if (at == NULL) return NULL;
    at = skip_space(at + strlen(quoted));
    if (*at++ != ':') return NULL;
    at = skip_space(at);
    if (*at++ != '"') return NULL;
    const char *end = at;
    while (*end != '\0' && *end != '"') end += (*end == '\\' && end[1] != '\0') ? 2 : 1;
    if (*end != '"') return NULL;
    *length = (size_t)(end - at);
    return at;
}

int main(void) {
    size_t read = fread(input, 1, MAX_INPUT, stdin);
    input[read] = '\0';
    size_t length = 0;
    const char *name = string_member(input, "name", &length);
    if (name == NULL) {
        fputs("the input has no \"name\" string\n", stderr);
        return 1;
    }
    printf("{\"greeting\":\"Hello, %.*s!\"}", (int)length, name);
    return 0;
}
