/*
 * cli.h - what hetero-run and hetero-bench share on the terminal: the
 * usage-error convention (exit 2) and the progress bar on stderr.
 */
#ifndef HETERO_CLI_H
#define HETERO_CLI_H

#define CLI_EXIT_USAGE 2

/* Prints "<prog>: error: <message>" and a pointer to --help on stderr,
 * then exits with CLI_EXIT_USAGE. */
void cli_usage_error(const char *prog, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3), noreturn))
#endif
    ;

/* Draws "[####    ]  40% <what>" over the current stderr line. */
void cli_progress_draw(double fraction, const char *what);

#endif /* HETERO_CLI_H */
