/* probe: a spell that tries what it is told to, for the sandbox's policy tests.
 *
 * stdin is "<command> <argument>"; stdout is one JSON object saying what happened.
 * Commands: read PATH, write PATH, env NAME, net REQUEST_JSON, netsmall REQUEST_JSON (a tiny
 * response buffer, then http_response), fill PATH (write 64 MiB). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((import_module("spell"), import_name("http_request")))
int http_request(const char *request, int request_len, char *response, int response_cap);
__attribute__((import_module("spell"), import_name("http_response")))
int http_response(char *response, int response_cap);

static char input[65536];
static char buffer[1 << 20];

static int fail(void) {
    printf("{\"ok\":false,\"errno\":%d}", errno);
    return 0;
}

int main(void) {
    size_t n = fread(input, 1, sizeof input - 1, stdin);
    input[n] = 0;
    char *command = input;
    /* Cast through the platform, the input is JSON: {"c":"<command> <argument>"}. */
    static const char prefix[] = "{\"c\":\"";
    if (!strncmp(input, prefix, sizeof prefix - 1) && n >= sizeof prefix + 1) {
        command = input + sizeof prefix - 1;
        input[n - 2] = 0;
    }
    char *argument = strchr(input, ' ');
    if (argument) *argument++ = 0; else argument = "";

    if (!strcmp(command, "read")) {
        FILE *f = fopen(argument, "r");
        if (!f) return fail();
        size_t got = fread(buffer, 1, 64, f);
        buffer[got] = 0;
        fclose(f);
        printf("{\"ok\":true,\"bytes\":%zu}", got);
    } else if (!strcmp(command, "write")) {
        FILE *f = fopen(argument, "w");
        if (!f) return fail();
        if (fputs("written by probe\n", f) < 0) return fail();
        if (fclose(f) != 0) return fail();
        printf("{\"ok\":true}");
    } else if (!strcmp(command, "fill")) {
        FILE *f = fopen(argument, "w");
        if (!f) return fail();
        memset(buffer, 'x', sizeof buffer);
        for (int i = 0; i < 64; i++) fwrite(buffer, 1, sizeof buffer, f);
        fclose(f);
        printf("{\"ok\":true}");
    } else if (!strcmp(command, "env")) {
        const char *value = getenv(argument);
        if (value) printf("{\"ok\":true,\"value\":\"%s\"}", value);
        else printf("{\"ok\":false}");
    } else if (!strcmp(command, "net") || !strcmp(command, "netsmall")) {
        int small = !strcmp(command, "netsmall");
        int length = http_request(argument, (int)strlen(argument), buffer, small ? 8 : (int)sizeof buffer - 1);
        if (length < 0) { printf("{\"ok\":false,\"code\":%d}", length); return 0; }
        if (small) {
            if (length <= 8) { printf("{\"ok\":false,\"code\":\"fit\"}"); return 0; }
            if (http_response(buffer, (int)sizeof buffer - 1) != length) { printf("{\"ok\":false}"); return 0; }
        }
        buffer[length] = 0;
        printf("{\"ok\":true,\"response\":%s}", buffer);
    } else {
        printf("{\"ok\":false,\"unknown\":true}");
    }
    return 0;
}
