/* echo: writes its input JSON back unchanged. The smallest possible spell, used by tests and
 * benchmarks to measure the platform's own cost per cast. */
#include <stdio.h>

static char buffer[65536];

int main(void) {
    size_t n;
    while ((n = fread(buffer, 1, sizeof buffer, stdin)) > 0) {
        if (fwrite(buffer, 1, n, stdout) != n) return 1;
    }
    return ferror(stdin) ? 1 : 0;
}
