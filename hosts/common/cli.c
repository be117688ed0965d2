/* cli.c - see cli.h. */
#include "cli.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

void cli_usage_error(const char *prog, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: error: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry '%s --help'.\n", prog);
    exit(CLI_EXIT_USAGE);
}

void cli_progress_draw(double fraction, const char *what)
{
    int width = 30;
    int filled = (int)(fraction * width + 0.5);

    if (filled < 0)
        filled = 0;
    if (filled > width)
        filled = width;
    fprintf(stderr, "\r[%.*s%*s] %3.0f%% %-40.40s", filled,
            "##############################", width - filled, "",
            fraction * 100.0, what);
    fflush(stderr);
}
