/* engine/cli/kn_cli.h: the `kiln` commands. Each takes argc/argv with argv[0] the command name
 * and returns the process exit code (kn_status_exit_code). kn_cli_main.c holds the table that
 * maps names to these. */
#ifndef KN_CLI_H
#define KN_CLI_H

int kn_cli_inspect(int argc, char **argv);
int kn_cli_convert(int argc, char **argv);
int kn_cli_infer(int argc, char **argv);

#endif
